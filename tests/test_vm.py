"""The machine-code loop (engine/vm.py, engine/vm_loop.py): every opcode computes what its
Python function computes, to the bit; a line flagged uniform runs once for every column; the
stopping rules stop columns and take them out of the block; a program floats would compute
differently from Python's ints is left to numpy. (Whole runs against numpy:
tests/test_loop_runs.py and tests/test_columns.py.)

To the bit, on any CPU: the loop and Python's math call the same C library on plain floats
(test_math_is_the_c_librarys), so no last bit of a function is compared between libraries."""

from __future__ import annotations

import itertools
import math
import operator

import numpy as np
import pytest

from descentlab import engine
from descentlab.engine import Stop, columns, loop, vm, vm_loop
from descentlab.optimizers import draws, second_order
from descentlab.optimizers.base import ScalarOps
from descentlab.problems.expr import FUNCTIONS
from descentlab.problems.scalar import SCALAR
from test_problems import SPECIAL

RANDOM = np.random.default_rng(11).uniform(-30, 30, 200).tolist()


@pytest.fixture(autouse=True)
def compiled_loop():
    fn = vm.load()
    assert fn is not None, "numba is a dependency: the loop must compile"
    assert vm.enabled
    return fn


# (label, Python function, opcode, arity): the rules' operations, then the surface language's
RULE = {None: (lambda a: a, 1), "neg": (operator.neg, 1), "+": (operator.add, 2)}
RULE |= {"-": (operator.sub, 2), "*": (operator.mul, 2), "/": (operator.truediv, 2)}
RULE |= {"**": (operator.pow, 2), ScalarOps.sqrt: (ScalarOps.sqrt, 1)}
RULE |= {ScalarOps.maximum: (ScalarOps.maximum, 2)}
CASES = [(f"rule {key}", fn, vm.OPCODE[key], n) for key, (fn, n) in RULE.items()]
CASES += [
    (name, fn, vm.OPCODE.get(fn), FUNCTIONS[name].arity if name in FUNCTIONS else 0)
    for name, fn in SCALAR.items()
]


def test_every_function_of_the_language_has_each_form():
    """Declared once in FUNCTIONS (arity, numpy, autograd, derivative, LaTeX), on floats in
    SCALAR, and compiled: vm.OPCODE takes the opcode of vm_loop named after it, upper-cased,
    so a function added without one is missing here (and would run on numpy)."""
    assert set(SCALAR) == set(FUNCTIONS)
    missing = [name for name, fn in SCALAR.items() if fn not in vm.OPCODE]
    assert not missing, f"vm_loop has no opcode named after {missing}"


def interpret(op, args, t=0, key=0):
    """One instruction through the compiled loop at step t + 1: registers t, the arguments
    (up to five), the result, a second result."""
    return interpret_pair(op, args, t, key)[0]


def run_code(rows, regs, recorded, t=0, key=0, table=None):
    """One step of instructions ``rows`` on one column of registers ``regs`` (register 0 is
    the step count); the ``recorded`` registers after it."""
    code = np.array([[*row, *[0] * (vm_loop.WIDTH - len(row))] for row in rows], dtype=np.int64)
    regs = np.array([*regs, 0.0]).reshape(-1, 1)  # the last: the loop's previous loss
    program = vm.Program(code, len(regs), -1, 1, np.array(recorded, dtype=np.int64), 0)
    out = np.zeros((1, 1, len(recorded)))
    keys = np.array([key], dtype=np.uint64)
    vm.call(vm.load(), program, regs, 1, t, None, keys, out, table=table)
    return out[0, 0].tolist()


def interpret_pair(op, args, t=0, key=0):
    regs = [0.0, *args, *[0.0] * (5 - len(args)), 0.0, 0.0]
    return tuple(run_code([[op, 6, 1, 2, 3, 4, 5, 7]], regs, [6, 7], t, key))


