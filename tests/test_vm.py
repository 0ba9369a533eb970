"""The machine-code loop of single trajectories (engine/vm.py): every opcode computes what its
Python function computes, to the bit; whole runs equal the Python kernel's for every rule,
variant, schedule and function; a run switching to it mid-stream changes nothing; and a
program Python would compute differently on ints is left to Python.

To the bit, on any CPU: the loop and Python's math call the same C library on plain floats
(test_math_is_the_c_librarys), so no last bit of a function is compared between libraries."""

from __future__ import annotations

import itertools
import math
import operator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descentlab
from descentlab import engine
from descentlab.engine import Stop, loop, vm, vm_loop
from descentlab.errors import DescentLabError
from descentlab.optimizers.base import ScalarOps
from descentlab.problems.expr import FUNCTIONS
from descentlab.problems.scalar import SCALAR
from test_expressions import _trees
from test_kernel import ELEMENTWISE, SURFACES, variants
from test_problems import SPECIAL

RANDOM = np.random.default_rng(11).uniform(-30, 30, 200).tolist()


@pytest.fixture(autouse=True)
def compiled_loop():
    fn = vm.load()
    assert fn is not None, "numba is a dependency: the loop must compile"
    assert vm.enabled and vm.loop() is fn, "the runs below must run in the loop"
    return fn


# (label, Python function, opcode, arity): the rules' operations, then the surface language's
RULE = {None: (lambda a: a, 1), "neg": (operator.neg, 1), "+": (operator.add, 2)}
RULE |= {"-": (operator.sub, 2), "*": (operator.mul, 2), "/": (operator.truediv, 2)}
RULE |= {"**": (operator.pow, 2), ScalarOps.sqrt: (ScalarOps.sqrt, 1)}
RULE |= {ScalarOps.maximum: (ScalarOps.maximum, 2)}
CASES = [(f"rule {key}", fn, vm.OPCODE[key], n) for key, (fn, n) in RULE.items()]
CASES += [(name, fn, vm.OPCODE[fn], FUNCTIONS[name].arity) for name, fn in SCALAR.items()]


def interpret(op, args):
    """One instruction through the compiled loop: registers t, the arguments, the result."""
    regs = np.array([0.0, *args, *[0.0] * (4 - len(args)), 0.0])
    code = np.array([[op, 5, 1, 2, 3, 4]], dtype=np.int64)
    out = np.zeros((1, 1))
    vm.load()(code, regs, 1, 0, np.zeros(1), -1, 0, np.array([5]), out)
    return float(out[0, 0])


def test_every_opcode_has_a_function_and_is_tested():
    assert set(vm.OPCODE.values()) == set(range(vm_loop.OPCODES))
    assert {op for _, _, op, _ in CASES} == set(range(vm_loop.OPCODES))


@pytest.mark.parametrize(("label", "python", "op", "n"), CASES, ids=[c[0] for c in CASES])
def test_each_opcode_computes_what_its_python_function_does(label, python, op, n):
    """The same float, the sign of a zero included (NaN for NaN): on special values and random
    ones. Where Python raises (a float divided by zero, an overflowing power), the Python
    kernel could not have gone on, so there is nothing to agree with."""
    if n <= 2:
        cases = [*itertools.product(SPECIAL, repeat=n), *itertools.product(RANDOM[:40], repeat=n)]
    else:
        cases = [tuple(np.random.default_rng(i).choice(SPECIAL, size=n)) for i in range(300)]
    for args in cases:
        args = tuple(float(a) for a in args)
        try:
            expected = python(*args)
        except (ZeroDivisionError, OverflowError, ValueError):
            continue
        if isinstance(expected, complex):  # Python's power of a negative number
            continue
        got = interpret(op, args)
        assert repr(got) == repr(float(expected)), (label, args, got, expected)


def run_both(surface, optimizer, params, steps=120, **kwargs):
    """The run in machine code, and the same run in the Python kernel."""
    args = dict(params={"lr": 0.02, **params}, stop=Stop(max_steps=steps, grad_tol=None))
    spec = engine.prepare(surface, optimizer, **args, **kwargs)
    assert loop._Stepper(spec).kernel._native is not None, "the loop must run this rule"
    native = engine.run(spec)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(vm, "enabled", False)
        python = engine.run(spec)
    return native, python


