"""A single trajectory compiled into one Python function: the rule and the surface fused.

A single trajectory of an elementwise rule runs on plain floats, where numpy's per-call cost
would dwarf the arithmetic on two numbers. Interpreted, each step still pays for calling the
rule once per coordinate (building its state tuple and info dict) and for dispatching every
tape instruction. Here the rule's trace (:mod:`.trace`), repeated for each coordinate, and the
surface's float program (:meth:`~..problems.tape.Tape.listing`) become the body of one loop over
steps: straight-line code on local variables, performing the same float operations in the same
order as the interpreted path, so the path is the same to the last bit.

Safety: the function is assembled as a Python syntax tree, never as text. Its names are this
module's own (``x0``, ``r1_7``, ``c3``); every number (hyperparameters, surface constants) is an
argument, not part of the code; every function it calls comes from our tables (the surface
functions of :mod:`..problems.scalar`, :class:`~..optimizers.base.ScalarOps`, inlined with
``math.sqrt``). Nothing a user typed reaches the compiler: an expression only decides which of
our instructions are strung together. Because numbers are arguments, one compiled function
serves every value of the hyperparameters and surface parameters of the same structure: a
slider drag compiles nothing.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..optimizers.base import ScalarOps, StepFn
from ..problems import Problem
from ..problems.tape import Listing
from . import vm
from .spec import RunSpec
from .trace import Op, OpFn, RuleTrace, Sym, Untraceable, trace_rule

_BINARY: dict[str, type[ast.operator]] = {
    "+": ast.Add,
    "-": ast.Sub,
    "*": ast.Mult,
    "/": ast.Div,
    "**": ast.Pow,
}
# Tape functions that are plain operators (the same result on floats): written as operators.
_OPERATORS: dict[Callable[..., Any], str] = {
    operator.add: "+",
    operator.sub: "-",
    operator.mul: "*",
    operator.neg: "neg",
}


def _inline_sqrt(a: ast.expr) -> ast.expr:
    """``ScalarOps.sqrt`` without its Python frame: ``_sqrt(a) if a >= 0.0 else _nan``."""
    return ast.IfExp(
        ast.Compare(a, [ast.GtE()], [ast.Constant(0.0)]),
        ast.Call(ast.Name("_sqrt", ast.Load()), [a], []),
        ast.Name("_nan", ast.Load()),
    )


def _inline_maximum(a: ast.expr, b: ast.expr) -> ast.expr:
    """``ScalarOps.maximum`` without its Python frame: ``a if a >= b or a != a else b``."""
    test = ast.BoolOp(
        ast.Or(), [ast.Compare(a, [ast.GtE()], [b]), ast.Compare(a, [ast.NotEq()], [a])]
    )
    return ast.IfExp(test, a, b)


# The rules' float functions, written into the loop as expressions: they run once or twice per
# coordinate per step, and a Python call costs as much as the arithmetic (tests check each
# against its function on every kind of float).
INLINE: dict[Any, Callable[..., ast.expr]] = {
    ScalarOps.sqrt: _inline_sqrt,
    ScalarOps.maximum: _inline_maximum,
}
INLINE_NAMES = {"_sqrt": math.sqrt, "_nan": math.nan}

Line = tuple[str, OpFn | None, tuple[str, ...]]  # target, function (None: a copy), arguments


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
            # float() drops subclasses (numpy scalars): the interpreted path's
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

    def surface(self, listing: Listing, dim: int) -> None:
        """``f, g0, g1, ...`` at the new point, by the surface's float program."""
        targets = ["f", *(f"g{k}" for k in range(dim))]
        self.evaluate(listing, [f"x{k}" for k in range(dim)], targets, "e")

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


def expression(fn: OpFn | None, args: tuple[str, ...], functions: dict[Any, str]) -> ast.expr:
    """A line's right-hand side; a function not written inline is called by a label of
    ``functions`` (function -> label), which the caller binds in the code's namespace."""
    if fn is None:
        return ast.Name(args[0], ast.Load())
    operands: list[ast.expr] = [ast.Name(a, ast.Load()) for a in args]
    if fn == "neg":
        return ast.UnaryOp(ast.USub(), operands[0])
    if isinstance(fn, str):
        return ast.BinOp(operands[0], _BINARY[fn](), operands[1])
    if fn in INLINE:
        return INLINE[fn](*operands)
    label = functions.setdefault(fn, f"_f{len(functions)}")
    return ast.Call(ast.Name(label, ast.Load()), operands, [])