# The programs' own instructions (engine/programs.py), each tested below against its numpy
# counterpart: the draws of optimizers/draws.py, the selections, the Newton system's solve.
PROGRAM_OPS = {
    vm_loop.JUMP_LT: "test_a_jump_loops",
    vm_loop.UNIFORM: "test_draws_are_the_schemes",
    vm_loop.NORMAL: "test_draws_are_the_schemes",
    vm_loop.NAN_TO_INF: "test_selections_are_their_python_expressions",
    vm_loop.SELECT_LT: "test_selections_are_their_python_expressions",
    vm_loop.SELECT_BEST: "test_selections_are_their_python_expressions",
    vm_loop.SOLVE1: "test_the_solves_answer_what_solve_rows_answers",
    vm_loop.SOLVE2: "test_the_solves_answer_what_solve_rows_answers",
    vm_loop.TABLE: "test_a_table_is_read_at_the_step_count",
    vm_loop.SPREAD: "test_a_candidate_loop_in_lanes_is_the_loop_turn_by_turn",
    vm_loop.BEGIN_LANES: "test_a_candidate_loop_in_lanes_is_the_loop_turn_by_turn",
}


def test_every_opcode_has_a_function_and_is_tested():
    assert set(vm.OPCODE.values()) | set(PROGRAM_OPS) == set(range(vm_loop.OPCODES))
    assert not set(vm.OPCODE.values()) & set(PROGRAM_OPS)
    assert {op for _, _, op, _ in CASES} == set(vm.OPCODE.values())
    assert all(callable(globals()[name]) for name in PROGRAM_OPS.values())


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


def test_int_arithmetic_that_floats_would_change_is_left_to_numpy():
    """``t ** 2`` is an exact int in Python, ``t * 0`` an int zero without a sign: registers
    of floats could differ, so such a program runs on numpy. A float anywhere is fine."""
    assert not vm.exact_on_floats((("r0", "**", ("t", "c0")),), (2,))
    assert not vm.exact_on_floats((("r0", "-", ("t", "c0")), ("r1", "*", ("r0", "c0"))), (1,))
    assert not vm.exact_on_floats((("r0", "neg", ("t",)),), ())
    assert vm.exact_on_floats((("r0", "**", ("c0", "t")),), (0.9,))
    assert vm.exact_on_floats((("r0", "-", ("t", "c0")), ("r1", "*", ("r0", "c1"))), (1, 0.5))


def test_without_the_loop_numpy_runs(monkeypatch):
    monkeypatch.setattr(vm, "load", lambda: None)
    spec = engine.prepare("rosenbrock", "adam", stop=Stop(max_steps=50))
    assert loop.path(spec) == "arrays"
    assert engine.run(spec).nit[0] == 50


def test_math_is_the_c_librarys():
    """The premise: Python's math and the compiled loop call the same C library."""
    for x in RANDOM:
        assert interpret(vm_loop.TANH, (x / 7,)) == math.tanh(x / 7)
        assert interpret(vm_loop.EXP, (x,)) == math.exp(x)


def test_the_loops_constants_are_the_schemes():
    assert int(vm_loop._GOLDEN) == draws.GOLDEN
    assert int(vm_loop._MUL1) == draws.MUL1 and int(vm_loop._MUL2) == draws.MUL2
    assert vm_loop._UNIT == draws.UNIT and vm_loop._TWO_PI == draws.TWO_PI
    assert vm_loop._SINGULAR_RCOND == second_order._SINGULAR_RCOND


def test_draws_are_the_schemes():
    """UNIFORM is draws.uniforms to the bit; NORMAL's pair is draws.normals to a few ulps
    (the C library's log, cos and sin against numpy's)."""
    for seed, row, t in ((0, 0, 1), (11, 3, 7), (2**63 - 1, 63, 10**6)):
        key = int(draws.row_keys(seed, row + 1)[row])
        step = draws.step_keys(seed, t, row + 1)[row : row + 1]
        expected = draws.uniforms(step, 64)[0]
        got = [interpret(vm_loop.UNIFORM, (float(i),), t - 1, key) for i in range(64)]
        np.testing.assert_array_equal(got, expected)
        normals = draws.normals(step, 64)[0]
        pairs = [interpret_pair(vm_loop.NORMAL, (float(i),), t - 1, key) for i in range(0, 64, 2)]
        np.testing.assert_allclose(np.ravel(pairs), normals, rtol=1e-14, atol=1e-300)


def test_selections_are_their_python_expressions():
    values = [*SPECIAL, *RANDOM[:10]]
    for a, b in itertools.product(values, repeat=2):
        assert repr(interpret(vm_loop.NAN_TO_INF, (a,))) == repr(math.inf if a != a else a)
        assert interpret(vm_loop.SELECT_LT, (a, b, 1.0, 2.0)) == (1.0 if a < b else 2.0)
        best = 1.0 if a < b or b != b else 2.0  # b NaN: nothing kept yet
        assert interpret(vm_loop.SELECT_BEST, (a, b, 1.0, 2.0)) == best


