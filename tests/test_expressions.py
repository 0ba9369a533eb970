"""Typed surfaces: valid expressions evaluate and differentiate right; hostile ones are refused
quickly, with a message that points at the problem; random input never does anything else."""

from __future__ import annotations

import math
import time

import autograd
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descentlab
from descentlab import limits
from descentlab.errors import DescentLabError
from descentlab.problems import make_problem
from descentlab.problems.parse import TYPEABLE_FUNCTIONS

P = (0.7, -0.4)


def _sig(z):
    return 1 / (1 + math.exp(-z))


# (expression, params, f(x, y) written independently, in plain Python)
VALID = [
    ("x**2 + 100*y**2", {}, lambda x, y: x**2 + 100 * y**2),
    (
        "sin(3*x)*cos(2*y) + 0.1*(x**2 + y**2)",
        {},
        lambda x, y: math.sin(3 * x) * math.cos(2 * y) + 0.1 * (x**2 + y**2),
    ),
    ("(1-x)^2 + 100*(y-x^2)^2", {}, lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("log(1 + exp(-x*y))", {}, lambda x, y: math.log(1 + math.exp(-x * y))),
    ("abs(x) + abs(y)", {}, lambda x, y: abs(x) + abs(y)),
    ("sqrt(x^2+y^2)", {}, lambda x, y: math.hypot(x, y)),
    ("max(x, y)", {}, lambda x, y: max(x, y)),
    (
        "min(x, y) + tanh(x) + sinh(y) + cosh(x) + tan(y)",
        {},
        lambda x, y: min(x, y) + math.tanh(x) + math.sinh(y) + math.cosh(x) + math.tan(y),
    ),
    (
        "arctan(x) + arctan2(y, x) + atan2(x, 2) + ln(2 + y) + log10(3 + x)",
        {},
        lambda x, y: (
            math.atan(x) + math.atan2(y, x) + math.atan2(x, 2) + math.log(2 + y) + math.log10(3 + x)
        ),
    ),
    (
        "sigmoid(x) + relu(y) + relu(x) + softplus(y)",
        {},
        lambda x, y: _sig(x) + max(y, 0) + max(x, 0) + math.log1p(math.exp(y)),
    ),
    ("a*x^2 + b*y^2 - c", {"a": 2, "b": 0.5, "c": 1}, lambda x, y: 2 * x**2 + 0.5 * y**2 - 1),
    (
        "pi*x + e*y + 1e-3 + .5 + 2.5E1 + 1_000",
        {},
        lambda x, y: math.pi * x + math.e * y + 1e-3 + 0.5 + 25 + 1000,
    ),
    ("-x^2 + 2^-1*y + x**-2", {}, lambda x, y: -(x**2) + 0.5 * y + x**-2),
    ("x^y + 2^x", {}, lambda x, y: x**y + 2**x),
    ("exp(x)^2 / (1 + y^2)", {}, lambda x, y: math.exp(x) ** 2 / (1 + y**2)),
    ("x^3 - 3*x", {}, lambda x, y: x**3 - 3 * x),
]


@pytest.mark.parametrize(("text", "params", "reference"), VALID, ids=[v[0] for v in VALID])
def test_valid_expressions_evaluate_and_differentiate(text, params, reference):
    problem = make_problem({"expression": text, "params": params})
    point = np.array([P[: problem.dim]])
    value, grad = problem.value_and_grad(point)
    args = P if problem.dim == 2 else (P[0], 0.0)
    assert value[0] == pytest.approx(reference(*args), rel=1e-12, abs=1e-12)
    f = problem.autograd_function()
    np.testing.assert_allclose(grad[0], autograd.grad(f)(point[0]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        problem.hess(point)[0], autograd.hessian(f)(point[0]), rtol=1e-9, atol=1e-10
    )
    h = 1e-6  # and central differences, independently of autograd
    for k in range(problem.dim):
        e = np.zeros(problem.dim)
        e[k] = h
        fd = (problem.value(point + e) - problem.value(point - e))[0] / (2 * h)
        assert grad[0, k] == pytest.approx(fd, rel=1e-5, abs=1e-6)


def test_x_alone_is_one_dimensional_and_every_function_is_typeable():
    assert make_problem({"expression": "x^3 - 3*x"}).dim == 1
    for name in TYPEABLE_FUNCTIONS:
        args = "x, y" if name in ("arctan2", "min", "max") else "x"
        make_problem({"expression": f"{name}({args}) + y"})


def test_a_typed_surface_is_the_catalog_mechanism():
    typed = {
        "expression": "(a - x)^2 + b*(y - x^2)^2",
        "params": {"a": 1, "b": 100},
        "domain": [[-2, 2], [-1, 3]],
        "start": [-1.5, 2],
    }
    mine = descentlab.run(typed, "adam", lr=0.02, max_steps=500)
    catalog = descentlab.run("rosenbrock", "adam", lr=0.02, max_steps=500)
    np.testing.assert_array_equal(mine.path, catalog.path)


def test_non_finite_values_stop_the_path_as_diverged():
    traj = descentlab.run(
        {"expression": "log(x) + y^2", "start": [0.5, 1.0]}, "gd", lr=1.0, max_steps=50
    )
    assert traj.status == ["diverged"] and "not finite" in traj.message[0]
    problem = make_problem({"expression": "1/x + y"})
    with np.errstate(all="ignore"):
        assert not np.isfinite(problem.value(np.array([[0.0, 1.0]]))[0])


HOSTILE = [
    ("import os", "unknown name `import` at column 1"),
    ("x.__class__", "unexpected character '.' at column 2"),
    ("__import__('os').system('ls')", "unknown function `__import__` at column 1"),
    ("__builtins__", "unknown name `__builtins__` at column 1"),
    ("lambda x: x", "unknown name `lambda` at column 1"),
    ("[x for x in (1, 2)]", "unexpected character '[' at column 1"),
    ("x if y else 1", "missing operator before 'if'"),
    ("eval('1')", "unknown function `eval`"),
    ("open('/etc/passwd')", "unknown function `open`"),
    ("9**9**9**9", "power too large"),
    ("2^1e6", "power too large"),
    ("10.0**400", "power too large"),
    ("(" * 40 + "x" + ")" * 40, "expression nests deeper than 32"),
    ("-" * 40 + "x", "expression nests deeper than 32"),
    ("(" * 10**5 + "x" + ")" * 10**5, "characters long; the limit is 2000"),
    ("x" * 10**6, "characters long; the limit is 2000"),
    ("+".join(["x"] * 600), "more than 500 nodes"),
    ("foo(x)", "unknown function `foo` at column 1"),
    ("z + 1", "unknown name `z` at column 1"),
    ("2x", "missing operator"),
    ("sin(x, y)", "`sin` takes 1 argument, got 2"),
    ("x +", "found the end of the expression"),
    ("", "expression is empty"),
    ("x; y", "unexpected character ';' at column 2"),
    ("x # comment", "unexpected character '#'"),
    ("x\\\ny", "unexpected character"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE, ids=[h[0][:30] for h in HOSTILE])
def test_hostile_expressions_are_refused_quickly_with_a_pointer(text, message):
    started = time.perf_counter()
    with pytest.raises(DescentLabError) as err:
        make_problem({"expression": text})
    assert time.perf_counter() - started < 0.5
    assert err.value.field == "surface.expression"
    assert message in err.value.message


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"expression": 3}, "surface.expression"),
        ({"expression": "a*x", "params": {"a": "big"}}, "surface.params.a"),
        ({"expression": "a*x", "params": {"a": float("nan")}}, "surface.params.a"),
        ({"expression": "x", "params": {"x": 1}}, "surface.params.x"),
        ({"expression": "x", "params": {"sin": 1}}, "surface.params.sin"),
        ({"expression": "x + y", "domain": [[1, 0], [0, 1]]}, "surface.domain.0"),
        ({"expression": "x + y", "domain": [[0, 1]]}, "surface.domain"),
        ({"expression": "x + y", "start": [1]}, "surface.start"),
        ({"expression": "x", "shell": "rm"}, "surface.shell"),
        ({"expression": "x", "params": {f"p{i}": 1 for i in range(40)}}, "surface.params"),
    ],
)
def test_bad_typed_surface_fields_are_named(spec, field):
    with pytest.raises(DescentLabError) as err:
        make_problem(spec)
    assert err.value.field == field


