"""Runs recorded step by step in the machine-code loop (the rows as columns, after numpy's
first step): numpy's path to a stated tolerance, every point, loss, gradient, rate and info
value, the same statuses and step counts, for every elementwise rule and its variants and
schedules; one compiled function for every rule, surface and value; refused (numpy serves,
never wrong) for a rule it cannot trace.

Not to the bit: numpy may compute exp, log, pow and the like with its own SIMD code (on CPUs
with AVX-512, say) where the loop calls the C library (tests/test_columns.py says more)."""

from __future__ import annotations

import copy
import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descentlab
from descentlab import engine
from descentlab.engine import Stop, columns, loop, vm
from descentlab.engine.trace import Untraceable, trace_rule
from descentlab.errors import DescentLabError
from descentlab.optimizers import REGISTRY
from descentlab.optimizers.base import Optimizer
from descentlab.params import Param
from test_expressions import _trees

ELEMENTWISE = [o for o in REGISTRY if o.elementwise]
RTOL = 1e-12  # per step, relative: as tests/test_columns.py's
ATOL = 1e-12

# Every function of the expression language, so that every opcode runs.
EVERYTHING = (
    "abs(x) + max(x, y) - min(x, 2*y) + relu(x - 1) + softplus(y) + sigmoid(x*y) + tanh(x)"
    " + x^3 / (1 + y^2) + sqrt(x^2 + y^2 + 1) + log(2 + cos(x)) + exp(-y^2) + arctan2(y, 2)"
    " + 10^(-abs(x)) + sinh(y/4) + cosh(x/4) + arctan(x) + log10(3 + sin(y)) + tan(x/10)"
)
SURFACES = ["rosenbrock", "nightmare", "ackley", "quartic", {"expression": EVERYTHING}]
STEPS = [120, 120, 120, 120, 30]
"""Steps compared on each: on the function surface, momentum flings some variants across
tan's pole near step 40, a step that turns a last-bit difference into a 1e-9 one."""


@pytest.fixture(autouse=True)
def compiled_loop():
    assert vm.load() is not None, "numba is a dependency: the loop must compile"


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
    """The run in the loop, and the same run with the loop switched off (numpy). A run that
    leaves |x| <= 1e4 stops there: past it, a step's rounding may grow without bound."""
    stop = Stop(max_steps=steps, grad_tol=None, bound=1e4)
    args = dict(params={"lr": 0.02, **params}, stop=stop)
    spec = engine.prepare(surface, optimizer, **args, **kwargs)
    assert loop.path(spec) == "loop"
    in_loop = engine.run(spec)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(vm, "enabled", False)
        assert loop.path(spec) == "arrays"
        on_numpy = engine.run(spec)
    return in_loop, on_numpy


def assert_same_run(a, b, steps):
    """Every recorded value within RTOL per step (at worst adding up over the steps), the
    same NaN and infinities; the same statuses, step counts and evaluations. The point where
    a row diverged is only held to having diverged in both: the step that flings a point past
    the bound (to 1e294, say) is as ill-conditioned as a step gets."""
    assert a.status == b.status
    assert list(a.nit) == list(b.nit)
    rtol = RTOL * steps
    a, b = _before_divergence(a), _before_divergence(b)
    for name in ("path", "loss", "grad_norm", "step_size", "lr"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is y, name
            continue
        np.testing.assert_allclose(x, y, rtol=rtol, atol=ATOL, err_msg=name)
    assert a.info.keys() == b.info.keys()
    for name in a.info:
        np.testing.assert_allclose(a.info[name], b.info[name], rtol=rtol, atol=ATOL, err_msg=name)
    for name in ("nfev", "ngev", "nhev"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), name)


def _before_divergence(traj):
    """The trajectory with each diverged row's values from its last point on set to NaN."""
    traj = dataclasses.replace(traj)
    for name in ("path", "loss", "grad_norm", "step_size", "lr"):
        value = getattr(traj, name)
        if value is not None:
            setattr(traj, name, value.copy())
    traj.info = {k: v.copy() for k, v in traj.info.items()}
    for b, status in enumerate(traj.status):
        if status == "diverged":
            end = int(traj.nit[b])
            for name in ("path", "loss", "grad_norm", "step_size", "lr"):
                value = getattr(traj, name)
                if value is not None:
                    value[b, end:] = np.nan
            for value in traj.info.values():
                value[b, end:] = np.nan
    return traj


@pytest.mark.parametrize("optimizer", ELEMENTWISE, ids=lambda o: o.id)
@pytest.mark.parametrize(
    ("surface", "steps"), list(zip(SURFACES, STEPS, strict=True)), ids=lambda s: str(s)[:20]
)
def test_the_loop_takes_numpys_path(optimizer, surface, steps):
    for params in variants(optimizer):
        for schedule in (None, {"id": "step", "params": {"step_size": 30}}):
            in_loop, on_numpy = run_both(surface, optimizer, params, steps, schedule=schedule)
            assert_same_run(in_loop, on_numpy, steps)


def test_the_loop_agrees_as_a_run_diverges():
    surface = {"expression": "exp(x^2) + y^2", "start": [1.5, 1.0]}
    in_loop, on_numpy = run_both(surface, "momentum", {"lr": 0.5})
    assert in_loop.status == on_numpy.status == ["diverged"]
    assert_same_run(in_loop, on_numpy, 120)


