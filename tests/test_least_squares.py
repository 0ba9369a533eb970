"""A least-squares loss over all its data is its exact second-order expansion
(``Problem.expansion``): the same loss, gradient and Hessian as the sum over the data, at a
cost that does not grow with n; a minibatch still sums over its samples."""

from __future__ import annotations

import autograd
import numpy as np
import pytest

from descentlab.problems import make_problem

# The expansion and the sum round differently: they agree to this, relative to the size of
# the terms (the loss itself; for the gradient, ‖H‖ (1 + ‖θ - c‖), what its terms are made of).
RTOL = 1e-10

_x = np.random.default_rng(7).uniform(-3, 3, 500)
USER_LINE = {"id": "line-fit", "data": {"x": _x, "y": 0.5 * _x - 2 + np.sin(5 * _x)}}

LEAST_SQUARES = [
    pytest.param("linear-regression", id="linear-regression"),
    pytest.param(
        {"id": "linear-regression", "params": {"n": 100_000}}, id="linear-regression-n1e5"
    ),
    pytest.param("line-fit", id="line-fit"),
    pytest.param("line-fit-sgd", id="line-fit-sgd"),
    pytest.param(USER_LINE, id="user-data"),
]


def _points(centre: np.ndarray) -> np.ndarray:
    """The minimiser, points near it, and points far from it (up to 1,000 away)."""
    rng = np.random.default_rng(0)
    offsets = [scale * rng.standard_normal((3, 2)) for scale in (1e-6, 1.0, 1e3)]
    return np.vstack([centre, *(centre + o for o in offsets)])


@pytest.mark.parametrize("spec", LEAST_SQUARES)
def test_the_expansion_is_the_sum_over_the_data(spec):
    problem = make_problem(spec)
    assert problem.expansion is not None
    X = _points(problem.minima[0])
    f = problem.autograd_function()  # the sum over every sample, by another implementation
    want_f = np.array([f(x) for x in X])
    want_g = np.array([autograd.grad(f)(x) for x in X])
    want_H = np.array([autograd.hessian(f)(x) for x in X])

    value, grad = problem.value_and_grad(X)
    np.testing.assert_allclose(value, want_f, rtol=RTOL)
    np.testing.assert_allclose(problem.value(X), want_f, rtol=RTOL)
    H_norm = np.linalg.norm(want_H[0], 2)
    distance = np.linalg.norm(X - problem.minima[0], axis=1)
    scale = H_norm * (1 + distance)[:, None]
    assert np.all(np.abs(grad - want_g) <= RTOL * scale)
    np.testing.assert_allclose(problem.hess(X), want_H, rtol=RTOL, atol=RTOL * H_norm)


def _counting(problem, name, calls):
    tape = getattr(problem, name)

    def counted(*args, **kwargs):
        calls[name] += 1
        return tape(*args, **kwargs)

    setattr(problem, name, counted)


def test_a_full_batch_step_does_not_sum_over_the_data_and_a_minibatch_does():
    problem = make_problem(USER_LINE)  # user data: a problem of its own, not the cached one
    assert problem.expansion is not None  # built once, from sums over the data
    calls = dict.fromkeys(("_value_tape", "_value_grad_tape", "_hess_tape"), 0)
    for name in calls:
        _counting(problem, name, calls)
    X = _points(problem.minima[0])
    problem.value(X), problem.value_and_grad(X), problem.hess(X)
    assert calls == dict.fromkeys(calls, 0)

    batch = np.arange(10, 60)
    xi, yi = problem.data["xi"][batch], problem.data["yi"][batch]
    value, grad = problem.value_and_grad(X[:1], batch)
    assert calls["_value_grad_tape"] == 1
    m, c = X[0]
    residual = m * xi + c - yi
    np.testing.assert_allclose(value, np.mean(residual**2), rtol=1e-12)  # the batch's mean
    np.testing.assert_allclose(grad[0], [np.mean(2 * residual * xi), np.mean(2 * residual)])


def test_only_least_squares_is_expanded():
    assert make_problem("logistic-regression").expansion is None
    assert make_problem("quadratic").expansion is None  # no data: its tape is O(1) already
