"""The loop :mod:`.vm` compiles once (numba, cached on disk): the steps of a block of
trajectories (one column of registers each: K = 1 for a single run, blocks of a batch's rows
for :mod:`.columns`), run by interpreting a program of float instructions, each over every
column before the next, so that dispatching it is paid once per block.

Each instruction is a row ``(opcode, out, a, b, c, d, e, out2, uniform)`` of register indices
(and a flag: a line every column computes alike, run once and copied). Every opcode of a
traced rule or a surface computes what its Python function on floats computes, to the last
bit: IEEE arithmetic, the C library's functions (which Python's ``math`` calls too), and the
special cases of :data:`~..problems.scalar.SCALAR` written out (tests check each opcode
against its Python function on special values, and whole runs against numpy to a
tolerance).

The rules written as programs (:mod:`.programs`: zeroth-order rules, Newton) use a few more:
a jump (``JUMP_LT``: a loop over candidates), the draws of :mod:`~..optimizers.draws` at the
step's key (``UNIFORM``, exact; ``NORMAL``, a pair by Box-Muller through the C library's
log, cos and sin),
"keep the best" selections, and the damped Newton system's solve (``SOLVE1``, ``SOLVE2``: the
answer of :func:`~..optimizers.second_order.solve_rows` to rounding, a pseudo-inverse where
singular). Tests hold each to its numpy counterpart.

A batch's run checks the stopping rules in the same loop (``record.Book``'s, column by column:
diverged, then the gradient's norm, then the loss's change, for one or two coordinates: every
surface the language accepts), and a column that stops leaves the block. ``TABLE`` reads a
column's power of a number by the step count from a table computed by numpy
(``columns._tabled``).

This module holds nothing but the loop, so that the compiled code cached on disk stays valid
while the rest of the engine changes (numba keys its cache on this file).
"""

from __future__ import annotations

import math

import numpy as np

# Opcodes: the rule's arithmetic, then the surface language's functions, each named after
# its name in SCALAR, upper-cased (vm.OPCODE is built from SCALAR by that name)
COPY, NEG, ADD, SUB, MUL, DIV, RULE_POW = range(7)
(SQRT, MAX, MIN, EXP, LOG, LOG10, SIN, COS, TAN, ABS, TANH, SINH, COSH) = range(7, 20)
(ARCTAN, ARCTAN2, SIGMOID, RELU, SOFTPLUS, SIGN, HEAVISIDE, DIV0, SELECT_LE) = range(20, 29)
POW = 29  # the surface's power: numpy's answer for a base of -inf (see scalar._pow)
# The programs' instructions (see the module's docstring)
(JUMP_LT, UNIFORM, NORMAL, NAN_TO_INF, SELECT_LT, SELECT_BEST, SOLVE1, SOLVE2) = range(30, 38)
TABLE = 38  # a column's power of a number by the step count, read from a table (see run)
SPREAD = 39  # a register of column 0 copied to the lanes (see run); nothing without lanes
BEGIN_LANES = 40  # the lanes begin: pass k's counter (out) is k (see run); nothing without lanes
OPCODES = 41
WIDTH = 9  # columns of an instruction: opcode, out, a, b, c, d, e, out2, uniform
# layout's entries: check the stopping rules, the dimension, the gradient norm (L2, L1, INF),
# the register of the previous loss, the active columns (updated on return), the lanes (see run)
CHECK, DIM, NORM, PREV, ACTIVE, LANES = range(6)
L2, L1, INF = range(3)
DIVERGED, CONVERGED = 1, 2  # a stopped column's code (0: still running)

_INF = math.inf
_NAN = math.nan
# optimizers/draws.py's scheme, transcribed (a test holds the constants equal)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_UNIT = 2.0**-53
_TWO_PI = 2.0 * math.pi
_SINGULAR_RCOND = 1e-12  # second_order.solve_rows's