def test_a_jump_loops():
    """r1 += 1 while r1 < r2: a loop of five turns in one step, then the line after it."""
    code = [[vm_loop.ADD, 1, 1, 3], [vm_loop.JUMP_LT, 0, 1, 2], [vm_loop.MUL, 4, 1, 2]]
    assert run_code(code, [0.0, 0.0, 5.0, 1.0, 0.0], [1, 4]) == [5.0, 25.0]


@pytest.mark.parametrize("surface", ["rosenbrock", "nightmare"])
@pytest.mark.parametrize("optimizer", ["random-search", "hill-climbing"])
def test_a_candidate_loop_in_lanes_is_the_loop_turn_by_turn(optimizer, surface, monkeypatch):
    """A single run takes its candidates side by side (one lane each) and replays the choice of
    the best in their order: the same run as the loop taking them in turn (the same
    instructions on the same numbers; only their order across candidates differs). To the bit
    where only IEEE arithmetic is involved (uniforms on a polynomial); else to 1e-12, since a
    compiler may take the C library's exp, log, cos or sin in a vector form over lanes."""
    spec = engine.prepare(surface, optimizer, seed=3, stop=Stop(max_steps=200, grad_tol=None))
    program = columns.column_program(spec)
    assert program is not None
    regs = columns.registers(program, loop._Stepper(spec, info=False), np.arange(1))
    assert vm.lanes(program.program, regs) == spec.params["samples"] > 1
    in_lanes = engine.run(spec)
    monkeypatch.setattr(vm, "lanes", lambda program, regs: 0)
    in_turn = engine.run(spec)
    exact = optimizer == "random-search" and surface == "rosenbrock"
    same = np.testing.assert_array_equal if exact else close_to_rounding
    assert in_lanes.status == in_turn.status and in_lanes.nit.tolist() == in_turn.nit.tolist()
    for name in ("path", "loss", "grad_norm"):
        same(getattr(in_lanes, name), getattr(in_turn, name))
    for name, values in in_lanes.info.items():
        same(values, in_turn.info[name])


def close_to_rounding(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)


def test_a_table_is_read_at_the_step_count():
    table = np.arange(12.0).reshape(4, 3)
    assert run_code([[vm_loop.TABLE, 2, 1]], [0.0, 2.0, 0.0], [2], t=2, table=table) == [11.0]


def block(rows, regs, n=1, stop=None):
    """``rows`` on columns ``regs`` (registers x columns; register 0 the step count, 1 x, 2
    the loss, 3 the gradient: a 1-D carry) for ``n`` steps; what vm.call returns, and the
    registers."""
    code = np.array([[*row, *[0] * (vm_loop.WIDTH - len(row))] for row in rows], dtype=np.int64)
    regs = np.vstack([np.array(regs, dtype=float), np.full((1, len(regs[0])), np.nan)])
    program = vm.Program(code, len(regs), -1, 4, np.array([1, 2, 3], dtype=np.int64), 1)
    keys = np.zeros(regs.shape[1], dtype=np.uint64)
    return vm.call(vm.load(), program, regs, n, 0, None, keys, None, stop), regs


def test_a_uniform_line_is_computed_once_for_every_column():
    """Flagged uniform, a line runs on the first column and is copied to the others; not
    flagged, each column computes its own."""
    regs = [[0.0, 0.0], [1.0, 2.0], [0.0, 0.0], [0.0, 0.0], [3.0, 4.0]]
    _, shared = block([[vm_loop.MUL, 1, 4, 4, 0, 0, 0, 0, 1]], regs)
    _, own = block([[vm_loop.MUL, 1, 4, 4, 0, 0, 0, 0, 0]], regs)
    assert shared[1].tolist() == [9.0, 9.0] and own[1].tolist() == [9.0, 16.0]


