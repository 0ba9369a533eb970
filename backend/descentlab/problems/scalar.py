"""Every function of :data:`~.expr.FUNCTIONS` on plain Python floats.

A single trajectory has B = 1, and numpy's per-call cost on arrays of two numbers dwarfs the
arithmetic; evaluating the same tape on floats is about ten times faster. These follow numpy's
IEEE semantics (inf and NaN out, never an exception), which the tests check function by
function against the numpy implementations.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

import numpy as np

INF, NAN = math.inf, math.nan


def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def _pow(a: float, b: float) -> float:
    if a == -INF:  # C99 and numpy disagree on a few of these: take numpy's word
        with np.errstate(all="ignore"):
            return float(np.power(a, b))
    if a < 0 and math.isfinite(b) and not b.is_integer():
        return NAN  # a real power of a negative number (numpy's answer; Python's is complex)
    try:
        out = a**b
    except OverflowError:
        # |a| > 1 with a huge b, or a tiny |a| with a very negative b
        odd = float(b).is_integer() and int(b) % 2 == 1
        return -INF if a < 0 and odd else INF
    except ZeroDivisionError:  # 0 ** negative
        odd = float(b).is_integer() and int(b) % 2 == 1
        return math.copysign(INF, a) if odd else INF
    return out


def _guard(fn: Callable[[float], float], overflow: float = NAN) -> Callable[[float], float]:
    """``fn``, answering NaN outside its domain and ``overflow`` on overflow."""

    def safe(a: float) -> float:
        try:
            return fn(a)
        except OverflowError:
            return overflow
        except ValueError:
            return NAN

    return safe


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return INF


def _log(a: float) -> float:
    return math.log(a) if a > 0 else (-INF if a == 0 else NAN)


def _log10(a: float) -> float:
    return math.log10(a) if a > 0 else (-INF if a == 0 else NAN)


def _sinh(a: float) -> float:
    try:
        return math.sinh(a)
    except OverflowError:
        return math.copysign(INF, a)


def _minimum(a: float, b: float) -> float:
    return a if a <= b or a != a else b


def _maximum(a: float, b: float) -> float:
    return a if a >= b or a != a else b


def _sigmoid(a: float) -> float:
    e = _exp(-abs(a))
    return 1.0 / (1.0 + e) if a >= 0 else e / (1.0 + e)


def _softplus(a: float) -> float:
    return _maximum(a, 0.0) + math.log1p(_exp(-abs(a)))


def _sign(a: float) -> float:
    return a if a != a or a == 0 else math.copysign(1.0, a)


def _div0(a: float, b: float) -> float:
    return 0.0 if a == 0 else _div(a, b)


SCALAR: dict[str, Callable[..., float]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": _div,
    "pow": _pow,
    "neg": operator.neg,
    "sin": _guard(math.sin),
    "cos": _guard(math.cos),
    "tan": _guard(math.tan),
    "exp": _exp,
    "log": _log,
    "log10": _log10,
    "sqrt": lambda a: math.sqrt(a) if a >= 0 else NAN,
    "abs": abs,
    "tanh": math.tanh,
    "sinh": _sinh,
    "cosh": _guard(math.cosh, INF),
    "arctan": math.atan,
    "arctan2": math.atan2,
    "min": _minimum,
    "max": _maximum,
    "sigmoid": _sigmoid,
    "relu": lambda a: _maximum(a, 0.0),
    "softplus": _softplus,
    "sign": _sign,
    "heaviside": lambda a: 1.0 if a > 0 else 0.0,
    "div0": _div0,
    "select_le": lambda a, b, p, q: p if a <= b else q,
}