def run(
    code: np.ndarray,
    regs: np.ndarray,
    n: int,
    t: int,
    lrs: np.ndarray,
    lr_reg: int,
    table: np.ndarray,
    keys: np.ndarray,
    recorded: np.ndarray,
    out: np.ndarray,
    stop: np.ndarray,
    layout: np.ndarray,
    ids: np.ndarray,
    steps: np.ndarray,
    codes: np.ndarray,
) -> int:
    """Take up to ``n`` steps from step count ``t`` for the first ``layout[ACTIVE]`` columns of
    ``regs`` (registers x columns). Each step sets the step count (register 0) and the
    scheduled rate (``lr_reg`` >= 0: ``lrs[t]``, one rate or one per column), runs ``code`` on
    every active column (an instruction flagged uniform once, its result copied to the
    others; ``TABLE`` reads ``table[t, a]``, a the column's entry), and then either writes the
    ``recorded`` registers to ``out[step, column]`` (when ``out`` has rows) or, when
    ``layout[CHECK]``, checks the stopping rules on each column.

    Columns are independent trajectories; ``ids[k]`` is the column at position k (positions
    move as columns stop: a column that stops trades places with the last active one, so the
    active ones stay contiguous). A stopped column's final registers stay in its new
    position; ``steps`` and ``codes`` (by column) get its last point's index and why it
    stopped (see :data:`STOPPED`). Draws are keyed on the column's ``keys`` entry (its row's
    key, ``draws.row_keys``) and the step count; a jump is decided by the first active column
    (the programs that jump run in columns only when their jumps are uniform). Returns the
    step count reached; ``layout[ACTIVE]`` holds the columns still active.

    Lanes (``layout[LANES]`` > 0, one active column): the lines a jump loops over (a
    candidate loop: ``JUMP_LT`` back while its counter a < b) run once over that many
    columns, column s being pass s (its counter s, its draws the trajectory's), so their
    dispatch is paid once rather than per pass; then each ``SELECT_BEST`` of the loop is
    replayed over the passes in order into column 0, which is what the passes one after the
    other leave there (the first pass's result is column 0's own). Before the loop, ``SPREAD``
    copies what it reads from column 0 into the lanes and ``BEGIN_LANES`` starts them."""

    def mix(z: np.uint64) -> np.uint64:
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MUL1
        z = (z ^ (z >> np.uint64(27))) * _MUL2
        return z ^ (z >> np.uint64(31))

    def solve2(a: float, b: float, c: float, g0: float, g1: float) -> tuple[float, float]:
        """The symmetric system [[a, b], [b, c]] x = g as ``solve_rows`` answers it: LU with
        partial pivoting (LAPACK's order of operations) where the matrix is regular, its
        pseudo-inverse where the reciprocal condition number is below 1e-12, NaN where anything is
        not finite. Its eigenvalues in closed form: the larger in magnitude, then the other as
        det / it (no cancellation)."""
        if not (
            math.isfinite(a)
            and math.isfinite(b)
            and math.isfinite(c)
            and math.isfinite(g0)
            and math.isfinite(g1)
        ):
            return _NAN, _NAN
        m = 0.5 * (a + c)
        radius = math.hypot(0.5 * (a - c), b)
        big = m + radius if m >= 0.0 else m - radius
        if big == 0.0:  # the zero matrix: its pseudo-inverse is zero
            return 0.0, 0.0
        small = (a * c - b * b) / big
        if abs(small) >= _SINGULAR_RCOND * abs(big):
            if abs(b) > abs(a):  # pivot on the second row
                low = a / b
                x1 = (g0 - low * g1) / (b - low * c)
                return (g1 - c * x1) / b, x1
            low = b / a
            x1 = (g1 - low * g0) / (c - low * b)
            return (g0 - b * x1) / a, x1
        # rank one: only the larger eigenvalue's direction v is kept, x = v (v . g) / big
        p0, p1 = b, big - a
        q0, q1 = big - c, b
        if p0 * p0 + p1 * p1 < q0 * q0 + q1 * q1:
            p0, p1 = q0, q1
        norm = math.hypot(p0, p1)
        v0, v1 = p0 / norm, p1 / norm
        along = (v0 * g0 + v1 * g1) / big
        return v0 * along, v1 * along

    def replay(code: np.ndarray, regs: np.ndarray, first: int, end: int, lanes: int) -> None:
        """The ``SELECT_BEST`` lines among ``first`` .. ``end`` - 1 over lanes 1, 2, ... in
        order, into column 0: the candidate loop's passes one after the other."""
        for s in range(1, lanes):
            for j in range(first, end):
                if code[j, 0] == SELECT_BEST:
                    a = regs[code[j, 2], s]
                    b = regs[code[j, 3], 0]
                    take = a < b or b != b
                    chosen = regs[code[j, 4], s] if take else regs[code[j, 5], 0]
                    regs[code[j, 1], 0] = chosen

    def _norm(regs: np.ndarray, k: int, dim: int, kind: int) -> float:
        """The gradient's L1 or max norm in column k (``record._norm``'s: the absolute values
        summed in order, or their maximum, NaN kept; L2 is computed in the check itself)."""
        g = 2 + dim
        total = abs(regs[g, k])
        for d in range(1, dim):
            a = abs(regs[g + d, k])
            if kind == L1:
                total = total + a
            else:
                total = total if total >= a or total != total else a
        return total

    lines = code.shape[0]
    width = recorded.shape[0]
    record = out.shape[0] > 0
    check = layout[CHECK] != 0
    dim = layout[DIM]
    norm_kind = layout[NORM]
    prev_reg = layout[PREV]
    na = layout[ACTIVE]
    bound, grad_tol, loss_tol = stop[0], stop[1], stop[2]
    check_grad = grad_tol == grad_tol  # a tolerance that is off is NaN
    per_column_rate = lrs.shape[1] > 1
    draws = False
    for i in range(lines):
        draws = draws or code[i, 0] == UNIFORM or code[i, 0] == NORMAL
    step_keys = np.zeros(regs.shape[1], dtype=np.uint64)
    norms = np.zeros(regs.shape[1])
    verdicts = np.zeros(regs.shape[1], dtype=np.int64)
    f_reg = 1 + dim
    lanes = layout[LANES]
    for step in range(n):
        if na == 0:
            break
        if lr_reg >= 0:
            for k in range(na):
                regs[lr_reg, k] = lrs[t, ids[k]] if per_column_rate else lrs[t, 0]
        t += 1
        for k in range(na):
            regs[0, k] = t
        if draws:
            for k in range(max(na, lanes)):
                step_keys[k] = mix(keys[ids[0 if lanes else k]] ^ np.uint64(t))
        i = 0
        span = na  # the columns a line runs over: the active ones, or the lanes
        while i < lines:
            op = code[i, 0]
            o = code[i, 1]
            ra = code[i, 2]
            rb = code[i, 3]
            m = 1 if code[i, 8] != 0 else span  # a uniform line: one column, then copied
            # the commonest first: the chain is tested once per line, not per column
            if op == MUL:
                for k in range(m):
                    regs[o, k] = regs[ra, k] * regs[rb, k]
            elif op == ADD:
                for k in range(m):
                    regs[o, k] = regs[ra, k] + regs[rb, k]
            elif op == SUB:
                for k in range(m):
                    regs[o, k] = regs[ra, k] - regs[rb, k]
            elif op == DIV:
                for k in range(m):
                    regs[o, k] = regs[ra, k] / regs[rb, k]
            elif op == COPY:
                for k in range(m):
                    regs[o, k] = regs[ra, k]
            elif op == TABLE:
                for k in range(m):
                    regs[o, k] = table[t, np.int64(regs[ra, k])]
            elif op == SQRT:
                for k in range(m):
                    a = regs[ra, k]
                    regs[o, k] = math.sqrt(a) if a >= 0.0 else _NAN
            elif op == NEG:
                for k in range(m):
                    regs[o, k] = -regs[ra, k]
            elif op == RULE_POW:
                for k in range(m):
                    regs[o, k] = regs[ra, k] ** regs[rb, k]
            elif op == MAX:
                for k in range(m):
                    a = regs[ra, k]
                    b = regs[rb, k]
                    regs[o, k] = a if a >= b or a != a else b
            elif op == MIN:
                for k in range(m):
                    a = regs[ra, k]
                    b = regs[rb, k]
                    regs[o, k] = a if a <= b or a != a else b
            elif op == POW:
                for k in range(m):
                    a = regs[ra, k]
                    b = regs[rb, k]
                    regs[o, k] = _NAN if a == -_INF and b == 0.5 else a**b
            elif op == EXP:
                for k in range(m):
                    regs[o, k] = math.exp(regs[ra, k])
            elif op == LOG:
                for k in range(m):
                    a = regs[ra, k]
                    regs[o, k] = math.log(a) if a > 0.0 else (-_INF if a == 0.0 else _NAN)
            elif op == LOG10:
                for k in range(m):
                    a = regs[ra, k]
                    regs[o, k] = math.log10(a) if a > 0.0 else (-_INF if a == 0.0 else _NAN)
            elif op == SIN:
                for k in range(m):
                    regs[o, k] = math.sin(regs[ra, k])
            elif op == COS:
                for k in range(m):
                    regs[o, k] = math.cos(regs[ra, k])
            elif op == TAN:
                for k in range(m):
                    regs[o, k] = math.tan(regs[ra, k])
            elif op == ABS:
                for k in range(m):
                    regs[o, k] = abs(regs[ra, k])
            elif op == TANH:
                for k in range(m):
                    regs[o, k] = math.tanh(regs[ra, k])
            elif op == SINH:
                for k in range(m):
                    regs[o, k] = math.sinh(regs[ra, k])
            elif op == COSH:
                for k in range(m):
                    regs[o, k] = math.cosh(regs[ra, k])
            elif op == ARCTAN:
                for k in range(m):
                    regs[o, k] = math.atan(regs[ra, k])
            elif op == ARCTAN2:
                for k in range(m):
                    regs[o, k] = math.atan2(regs[ra, k], regs[rb, k])
            elif op == SIGMOID:
                for k in range(m):
                    a = regs[ra, k]
                    e = math.exp(-abs(a))
                    regs[o, k] = 1.0 / (1.0 + e) if a >= 0.0 else e / (1.0 + e)
            elif op == RELU:
                for k in range(m):
                    a = regs[ra, k]
                    regs[o, k] = a if a >= 0.0 or a != a else 0.0
            elif op == SOFTPLUS:
                for k in range(m):
                    a = regs[ra, k]
                    positive = a if a >= 0.0 or a != a else 0.0
                    regs[o, k] = positive + math.log1p(math.exp(-abs(a)))
            elif op == SIGN:
                for k in range(m):
                    a = regs[ra, k]
                    regs[o, k] = a if a != a or a == 0.0 else math.copysign(1.0, a)
            elif op == HEAVISIDE:
                for k in range(m):
                    regs[o, k] = 1.0 if regs[ra, k] > 0.0 else 0.0
            elif op == DIV0:
                for k in range(m):
                    a = regs[ra, k]
                    regs[o, k] = 0.0 if a == 0.0 else a / regs[rb, k]
            elif op == SELECT_LE:
                rc, rd = code[i, 4], code[i, 5]
                for k in range(m):
                    regs[o, k] = regs[rc, k] if regs[ra, k] <= regs[rb, k] else regs[rd, k]
            elif op == JUMP_LT:  # to line ``out`` if a < b (in the first column)
                if not lanes:
                    i = o if regs[ra, 0] < regs[rb, 0] else i + 1
                    continue
                replay(code, regs, o, i, lanes)
                span = na
            elif op == SPREAD:
                for k in range(1, lanes):
                    regs[ra, k] = regs[ra, 0]
            elif op == BEGIN_LANES:
                if lanes:
                    span = m = lanes
                    for k in range(lanes):
                        regs[o, k] = k
            elif op == NORMAL:  # normals a and a + 1 (a even) from draws a and a + 1
                o2 = code[i, 7]
                for k in range(m):
                    first = np.uint64(regs[ra, k])
                    u0 = np.float64(mix(step_keys[k] ^ first) >> np.uint64(11)) * _UNIT
                    u1 = (
                        np.float64(mix(step_keys[k] ^ (first + np.uint64(1))) >> np.uint64(11))
                        * _UNIT
                    )
                    radius = math.sqrt(-2.0 * math.log(1.0 - u0))
                    angle = _TWO_PI * u1
                    regs[o, k] = radius * math.cos(angle)
                    regs[o2, k] = radius * math.sin(angle)
            elif op == UNIFORM:  # draw number a
                for k in range(m):
                    z = mix(step_keys[k] ^ np.uint64(regs[ra, k]))
                    regs[o, k] = np.float64(z >> np.uint64(11)) * _UNIT
            elif op == NAN_TO_INF:
                for k in range(m):
                    a = regs[ra, k]
                    regs[o, k] = _INF if a != a else a
            elif op == SELECT_LT:
                rc, rd = code[i, 4], code[i, 5]
                for k in range(m):
                    regs[o, k] = regs[rc, k] if regs[ra, k] < regs[rb, k] else regs[rd, k]
            elif op == SELECT_BEST:  # c if a beats the best b so far (NaN: none yet)
                rc, rd = code[i, 4], code[i, 5]
                for k in range(m):
                    a = regs[ra, k]
                    b = regs[rb, k]
                    regs[o, k] = regs[rc, k] if a < b or b != b else regs[rd, k]
            elif op == SOLVE1:  # a x = b; a pseudo-inverse (0) where a is 0
                for k in range(m):
                    a = regs[ra, k]
                    b = regs[rb, k]
                    if not (math.isfinite(a) and math.isfinite(b)):
                        regs[o, k] = _NAN
                    else:
                        regs[o, k] = 0.0 if a == 0.0 else b / a
            else:  # SOLVE2: [[a, b], [b, c]] (x, out2) = (d, e)
                rc, rd, re, o2 = code[i, 4], code[i, 5], code[i, 6], code[i, 7]
                for k in range(m):
                    r, r2 = solve2(regs[ra, k], regs[rb, k], regs[rc, k], regs[rd, k], regs[re, k])
                    regs[o, k] = r
                    regs[o2, k] = r2
            if m < span:
                if op == NORMAL or op == SOLVE2:
                    o2 = code[i, 7]
                    for k in range(1, span):
                        regs[o2, k] = regs[o2, 0]
                for k in range(1, span):
                    regs[o, k] = regs[o, 0]
            i += 1
        if record:
            for k in range(na):
                for j in range(width):
                    out[step, ids[k], j] = regs[recorded[j], k]
        if check:
            # first every column's verdict, in a loop without branches (it vectorises), then
            # the few that stopped leave the block
            g0 = 2 + dim
            if check_grad and norm_kind == L2:  # squares summed in order, then the root
                for k in range(na):
                    total = regs[g0, k] * regs[g0, k]
                    if dim > 1:
                        total = total + regs[g0 + 1, k] * regs[g0 + 1, k]
                    norms[k] = math.sqrt(total)
            elif check_grad:
                for k in range(na):
                    norms[k] = _norm(regs, k, dim, norm_kind)
            stopped = np.int64(0)
            for k in range(na):
                f = regs[f_reg, k]
                inside = (abs(f) < _INF) & (abs(regs[1, k]) <= bound)  # NaN is not inside
                if dim > 1:
                    inside = inside & (abs(regs[2, k]) <= bound)
                converged = abs(f - regs[prev_reg, k]) <= loss_tol
                if check_grad:
                    converged = converged | (norms[k] <= grad_tol)
                verdict = np.int64(converged) * CONVERGED
                verdict = verdict if inside else np.int64(DIVERGED)
                verdicts[k] = verdict
                stopped += verdict
                regs[prev_reg, k] = f  # a column that stops leaves with it unread
            k = 0
            while stopped > 0 and k < na:
                why = int(verdicts[k])
                if why == 0:
                    k += 1
                    continue
                column = ids[k]
                steps[column] = t
                codes[column] = why
                na -= 1  # this column trades places with the last active one
                for r in range(regs.shape[0]):
                    value = regs[r, k]
                    regs[r, k] = regs[r, na]
                    regs[r, na] = value
                ids[k] = ids[na]
                ids[na] = column
                verdicts[k] = verdicts[na]
    layout[ACTIVE] = na
    return t
