"""The compiled sweep (numba): each column's final values, steps, status and message equal
numpy's batch path to the last bit, for every elementwise rule, schedules, every stopping rule
and every function the compiled code offers; bypassed (never wrong) where it cannot serve."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from descentlab import engine
from descentlab.engine import Stop, batch_kernel, loop, native
from descentlab.optimizers import REGISTRY
from descentlab.problems.expr import FUNCTIONS
from test_problems import SPECIAL

pytestmark = pytest.mark.skipif(native.numba() is None, reason="numba is not installed")

ELEMENTWISE = [o for o in REGISTRY if o.elementwise]
# Every function of the language that compiles (all but tanh: see engine/native.py).
EVERYTHING = (
    "abs(x) + max(x, y) - min(x, 2*y) + relu(x - 1) + softplus(y) + sigmoid(x*y)"
    " + x^3 / (1 + y^2) + sqrt(x^2 + y^2 + 1) + log(2 + cos(x)) + exp(-y^2) + arctan2(y, 2)"
    " + 10^(-abs(x)) + sinh(y/4) + cosh(x/4) + arctan(x) + log10(3 + sin(y)) + tan(x/10)"
    " + (x^2 + 1)^0.5 + (y^2 + 2)^(-1)"  # numpy's shortcuts for a power by one exponent
)
LRS = [1e-4, 3e-3, 0.03, 0.3, 3.0, 10.0]  # from crawling to diverging


@pytest.fixture(autouse=True)
def _small_sweeps_compile_and_share_out(monkeypatch):
    """Small sweeps compile, and their columns are dealt out in slices of five (odd: a slice
    ends in a repeated lane) across threads, as a big sweep's are."""
    monkeypatch.setattr(batch_kernel, "MIN_WORK", 0)
    monkeypatch.setattr(batch_kernel, "COLUMNS_PER_SLICE", 5)


def final_both(surface, optimizer, steps=150, **kwargs):
    """The sweep's final chunk compiled, and the same with the compiled path switched off."""
    spec = engine.prepare(surface, optimizer, **{"stop": Stop(max_steps=steps), **kwargs})
    assert batch_kernel.column_kernel(spec, wait=True) is not None
    compiled = engine.final(spec)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(loop, "column_kernel", lambda spec: None)
        numpy = engine.final(spec)
    return compiled, numpy


def assert_same_ends(compiled, numpy):
    for name in ("path", "loss", "grad_norm", "lr"):
        a, b = getattr(compiled, name), getattr(numpy, name)
        if a is None or b is None:
            assert a is b, name
            continue
        np.testing.assert_array_equal(a[:, -1], b[:, -1], err_msg=name)
    np.testing.assert_array_equal(compiled.steps, numpy.steps)
    assert compiled.status == numpy.status
    assert compiled.message == numpy.message
    for name in ("nfev", "ngev", "nhev"):
        np.testing.assert_array_equal(getattr(compiled, name), getattr(numpy, name), name)
    assert compiled.done and numpy.done


def swept(optimizer) -> dict:
    """lr across :data:`LRS` and, crossed with it, a second hyperparameter over three values."""
    sweep: dict = {"lr": LRS}
    other = next((h for h in optimizer.hypers if h.per_row and h.name != "lr"), None)
    if other is not None:
        if other.size > 1:
            sweep[other.name] = [[0.5, 0.99], [0.9, 0.999], [0.0, 0.9]]
        else:
            sweep[other.name] = [other.default, other.low + 0.25 * (other.high - other.low), 0.0]
    return sweep


@pytest.mark.parametrize("optimizer", ELEMENTWISE, ids=lambda o: o.id)
def test_every_rule_ends_where_numpy_ends(optimizer):
    compiled, numpy = final_both(
        "rosenbrock", optimizer, sweep=swept(optimizer), stop=Stop(max_steps=150, grad_tol=1e-3)
    )
    assert_same_ends(compiled, numpy)


@pytest.mark.parametrize("surface", ["nightmare", "quartic", {"expression": EVERYTHING}], ids=str)
def test_every_compiled_function_ends_where_numpy_ends(surface):
    compiled, numpy = final_both(surface, "adam", sweep={"lr": LRS})
    assert_same_ends(compiled, numpy)