def _live(trace: RuleTrace) -> list[Op]:
    """The ops some output depends on (a `where` evaluates both sides; one is dead)."""
    needed = {id(o) for o in trace.outputs if isinstance(o, Sym)}
    kept = []
    for op in reversed(trace.ops):
        if id(op.out) in needed:
            kept.append(op)
            needed.update(id(a) for a in op.args if isinstance(a, Sym))
    return kept[::-1]


class FloatKernel:
    """Runs steps t >= :data:`~.trace.FIRST_TRACED_STEP` of one trajectory, writing one row per
    step: the point, the loss, the gradient, then the info values (info-major, then
    coordinate). Runs the steps as machine code (:mod:`.vm`) once its loop is loaded, and in
    the compiled Python function until then: the two compute the same rows to the last bit."""

    def __init__(
        self, fn: Callable[..., Any], constants: tuple[Any, ...], dim: int, native: vm.Runner | None
    ) -> None:
        self._fn = fn
        self._constants = constants
        self._dim = dim
        self._native = native

    def __call__(
        self,
        n: int,
        t: int,
        xs: list[float],
        f: float,
        gs: list[float],
        states: list[tuple[float, ...]],
        lrs: np.ndarray | None,
        lr_list: list[float] | None,
        out: np.ndarray,
    ) -> tuple[int, list[float], float, list[float], list[list[float]]]:
        """``n`` steps from step count ``t`` into the ``n`` rows of ``out``; the schedule's
        rates as an array and (for the Python function) as a list of floats."""
        carry = (t, *xs, f, *gs, *(v for state in states for v in state))
        loop = vm.loop()
        if loop is not None and self._native is not None:
            reached = self._native(loop, n, carry, lrs, out)
        else:
            values: list[float] = []  # numpy reads a flat list of floats fast
            reached = self._fn(n, self._constants, carry, lr_list, values.append)
            out[:] = np.fromiter(values, float, len(values)).reshape(out.shape)
        D = self._dim
        t, f = reached[0], reached[1 + D]
        xs, gs, flat = (
            list(reached[1 : 1 + D]),
            list(reached[2 + D : 2 + 2 * D]),
            reached[2 + 2 * D :],
        )
        S = len(flat) // D
        return t, xs, f, gs, [list(flat[c * S : (c + 1) * S]) for c in range(D)]


def float_kernel(
    spec: RunSpec, state_type: Callable[..., Any], n_state: int, info: tuple[str, ...]
) -> FloatKernel | None:
    """The compiled loop for ``spec`` (a single trajectory on floats) recording the ``info``
    values, or None when its rule cannot be traced; then the interpreted path runs it, with
    the same result. (Info not recorded is not computed: its operations are dead code.)"""
    opt = spec.optimizer
    assert opt.step is not None
    scheduled = spec.schedule is not None
    hp = tuple(sorted(spec.params.items()))
    # One build at a time: a classroom's first runs arrive together, and each would otherwise
    # trace and compile the same kernel (lru_cache does not hold back concurrent misses).
    with _BUILDING:
        return _kernel(spec.problem, opt.step, info, state_type, n_state, scheduled, hp)


_BUILDING = threading.Lock()


@functools.lru_cache(maxsize=256)
def _kernel(
    problem: Problem,
    step: StepFn,
    info: tuple[str, ...],
    state_type: Callable[..., Any],
    n_state: int,
    scheduled: bool,
    hp: tuple[tuple[str, Any], ...],
) -> FloatKernel | None:
    """Cached: a repeated run (same problem, rule and values) neither traces nor compiles."""
    try:
        trace = trace_rule(step, dict(hp), state_type, n_state, info, scheduled)
    except (Untraceable, TypeError, AttributeError, KeyError):
        return None
    surface_lines, surface_constants = surface_part(problem)
    build = Builder(surface_constants)  # so the surface's lines keep their constant names
    infos = [build.rule(trace, c, n_state) for c in range(problem.dim)]
    build.lines += surface_lines
    info_order = tuple(infos[c][k] for k in range(len(info)) for c in range(problem.dim))
    plan = (
        problem.dim,
        n_state,
        len(build.constants),
        scheduled,
        tuple(build.lines),
        info_order,
    )
    constants = tuple(build.constants)
    return FloatKernel(_compile(plan), constants, problem.dim, _native(plan, constants))


