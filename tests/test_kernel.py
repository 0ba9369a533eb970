"""The compiled single-trajectory kernel: the same path as the interpreted float path, to the
last bit, for every elementwise rule; built only from our own names; compiled once per
structure; and bypassed (never wrong) for a rule it cannot trace."""

from __future__ import annotations

import ast
import itertools
import math
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descentlab
from descentlab import engine
from descentlab.engine import Stop, kernel, loop, vm
from descentlab.engine.trace import Untraceable, trace_rule
from descentlab.errors import DescentLabError
from descentlab.optimizers import REGISTRY
from descentlab.optimizers.base import Optimizer
from descentlab.params import Param
from test_expressions import _trees

ELEMENTWISE = [o for o in REGISTRY if o.elementwise]

# Every function of the expression language, so that every float function is compiled.
EVERYTHING = (
    "abs(x) + max(x, y) - min(x, 2*y) + relu(x - 1) + softplus(y) + sigmoid(x*y) + tanh(x)"
    " + x^3 / (1 + y^2) + sqrt(x^2 + y^2 + 1) + log(2 + cos(x)) + exp(-y^2) + arctan2(y, 2)"
    " + 10^(-abs(x)) + sinh(y/4) + cosh(x/4) + arctan(x) + log10(3 + sin(y)) + tan(x/10)"
)
SURFACES = ["rosenbrock", "nightmare", "ackley", "quartic", {"expression": EVERYTHING}]


def variants(opt: Optimizer) -> list[dict]:
    """Defaults, then each hyperparameter but lr moved off its default (flags switched on)."""
    out: list[dict] = [{}]
    for h in opt.hypers:
        if h.name == "lr":
            continue
        if h.size > 1:
            value = tuple(0.5 * (h.low + h.high) for _ in range(h.size))
        elif h.integer:
            value = h.high
        elif h.scale == "log":
            value = float(np.sqrt(h.low * h.high))
        else:
            value = h.low + 0.3 * (h.high - h.low)
        out.append({h.name: value})
    return out


def run_both(surface, optimizer, params, steps=120, **kwargs):
    """The run in the compiled Python function, and the same run with the kernel switched off
    (interpreted). (test_vm holds the machine-code loop to the compiled Python function.)"""
    args = dict(params={"lr": 0.02, **params}, stop=Stop(max_steps=steps, grad_tol=None))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(vm, "enabled", False)
        compiled = engine.run(surface, optimizer, **args, **kwargs)
        m.setattr(loop, "float_kernel", lambda *a: None)
        interpreted = engine.run(surface, optimizer, **args, **kwargs)
    return compiled, interpreted


@pytest.mark.parametrize("optimizer", ELEMENTWISE, ids=lambda o: o.id)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: str(s)[:20])
def test_the_kernel_takes_the_interpreted_path_exactly(optimizer, surface):
    for params in variants(optimizer):
        for schedule in (None, {"id": "step", "params": {"step_size": 30}}):
            compiled, interpreted = run_both(surface, optimizer, params, schedule=schedule)
            for name in ("path", "loss", "grad_norm", "step_size", "lr"):
                np.testing.assert_array_equal(
                    getattr(compiled, name), getattr(interpreted, name), err_msg=name
                )
            assert compiled.info.keys() == interpreted.info.keys()
            for name in compiled.info:
                np.testing.assert_array_equal(compiled.info[name], interpreted.info[name])
            assert compiled.status == interpreted.status
            assert list(compiled.steps) == list(interpreted.steps)


def test_the_kernel_agrees_as_a_run_diverges():
    surface = {"expression": "exp(x^2) + y^2", "start": [1.5, 1.0]}
    compiled, interpreted = run_both(surface, "momentum", {"lr": 0.5})
    assert compiled.status == interpreted.status == ["diverged"]
    np.testing.assert_array_equal(compiled.path, interpreted.path)


@pytest.mark.parametrize("optimizer", ELEMENTWISE, ids=lambda o: o.id)
def test_every_elementwise_rule_compiles(optimizer):
    """The fast path is really taken: no rule falls back to the interpreter by accident."""
    spec = engine.prepare("rosenbrock", optimizer, schedule={"id": "cosine"})
    assert loop._Stepper(spec).kernel is not None