@pytest.mark.parametrize(
    "stop",
    [
        Stop(max_steps=300, grad_tol=0.5, grad_norm="l1"),
        Stop(max_steps=300, grad_tol=0.5, grad_norm="inf"),
        Stop(max_steps=300, grad_tol=None, loss_tol=1e-6),
        Stop(max_steps=300, grad_tol=None, bound=1e3),
    ],
    ids=["l1", "inf", "loss", "bound"],
)
def test_every_stopping_rule_stops_where_numpy_stops(stop):
    # momentum on x^2 + 100 y^2 is stable for lr < 0.019: around it, columns stop all along
    lrs = [0.001, 0.005, 0.01, 0.015, 0.018, 0.019, 0.0192, 0.0195, 0.02]  # odd: a lane repeats
    compiled, numpy = final_both("quadratic", "momentum", sweep={"lr": lrs}, stop=stop)
    assert_same_ends(compiled, numpy)
    assert len(set(numpy.steps.tolist())) > 2  # the columns stop at different steps
    assert len(set(numpy.status)) > 1


@pytest.mark.parametrize(
    "sweep",
    [{"lr": LRS, "alpha": [0.9, 0.99]}, {"alpha": [0.5, 0.9, 0.99]}],
    ids=["a rate per column", "one rate for all"],
)
def test_a_schedule_and_flags_end_where_numpy_ends(sweep):
    compiled, numpy = final_both(
        "rosenbrock",
        "rmsprop",
        params={"centered": 1, "momentum": 0.5, "lr": 0.01},
        schedule={"id": "step", "params": {"step_size": 40}},
        sweep=sweep,
    )
    assert_same_ends(compiled, numpy)


def test_many_starts_end_where_numpy_ends():
    """Restarts are the same mechanism: one column per start, nothing swept."""
    starts = np.random.default_rng(3).uniform(-2, 2, size=(40, 2))
    compiled, numpy = final_both("himmelblau", "adam", start=starts, params={"lr": 0.05})
    assert_same_ends(compiled, numpy)


@pytest.mark.parametrize("steps", [2, 3])
def test_the_shortest_compiled_sweeps_end_where_numpy_ends(steps):
    compiled, numpy = final_both("rosenbrock", "adam", steps=steps, sweep={"lr": LRS})
    assert_same_ends(compiled, numpy)
    assert compiled.steps.tolist() == [steps] * len(LRS)


def test_a_sweep_serves_numpy_until_its_kernel_is_compiled():
    spec = engine.prepare("booth", "adagrad", sweep={"lr": LRS}, stop=Stop(max_steps=40))
    first = batch_kernel.column_kernel(spec)
    assert first is None  # compiling in the background meanwhile
    batch_kernel._COMPILER.submit(lambda: None).result()  # one worker: the compile is done
    assert batch_kernel.column_kernel(spec) is not None


def test_a_kernel_that_fails_to_compile_leaves_its_sweeps_to_numpy(monkeypatch, caplog):
    def broken(plan):
        raise RuntimeError("no")

    monkeypatch.setattr(batch_kernel, "_python_function", broken)
    spec = engine.prepare("beale", "nesterov", sweep={"lr": LRS}, stop=Stop(max_steps=30))
    assert batch_kernel.column_kernel(spec) is None
    batch_kernel._COMPILER.submit(lambda: None).result()
    assert "could not compile a sweep kernel" in caplog.text
    assert batch_kernel.column_kernel(spec) is None  # not retried
    assert engine.final(spec).done


@pytest.mark.parametrize(
    "surface, optimizer, kwargs",
    [
        ({"expression": "tanh(x) + y^2"}, "adam", {}),  # numpy's own tanh
        ("rosenbrock", "bfgs", {}),  # a wrapped method
        ("rosenbrock", "newton", {}),  # not elementwise
        ("rosenbrock", "momentum", {"stochastic": {"noise": 0.1}}),  # stochastic
        ("rosenbrock", "adam", {"stop": Stop(max_steps=1)}),  # nothing left to compile
    ],
    ids=["tanh", "bfgs", "newton", "noise", "one-step"],
)
def test_what_cannot_compile_runs_on_numpy(surface, optimizer, kwargs):
    spec = engine.prepare(surface, optimizer, **kwargs)
    assert batch_kernel.column_kernel(spec, wait=True) is None
    assert engine.final(spec).done


