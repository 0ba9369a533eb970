"""Every surface's gradient and Hessian against autograd (the oracle) and finite differences,
its metadata against itself, and the expression machinery they are all built from."""

from __future__ import annotations

import itertools

import autograd
import numpy as np
import pytest

from descentlab.errors import DescentLabError
from descentlab.problems import CATALOG, make_problem
from descentlab.problems.expr import FUNCTIONS
from descentlab.problems.latex import to_latex
from descentlab.problems.parse import parse
from descentlab.problems.scalar import SCALAR

SURFACE_IDS = [s.id for s in CATALOG]


def _random_points(problem, n=12, seed=0):
    rng = np.random.default_rng(seed)
    lo, hi = problem.domain[:, 0], problem.domain[:, 1]
    return rng.uniform(lo, hi, size=(n, problem.dim))


@pytest.mark.parametrize("surface_id", SURFACE_IDS)
def test_value_gradient_and_hessian_match_autograd(surface_id):
    problem = make_problem(surface_id)
    f = problem.autograd_function()
    X = _random_points(problem)
    value, grad = problem.value_and_grad(X)
    hess = problem.hess(X)
    for i, x in enumerate(X):
        np.testing.assert_allclose(value[i], f(x), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grad[i], autograd.grad(f)(x), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(hess[i], autograd.hessian(f)(x), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(problem.value(X), value, rtol=0, atol=0)


@pytest.mark.parametrize("surface_id", SURFACE_IDS)
def test_gradient_matches_central_differences(surface_id):
    problem = make_problem(surface_id)
    X = _random_points(problem, n=6, seed=1)
    grad = problem.grad(X)
    h = 1e-6
    for k in range(problem.dim):
        e = np.zeros(problem.dim)
        e[k] = h
        fd = (problem.value(X + e) - problem.value(X - e)) / (2 * h)
        scale = np.maximum(1.0, np.abs(grad[:, k]))
        np.testing.assert_array_less(np.abs(fd - grad[:, k]) / scale, 1e-4)


@pytest.mark.parametrize("surface_id", SURFACE_IDS)
def test_metadata_is_consistent(surface_id):
    surface = CATALOG.by_id[surface_id]
    problem = surface.bind()
    assert problem.dim in (1, 2)
    assert problem.domain.shape == (problem.dim, 2)
    assert (problem.domain[:, 0] < problem.domain[:, 1]).all()
    assert problem.start.shape == (problem.dim,)
    assert surface.formula  # LaTeX generated from the definition
    for p in surface.params:
        assert p.low <= p.default <= p.high
    # Known minima are stationary points with a positive semi-definite Hessian.
    if len(problem.minima):
        _, grad = problem.value_and_grad(problem.minima)
        np.testing.assert_allclose(grad, 0.0, atol=1e-6)
        for H in problem.hess(problem.minima):
            if np.isfinite(H).all():  # Ackley's minimum is a cone tip: infinite curvature
                assert np.linalg.eigvalsh(H).min() > -1e-9


def test_parameters_bind_and_move_the_minimum():
    problem = make_problem({"id": "rosenbrock", "params": {"a": 2.0, "b": 10.0}})
    np.testing.assert_allclose(problem.minima, [[2.0, 4.0]])
    assert problem.value(np.array([[2.0, 4.0]]))[0] == 0.0
    rotated = make_problem({"id": "quadratic", "params": {"kappa": 10, "angle": 90}})
    # Rotating by 90 degrees swaps the axes: x^2 + 10 y^2 becomes 10 x^2 + y^2.
    np.testing.assert_allclose(rotated.value(np.array([[1.0, 2.0]])), [10 + 4], rtol=1e-12)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("nope", "surface"),
        ({"id": "nope"}, "surface.id"),
        ({"id": "rosenbrock", "params": {"c": 1}}, "surface.params.c"),
        ({"id": "rosenbrock", "params": {"b": 1e9}}, "surface.params.b"),
        ({"id": "rosenbrock", "params": {"b": "x"}}, "surface.params.b"),
        ({"id": "rosenbrock", "params": {"b": float("nan")}}, "surface.params.b"),
        ({"id": "rosenbrock", "extra": 1}, "surface.extra"),
        (42, "surface"),
    ],
)
def test_bad_surface_specs_name_the_field(spec, field):
    with pytest.raises(DescentLabError) as err:
        make_problem(spec)
    assert err.value.field == field


def test_batch_evaluation_matches_row_by_row():
    problem = make_problem("nightmare")
    X = _random_points(problem, n=50, seed=3)
    value, grad = problem.value_and_grad(X)
    for i in range(0, 50, 7):
        v1, g1 = problem.value_and_grad(X[i : i + 1])
        assert v1[0] == value[i]
        np.testing.assert_array_equal(g1[0], grad[i])


SPECIAL = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    3.0,
    1e-300,
    1e300,
    -1e300,
    710.0,
    -710.0,
    float("inf"),
    float("-inf"),
    float("nan"),
]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_scalar_functions_follow_numpy_everywhere(name):
    """The float fast path gives numpy's answer, non-finite ones included, and never raises."""
    arity = FUNCTIONS[name].arity
    inputs = (
        list(itertools.product(SPECIAL, repeat=arity))
        if arity <= 2
        else [tuple(np.random.default_rng(i).choice(SPECIAL, size=arity)) for i in range(200)]
    )
    for args in inputs:
        with np.errstate(all="ignore"):
            expected = float(FUNCTIONS[name].numpy(*(np.float64(a) for a in args)))
        got = SCALAR[name](*args)
        if np.isnan(expected):
            assert np.isnan(got), (name, args, got)
        else:
            assert got == pytest.approx(expected, rel=1e-15, abs=0), (name, args, got, expected)


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("-x*y", "-x y"),
        ("-sin(x)*y", r"-\sin\left(x\right) y"),
        ("x*-y", r"x \left(-y\right)"),
        ("y - -x*y", r"y - \left(-x y\right)"),
        ("y + -x*y", r"y + \left(-x y\right)"),
        ("(-x*y)^2", r"{\left(-x y\right)}^{2}"),
        ("x - (y - x)", r"x - \left(y - x\right)"),
        ("x + (y + x)", "x + y + x"),
    ],
)
def test_latex_signs(text, latex):
    """A product led by a minus prints without parentheses; after + or - it keeps them."""
    assert to_latex(parse(text, []).tree) == latex


@pytest.mark.parametrize("surface", [s.id for s in CATALOG])
def test_values_on_a_grid_equal_values_at_its_points(surface):
    """value_on_grid (the contour grid, broadcast from the axes) is value() at the points."""
    problem = make_problem(surface)
    axes = [np.linspace(lo, hi, n) for (lo, hi), n in zip(problem.domain, (7, 5), strict=False)]
    mesh = np.meshgrid(*axes)
    points = np.column_stack([m.ravel() for m in mesh])
    with np.errstate(all="ignore"):
        expected = problem.value(points).reshape(mesh[0].shape)
        np.testing.assert_allclose(problem.value_on_grid(axes), expected, rtol=1e-13, atol=0)
