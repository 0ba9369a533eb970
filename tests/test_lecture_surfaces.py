"""Every surface marked ``lecture`` against the lecture notes it comes from.

Each notes' function is transcribed here independently, in plain (autograd-)numpy on points
of shape (N, D) rather than in our expression language, and every lecture surface must equal
its transcription on a grid over its window (values to 1e-12, gradients to 1e-10, relative to
the function's scale there); then the numbers the notes print, the notes' windows, and the
data-fit surfaces' data, reductions and minibatch steps. A lecture surface without an entry
in ``LECTURE`` fails ``test_every_lecture_surface_has_a_transcription``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from scipy.optimize import minimize

import descentlab
from descentlab.problems import CATALOG, make_problem

# --- the notes' functions, transcribed --------------------------------------------------------


def parabola(p):  # 001, L(θ) = θ²
    return p[:, 0] ** 2


def quartic(p):  # 001, f(x) = x⁴ - 40x² - 100x
    x = p[:, 0]
    return x**4 - 40 * x**2 - 100 * x


# 001's 2-D polynomial as a coefficient table: POLY[i, j] multiplies x^i y^j.
POLY = np.zeros((4, 4))
POLY[0, 2], POLY[0, 3], POLY[1, 0], POLY[2, 0], POLY[3, 0] = 1.0, -0.02, 5.0, 1.0, 0.04


def polynomial(p):
    x, y = p[:, 0], p[:, 1]
    return sum(POLY[i, j] * x**i * y**j for i in range(4) for j in range(4) if POLY[i, j])


def bowl(p):  # 004, x² + 100y²
    return p[:, 0] ** 2 + 100 * p[:, 1] ** 2


def banana(p):  # 004, the 2-D case of the generalised Rosenbrock function
    return 100 * (p[:, 1] - p[:, 0] ** 2) ** 2 + (1 - p[:, 0]) ** 2


CENTRE = np.array([-2.0, 3.0])
FALSE_CENTRE = np.array([3.0, 0.5])


def _sqdist(p, c):
    return anp.sum((p - c) ** 2, axis=1)


def bad_function(p):  # 001, the "nightmare"
    ripple = anp.sqrt(_sqdist(p, -FALSE_CENTRE))  # |θ + false_ctr|₂
    return (
        -anp.exp(-_sqdist(p, CENTRE) / 20)
        + anp.exp(-_sqdist(p, -CENTRE) / 20)
        + 0.08 * anp.cos(6 * ripple)
        - 0.75 * anp.exp(-_sqdist(p, FALSE_CENTRE) / 5)
        - 0.75 * anp.exp(-_sqdist(p, -FALSE_CENTRE) / 2)
        + anp.exp(-2 * (p[:, 1] + 1) ** 2)
    )


DOG_MAP = np.array([[1.0, -0.2], [0.8, 1.5]])


def difference_of_gaussians(p):  # 001: u = θF (a row times the matrix), r² = |u|²
    r2 = anp.sum(anp.dot(p, DOG_MAP) ** 2, axis=1)
    return anp.exp(-r2 / 10) - anp.exp(-r2 / 2)


def mean_squared_error(p, xi, yi):  # 000: (1/n) Σ (θ₀ + θ₁x - y)², intercept first
    return anp.mean((p[:, 0:1] + p[:, 1:2] * xi - yi) ** 2, axis=1)


def sum_of_squares(p, xi, yi):  # 001: Σ (m x + c - y)², slope first
    return anp.sum((p[:, 0:1] * xi + p[:, 1:2] - yi) ** 2, axis=1)


@dataclass(frozen=True)
class Entry:
    function: Callable[..., Any]
    params: dict[str, float] | None = None  # the notes' parameter values
    window: tuple[tuple[float, float], ...] | None = None  # the notes' figure: our domain
    data: bool = False  # the function also takes the surface's data columns (xi, yi)


LECTURE = {
    "parabola": Entry(parabola, window=((-10.0, 10.0),)),
    "quartic": Entry(quartic, window=((-2.0, 8.0),)),
    "polynomial": Entry(polynomial, window=((-35.0, 35.0),) * 2),
    "quadratic": Entry(bowl, {"kappa": 100.0, "angle": 0.0}, window=((-1.2, 1.2),) * 2),
    # The notes draw it on [-5, 5]² and [0, 2]²; our default view keeps the valley large.
    "rosenbrock": Entry(banana, {"a": 1.0, "b": 100.0}),
    "nightmare": Entry(bad_function, window=((-6.0, 6.0),) * 2),
    "dog": Entry(difference_of_gaussians, window=((-5.0, 5.0),) * 2),
    "linear-regression": Entry(mean_squared_error, data=True),
    "line-fit": Entry(sum_of_squares, data=True),
    "line-fit-sgd": Entry(sum_of_squares, {"n": 2000}, data=True),  # 100,000 below
}


def test_every_lecture_surface_has_a_transcription():
    assert {s.id for s in CATALOG if s.lecture} == set(LECTURE)


def _bind(surface_id):
    entry = LECTURE[surface_id]
    problem = make_problem({"id": surface_id, "params": entry.params or {}})
    if entry.data:
        xi, yi = problem.data["xi"][None, :], problem.data["yi"][None, :]
        return problem, lambda p: entry.function(p, xi, yi)
    return problem, entry.function


def _grid(problem, n):
    axes = [np.linspace(lo, hi, n) for lo, hi in problem.domain]
    return np.column_stack([m.ravel() for m in np.meshgrid(*axes)])


def _close(got, want, rtol):
    """Equal to ``rtol`` relative to each value, or to the function's scale on the grid where
    it crosses zero (where a relative error means nothing)."""
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max())


@pytest.mark.parametrize("surface_id", sorted(LECTURE))
def test_values_and_gradients_equal_the_notes_function(surface_id):
    problem, f = _bind(surface_id)
    points = _grid(problem, 401 if problem.dim == 1 else 41 if not LECTURE[surface_id].data else 9)
    value, grad = problem.value_and_grad(points)
    _close(value, f(points), 1e-12)
    if LECTURE[surface_id].data:  # a sum over the data: autograd point by point
        want = np.array([autograd.grad(lambda q: f(q[None, :])[0])(q) for q in points])
    else:  # each row depends on its own point alone, as the notes' own ddog
        want = autograd.elementwise_grad(lambda q: anp.sum(f(q)))(points)
    _close(grad, want, 1e-10)


@pytest.mark.parametrize("surface_id", [s for s, e in LECTURE.items() if e.window])
def test_the_default_window_is_the_notes_figure(surface_id):
    np.testing.assert_array_equal(make_problem(surface_id).domain, LECTURE[surface_id].window)


# --- the numbers the notes print ----------------------------------------------------------


def test_quartic_derivatives_at_five():
    problem = make_problem("quartic")  # the notes print df(5), ddf(5) = 0.0 220.0
    x = np.array([[5.0]])
    assert problem.grad(x)[0, 0] == 0.0
    assert problem.hess(x)[0, 0, 0] == 220.0
    np.testing.assert_allclose(problem.minima[:, 0], [5.0, -(5 + np.sqrt(5)) / 2])


def test_bad_function_at_the_origin_and_its_global_minimum():
    problem = make_problem("nightmare")
    assert round(float(problem.value(np.zeros((1, 2)))[0]), 4) == 0.0760
    best = problem.minima[0]
    np.testing.assert_allclose(best, [-3.0224, 0.1087], atol=5e-5)
    lowest = float(problem.value(problem.minima[:1])[0])
    assert abs(lowest - -1.05776) < 5e-6
    # The first listed minimum is the lowest: of the list, and of a fine grid of the window.
    assert (problem.value(problem.minima)[1:] > lowest).all()
    axes = [np.linspace(-6, 6, 601)] * 2
    assert problem.value_on_grid(axes).min() > lowest


def test_bad_function_lists_every_local_minimum_in_its_window():
    problem = make_problem("nightmare")
    listed = problem.minima
    assert ((listed >= -6) & (listed <= 6)).all()
    f = lambda q: problem.value(q[None, :])[0]  # noqa: E731
    g = lambda q: problem.grad(q[None, :])[0]  # noqa: E731
    for start in _grid(problem, 9):
        end = minimize(f, start, jac=g, method="BFGS", options={"gtol": 1e-10}).x
        if (np.abs(end) <= 6).all():
            assert np.linalg.norm(listed - end, axis=1).min() < 1e-5, end


def test_difference_of_gaussians_ring_and_origin():
    problem = make_problem("dog")
    assert problem.value(np.zeros((1, 2)))[0] == 0.0
    np.testing.assert_array_equal(problem.minima, [[0.0, 0.0]])
    axes = [np.linspace(-5, 5, 501)] * 2
    Z = problem.value_on_grid(axes)
    assert abs(Z.max() - 0.535) < 5e-4 and Z.min() >= 0.0
    # The ring's height exactly: r² = 2.5 ln 5 where d/dr² (e^(-r²/10) - e^(-r²/2)) = 0.
    r2 = 2.5 * np.log(5)
    assert abs(np.exp(-r2 / 10) - np.exp(-r2 / 2) - 0.535) < 5e-4


def test_polynomial_minimum():
    problem = make_problem("polynomial")
    x = (-2 + np.sqrt(1.6)) / 0.24
    np.testing.assert_allclose(problem.minima, [[x, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(problem.grad(problem.minima), 0.0, atol=1e-12)


# --- 001's line fits: data, the sum, minibatch means --------------------------------------


def test_line_fit_data_and_the_sum_of_squares():
    problem = make_problem("line-fit")
    xi, yi = problem.data["xi"], problem.data["yi"]
    assert problem.n_data == 20 and (np.diff(xi) >= 0).all()
    np.testing.assert_allclose(problem.start, [-1.0, 0.0])
    slope, offset = np.polyfit(xi, yi, 1)
    np.testing.assert_allclose(problem.minima[0], [slope, offset], rtol=1e-10)
    theta = np.array([[1.5, -0.5]])
    np.testing.assert_allclose(problem.value(theta), np.sum((1.5 * xi - 0.5 - yi) ** 2))
    # Noise of standard deviation 0.5|x|: on many points the scaled residuals are N(0, 1).
    big = make_problem({"id": "line-fit", "params": {"n": 100_000}})
    x, y = big.data["xi"], big.data["yi"]
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02
    assert abs(np.std((y - 2 * x - 1) / (0.5 * np.abs(x))) - 1) < 0.02


def test_line_fit_descends_by_the_notes_gradient_descent():
    # The notes: step 0.01 from (-1, 0) while sum |dL| > 1e-4, 35 iterations on their draw.
    traj = descentlab.run(
        "line-fit", "gd", start=(-1, 0), lr=0.01, grad_tol=1e-4, grad_norm="l1", max_steps=1000
    )
    assert traj.status[0] == "converged" and 20 <= traj.nit[0] <= 60
    np.testing.assert_allclose(traj.x[0], make_problem("line-fit").minima[0], atol=1e-4)


def test_sgd_line_data_and_the_notes_minibatch_step():
    problem = make_problem("line-fit-sgd")
    xi, yi = problem.data["xi"], problem.data["yi"]
    np.testing.assert_array_equal(xi, np.linspace(0, 5, 100_000))
    assert abs(np.std(yi - xi - 2) - 0.5) < 0.005
    np.testing.assert_allclose(problem.minima[0], np.polyfit(xi, yi, 1), rtol=1e-10)
    assert problem.describe()["reduction"] == "sum"
    # One step of the notes' SGD: θ ← θ - step · (Σ over the batch of ∇(θ₀x + θ₁ - y)²) / M.
    traj = descentlab.run("line-fit-sgd", "gd", lr=0.05, batch_size=100, max_steps=3, seed=4)
    for t in (1, 2, 3):
        (m, c), b = traj.path[0, t - 1], traj.batches[t]
        r = m * xi[b] + c - yi[b]
        step = 0.05 * np.array([np.sum(2 * r * xi[b]), np.sum(2 * r)]) / len(b)
        np.testing.assert_allclose(traj.path[0, t], traj.path[0, t - 1] - step, rtol=1e-12)
        # the step follows the batch's mean; its loss is recorded on the sum's scale, n times
        # that mean (an estimate of the full sum recorded beside it)
        np.testing.assert_allclose(traj.batch_loss[0, t], xi.size * np.mean(r**2), rtol=1e-12)
    np.testing.assert_allclose(traj.loss[0, 0], np.sum((-3.5 * xi + 2.5 - yi) ** 2), rtol=1e-12)


def test_one_epoch_of_the_notes_sgd_finds_the_line():
    traj = descentlab.run(
        "line-fit-sgd", "gd", lr=0.05, batch_size=100, epochs=1, seed=0, grad_tol=None
    )
    assert traj.nit[0] == 1000
    np.testing.assert_allclose(traj.x[0], [1.0, 2.0], atol=0.05)


@pytest.mark.parametrize("surface_id", ["linear-regression", "line-fit", "line-fit-sgd"])
def test_least_squares_grid_from_sums_equals_the_per_sample_loss(surface_id):
    problem = make_problem({"id": surface_id, "params": {"n": 100_000}})
    axes = [np.linspace(lo, hi, n) for (lo, hi), n in zip(problem.domain, (9, 7), strict=True)]
    points = np.column_stack([m.ravel() for m in np.meshgrid(*axes)])
    want = problem.value(points).reshape(7, 9)
    np.testing.assert_allclose(problem.value_on_grid(axes), want, rtol=1e-12)
