"""The compiled sweep (numba): each column's final values agree with numpy's batch path to a
stated tolerance, and its steps, status and message are numpy's, for every elementwise rule,
schedules, every stopping rule and every function the compiled code offers; bypassed (never
wrong) where it cannot serve.

Not to the bit: IEEE arithmetic is the same on both paths, but numpy may compute exp, log, pow
and the like with its own SIMD code (on CPUs with AVX-512, say) where the compiled code calls
the C library, and the two differ in the last bit now and then. So a function is held to numpy
within a few ulps, a step to numpy's within :data:`RTOL`, and a run where a last-bit difference
can grow (a large rate on the nightmare) is compared step by step, each compiled step taken from
numpy's own state."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from descentlab import engine
from descentlab.engine import Stop, batch_kernel, loop, native
from descentlab.engine.batch_kernel import finish
from descentlab.engine.record import Chunker
from descentlab.engine.trace import FIRST_TRACED_STEP
from descentlab.optimizers import REGISTRY
from descentlab.problems.expr import FUNCTIONS
from test_problems import SPECIAL

pytestmark = pytest.mark.skipif(native.numba() is None, reason="numba is not installed")

RTOL = 1e-12
"""How far, relative, a compiled step may land from numpy's: a few ulps of each function's
answer, carried through one step of a rule on a smooth surface, with room to spare."""
ATOL = 1e-12  # near zero, where a sum's cancellation makes a relative difference meaningless
ULPS = 4
"""How far a compiled function's answer may be from numpy's, in units in the last place: both
libraries are faithful, but they are not the same library on every CPU (math.ulp: one unit)."""

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


def on_numpy(spec):
    """engine.final with the compiled path switched off: numpy's batch path."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(loop, "column_kernel", lambda spec: None)
        return engine.final(spec)


def final_both(surface, optimizer, steps=150, **kwargs):
    """The sweep's final chunk compiled, and the same with the compiled path switched off."""
    spec = engine.prepare(surface, optimizer, **{"stop": Stop(max_steps=steps), **kwargs})
    assert batch_kernel.column_kernel(spec) is not None
    return engine.final(spec), on_numpy(spec)


def numpy_then_compiled(spec, t):
    """numpy's first ``t`` steps, then the compiled kernel to the end: engine.final's hand-over
    to the kernel, with a longer numpy head."""
    kernel = batch_kernel.column_kernel(spec)
    assert kernel is not None
    stepper = loop._Stepper(spec, info=False, rows_on_floats=False)
    chunker = Chunker(spec, step_sizes=False)
    arrays = stepper.advance(t, with_start=True)
    head = chunker(0, arrays, last=stepper.t >= spec.stop.max_steps)
    return head if head.done else batch_kernel.finish(kernel, stepper, chunker.book, head)


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
    np.testing.assert_array_equal(compiled.steps, numpy.steps)
    assert compiled.status == numpy.status
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
    assert compiled.steps.tolist() == [steps] * len(LRS)


@pytest.fixture
def new_structures(monkeypatch):
    """No structure compiled yet, as in a fresh process."""
    monkeypatch.setattr(batch_kernel, "_KERNELS", {})


def test_a_structure_is_served_compiled_from_its_first_sweep_on(new_structures, monkeypatch):
    """Its first call waits for the compile rather than answer on numpy: a process never gives
    the same sweep two answers, however soon it is repeated."""
    served = []
    monkeypatch.setattr(loop, "finish", lambda *args: served.append(1) or finish(*args))
    spec = engine.prepare("booth", "adagrad", sweep={"lr": LRS}, stop=Stop(max_steps=40))
    first, again = engine.final(spec), engine.final(spec)
    assert served == [1, 1]
    np.testing.assert_array_equal(first.path, again.path)


def test_sweeps_of_a_new_structure_at_once_share_one_compile(new_structures, monkeypatch):
    built = []
    python_function = batch_kernel._python_function
    monkeypatch.setattr(
        batch_kernel, "_python_function", lambda plan: built.append(1) or python_function(plan)
    )
    spec = engine.prepare("booth", "rmsprop", sweep={"lr": LRS}, stop=Stop(max_steps=40))
    with ThreadPoolExecutor(4) as pool:
        kernels = list(pool.map(lambda _: batch_kernel.column_kernel(spec), range(4)))
    assert built == [1]
    assert all(k is not None and k.fn is kernels[0].fn for k in kernels)


def test_a_kernel_that_fails_to_compile_leaves_its_sweeps_to_numpy(
    new_structures, monkeypatch, caplog
):
    tried = []

    def broken(plan):
        tried.append(plan)
        raise RuntimeError("no")

    monkeypatch.setattr(batch_kernel, "_python_function", broken)
    spec = engine.prepare("beale", "nesterov", sweep={"lr": LRS}, stop=Stop(max_steps=30))
    assert batch_kernel.column_kernel(spec) is None
    assert "could not compile a sweep kernel" in caplog.text
    assert batch_kernel.column_kernel(spec) is None
    assert len(tried) == 1  # not retried: numpy serves the structure from its first sweep on
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
    assert batch_kernel.column_kernel(spec) is None
    assert engine.final(spec).done


def test_small_sweeps_stay_on_numpy(monkeypatch):
    monkeypatch.setattr(batch_kernel, "MIN_WORK", 10**9)
    spec = engine.prepare("rosenbrock", "adam", sweep={"lr": LRS})
    assert batch_kernel.column_kernel(spec) is None


def test_without_numba_sweeps_run_on_numpy(monkeypatch):
    monkeypatch.setattr(native, "numba", lambda: None)
    spec = engine.prepare("rosenbrock", "adam", sweep={"lr": LRS})
    assert batch_kernel.column_kernel(spec) is None
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


@pytest.mark.parametrize("name", sorted(set(native.NATIVE) - {"add", "sub", "mul", "neg"}))
def test_compiled_functions_answer_as_numpy_everywhere(name):
    """On numpy's arrays, special values and random ones: see :func:`assert_close_numbers`."""
    fn = native.compiled_native(native.NATIVE[name])
    for args in native_cases(name):
        with np.errstate(all="ignore"):
            # arrays, not scalars: the exponent of a power varies along the array
            columns = [np.full(3, a) for a in args]
            expected = float(FUNCTIONS[name].numpy(*columns)[1])
        assert_close_numbers(fn(*args), expected, name, args)


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
    and -1; the compiled code does the same (pow() may round those differently)."""
    fn = native.compiled_native(native.POW_SCALAR)
    bases = [*SPECIAL, *np.random.default_rng(8).uniform(0, 5, 3000).tolist()]
    for exponent in (2.0, 0.5, -1.0, 3.0, -0.5, 1.0, 0.0):
        with np.errstate(all="ignore"):
            expected = np.power(np.array(bases), exponent).tolist()
        for base, want in zip(bases, expected, strict=True):
            assert_close_numbers(fn(base, exponent), want, base, exponent)


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