def _native(plan: tuple[Any, ...], constants: tuple[Any, ...]) -> vm.Runner | None:
    """The plan as a program for the compiled loop, or None when only Python can run it."""
    dim, n_state, _, scheduled, lines, info = plan
    if not vm.exact_on_floats(lines, constants):
        return None
    program = vm.assemble(_carry(dim, n_state), scheduled, len(constants), lines, info)
    return None if program is None else vm.Runner(program, constants)


def _carry(dim: int, n_state: int) -> list[str]:
    """The names a kernel carries from one call to the next, in the order it takes them."""
    return [
        "t",
        *(f"x{c}" for c in range(dim)),
        "f",
        *(f"g{c}" for c in range(dim)),
        *(f"s{j}_{c}" for c in range(dim) for j in range(n_state)),
    ]


@functools.lru_cache(maxsize=64)
def surface_part(problem: Problem) -> tuple[list[Line], list[float | int]]:
    """The surface's lines and constants (``c0`` ...), the same whatever the rule."""
    build = Builder([])
    build.surface(problem.value_grad_listing(), problem.dim)
    return build.lines, build.constants


@functools.lru_cache(maxsize=128)
def _compile(plan: tuple[Any, ...]) -> Callable[..., Any]:
    """The plan's function: ``kernel(n, constants, carry, lrs, record)`` takes n steps from
    ``carry`` (t, x, f, g, state), calls ``record`` with each value of a step's row (x, f, g,
    info), and returns the carry it reached."""
    dim, n_state, n_constants, scheduled, lines, info = plan
    functions: dict[Any, str] = {}

    def name(n: str) -> ast.Name:
        return ast.Name(n, ast.Load())

    def assign(target: str, value: ast.expr) -> ast.Assign:
        return ast.Assign([ast.Name(target, ast.Store())], value)

    def tuple_of(names: Any) -> ast.Tuple:
        return ast.Tuple([name(n) for n in names], ast.Load())

    def unpack(names: list[str], source: str) -> ast.Assign:
        targets = ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())
        return ast.Assign([targets], name(source))

    def call(fn: str, *args: ast.expr) -> ast.Call:
        return ast.Call(name(fn), list(args), [])

    carry = _carry(dim, n_state)
    step: list[ast.stmt] = []
    if scheduled:
        step.append(assign("lr", ast.Subscript(name("lrs"), name("t"), ast.Load())))
    step.append(assign("t", ast.BinOp(name("t"), ast.Add(), ast.Constant(1))))
    step += [assign(target, expression(fn, args, functions)) for target, fn, args in lines]
    # one call per value: cheaper than extending by a tuple, and numpy reads flat lists fast
    records = [
        *(f"x{c}" for c in range(dim)),
        "f",
        *(f"g{c}" for c in range(dim)),
        *info,
    ]
    step += [ast.Expr(call("record", name(value))) for value in records]
    body: list[ast.stmt] = []
    if n_constants:
        body.append(unpack([f"c{k}" for k in range(n_constants)], "constants"))
    body.append(unpack(carry, "carry"))
    body.append(ast.For(ast.Name("_", ast.Store()), call("range", name("n")), step, []))
    body.append(ast.Return(tuple_of(carry)))
    arguments = ["n", "constants", "carry", "lrs", "record"]
    namespace: dict[str, Any] = {"range": range, **INLINE_NAMES}
    namespace.update((label, fn) for fn, label in functions.items())
    return define("kernel", arguments, body, namespace)


def define(
    name: str, arguments: list[str], body: list[ast.stmt], namespace: dict[str, Any]
) -> Callable[..., Any]:
    """The function ``name(*arguments)`` with ``body``, seeing only ``namespace`` (no
    builtins but those it holds). Our own syntax tree (the module docstring says why this is
    safe), never text."""
    signature = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(a) for a in arguments],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    function = ast.FunctionDef(
        name=name, args=signature, body=body, decorator_list=[], returns=None
    )
    if sys.version_info >= (3, 12):
        function.type_params = []  # a field 3.12 added; compile() wants it present
    module = ast.fix_missing_locations(ast.Module([function], []))
    scope = {"__builtins__": {}, **namespace}
    exec(compile(module, f"<descentlab {name}>", "exec"), scope)
    return scope[name]