def test_a_one_dimensional_and_a_scheduled_run():
    for surface, schedule in (("parabola", None), ("quartic", {"id": "cosine"})):
        in_loop, on_numpy = run_both(surface, "nesterov", {"lr": 0.05}, 300, schedule=schedule)
        assert_same_run(in_loop, on_numpy, 300)


def test_restarts_and_a_sweep_run_as_columns():
    """A batch recorded step by step: each row the run its start (or setting) makes."""
    for kwargs in ({"restarts": 8}, {"sweep": {"lr": [0.001, 0.01, 0.02]}}):
        in_loop, on_numpy = run_both("himmelblau", "adam", {}, 200, **kwargs)
        assert_same_run(in_loop, on_numpy, 200)


def test_a_stream_is_the_same_run_however_it_is_chunked():
    """The loop's registers carry from one chunk to the next."""
    spec = engine.prepare("nightmare", "adam", params={"lr": 0.05}, stop=Stop(max_steps=600))
    whole = engine.run(spec)
    chunks = list(engine.iterate(spec, chunk=100, first_chunk=1))
    path = np.concatenate([c.path[0] for c in chunks])
    steps = len(whole.path[0])  # the chunks after the stop repeat its point
    np.testing.assert_array_equal(path[:steps], whole.path[0])
    assert chunks[-1].status == whole.status


@pytest.mark.parametrize("optimizer", ELEMENTWISE, ids=lambda o: o.id)
def test_every_elementwise_rule_runs_in_the_loop(optimizer):
    """The fast path is really taken: no rule falls back to numpy by accident."""
    spec = engine.prepare("rosenbrock", optimizer, schedule={"id": "cosine"})
    assert loop.path(spec) == "loop"


def test_a_new_value_compiles_nothing():
    """A slider drag (lr, betas, a surface parameter), a new rule or surface: the loop keeps
    the one signature it was compiled for."""
    fn = vm.load()
    for lr in (0.01, 0.02, 0.03, 0.04):
        for optimizer in ("adam", "rmsprop", "newton", "hill-climbing"):
            surface = {"id": "quadratic", "params": {"kappa": 1000 * lr + 2, "angle": 10 * lr}}
            params = {"lr": lr} if optimizer in ("adam", "rmsprop") else {}
            engine.run(surface, optimizer, params=params, stop=Stop(max_steps=10))
    assert len(fn.signatures) == 1


def _sign_step(hp, state, x, f, g, ctx):
    """Sign descent, choosing by a comparison of the gradient: not traceable."""
    direction = ctx.ops.where(g > 0, 1.0, -1.0)
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


def test_an_untraceable_rule_runs_on_numpy():
    with pytest.raises(Untraceable):
        trace_rule(_sign_step, {"lr": 0.1}, tuple, 0, (), False)
    spec = engine.prepare("rosenbrock", SIGN, params={"lr": 0.1}, stop=Stop(max_steps=3))
    assert loop.path(spec) == "arrays"
    traj = engine.run(spec)
    np.testing.assert_allclose(np.abs(np.diff(traj.path[0], axis=0)), 0.1)


def test_concurrent_first_runs_build_once():
    """A classroom's first runs arrive together: one of them traces the rule (twice: the
    program path() asks for records nothing, the stepper's records the rule's info)."""
    columns._traced_cached.cache_clear()
    spec = engine.prepare("himmelblau", "nadam", params={"lr": 0.0321})
    with ThreadPoolExecutor(8) as pool:
        programs = list(pool.map(lambda _: loop._Stepper(spec).program, range(8)))
    assert columns._traced_cached.cache_info().misses == 2
    assert all(p is programs[0] for p in programs)


def assert_each_step_as_numpy(spec, rtol):
    """From numpy's state after t steps, the loop's step lands where numpy's does, for every t:
    what a surface with no promise of smoothness needs, where a last-bit difference in one step
    may grow into any other in later ones."""
    reference = loop._Stepper(spec)
    program, reference.program = reference.program, None
    assert program is not None
    reference.advance(program.first_step - 1, with_start=True)
    for _ in range(program.first_step, spec.stop.max_steps + 1):
        probe = copy.copy(reference)
        probe.program, t = program, reference.ctx.t
        mine = probe.advance(1, with_start=False)
        reference.ctx.t = t  # the probe advanced the context the two share
        theirs = reference.advance(1, with_start=False)
        for name in ("P", "F", "G"):
            np.testing.assert_allclose(mine[name], theirs[name], rtol=rtol, atol=ATOL)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees(), st.sampled_from(["gd", "momentum", "adam", "rmsprop", "nadam", "adadelta"]))
def test_fuzz_each_loop_step_is_numpys_on_random_surfaces(text, optimizer):
    """Any expression a user can type: each step of the loop lands where numpy's step from the
    same state does (NaN where numpy has NaN), within 1e-9: a random surface may cancel a
    last-bit difference into a larger one within a step."""
    try:
        problem = descentlab.make_problem({"expression": text})
    except DescentLabError:
        return
    start = np.full(problem.dim, 0.7)
    stop = Stop(max_steps=30, grad_tol=None)
    spec = engine.prepare(problem, optimizer, params={"lr": 0.05}, start=start, stop=stop)
    assert_each_step_as_numpy(spec, 1e-9)
