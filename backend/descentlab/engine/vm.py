"""Trajectories' steps as machine code, with one function compiled once for every rule,
surface and batch: a step's lines (:mod:`.kernel`) assembled into a program of register
instructions that a compiled loop (:mod:`.vm_loop`) interprets over a block of columns, one
trajectory each.

Compiling each structure to machine code would take 0.5-1 s per rule, flag and surface,
holding the GIL while the first user of each waits. Here there is one compiled function, the
loop: a rule and a surface are data (an int array of instructions), and so are a batch's
numbers, so a new structure, a new expression, a sweep or a slider drag compiles nothing.

The compiled loop is cached on disk by numba, so a process loads it in ~0.1 s after numba's
import (~0.5 s); the server does both before it serves (:func:`load`). Elsewhere the first run
that takes the loop waits for its load (a process never answers a structure on numpy first
and in the loop later: the two agree to rounding, not to the bit).

Safety: a program is a table of our opcodes and register indices; nothing in it is code.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..optimizers.base import ScalarOps
from ..problems.scalar import SCALAR
from . import vm_loop

if TYPE_CHECKING:  # kernel imports this module
    from .kernel import Line

_log = logging.getLogger(__name__)

enabled = True
"""False: every run is numpy's (tests and the bench compare the two paths)."""

_RULE_OPS = {
    None: vm_loop.COPY,
    "neg": vm_loop.NEG,
    "+": vm_loop.ADD,
    "-": vm_loop.SUB,
    "*": vm_loop.MUL,
    "/": vm_loop.DIV,
    "**": vm_loop.RULE_POW,
    ScalarOps.sqrt: vm_loop.SQRT,
    ScalarOps.maximum: vm_loop.MAX,
}
# The language's functions by name: vm_loop's opcode of that name (a function without one runs
# on numpy; tests/test_vm.py fails for it). scalar._div answers what IEEE division answers.
OPCODE: dict[Any, int] = {
    **_RULE_OPS,
    **{
        fn: getattr(vm_loop, name.upper())
        for name, fn in SCALAR.items()
        if hasattr(vm_loop, name.upper())
    },
}
"""The opcode of every function a kernel line may hold."""


@dataclass(frozen=True)
class Program:
    """A step's lines as instructions. Registers: the carry (t, x, f, g, state, as
    ``kernel._carry`` names them), the scheduled rate, the constants, then every other name."""

    code: np.ndarray  # (lines, vm_loop.WIDTH) int64: opcode, out, a, b, c, d, e, out2
    n_regs: int
    lr_reg: int  # -1 when no schedule
    first_constant: int
    recorded: np.ndarray  # registers written per step: x, f, g, then the info values
    dim: int


LABEL = "label"
"""A line ``(name, LABEL, ())`` marks where a jump to ``name`` lands; it is no instruction."""


def assemble(
    carry: list[str],
    scheduled: bool,
    n_constants: int,
    lines: tuple[Line, ...],
    info: tuple[str, ...],
    varying: frozenset[str] = frozenset(),
) -> Program | None:
    """The program of a step's lines, or None when a line's function has no opcode (numpy
    then serves). A line's function is one of :data:`OPCODE`'s or an opcode of
    :mod:`.vm_loop` itself (the programs' own instructions); a jump's target is a label's
    name, and a line with two results (a solve) names them as a pair. ``varying``: the
    constants and rate (``c<k>``, ``lr``) that differ between the columns of a block; a line
    of nothing else is flagged uniform (the loop computes it once for every column)."""
    renamed: dict[str, str] = {}
    if not any(fn == LABEL for _, fn, _ in lines):
        lines, renamed = _coalesce(tuple(lines), frozenset(carry))
    else:
        lines = _spread(tuple(lines), carry)
    info = tuple(renamed.get(name, name) for name in info)
    names = list(carry)
    lr_reg = -1
    if scheduled:
        lr_reg = len(names)
        names.append("lr")
    first_constant = len(names)
    names += [f"c{k}" for k in range(n_constants)]
    index = {name: k for k, name in enumerate(names)}
    labels: dict[str, int] = {}  # a label's name -> the instruction it lands on
    position = 0
    for target, fn, _ in lines:
        if fn == LABEL:
            labels[str(target)] = position
        else:
            position += 1
    uniform = _uniform(carry, scheduled, n_constants, lines, varying)
    rows = []
    for target, fn, args in lines:
        if fn == LABEL:
            continue
        op = fn if type(fn) is int else OPCODE.get(fn)
        if op is None:
            return None
        regs = [index[a] for a in args] + [0] * (5 - len(args))
        if op == vm_loop.JUMP_LT:
            rows.append([op, labels[str(target)], *regs, 0, 0])
            continue
        outs = _names(target)
        for name in outs:
            index.setdefault(name, len(index))
        rows.append([op, index[outs[0]], *regs, index[outs[-1]], int(outs[0] in uniform)])
    dim = sum(1 for name in carry if name.startswith("x"))
    recorded = [
        *(index[f"x{c}"] for c in range(dim)),
        index["f"],
        *(index[f"g{c}"] for c in range(dim)),
        *(index[name] for name in info),
    ]
    return Program(
        code=np.array(rows, dtype=np.int64).reshape(-1, vm_loop.WIDTH),
        n_regs=len(index) + 1,  # the last: the previous loss, for the stopping rules
        lr_reg=lr_reg,
        first_constant=first_constant,
        recorded=np.array(recorded, dtype=np.int64),
        dim=dim,
    )


