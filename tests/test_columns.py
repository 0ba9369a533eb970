"""A batch's rows as the columns of the machine-code loop (engine/columns.py): each column's
final values agree with numpy's batch path to a stated tolerance, and its steps, status and
message are numpy's, for every stepwise rule, schedules, every stopping rule and every function
of the language; refused (never wrong) where it cannot serve, and nothing compiled per rule.

Not to the bit: IEEE arithmetic is the same on both paths, but numpy may compute exp, log, pow
and the like with its own SIMD code (on CPUs with AVX-512, say) where the compiled code calls
the C library, and the two differ in the last bit now and then. So a function is held to numpy
within a few ulps, a step to numpy's within :data:`RTOL`, and a run where a last-bit difference
can grow (a large rate on the nightmare) is compared step by step, each compiled step taken from
numpy's own state."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from descentlab import engine
from descentlab.engine import Stop, columns, loop, vm
from descentlab.engine.record import Chunker
from descentlab.engine.trace import FIRST_TRACED_STEP
from descentlab.optimizers import REGISTRY
from descentlab.problems.expr import FUNCTIONS
from descentlab.problems.scalar import SCALAR
from test_problems import SPECIAL
from test_vm import interpret

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None, reason="numba is not installed"
)

LANGUAGE = sorted(set(SCALAR) - {"add", "sub", "mul", "neg"})

RTOL = 1e-12
"""How far, relative, a compiled step may land from numpy's: a few ulps of each function's
answer, carried through one step of a rule on a smooth surface, with room to spare."""
ATOL = 1e-12  # near zero, where a sum's cancellation makes a relative difference meaningless
ULPS = 4
"""How far a compiled function's answer may be from numpy's, in units in the last place: both
libraries are faithful, but they are not the same library on every CPU (math.ulp: one unit)."""

ELEMENTWISE = [o for o in REGISTRY if o.elementwise]
STEPWISE = [o for o in REGISTRY if o.driver is None]
# Every function of the language.
EVERYTHING = (
    "tanh(x / 3) + abs(x) + max(x, y) - min(x, 2*y) + relu(x - 1) + softplus(y) + sigmoid(x*y)"
    " + x^3 / (1 + y^2) + sqrt(x^2 + y^2 + 1) + log(2 + cos(x)) + exp(-y^2) + arctan2(y, 2)"
    " + 10^(-abs(x)) + sinh(y/4) + cosh(x/4) + arctan(x) + log10(3 + sin(y)) + tan(x/10)"
    " + (x^2 + 1)^0.5 + (y^2 + 2)^(-1)"  # numpy's shortcuts for a power by one exponent
)
LRS = [1e-4, 3e-3, 0.03, 0.3, 3.0, 10.0]  # from crawling to diverging


@pytest.fixture(autouse=True)
def _blocks_of_five_shared_out(monkeypatch):
    """Columns dealt out in blocks of five across threads, as a big sweep's are."""
    monkeypatch.setattr(columns, "BLOCK", 5)


def on_numpy(spec):
    """engine.final with the machine-code loop switched off: numpy's batch path."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(vm, "enabled", False)
        assert loop.path(spec) == "arrays"
        return engine.final(spec)


def in_columns(spec):
    assert loop.path(spec) == "loop"
    with ThreadPoolExecutor(2) as pool:
        return engine.final(spec, pool=pool, helpers=2)


def final_both(surface, optimizer, steps=150, **kwargs):
    """The batch's final chunk in columns, and the same with the loop switched off."""
    spec = engine.prepare(surface, optimizer, **{"stop": Stop(max_steps=steps), **kwargs})
    return in_columns(spec), on_numpy(spec)


def numpy_then_compiled(spec, t):
    """numpy's first ``t`` steps, then the columns to the end: engine.final's hand-over to
    the loop, with a longer numpy head."""
    program = columns.column_program(spec)
    assert program is not None
    stepper = loop._Stepper(spec, info=False)
    stepper.program = None  # numpy takes every step of the head
    chunker = Chunker(spec, step_sizes=False)
    arrays = stepper.advance(t, with_start=True)
    head = chunker(0, arrays, last=stepper.t >= spec.stop.max_steps)
    return head if head.done else columns.finish(program, stepper, chunker.book, head)


def assert_same_ends(compiled, numpy, rtol=RTOL):
    """Final values within ``rtol`` (relative, or ATOL near zero; the same NaN or inf); the same
    steps, statuses, messages and counts. A difference within the tolerance could change a
    stop only on a value that close to its threshold, which none of these cases has."""
    for name in ("path", "loss", "grad_norm", "lr"):
        a, b = getattr(compiled, name), getattr(numpy, name)
        if a is None or b is None:
            assert a is b, name
            continue
        np.testing.assert_allclose(a[:, -1], b[:, -1], rtol=rtol, atol=ATOL, err_msg=name)
    np.testing.assert_array_equal(compiled.nit, numpy.nit)
    assert compiled.status == numpy.status
    np.testing.assert_array_equal(compiled.success, numpy.success)
    assert compiled.message == numpy.message
    for name in ("nfev", "ngev", "nhev"):
        np.testing.assert_array_equal(getattr(compiled, name), getattr(numpy, name), name)
    assert compiled.done and numpy.done


