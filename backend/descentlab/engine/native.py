"""Machine code for the columns of a sweep, through numba when it is installed.

A sweep is thousands of independent trajectories. numpy runs them step by step across the
batch axis, paying a pass over memory for every operation of the rule and the surface; compiled,
each column runs its whole trajectory in registers. The functions here are what the compiled
code calls for the surface language's functions: each returns numpy's answer on float64 (the
batch path's) within a few ulps, and exactly its special values (NaN, infinities, zeros), tested
function by function on the same special values as :data:`~..problems.scalar.SCALAR`. A few
ulps, not the last bit: these call the C library, and numpy calls its own SIMD code for some
functions on some CPUs (exp, log, pow, ... with AVX-512). ``tanh`` is absent: numpy always
computes it with its own code, so a surface that uses it stays on numpy.

numba is optional: without it (or if it fails), sweeps run on numpy.
"""

from __future__ import annotations

import functools
import math
import operator
import threading
from collections.abc import Callable
from typing import Any

from ..problems.scalar import SCALAR

NAN = math.nan


def _div(a: float, b: float) -> float:
    return a / b  # compiled with numpy's error model: IEEE, never an exception


def _pow(a: float, b: float) -> float:
    return a**b  # the C library's pow(), as numpy's power on an array of exponents


def _pow_scalar(a: float, b: float) -> float:
    """numpy's power by one exponent for a whole array, which takes a shortcut for three of
    them: a square, a root and a reciprocal, cheaper than pow() and rounded as numpy rounds
    them."""
    if b == 2.0:
        return a * a
    if b == 0.5:
        return math.sqrt(a) if a >= 0.0 or a != a else NAN
    if b == -1.0:
        return 1.0 / a
    return a**b


def _sqrt(a: float) -> float:
    return math.sqrt(a) if a >= 0.0 else NAN


def _log(a: float) -> float:
    return math.log(a) if a > 0 else (-math.inf if a == 0 else NAN)


def _log10(a: float) -> float:
    return math.log10(a) if a > 0 else (-math.inf if a == 0 else NAN)


def _exp(a: float) -> float:
    return math.exp(a)


def _sin(a: float) -> float:
    return math.sin(a) if math.isfinite(a) else NAN


def _cos(a: float) -> float:
    return math.cos(a) if math.isfinite(a) else NAN


def _tan(a: float) -> float:
    return math.tan(a) if math.isfinite(a) else NAN


def _minimum(a: float, b: float) -> float:
    return a if a <= b or a != a else b


def _maximum(a: float, b: float) -> float:
    return a if a >= b or a != a else b


def _sigmoid(a: float) -> float:
    e = math.exp(-abs(a))
    return 1.0 / (1.0 + e) if a >= 0 else e / (1.0 + e)


def _softplus(a: float) -> float:
    # compiled functions call only the C library: maximum(a, 0) written out
    return (a if a >= 0.0 or a != a else 0.0) + math.log1p(math.exp(-abs(a)))


def _sign(a: float) -> float:
    return a if a != a or a == 0 else math.copysign(1.0, a)


def _heaviside(a: float) -> float:
    return 1.0 if a > 0 else 0.0


def _div0(a: float, b: float) -> float:
    return 0.0 if a == 0 else a / b


def _relu(a: float) -> float:
    return a if a >= 0.0 or a != a else 0.0


def _select_le(a: float, b: float, p: float, q: float) -> float:
    return p if a <= b else q


def _abs(a: float) -> float:
    return abs(a)


def _sinh(a: float) -> float:
    return math.sinh(a)


def _cosh(a: float) -> float:
    return math.cosh(a)


def _atan(a: float) -> float:
    return math.atan(a)


def _atan2(a: float, b: float) -> float:
    return math.atan2(a, b)


NATIVE: dict[str, Callable[..., float]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": _div,
    "pow": _pow,
    "neg": operator.neg,
    "sin": _sin,
    "cos": _cos,
    "tan": _tan,
    "exp": _exp,
    "log": _log,
    "log10": _log10,
    "sqrt": _sqrt,
    "abs": _abs,
    "sinh": _sinh,
    "cosh": _cosh,
    "arctan": _atan,
    "arctan2": _atan2,
    "min": _minimum,
    "max": _maximum,
    "sigmoid": _sigmoid,
    "relu": _relu,
    "softplus": _softplus,
    "sign": _sign,
    "heaviside": _heaviside,
    "div0": _div0,
    "select_le": _select_le,
}
"""The surface language's functions (every one but ``tanh``), in code numba compiles."""

# The float program's functions, by the Python function it calls (the rules' sqrt and maximum
# are written inline, kernel.INLINE; their powers are `**`).
_BY_SCALAR: dict[Any, str] = {fn: name for name, fn in SCALAR.items()}
POW_SCALAR = _pow_scalar


def native_function(fn: Any) -> Callable[..., float] | None:
    """The compiled code's counterpart of a float-program function (None: none)."""
    name = _BY_SCALAR.get(fn)
    return None if name is None else NATIVE.get(name)


_LOCK = threading.Lock()


@functools.cache
def numba() -> Any | None:
    """The numba module, imported on first use (it takes most of a second), or None."""
    try:
        import numba as nb
    except Exception:  # not installed, or broken against this numpy: numpy serves
        return None
    return nb


def jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled for floats, releasing the GIL so that columns run on several cores;
    numpy's error model, so dividing by zero gives inf or NaN as numpy does."""
    nb = numba()
    assert nb is not None
    with _LOCK:  # numba compiles one function at a time anyway; this keeps its caches tidy
        return nb.njit(nogil=True, error_model="numpy", cache=False)(fn)


@functools.cache
def compiled_native(fn: Callable[..., float]) -> Callable[..., float]:
    """A function of :data:`NATIVE`, compiled once per process."""
    return jit(fn)