def test_the_compile_budget_is_enforced(monkeypatch):
    monkeypatch.setattr(limits, "EXPRESSION_COMPILE_SECONDS", 0.0)
    big = "*".join(f"sin({i + 1}*x + y)" for i in range(60))
    with pytest.raises(DescentLabError) as err:
        make_problem({"expression": big})
    assert "too complex" in err.value.message


ALPHABET = "xy+-*/^().,0123456789e abcdefghijklmnopqrstuvwz_'\"[]{}:;=<>!@#$%&|~`\\\n"


def _clean(spec):
    started = time.perf_counter()
    try:
        problem = make_problem(spec)
    except DescentLabError as err:
        assert err.field.startswith("surface")
        assert err.message
    else:
        with np.errstate(all="ignore"):
            problem.value_and_grad(np.zeros((3, problem.dim)))
            problem.hess(np.ones((2, problem.dim)))
    assert time.perf_counter() - started < 1.0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=120))
def test_fuzz_random_strings_are_accepted_or_refused_cleanly(text):
    _clean({"expression": text})


_LEAVES = st.sampled_from(["x", "y", "1", "2.5", "pi", "e", "0", "1e-3"])


def _trees():
    unary = [f for f in TYPEABLE_FUNCTIONS if f not in ("arctan2", "min", "max")]
    return st.recursive(
        _LEAVES,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(st.sampled_from(unary), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["arctan2", "min", "max"]), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"
            ),
            inner.map(lambda s: f"-{s}"),
        ),
        max_leaves=40,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees())
def test_fuzz_random_trees_are_accepted_or_refused_cleanly(text):
    _clean({"expression": text})