def assert_same_run(a, b):
    for name in ("path", "loss", "grad_norm", "step_size", "lr"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.info.keys() == b.info.keys()
    for name in a.info:
        np.testing.assert_array_equal(a.info[name], b.info[name], err_msg=name)
    assert a.status == b.status
    assert list(a.steps) == list(b.steps)


@pytest.mark.parametrize("optimizer", ELEMENTWISE, ids=lambda o: o.id)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: str(s)[:20])
def test_the_loop_takes_the_python_kernels_path_exactly(optimizer, surface):
    for params in variants(optimizer):
        for schedule in (None, {"id": "step", "params": {"step_size": 30}}):
            native, python = run_both(surface, optimizer, params, schedule=schedule)
            assert_same_run(native, python)


def test_the_loop_agrees_as_a_run_diverges():
    surface = {"expression": "exp(x^2) + y^2", "start": [1.5, 1.0]}
    native, python = run_both(surface, "momentum", {"lr": 0.5})
    assert native.status == python.status == ["diverged"]
    assert_same_run(native, python)


def test_a_stream_that_switches_to_the_loop_midway_is_the_same_run(monkeypatch):
    """A process's first runs go to Python while the loop loads; a stream may switch at any
    chunk, and its path must not show where."""
    spec = engine.prepare("nightmare", "adam", params={"lr": 0.05}, stop=Stop(max_steps=600))
    whole = engine.run(spec)
    switches = iter([False, True, False, True, True, True, True, True])
    monkeypatch.setattr(vm, "loop", lambda: vm.load() if next(switches) else None)
    chunks = list(engine.iterate(spec, chunk=100, first_chunk=30))
    path = np.concatenate([c.path[0] for c in chunks])
    steps = len(whole.path[0])  # the chunks after the stop repeat its point
    np.testing.assert_array_equal(path[:steps], whole.path[0])
    assert chunks[-1].status == whole.status


def test_a_one_dimensional_and_a_scheduled_run():
    for surface, schedule in (("parabola", None), ("quartic", {"id": "cosine"})):
        native, python = run_both(surface, "nesterov", {"lr": 0.05}, steps=300, schedule=schedule)
        assert_same_run(native, python)


def test_int_arithmetic_that_floats_would_change_is_left_to_python():
    """``t ** 2`` is an exact int in Python, ``t * 0`` an int zero without a sign: registers
    of floats could differ, so such a program runs in Python. A float anywhere is fine."""
    assert not vm.exact_on_floats((("r0", "**", ("t", "c0")),), (2,))
    assert not vm.exact_on_floats((("r0", "-", ("t", "c0")), ("r1", "*", ("r0", "c0"))), (1,))
    assert not vm.exact_on_floats((("r0", "neg", ("t",)),), ())
    assert vm.exact_on_floats((("r0", "**", ("c0", "t")),), (0.9,))
    assert vm.exact_on_floats((("r0", "-", ("t", "c0")), ("r1", "*", ("r0", "c1"))), (1, 0.5))


def test_without_numba_the_python_kernel_runs(monkeypatch):
    monkeypatch.setattr(vm, "_LOOP", None)
    monkeypatch.setattr(vm, "_started", True)  # no background load either
    spec = engine.prepare("rosenbrock", "adam", stop=Stop(max_steps=50))
    assert vm.loop() is None
    assert engine.run(spec).steps[0] == 50


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees(), st.sampled_from(["gd", "momentum", "adam", "rmsprop", "nadam", "adadelta"]))
def test_fuzz_the_loop_takes_the_python_kernels_path_on_random_surfaces(text, optimizer):
    try:
        problem = descentlab.make_problem({"expression": text})
    except DescentLabError:
        return
    start = np.full(problem.dim, 0.7)
    native, python = run_both(problem, optimizer, {"lr": 0.05}, steps=40, start=start)
    np.testing.assert_array_equal(native.path, python.path)
    np.testing.assert_array_equal(native.loss, python.loss)
    assert native.status == python.status
    assert list(native.steps) == list(python.steps)


def test_math_is_the_c_librarys():
    """The premise: Python's math and the compiled loop call the same C library."""
    for x in RANDOM:
        assert interpret(vm_loop.TANH, (x / 7,)) == math.tanh(x / 7)
        assert interpret(vm_loop.EXP, (x,)) == math.exp(x)