def _names(target: str | tuple[str, str]) -> tuple[str, ...]:
    """The names a line assigns: one, or a solve's pair."""
    return target if isinstance(target, tuple) else (target,)


def _assigned(lines: Sequence[Line]) -> Counter[str]:
    """How many lines assign each name (a label assigns none)."""
    return Counter(name for target, fn, _ in lines if fn != LABEL for name in _names(target))


def _coalesce(
    lines: tuple[Any, ...], carry: frozenset[str]
) -> tuple[tuple[Any, ...], dict[str, str]]:
    """Without the copies a step ends with (the new x and state into their carried names, the
    surface's outputs into f and g): a temporary copied into a name is computed into that name
    directly, when nothing between the two lines reads or writes the name and both are
    assigned once. Returns the lines and each renamed temporary's new name."""
    out = list(lines)
    assigned = _assigned(out)
    renamed: dict[str, str] = {}
    m = 0
    while m < len(out):
        target, fn, args = out[m]
        source = args[0] if fn is None and isinstance(target, str) else None
        k = next((i for i in range(m) if out[i][0] == source), -1)
        if (
            source is None
            or k < 0
            or source in carry
            or assigned.get(source) != 1
            or assigned.get(target) != 1
            or any(target in a or target == t for t, _, a in out[k + 1 : m])
        ):
            m += 1
            continue
        out[k] = (target, out[k][1], out[k][2])
        out[k + 1 :] = [
            (t, f, tuple(target if a == source else a for a in a_)) for t, f, a_ in out[k + 1 :]
        ]
        del out[m]
        renamed = {old: (target if new == source else new) for old, new in renamed.items()}
        renamed[source] = target
    return tuple(out), renamed


def _spread(lines: tuple[Any, ...], carry: list[str]) -> tuple[Any, ...]:
    """Before a candidate loop's label, a ``SPREAD`` of each name the loop reads that is
    carried or computed outside it (run in lanes, the loop finds it in column 0 alone), then
    ``BEGIN_LANES`` on its counter."""
    start = next(k for k, (_, fn, _) in enumerate(lines) if fn == LABEL)
    end = next(k for k, (_, fn, _) in enumerate(lines) if fn == vm_loop.JUMP_LT)
    outside = set(_assigned(lines[:start] + lines[end:])) | set(carry) | {"lr"}
    read = [a for _, fn, args in lines[start:end] for a in args]
    spread = [(name, vm_loop.SPREAD, (name,)) for name in dict.fromkeys(read) if name in outside]
    counter = lines[end][2][0]
    return (*lines[:start], *spread, (counter, vm_loop.BEGIN_LANES, ()), *lines[start:])


_DRAWS = (vm_loop.UNIFORM, vm_loop.NORMAL)


def _uniform(
    carry: list[str],
    scheduled: bool,
    n_constants: int,
    lines: tuple[Line, ...],
    varying: frozenset[str],
) -> set[str]:
    """The names that hold the same value in every column: the step count, the numbers and
    rate no column varies, and what a line assigned once computes from them alone (not a
    draw: each column draws its own)."""
    same = {"t"} | {f"c{k}" for k in range(n_constants)}
    if scheduled:
        same.add("lr")
    same -= varying
    assigned = _assigned(lines)
    for target, fn, args in lines:
        if (
            isinstance(target, str)
            and fn != LABEL
            and fn not in _DRAWS
            and target not in carry
            and assigned[target] == 1
            and args
            and all(a in same for a in args)
        ):
            same.add(target)
    return same


def exact_on_floats(lines: tuple[Line, ...], constants: tuple[Any, ...]) -> bool:
    """Whether registers of floats compute what Python computes: Python keeps the step count
    and integer constants as ints, and ``int op int`` differs from floats for ``**`` (exact
    powers), ``*`` and negation (a zero's sign). Additions and differences of small ints are
    exact either way, and any other operation converts an int to its float first."""
    ints: set[Any] = {"t"} | {f"c{k}" for k, v in enumerate(constants) if type(v) is int}
    changed = True
    while changed:  # a name is an int if any assignment to it may be one (state is carried)
        changed = False
        for target, fn, args in lines:
            if (
                target not in ints
                and fn in (None, "neg", "+", "-", "*")
                and all(a in ints for a in args)
            ):
                ints.add(target)
                changed = True
    for _, fn, args in lines:
        if fn in ("**", "*", "neg") and all(a in ints for a in args):
            return False
    return True


