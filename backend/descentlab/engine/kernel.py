"""The lines of one step: a rule's trace per coordinate and the surface's float program, with
every number named as an argument, from which :mod:`.vm` assembles a program for its loop.

An elementwise rule's trace (:mod:`.trace`), repeated for each coordinate, and the surface's
float program (:meth:`~..problems.tape.Tape.listing`) become a list of lines ``(target,
function, arguments)`` over names of our own (``x0``, ``r1_7``, ``c3``): the same float
operations in the same order as numpy's step. Every number (hyperparameters, surface
constants) is a named constant ``c<k>``, not part of a line, so one structure serves every
value of its numbers; nothing a user typed becomes code.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..problems import Problem
from ..problems.tape import Listing
from .trace import Op, OpFn, RuleTrace, Sym

# Tape functions that are plain operators (the same result on floats): written as operators.
_OPERATORS: dict[Callable[..., Any], str] = {
    operator.add: "+",
    operator.sub: "-",
    operator.mul: "*",
    operator.neg: "neg",
}

Line = tuple[str | tuple[str, str], OpFn | int | None, tuple[str, ...]]
"""A line of a step: its target (a pair: a solve's two results), its function (a rule's
operator, a tape function, an opcode of :mod:`.vm_loop`'s own, or None: a copy) and the names
of its arguments."""


class Builder:
    """Collects the lines of one step, with every number as a named argument ``c<k>``."""

    def __init__(self, constants: list[Any]) -> None:
        self.constants = list(constants)
        self.lines: list[Line] = []
        self._names: dict[Any, str] = {}

    def constant(self, value: Any) -> str:
        """A float, an int, or (in a sweep) a 1-D array of one value per column. The same
        number used again (every coordinate's copy of the rule uses each hyperparameter) gets
        the same name, so the compiler sees that expressions of it repeat."""
        if isinstance(value, np.ndarray):
            key: Any = id(value)  # the trace holds each array, so ids stay unique
        else:
            # float() drops subclasses (numpy scalars): numpy's path's
            # hyperparameters are floats, and these must behave as they do
            value = value if type(value) is int else float(value)
            key = (type(value), value, math.copysign(1.0, value))  # -0.0 is not 0.0
        if key not in self._names:
            self.constants.append(value)
            self._names[key] = f"c{len(self.constants) - 1}"
        return self._names[key]

    def rule(self, trace: RuleTrace, c: int, n_state: int) -> list[str]:
        """Coordinate ``c``'s step, ending with the new x and state in their carried names;
        returns the names of its info values."""
        names: dict[int, str] = {
            id(trace.inputs["x"]): f"x{c}",
            id(trace.inputs["f"]): "f",
            id(trace.inputs["g"]): f"g{c}",
            id(trace.inputs["t"]): "t",
        }
        if "lr" in trace.inputs:
            names[id(trace.inputs["lr"])] = "lr"
        for j in range(n_state):
            names[id(trace.inputs[f"state{j}"])] = f"s{j}_{c}"

        def operand(a: Any) -> str:
            return names[id(a)] if isinstance(a, Sym) else self.constant(a)

        for k, op in enumerate(_live(trace)):
            names[id(op.out)] = f"r{c}_{k}"
            self.lines.append((f"r{c}_{k}", op.fn, tuple(operand(a) for a in op.args)))
        carried = [f"x{c}", *(f"s{j}_{c}" for j in range(n_state))]
        outputs = []
        for k, out in enumerate(trace.outputs):
            name = operand(out)
            if not name.startswith("r") and (k >= len(carried) or name != carried[k]):
                # an input or a number: copied before the carried names are overwritten
                self.lines.append((f"o{c}_{k}", None, (name,)))
                name = f"o{c}_{k}"
            outputs.append(name)
        for target, name in zip(carried, outputs, strict=False):
            if name != target:
                self.lines.append((target, None, (name,)))
        return outputs[len(carried) :]

    def evaluate(self, listing: Listing, point: list[str], targets: list[str], prefix: str) -> None:
        """A float program's outputs at ``point`` (a name per coordinate) into ``targets``;
        its intermediate names start with ``prefix`` (one per program of a step)."""
        names = {slot: point[k] for slot, k in listing.variables.items()}
        for slot, value in listing.constants.items():
            names[slot] = self.constant(value)
        for fn, out, args in listing.instructions:
            names[out] = f"{prefix}{out}"
            self.lines.append(
                (f"{prefix}{out}", _OPERATORS.get(fn, fn), tuple(names[a] for a in args))
            )
        for target, slot in zip(targets, listing.outputs, strict=True):
            self.lines.append((target, None, (names[slot],)))


def _live(trace: RuleTrace) -> list[Op]:
    """The ops some output depends on (a `where` evaluates both sides; one is dead)."""
    needed = {id(o) for o in trace.outputs if isinstance(o, Sym)}
    kept = []
    for op in reversed(trace.ops):
        if id(op.out) in needed:
            kept.append(op)
            needed.update(id(a) for a in op.args if isinstance(a, Sym))
    return kept[::-1]


def _carry(dim: int, n_state: int) -> list[str]:
    """The names a program carries from one step to the next: its first registers."""
    return [
        "t",
        *(f"x{c}" for c in range(dim)),
        "f",
        *(f"g{c}" for c in range(dim)),
        *(f"s{j}_{c}" for c in range(dim) for j in range(n_state)),
    ]


@functools.lru_cache(maxsize=64)
def surface_part(problem: Problem) -> tuple[list[Line], list[float | int]]:
    """The surface's lines and constants (``c0`` ...), the same whatever the rule: ``f, g0,
    g1, ...`` at the new point ``x0, x1, ...``, by the surface's float program."""
    build = Builder([])
    point = [f"x{k}" for k in range(problem.dim)]
    targets = ["f", *(f"g{k}" for k in range(problem.dim))]
    build.evaluate(problem.value_grad_listing(), point, targets, "e")
    return build.lines, build.constants