def assert_same_run(compiled, numpy, steps):
    """A whole run on a smooth surface: RTOL per step, at worst adding up over the steps."""
    assert_same_ends(compiled, numpy, rtol=RTOL * steps)


def assert_each_step_as_numpy(surface, optimizer, stop, every=1, **kwargs):
    """From numpy's state after t steps, the compiled step lands where numpy's does (within
    RTOL), for t all along the run: what a chaotic column needs, where a last-bit difference
    in one step may grow into any other in later ones."""
    for t in range(FIRST_TRACED_STEP - 1, stop.max_steps, every):
        one_more = dataclasses.replace(stop, max_steps=t + 1)
        spec = engine.prepare(surface, optimizer, stop=one_more, **kwargs)
        assert_same_ends(numpy_then_compiled(spec, t), on_numpy(spec))


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
    assert_same_run(compiled, numpy, 150)


FUNCTION_SURFACES = ["nightmare", "quartic", {"expression": EVERYTHING}]


@pytest.mark.parametrize("surface", FUNCTION_SURFACES, ids=str)
def test_every_compiled_function_ends_where_numpy_ends_over_a_short_run(surface):
    """Twenty steps: too few for a rate of 10 on the nightmare to grow a last-bit difference
    beyond the tolerance, enough to carry every value from one step to the next."""
    compiled, numpy = final_both(surface, "adam", steps=20, sweep={"lr": LRS})
    assert_same_run(compiled, numpy, 20)


@pytest.mark.parametrize("surface", FUNCTION_SURFACES, ids=str)
def test_every_compiled_function_steps_as_numpy_steps_along_a_long_run(surface):
    assert_each_step_as_numpy(surface, "adam", Stop(max_steps=150), every=4, sweep={"lr": LRS})


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
    assert_same_run(compiled, numpy, 300)
    assert len(set(numpy.nit.tolist())) > 2  # the columns stop at different steps
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
    assert_same_run(compiled, numpy, 150)


def test_many_starts_end_where_numpy_ends():
    """Restarts are the same mechanism: one column per start, nothing swept."""
    starts = np.random.default_rng(3).uniform(-2, 2, size=(40, 2))
    compiled, numpy = final_both("himmelblau", "adam", start=starts, params={"lr": 0.05})
    assert_same_run(compiled, numpy, 150)


@pytest.mark.parametrize("steps", [2, 3])
def test_the_shortest_compiled_sweeps_end_where_numpy_ends(steps):
    compiled, numpy = final_both("rosenbrock", "adam", steps=steps, sweep={"lr": LRS})
    assert_same_run(compiled, numpy, steps)
    assert compiled.nit.tolist() == [steps] * len(LRS)


@pytest.mark.parametrize("optimizer", STEPWISE, ids=lambda o: o.id)
def test_every_stepwise_rule_runs_in_columns(optimizer):
    """A rule the loop cannot take is refused here, not left to numpy's slower path: every
    stepwise rule of the registry, swept where it is elementwise (its rate, when it has one)."""
    sweep = {"lr": LRS} if optimizer.elementwise and optimizer.uses_lr else None
    spec = engine.prepare("himmelblau", optimizer, sweep=sweep, stop=Stop(max_steps=40))
    assert loop.path(spec) == "loop", optimizer.id


@pytest.mark.parametrize("optimizer", ["newton", "random-search", "simulated-annealing"])
def test_the_programmed_rules_end_where_numpy_ends(optimizer):
    """Newton and the zeroth-order rules as programs (draws keyed on each row), many starts."""
    starts = np.random.default_rng(5).uniform(-4, 4, size=(23, 2))
    compiled, numpy = final_both("himmelblau", optimizer, steps=60, start=starts)
    assert_same_run(compiled, numpy, 60)


def test_a_structure_is_served_in_columns_from_its_first_batch_on(monkeypatch):
    """Nothing to wait for and nothing compiled: its first call runs in the columns, as every
    later one, and the loop keeps the one signature it was compiled for."""
    served = []
    finish = columns.finish
    monkeypatch.setattr(columns, "finish", lambda *args: served.append(1) or finish(*args))
    spec = engine.prepare("booth", "adagrad", sweep={"lr": LRS}, stop=Stop(max_steps=40))
    first, again = engine.final(spec), engine.final(spec)
    assert served == [1, 1]
    np.testing.assert_array_equal(first.path, again.path)
    assert len(vm.load().signatures) == 1


