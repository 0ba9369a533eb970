"""The loop :mod:`.vm` compiles once (numba, cached on disk): a single trajectory's steps, run
by interpreting a program of float instructions over an array of registers.

Each instruction is a row ``(opcode, out, a, b, c, d)`` of register indices. Every opcode
computes what the Python float kernel (:mod:`.kernel`) computes for the same line, to the last
bit: IEEE arithmetic, the C library's functions (which Python's ``math`` calls too), and the
special cases of :data:`~..problems.scalar.SCALAR` written out (tests check each opcode against
its Python function on special values, and whole runs against the Python kernel).

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
OPCODES = 30

_INF = math.inf
_NAN = math.nan


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
) -> int:
    """Take ``n`` steps from step count ``t``: each sets the scheduled rate (``lr_reg`` >= 0)
    to ``lrs[t]``, counts the step, runs ``code``, and writes the ``recorded`` registers to its
    row of ``out``. Returns the step count reached; ``regs`` holds the state reached."""
    lines = code.shape[0]
    width = recorded.shape[0]
    for step in range(n):
        if lr_reg >= 0:
            regs[lr_reg] = lrs[t]
        t += 1
        regs[t_reg] = t
        for i in range(lines):
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
            else:  # SELECT_LE
                r = regs[code[i, 4]] if a <= b else regs[code[i, 5]]
            regs[code[i, 1]] = r
        for j in range(width):
            out[step, j] = regs[recorded[j]]
    return t