def test_columns_stop_by_the_rules_and_leave_the_block():
    """x doubles each step, its loss is x: the column from 1 passes the bound of 5 at step 3
    (x = 8), the one from 0 never moves and converges by the loss at step 2 (step 1 has no
    previous loss), the one from 0.5 runs on (x = 4)."""
    rows = [[vm_loop.ADD, 1, 1, 1], [vm_loop.COPY, 2, 1], [vm_loop.COPY, 3, 4]]
    regs = [[0.0] * 3, [1.0, 0.0, 0.5], [1.0, 0.0, 0.5], [1.0] * 3, [1.0] * 3]
    stop = (5.0, math.nan, 0.0, vm_loop.L2)
    (reached, ids, steps, codes, active), regs = block(rows, regs, n=3, stop=stop)
    assert reached == 3 and active == 1
    assert steps.tolist() == [3, 2, 3]
    assert codes.tolist() == [vm_loop.DIVERGED, vm_loop.CONVERGED, 0]
    assert ids[0] == 2 and regs[1, 0] == 4.0  # the column still running took position 0
    assert regs[1, list(ids).index(0)] == 8.0


def _symmetric_cases():
    rng = np.random.default_rng(5)
    cases = [
        ([[2.0, 0.0], [0.0, 4.0]], [2.0, 4.0]),
        ([[0.0, 0.0], [0.0, 2.0]], [0.0, 2.0]),  # singular: pinv keeps y only
        ([[0.0, 0.0], [0.0, 0.0]], [1.0, 2.0]),  # zero: pinv is zero
        ([[1.0, 1.0], [1.0, 1.0]], [2.0, 2.0]),  # rank one, off the axes
        ([[1e-3, 1.0], [1.0, 1e-3]], [1.0, -1.0]),  # pivots on the second row
        ([[802.0, -400.0], [-400.0, 200.0]], [1.0, 3.0]),  # rosenbrock's at its minimum
        ([[1.0, 1.0], [1.0, 1.0 + 1e-13]], [1.0, 0.0]),  # rcond below 1e-12
        ([[np.nan, 0.0], [0.0, 1.0]], [1.0, 1.0]),
        ([[1.0, 0.0], [0.0, 1.0]], [np.inf, 1.0]),
    ]
    for _ in range(300):
        m = rng.normal(size=(2, 2)) * 10.0 ** rng.integers(-3, 4)
        cases.append(((m + m.T).tolist(), rng.normal(size=2).tolist()))
    return cases


def test_the_solves_answer_what_solve_rows_answers():
    """SOLVE2 (LU with partial pivoting, a pseudo-inverse where singular) against numpy's
    solve_rows (LAPACK): the same answer to rounding times the condition number."""
    for A, g in _symmetric_cases():
        A, g = np.array(A), np.array(g)
        expected = second_order.solve_rows(A[None], g[None])[0]
        got = interpret_pair(vm_loop.SOLVE2, (A[0, 0], A[0, 1], A[1, 1], g[0], g[1]))
        if np.isnan(expected).any():
            assert np.isnan(got).all(), (A, g)
            continue
        cond = np.linalg.cond(A) if np.isfinite(np.linalg.cond(A)) else 1.0
        tol = 1e-14 * min(cond, 1e12) * (np.abs(expected).max() + 1e-300)
        np.testing.assert_allclose(got, expected, rtol=0, atol=tol, err_msg=str((A, g)))
    for a, g in itertools.product([0.0, -0.0, 2.0, -3.5, 1e-300, np.nan, np.inf], repeat=2):
        expected = second_order.solve_rows(np.array([[[a]]]), np.array([[g]]))[0, 0]
        got = interpret(vm_loop.SOLVE1, (a, g))
        assert (np.isnan(got) and np.isnan(expected)) or got == expected, (a, g)


def test_the_gradient_norms_are_one_list_everywhere() -> None:
    """engine.NORMS is the list; the loop's code for a norm is its index, and the request
    model and the CLI offer the same names (each its own literal: the CLI starts without
    importing the engine)."""
    import typing

    from descentlab.api.schemas import StopRule
    from descentlab.cli import build_parser
    from descentlab.engine import NORMS

    assert [vm_loop.L2, vm_loop.L1, vm_loop.INF] == [NORMS.index(n) for n in ("l2", "l1", "inf")]
    assert set(typing.get_args(StopRule.model_fields["grad_norm"].annotation)) == set(NORMS)
    parser = build_parser()
    for name in NORMS:
        args = parser.parse_args(["run", "rosenbrock", "gd", "--grad-norm", name])
        assert args.grad_norm == name
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "rosenbrock", "gd", "--grad-norm", "l3"])
