"""The loop :mod:`.vm` compiles once (numba, cached on disk): a single trajectory's steps, run
by interpreting a program of float instructions over an array of registers.

Each instruction is a row ``(opcode, out, a, b, c, d, e, out2)`` of register indices. Every
opcode of a traced rule or a surface computes what the Python float kernel (:mod:`.kernel`)
computes for the same line, to the last bit: IEEE arithmetic, the C library's functions (which
Python's ``math`` calls too), and the special cases of :data:`~..problems.scalar.SCALAR` written
out (tests check each opcode against its Python function on special values, and whole runs
against the Python kernel).

The rules written as programs (:mod:`.programs`: zeroth-order rules, Newton) use a few more:
a jump (``JUMP_LT``: a loop over candidates), the draws of :mod:`~..optimizers.draws` at the
step's key (``UNIFORM``, exact; ``NORMAL``, a pair by Box-Muller through the C library's
log, cos and sin),
"keep the best" selections, and the damped Newton system's solve (``SOLVE1``, ``SOLVE2``: the
answer of :func:`~..optimizers.second_order.solve_rows` to rounding, a pseudo-inverse where
singular). Tests hold each to its numpy counterpart.

This module holds nothing but the loop, so that the compiled code cached on disk stays valid
while the rest of the engine changes (numba keys its cache on this file).
"""

from __future__ import annotations

import math

import numpy as np

# Opcodes: the rule's arithmetic, then the surface language's functions (SCALAR's names).
COPY, NEG, ADD, SUB, MUL, DIV, POW = range(7)
(SQRT, MAXIMUM, MINIMUM, EXP, LOG, LOG10, SIN, COS, TAN, ABS, TANH, SINH, COSH) = range(7, 20)
(ARCTAN, ARCTAN2, SIGMOID, RELU, SOFTPLUS, SIGN, HEAVISIDE, DIV0, SELECT_LE) = range(20, 29)
SCALAR_POW = 29  # the surface's power: numpy's answer for a base of -inf (see scalar._pow)
# The programs' instructions (see the module's docstring)
(JUMP_LT, UNIFORM, NORMAL, NAN_TO_INF, SELECT_LT, SELECT_BEST, SOLVE1, SOLVE2) = range(30, 38)
OPCODES = 38
WIDTH = 8  # columns of an instruction

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
    t_reg: int,
    recorded: np.ndarray,
    out: np.ndarray,
    key: np.uint64,
) -> int:
    """Take ``n`` steps from step count ``t``: each sets the scheduled rate (``lr_reg`` >= 0)
    to ``lrs[t]``, counts the step, runs ``code``, and writes the ``recorded`` registers to its
    row of ``out``. Draws are keyed on ``key`` (the row's, ``draws.row_keys``) and the step
    count. Returns the step count reached; ``regs`` holds the state reached."""

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

    lines = code.shape[0]
    width = recorded.shape[0]
    for step in range(n):
        if lr_reg >= 0:
            regs[lr_reg] = lrs[t]
        t += 1
        regs[t_reg] = t
        step_key = mix(key ^ np.uint64(t))
        i = 0
        while i < lines:
            op = code[i, 0]
            a = regs[code[i, 2]]
            b = regs[code[i, 3]]
            # the commonest first: the chain is tested in order
            if op == MUL:
                r = a * b
            elif op == ADD:
                r = a + b
            elif op == SUB:
                r = a - b
            elif op == DIV:
                r = a / b
            elif op == COPY:
                r = a
            elif op == SQRT:
                r = math.sqrt(a) if a >= 0.0 else _NAN
            elif op == NEG:
                r = -a
            elif op == POW:
                r = a**b
            elif op == MAXIMUM:
                r = a if a >= b or a != a else b
            elif op == MINIMUM:
                r = a if a <= b or a != a else b
            elif op == SCALAR_POW:
                r = _NAN if a == -_INF and b == 0.5 else a**b
            elif op == EXP:
                r = math.exp(a)
            elif op == LOG:
                r = math.log(a) if a > 0.0 else (-_INF if a == 0.0 else _NAN)
            elif op == LOG10:
                r = math.log10(a) if a > 0.0 else (-_INF if a == 0.0 else _NAN)
            elif op == SIN:
                r = math.sin(a)
            elif op == COS:
                r = math.cos(a)
            elif op == TAN:
                r = math.tan(a)
            elif op == ABS:
                r = abs(a)
            elif op == TANH:
                r = math.tanh(a)
            elif op == SINH:
                r = math.sinh(a)
            elif op == COSH:
                r = math.cosh(a)
            elif op == ARCTAN:
                r = math.atan(a)
            elif op == ARCTAN2:
                r = math.atan2(a, b)
            elif op == SIGMOID:
                e = math.exp(-abs(a))
                r = 1.0 / (1.0 + e) if a >= 0.0 else e / (1.0 + e)
            elif op == RELU:
                r = a if a >= 0.0 or a != a else 0.0
            elif op == SOFTPLUS:
                r = (a if a >= 0.0 or a != a else 0.0) + math.log1p(math.exp(-abs(a)))
            elif op == SIGN:
                r = a if a != a or a == 0.0 else math.copysign(1.0, a)
            elif op == HEAVISIDE:
                r = 1.0 if a > 0.0 else 0.0
            elif op == DIV0:
                r = 0.0 if a == 0.0 else a / b
            elif op == SELECT_LE:
                r = regs[code[i, 4]] if a <= b else regs[code[i, 5]]
            elif op == JUMP_LT:  # to line ``out`` if a < b
                i = code[i, 1] if a < b else i + 1
                continue
            elif op == NORMAL:  # normals a and a + 1 (a even) from draws a and a + 1
                first = np.uint64(a)
                u0 = np.float64(mix(step_key ^ first) >> np.uint64(11)) * _UNIT
                u1 = np.float64(mix(step_key ^ (first + np.uint64(1))) >> np.uint64(11)) * _UNIT
                radius = math.sqrt(-2.0 * math.log(1.0 - u0))
                angle = _TWO_PI * u1
                r = radius * math.cos(angle)
                regs[code[i, 7]] = radius * math.sin(angle)
            elif op == UNIFORM:  # draw number a
                r = np.float64(mix(step_key ^ np.uint64(a)) >> np.uint64(11)) * _UNIT
            elif op == NAN_TO_INF:
                r = _INF if a != a else a
            elif op == SELECT_LT:
                r = regs[code[i, 4]] if a < b else regs[code[i, 5]]
            elif op == SELECT_BEST:  # c if a beats the best b so far (NaN: none yet)
                r = regs[code[i, 4]] if a < b or b != b else regs[code[i, 5]]
            elif op == SOLVE1:  # a x = b; a pseudo-inverse (0) where a is 0
                if not (math.isfinite(a) and math.isfinite(b)):
                    r = _NAN
                else:
                    r = 0.0 if a == 0.0 else b / a
            else:  # SOLVE2: [[a, b], [b, c]] (x, out2) = (d, e)
                r, r2 = solve2(a, b, regs[code[i, 4]], regs[code[i, 5]], regs[code[i, 6]])
                regs[code[i, 7]] = r2
            regs[code[i, 1]] = r
            i += 1
        for j in range(width):
            out[step, j] = regs[recorded[j]]
    return t