NAME = re.compile(r"^(t|f|lr|n|_|[xg]\d+|s\d+_\d+|[reo]\d+(_\d+)?|c\d+)$")
ARGUMENTS = {"n", "constants", "carry", "lrs", "record"}


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: str(s)[:20])
def test_compiled_code_holds_only_our_names_and_no_numbers(surface):
    """The code object of a kernel: its locals are our generated names, its globals our
    function table, and no number of the problem is in its
    constants: the numbers are arguments."""
    spec = engine.prepare(surface, "adam", params={"lr": 0.0123456789})
    code = loop._Stepper(spec).kernel._fn.__code__
    for name in code.co_varnames:
        assert name in ARGUMENTS or NAME.match(name), name
    for name in code.co_names:
        allowed = ("range", *kernel.INLINE_NAMES)
        assert name in allowed or re.match(r"^_f\d+$", name), name
    assert set(code.co_consts) <= {None, 1, 0.0}, code.co_consts  # t + 1, sqrt's a >= 0.0


def test_a_new_value_compiles_nothing():
    """A slider drag (lr, betas, a surface parameter) reuses the compiled function."""
    misses = []
    for lr in (0.01, 0.02, 0.03, 0.04):
        engine.run(
            {"id": "quadratic", "params": {"kappa": 1000 * lr + 2, "angle": 10 * lr}},
            "adam",
            params={"lr": lr, "betas": (0.8, 0.99)},
            stop=Stop(max_steps=10),
        )
        misses.append(kernel._compile.cache_info().misses)
    assert misses[1:] == misses[:1] * 3


def _sign_step(hp, state, x, f, g, ctx):
    """Sign descent, written with a branch on the gradient: not traceable."""
    direction = 1.0 if g > 0 else -1.0
    return x - hp["lr"] * direction, state, {}


SIGN = Optimizer(
    id="sign",
    name="Sign descent",
    family="first-order",
    hypers=(Param("lr", 0.1, 1e-6, 10.0, "log", "step"),),
    formula="",
    description="",
    init=lambda x, hp: (),
    step=_sign_step,
    elementwise=True,
)


def test_an_untraceable_rule_runs_interpreted():
    with pytest.raises(Untraceable):
        trace_rule(_sign_step, {"lr": 0.1}, tuple, 0, (), False)
    spec = engine.prepare("rosenbrock", SIGN, params={"lr": 0.1}, stop=Stop(max_steps=3))
    assert loop._Stepper(spec).kernel is None
    traj = engine.run(spec)
    np.testing.assert_allclose(np.abs(np.diff(traj.path[0], axis=0)), 0.1)


FLOATS = [-math.inf, -2.5, -0.0, 0.0, 5e-324, 1e-300, 2.0, 1e300, math.inf, math.nan]


@pytest.mark.parametrize("fn", list(kernel.INLINE), ids=lambda f: f.__name__)
def test_inlined_functions_equal_theirs(fn):
    """A rule's float function written into the loop gives what calling it gives."""
    n = fn.__code__.co_argcount
    names = [f"a{i}" for i in range(n)]
    body = kernel.INLINE[fn](*(ast.Name(a, ast.Load()) for a in names))
    tree = ast.Expression(
        ast.Lambda(ast.arguments([], [ast.arg(a) for a in names], None, [], [], None, []), body)
    )
    inlined = eval(
        compile(ast.fix_missing_locations(tree), "<test>", "eval"), dict(kernel.INLINE_NAMES)
    )
    for args in itertools.product(FLOATS, repeat=n):
        expected, got = fn(*args), inlined(*args)
        assert repr(got) == repr(expected), args  # the same value, sign of zero and NaN alike


def test_concurrent_first_runs_compile_once():
    """A classroom's first runs arrive together: one of them builds the kernel."""
    kernel._kernel.cache_clear()
    kernel._compile.cache_clear()
    spec = engine.prepare("himmelblau", "nadam", params={"lr": 0.0321})
    with ThreadPoolExecutor(8) as pool:
        kernels = list(pool.map(lambda _: loop._Stepper(spec).kernel, range(8)))
    assert kernel._compile.cache_info().misses == 1
    assert all(k is kernels[0] for k in kernels)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees(), st.sampled_from(["gd", "momentum", "adam", "rmsprop", "nadam", "adadelta"]))
def test_fuzz_the_kernel_takes_the_interpreted_path_on_random_surfaces(text, optimizer):
    """Any expression a user can type: the compiled loop and the interpreted one agree on
    every point (NaN where the other has NaN), the status and the step count."""
    try:
        problem = descentlab.make_problem({"expression": text})
    except DescentLabError:
        return
    start = np.full(problem.dim, 0.7)
    compiled, interpreted = run_both(problem, optimizer, {"lr": 0.05}, steps=40, start=start)
    np.testing.assert_array_equal(compiled.path, interpreted.path)
    np.testing.assert_array_equal(compiled.loss, interpreted.loss)
    assert compiled.status == interpreted.status
    assert list(compiled.steps) == list(interpreted.steps)
