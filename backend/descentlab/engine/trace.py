"""Tracing an elementwise rule into a straight-line list of float operations.

The rules of :mod:`..optimizers.first_order` are written with arithmetic and ``ctx.ops`` only.
Run once on :class:`Sym` placeholders for one coordinate's numbers (x, f, g, the state, the step
count and a scheduled rate), with every other hyperparameter at its concrete value, a step
records each float operation it performs, in its own order: arithmetic on hyperparameters alone
folds at trace time exactly as it would at run time, and flags (``nesterov``, ``amsgrad``) pick
their branch. :mod:`.kernel` turns the record, with the surface's tape, into the lines of a
program for the machine-code loop. A rule that branches on a value it computed cannot be
traced (:class:`Untraceable`) and runs on numpy (a test refuses such a rule in the registry).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from ..optimizers.base import ScalarOps, StepFn


class Untraceable(Exception):
    """The rule did something a straight-line program cannot express."""


Operand = Union["Sym", float, int, np.ndarray]
OpFn = str | Callable[..., float]  # "+", "-", "*", "/", "**", "neg", or a function of floats


@dataclass(frozen=True)
class Op:
    out: Sym
    fn: OpFn
    args: tuple[Operand, ...]


class Recorder:
    def __init__(self) -> None:
        self.ops: list[Op] = []

    def emit(self, fn: OpFn, *args: Any) -> Sym:
        for a in args:
            # a 1-D array: one value per column of a sweep (see :mod:`.columns`)
            columns = isinstance(a, np.ndarray) and a.ndim == 1 and a.dtype == np.float64
            if not (isinstance(a, Sym | float | int) or columns):
                raise Untraceable(f"operand of type {type(a).__name__}")
        out = Sym(self, f"op{len(self.ops)}")
        self.ops.append(Op(out, fn, args))
        return out


def _recorded(fn: str) -> tuple[Callable[[Sym, Any], Sym], Callable[[Sym, Any], Sym]]:
    """A binary operator of :class:`Sym` and its reflection (``2 * sym``), each recording
    ``fn`` with the operands in the order written."""

    def forward(self: Sym, o: Any) -> Sym:
        return self.rec.emit(fn, self, o)

    def reflected(self: Sym, o: Any) -> Sym:
        return self.rec.emit(fn, o, self)

    return forward, reflected


class Sym:
    """A float not known at trace time. Arithmetic records; comparing or testing raises."""

    __slots__ = ("low", "name", "rec")
    __array_ufunc__ = None  # `column * sym` is Sym.__rmul__, not an array of Syms

    def __init__(self, rec: Recorder, name: str, low: int | None = None) -> None:
        self.rec = rec
        self.name = name
        self.low = low  # the step count: known to be at least ``low``

    __add__, __radd__ = _recorded("+")
    __sub__, __rsub__ = _recorded("-")
    __mul__, __rmul__ = _recorded("*")
    __truediv__, __rtruediv__ = _recorded("/")
    __pow__, __rpow__ = _recorded("**")

    def __neg__(self) -> Sym:
        return self.rec.emit("neg", self)

    def __eq__(self, o: object) -> bool:
        # `ctx.t == 1` (SGD's first step sets the buffer): the traced step count is >= low.
        if self.low is not None and isinstance(o, int) and o < self.low:
            return False
        raise Untraceable(f"{self.name} compared with a value")

    def __ne__(self, o: object) -> bool:
        return not self.__eq__(o)

    __hash__ = object.__hash__

    def _branch(self, *_: Any) -> bool:
        raise Untraceable(f"a branch on {self.name}")

    __bool__ = __lt__ = __le__ = __gt__ = __ge__ = __float__ = _branch


class TraceOps:
    """``ctx.ops`` while tracing: :class:`~..optimizers.base.ScalarOps`, recorded."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec

    def sqrt(self, a: Operand) -> Operand:
        if isinstance(a, Sym):
            return self.rec.emit(ScalarOps.sqrt, a)
        return np.sqrt(a) if isinstance(a, np.ndarray) else ScalarOps.sqrt(a)

    def maximum(self, a: Operand, b: Operand) -> Operand:
        if isinstance(a, Sym) or isinstance(b, Sym):
            return self.rec.emit(ScalarOps.maximum, a, b)
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return np.maximum(a, b)
        return ScalarOps.maximum(a, b)

    def power(self, a: Operand, b: Operand) -> Operand:  # ScalarOps.power is a ** b
        return self.rec.emit("**", a, b) if isinstance(a, Sym) or isinstance(b, Sym) else a**b

    @staticmethod
    def where(condition: Any, a: Operand, b: Operand) -> Operand:
        if isinstance(condition, Sym) or not isinstance(condition, bool):
            raise Untraceable("where() on a traced condition")
        return a if condition else b


class TraceContext:
    """The step context while tracing: the step count and ops; nothing random, no oracle."""

    def __init__(self, t: Sym, ops: TraceOps) -> None:
        self.t = t
        self.ops = ops

    def __getattr__(self, name: str) -> Any:  # rng, oracle, domain
        raise Untraceable(f"the rule uses ctx.{name}")


@dataclass(frozen=True)
class RuleTrace:
    """One coordinate's step: ``ops`` in order, from the named ``inputs`` to ``outputs``
    (the new x, the new state fields, then the info values in ``info`` order)."""

    ops: tuple[Op, ...]
    inputs: dict[str, Sym]  # x, f, g, t, lr (when scheduled), state0, state1, ...
    outputs: tuple[Operand, ...]


FIRST_TRACED_STEP = 2  # step 1 runs on numpy: rules may set their state on it (SGD's buffer)


def trace_rule(
    step: StepFn,
    hp: Mapping[str, Any],
    state_type: Callable[..., tuple[Any, ...]],
    n_state: int,
    info: tuple[str, ...],
    scheduled: bool,
) -> RuleTrace:
    """Record one step of ``step`` for steps t >= :data:`FIRST_TRACED_STEP`."""
    rec = Recorder()
    inputs = {name: Sym(rec, name) for name in ("x", "f", "g")}
    inputs["t"] = Sym(rec, "t", low=FIRST_TRACED_STEP)
    hp = dict(hp)
    if scheduled:
        hp["lr"] = inputs["lr"] = Sym(rec, "lr")
    fields = [Sym(rec, f"state{j}") for j in range(n_state)]
    inputs.update((s.name, s) for s in fields)
    ctx = TraceContext(inputs["t"], TraceOps(rec))
    x_new, state, values = step(hp, state_type(*fields), inputs["x"], inputs["f"], inputs["g"], ctx)  # type: ignore[arg-type]
    outputs = (x_new, *state, *(values[name] for name in info))
    for out in outputs:
        if not isinstance(out, Sym | float | int):
            raise Untraceable(f"an output of type {type(out).__name__}")
    return RuleTrace(tuple(rec.ops), inputs, outputs)