@pytest.mark.parametrize(
    "surface, optimizer, kwargs",
    [
        ("rosenbrock", "bfgs", {}),  # a wrapped method
        ("rosenbrock", "momentum", {"stochastic": {"noise": 0.1}}),  # stochastic
        ("rosenbrock", "adam", {"stop": Stop(max_steps=1)}),  # nothing left after numpy's step
        ("rosenbrock", "newton", {"sweep": {"damping": [0.0, 0.1]}}),  # a swept program
    ],
    ids=["bfgs", "noise", "one-step", "swept-newton"],
)
def test_what_the_columns_cannot_take_runs_on_numpy(surface, optimizer, kwargs):
    spec = engine.prepare(surface, optimizer, **kwargs)
    assert columns.column_program(spec) is None
    assert loop.path(spec) == "arrays"
    assert engine.final(spec).done


def test_without_numba_batches_run_on_numpy(monkeypatch):
    monkeypatch.setattr(vm, "load", lambda: None)
    spec = engine.prepare("rosenbrock", "adam", sweep={"lr": LRS})
    assert loop.path(spec) == "arrays"
    assert not engine.compiles(spec)
    assert engine.final(spec).done


RANDOM = np.random.default_rng(7).uniform(-30, 30, 300).tolist()


def native_cases(name):
    arity = FUNCTIONS[name].arity
    if arity == 1:
        return [(a,) for a in [*SPECIAL, *RANDOM]]
    if arity == 2:
        return [*itertools.product(SPECIAL, repeat=2), *zip(RANDOM, RANDOM[::-1], strict=True)]
    return [tuple(np.random.default_rng(i).choice(SPECIAL, size=arity)) for i in range(200)]


LARGEST = float(np.finfo(float).max)
NAN = math.nan


def assert_close_numbers(got, expected, *about):
    """Within :data:`ULPS` of numpy's answer, and the same kind of answer: NaN for NaN, an
    infinity of the same sign for an infinity, zero for zero (of either sign: numpy's SIMD
    maximum returns its second zero, and the float path's functions are held to the same).
    One exception, at the edge of overflow: an answer within ULPS of the largest double (cosh
    near 710.5, say) may round to infinity in one library and not in the other."""
    about = (*about, got, expected)
    if math.isnan(expected) or math.isnan(got):
        assert math.isnan(expected) and math.isnan(got), about
    elif math.isinf(expected) and math.isinf(got):
        assert got == expected, about
    elif math.isinf(expected) or math.isinf(got):
        finite = got if math.isinf(expected) else expected
        edge = LARGEST - ULPS * math.ulp(LARGEST)
        assert abs(finite) >= edge and math.copysign(1, got) == math.copysign(1, expected), about
    else:
        assert abs(got - expected) <= ULPS * math.ulp(expected), about


@pytest.mark.parametrize("name", LANGUAGE)
def test_the_loops_functions_answer_as_numpy_everywhere(name):
    """Each function of the language, as the loop's opcode computes it, on numpy's arrays:
    special values and random ones (see :func:`assert_close_numbers`)."""
    op = vm.OPCODE[SCALAR[name]]
    for args in native_cases(name):
        with np.errstate(all="ignore"):
            # arrays; a power's exponent one number, as a surface's tape raises to it
            columns = [np.full(3, a) for a in args]
            if name == "pow":
                columns[1] = args[1]
            expected = float(FUNCTIONS[name].numpy(*columns)[1])
        assert_close_numbers(interpret(op, tuple(float(a) for a in args)), expected, name, args)


def test_the_comparison_of_numbers_can_fail():
    """Infinity for the largest double passes (numpy's cosh(710.4758600739439)), for a number
    well inside the range it fails, and so do more than ULPS ulps, or a zero for a NaN."""
    assert_close_numbers(math.inf, LARGEST)
    assert_close_numbers(1.0 + ULPS * math.ulp(1.0), 1.0)
    for got, expected in ((math.inf, 1e300), (1.0 + 2 * ULPS * math.ulp(1.0), 1.0), (0.0, NAN)):
        with pytest.raises(AssertionError):
            assert_close_numbers(got, expected)


def test_a_power_by_one_exponent_answers_as_numpy():
    """numpy raises an array to one exponent by a square, a root or a reciprocal for 2, 0.5
    and -1, where the loop calls pow(): the same to a few ulps."""
    bases = [*SPECIAL, *np.random.default_rng(8).uniform(0, 5, 3000).tolist()]
    for exponent in (2.0, 0.5, -1.0, 3.0, -0.5, 1.0, 0.0):
        with np.errstate(all="ignore"):
            expected = np.power(np.array(bases), exponent).tolist()
        for base, want in zip(bases, expected, strict=True):
            got = interpret(vm.OPCODE[SCALAR["pow"]], (base, exponent))
            assert_close_numbers(got, want, base, exponent)