def test_small_sweeps_stay_on_numpy(monkeypatch):
    monkeypatch.setattr(batch_kernel, "MIN_WORK", 10**9)
    spec = engine.prepare("rosenbrock", "adam", sweep={"lr": LRS})
    assert batch_kernel.column_kernel(spec, wait=True) is None


def test_without_numba_sweeps_run_on_numpy(monkeypatch):
    monkeypatch.setattr(native, "numba", lambda: None)
    spec = engine.prepare("rosenbrock", "adam", sweep={"lr": LRS})
    assert batch_kernel.column_kernel(spec, wait=True) is None
    assert engine.final(spec).done


RANDOM = np.random.default_rng(7).uniform(-30, 30, 300).tolist()


def native_cases(name):
    arity = FUNCTIONS[name].arity
    if arity == 1:
        return [(a,) for a in [*SPECIAL, *RANDOM]]
    if arity == 2:
        return [*itertools.product(SPECIAL, repeat=2), *zip(RANDOM, RANDOM[::-1], strict=True)]
    return [tuple(np.random.default_rng(i).choice(SPECIAL, size=arity)) for i in range(200)]


def assert_equal_numbers(got, expected, *about):
    assert got == expected or (math.isnan(got) and math.isnan(expected)), (*about, got, expected)


@pytest.mark.parametrize("name", sorted(set(native.NATIVE) - {"add", "sub", "mul", "neg"}))
def test_compiled_functions_answer_as_numpy_everywhere(name):
    """Equal as numbers (any NaN for NaN) on numpy's arrays, special values and random ones:
    the compiled sweep must end where numpy's does. (A zero's sign may differ: numpy's SIMD
    maximum returns its second zero; the float path's functions are held to the same.)"""
    fn = native.compiled_native(native.NATIVE[name])
    for args in native_cases(name):
        with np.errstate(all="ignore"):
            # arrays, not scalars: the exponent of a power varies along the array
            columns = [np.full(3, a) for a in args]
            expected = float(FUNCTIONS[name].numpy(*columns)[1])
        assert_equal_numbers(fn(*args), expected, name, args)


def test_a_power_by_one_exponent_answers_as_numpy():
    """numpy raises an array to one exponent by a square, a root or a reciprocal for 2, 0.5
    and -1, which differ from pow() in the last bit now and then."""
    fn = native.compiled_native(native.POW_SCALAR)
    bases = [*SPECIAL, *np.random.default_rng(8).uniform(0, 5, 3000).tolist()]
    for exponent in (2.0, 0.5, -1.0, 3.0, -0.5, 1.0, 0.0):
        with np.errstate(all="ignore"):
            expected = np.power(np.array(bases), exponent).tolist()
        for base, want in zip(bases, expected, strict=True):
            assert_equal_numbers(fn(base, exponent), want, base, exponent)


NAME = re.compile(
    # per lane (a _<lane> suffix) or shared by the lanes (none: fixed numbers, hoisted lines)
    r"^(t|_|i|lr|c\d+|[reo]\d+(_\d+)*|([xgf]\d*|s\d+_\d+|[cub]\d*|prev|alive|lr)_\d+)$"
)
ARGUMENTS = set("rows lo hi n t0 C V PT PU LR bound grad_tol loss_tol OUT STEPS CODE H".split())


def test_compiled_code_holds_only_our_names_and_no_numbers():
    """As the float kernel's: generated names, our function table, numbers as arguments."""
    spec = engine.prepare(
        {"expression": EVERYTHING}, "adam", params={"lr": 0.0123456789}, sweep={"lr": LRS}
    )
    plan, _, _ = batch_kernel._build(spec)
    code = batch_kernel._python_function(plan).__code__
    for name in code.co_varnames:
        assert name in ARGUMENTS or name == "check_grad" or NAME.match(name), name
    allowed = {
        "range",
        "min",
        "abs",
        "float",
        "_isfinite",
        "_pow",
        "_maximum",
        "_sqrt",
        "_nan",
        "_empty",
    }
    for name in code.co_names:
        assert name in allowed or re.match(r"^_f\d+$", name), name
    numbers = [c for c in code.co_consts if isinstance(c, float) and not math.isnan(c)]
    assert 0.0123456789 not in numbers and numbers == [0.0] * len(numbers)
