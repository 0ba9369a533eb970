"""Compile expression trees into a flat list of numpy calls over a batch of points.

Identical subexpressions (by structure, not only by identity) get one slot, so a value, its
gradient and its Hessian evaluated together share every common term. Each evaluation is then
one numpy call per distinct node on arrays of shape (B,): the speed of hand-written numpy, with
no tracing on the per-step path.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .expr import FUNCTIONS, Node, for_evaluation
from .scalar import SCALAR

_UNARY, _NARY = -1, -2  # markers in an instruction's second argument slot
DATA_BLOCK = 1 << 20  # numbers in one (points x samples) temporary of a data-fit loss


def _instruction(node: Node, out: int, args: tuple[int, ...], scalar: bool) -> tuple[Any, ...]:
    """(function, output slot, first argument slot, second slot or a marker), for numpy
    arrays or (``scalar``) for plain floats."""
    op = node.op
    if op == "pow" and node.args[1].op == "const" and node.args[1].value == 2.0:
        op = "square"  # x^2 is everywhere, and squaring is cheaper than a power
        args = args[:1]
    if scalar and op == "square":  # a * a with the C-level multiply: no Python-level call
        return operator.mul, out, args[0], args[0]
    fn = SCALAR[op] if scalar else (np.square if op == "square" else FUNCTIONS[op].numpy)
    if len(args) == 1:
        return fn, out, args[0], _UNARY
    if len(args) == 2:
        return fn, out, args[0], args[1]
    return fn, out, args, _NARY


def _execute(program: list[tuple[Any, ...]], slots: list[Any]) -> None:
    """Run the instructions, each writing its slot from the slots of its arguments."""
    for fn, o, a, b in program:
        if b >= 0:
            slots[o] = fn(slots[a], slots[b])
        elif b == _UNARY:
            slots[o] = fn(slots[a])
        else:
            slots[o] = fn(*[slots[i] for i in a])


@dataclass(frozen=True)
class Listing:
    """The float program as data, for :mod:`~descentlab.engine.kernel` to compile: each
    instruction ``(function, output slot, argument slots)``; slots hold a constant, a
    coordinate of the point, or an instruction's result."""

    instructions: tuple[tuple[Callable[..., Any], int, tuple[int, ...]], ...]
    constants: dict[int, float]
    variables: dict[int, int]  # slot -> coordinate
    outputs: tuple[int, ...]


class Tape:
    """Evaluates several output trees at once: ``tape(X)`` -> list of arrays of shape (B,)."""

    def __init__(self, outputs: Sequence[Node]) -> None:
        slot_of_key: dict[tuple[Any, ...], int] = {}
        slot_of_node: dict[int, int] = {}
        template: list[Any] = []
        variables: list[tuple[int, int]] = []
        columns: list[tuple[int, str]] = []
        program: list[tuple[Any, ...]] = []
        scalar_program: list[tuple[Any, ...]] = []
        outputs = for_evaluation(list(outputs))
        for out in outputs:
            for node in out.walk():
                if id(node) in slot_of_node:
                    continue
                args = tuple(slot_of_node[id(a)] for a in node.args)
                key = (node.op, node.name, node.value if not node.args else None, args)
                slot = slot_of_key.get(key)
                if slot is None:
                    slot = slot_of_key[key] = len(template)
                    template.append(None)
                    if node.op == "const":
                        template[slot] = np.float64(node.value)  # faster in ufuncs than float
                    elif node.op == "var":
                        variables.append((slot, int(node.value)))
                    elif node.op == "data":
                        columns.append((slot, node.name))
                    elif node.op == "param":
                        raise ValueError(f"parameter {node.name!r} has no value")
                    else:
                        program.append(_instruction(node, slot, args, scalar=False))
                        scalar_program.append(_instruction(node, slot, args, scalar=True))
                slot_of_node[id(node)] = slot
        self._template = template
        self._variables = variables
        self._columns = columns
        self._program = program
        self._scalar_program = scalar_program
        self._scalar_template: list[Any] = [None if v is None else float(v) for v in template]
        self._outputs = [slot_of_node[id(o)] for o in outputs]
        self.size = len(program)  # numpy calls per evaluation

    def __call__(
        self,
        X: np.ndarray,
        out: np.ndarray | None = None,
        data: dict[str, np.ndarray] | None = None,
    ) -> Any:
        """The outputs for points ``X`` (B, D), as the columns of a (B, n_outputs) array
        (``out``, when given). With ``data`` (columns of n samples),
        each output is the mean over the samples: points run along axis 0, samples axis 1,
        in blocks of points so that no temporary holds more than ``DATA_BLOCK`` numbers."""
        B = X.shape[0]
        # column-major: each output is written as one contiguous column
        out = np.empty((B, len(self._outputs)), order="F") if out is None else out
        n = len(next(iter(data.values()))) if data else 1
        block = max(1, DATA_BLOCK // n)
        for first in range(0, B, block):
            rows = slice(first, min(B, first + block))
            for column, value in enumerate(self._evaluate(X[rows], data)):
                out[rows, column] = value  # broadcasts a constant output too
        return out

    def _evaluate(self, X: np.ndarray, data: dict[str, np.ndarray] | None) -> list[Any]:
        slots = self._template.copy()
        if data is None:
            for slot, k in self._variables:
                slots[slot] = X[:, k]
        else:
            for slot, k in self._variables:
                slots[slot] = X[:, k, None]
            for slot, name in self._columns:
                slots[slot] = data[name][None, :]
        _execute(self._program, slots)
        values = [slots[s] for s in self._outputs]
        if data is not None:  # average over the samples (a term free of data is (B, 1))
            values = [v.mean(axis=1) if np.ndim(v) == 2 else v for v in values]
        return values

    def on_grid(self, axes: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The outputs on the grid spanned by ``axes`` (one 1-D array per coordinate), each of
        shape (len(axes[-1]), ..., len(axes[0])) as ``np.meshgrid`` orders a 2-D grid: every
        instruction broadcasts the axes against each other, so no (N, D) array of points is
        built. Not for data-fit losses."""
        if self._columns:
            raise ValueError("a data-fit loss is evaluated on arrays")
        D = len(axes)
        shape = tuple(len(a) for a in reversed(axes))
        slots = self._template.copy()
        for slot, k in self._variables:
            slots[slot] = np.reshape(axes[k], [-1 if i == D - 1 - k else 1 for i in range(D)])
        _execute(self._program, slots)
        return [np.broadcast_to(slots[s], shape) for s in self._outputs]

    def listing(self) -> Listing:
        """The float program: each line one function of the language on plain floats, for
        the engine to compile. Not for data-fit losses."""
        if self._columns:
            raise ValueError("a data-fit loss is evaluated on arrays")
        instructions = tuple(
            (fn, o, (a, b) if b >= 0 else (a,) if b == _UNARY else tuple(a))
            for fn, o, a, b in self._scalar_program
        )
        constants = {
            slot: value for slot, value in enumerate(self._scalar_template) if value is not None
        }
        return Listing(instructions, constants, dict(self._variables), tuple(self._outputs))