@dataclass(frozen=True)
class Compiled:
    """A rule's program for this run with its numbers (a float, or one per row), what a step
    costs (nfev, ngev, nhev, its point's included), the first step the loop takes (the steps
    before it are numpy's: a traced rule may set its state on step 1), its state's fields per
    coordinate, and the distinct values of each number whose powers are read from a table
    (``columns._tabled``)."""

    program: Program
    constants: tuple[Any, ...]
    evaluations: tuple[int, int, int]
    first_step: int = 1
    n_state: int = 0
    levels: tuple[np.ndarray, ...] = ()


def call(
    fn: Callable[..., int],
    p: Program,
    regs: np.ndarray,
    n: int,
    t: int,
    lrs: np.ndarray | None,
    keys: np.ndarray,
    out: np.ndarray | None = None,
    stop: tuple[float, float, float, int] | None = None,
    table: np.ndarray | None = None,
    lanes: int = 0,
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, int]:
    """The loop on ``regs`` (registers x columns, every column active) for ``n`` steps from
    step count ``t``: recording into ``out`` (steps x columns x recorded), or checking
    ``stop`` = (bound, grad_tol, loss_tol, norm) (a tolerance that is off is NaN; the norm one
    of vm_loop's L2, L1, INF). Returns the step count reached, and by column position its
    column (``ids``), by column its last point's index and stop code (0: still running), and
    the columns still active (positions 0 .. active - 1). ``table``: what ``TABLE`` reads.
    ``lanes``: ``regs`` is one trajectory's column and that many lanes (:func:`lanes`)."""
    K = 1 if lanes else regs.shape[1]
    # the types the loop was compiled for: any other would compile it again, in the request
    rates = _NO_RATES if lrs is None else np.ascontiguousarray(np.reshape(lrs, (len(lrs), -1)))
    bound, grad_tol, loss_tol, norm = stop if stop is not None else (0.0, math.nan, math.nan, 0)
    layout = np.array([stop is not None, p.dim, norm, p.n_regs - 1, K, lanes], dtype=np.int64)
    ids = np.arange(K, dtype=np.int64)
    steps = np.full(K, t, dtype=np.int64)
    codes = np.zeros(K, dtype=np.int64)
    records = _NO_RECORDS if out is None else out
    limits = np.array([bound, grad_tol, loss_tol], dtype=float)
    powers = _NO_TABLE if table is None else table
    reached = fn(p.code, regs, n, t, rates, p.lr_reg, powers, keys, p.recorded, records,
                 limits, layout, ids, steps, codes)  # fmt: skip
    active = int(layout[vm_loop.ACTIVE])
    steps[ids[:active]] = reached
    return reached, ids, steps, codes, active


def lanes(p: Program, regs: np.ndarray) -> int:
    """The passes of ``p``'s candidate loop (the bound of its jump, in ``regs``' column 0): the
    lanes one trajectory runs them in (``vm_loop.run``); 0 when it has none."""
    jumps = np.flatnonzero(p.code[:, 0] == vm_loop.JUMP_LT)
    return max(1, int(regs[p.code[jumps[0], 3], 0])) if len(jumps) else 0


_NO_RATES = np.zeros((1, 1))
_NO_RECORDS = np.zeros((0, 1, 1))
_NO_TABLE = np.zeros((1, 1))

_LOOP: Callable[..., int] | None = None
_LOADING = threading.Lock()
_tried = False


def load() -> Callable[..., int] | None:
    """Load the loop now (compile it, the first time on this machine); None without numba
    or if compiling fails (logged: numpy serves). Tried once a process."""
    global _LOOP, _tried
    with _LOADING:
        if not _tried:
            _tried = True
            try:
                _LOOP = _compiled()
            except Exception:
                _log.warning("could not compile the trajectory loop; numpy runs", exc_info=True)
    return _LOOP


def _compiled() -> Callable[..., int] | None:
    try:
        import numba as nb  # most of a second: imported when the loop is first wanted
    except Exception:  # not installed, or broken against this numpy: numpy serves
        return None
    # nogil: blocks of columns run on several cores; numpy's error model: dividing by zero
    # gives inf or NaN as numpy does
    try:
        fn = nb.njit(nogil=True, error_model="numpy", cache=True)(vm_loop.run)
    except Exception:  # numba found no directory to cache in: compile in memory
        fn = nb.njit(nogil=True, error_model="numpy", cache=False)(vm_loop.run)
    # compile (or load) now, for the argument types every call uses
    code = np.zeros((1, vm_loop.WIDTH), dtype=np.int64)
    program = Program(code, 2, -1, 1, np.zeros(1, dtype=np.int64), 0)
    keys = np.zeros(1, dtype=np.uint64)
    call(fn, program, np.zeros((2, 1)), 1, 0, None, keys, np.zeros((1, 1, 1)))
    call(fn, program, np.zeros((2, 1)), 1, 0, None, keys, None, (1.0, 0.0, 0.0, 0))
    return fn
