"""Runs in machine code: a batch's rows (one row for a single run) as the columns of the loop
of :mod:`.vm`, recorded step by step (:func:`record`) or to their final values (:func:`finish`:
sweeps, basin maps).

numpy runs a batch step by step across its rows, one pass over memory per operation of the
rule and the surface. Here the rows are the columns of the one compiled loop (:mod:`.vm_loop`),
a block of :data:`BLOCK` at a time: each instruction runs over the block's columns before the
next, so its dispatch is paid once per block, a line the columns share (Adam's
``1 - beta2 ** t`` when the batch varies only lr) is computed once, and the stopping rules are
checked in the same loop; a column that stops leaves the block. Nothing is compiled per rule,
surface or sweep: a rule and a surface are a program (data), and so are a sweep's
hyperparameters, one register value per column.

The program is the single run's: an elementwise rule traced per coordinate (hyperparameters a
sweep varies traced as columns, arithmetic on them alone folded per column as numpy folds
it), or a rule written as a program (:mod:`.programs`) when no hyperparameter varies. The
results agree with numpy's batch path to a stated tolerance (relative 1e-12 per step on a
smooth surface), not to the bit: the loop calls the C library's exp, log, pow, ... where numpy
may use its own SIMD code.

Blocks run in the calling thread (a server's pool thread, never its event loop) and, for
:func:`finish` given the server's pool, in up to ``helpers`` of its threads as well.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ..optimizers import draws
from ..optimizers.base import Optimizer
from ..problems import Problem
from . import programs, vm, vm_loop
from .kernel import Builder, _carry, surface_part
from .record import Book, Chunk, _norm, tolerances
from .spec import NORMS, RunSpec
from .trace import FIRST_TRACED_STEP, Untraceable, trace_rule

BLOCK = 256
"""Columns one call of the loop runs: their registers (~100 per column) stay in the cache, and
each instruction's dispatch is shared by enough columns to vanish."""


def column_program(spec: RunSpec, info: tuple[str, ...] = ()) -> vm.Compiled | None:
    """The program that runs ``spec``'s rows as columns, recording the ``info`` values (a run
    recorded step by step), or None when numpy must: a wrapped method, stochastic gradients, a
    data-fit surface, a run shorter than the steps numpy takes first, a rule that cannot be
    traced or has no program for this batch, a function the loop lacks. Decided from the
    run's structure alone."""
    opt, problem = spec.optimizer, spec.problem
    if (
        opt.step is None
        or opt.init is None
        or spec.stochastic.active
        or problem.data is not None
        or problem.dim > 2  # the loop checks the stopping rules on one or two coordinates
        or spec.stop.max_steps < FIRST_TRACED_STEP
    ):
        return None
    swept = any(_varies(v) for v in spec.params.values())
    scheduled = spec.schedule is not None
    if opt.elementwise and swept:  # numbers per column: traced afresh (arrays do not hash)
        starts = np.asarray(spec.starts, dtype=float)
        return _build(problem, opt, info, scheduled, spec.params, spec.stop.max_steps, starts)
    if swept or not (opt.elementwise or programs.takes(spec)):
        return None
    hp = tuple(sorted(spec.params.items()))
    with _BUILDING:
        if opt.elementwise:
            return _traced_cached(problem, opt, info, scheduled, hp)
        return programs.program(problem, opt.step, info, scheduled, hp)


_BUILDING = threading.Lock()
"""One build at a time: a classroom's first runs arrive together, and each would otherwise
trace the same rule (lru_cache does not hold back concurrent misses)."""


@functools.lru_cache(maxsize=256)
def _traced_cached(
    problem: Problem,
    opt: Optimizer,
    info: tuple[str, ...],
    scheduled: bool,
    hp: tuple[tuple[str, Any], ...],
) -> vm.Compiled | None:
    """Cached: a repeated run (same problem, rule and values) traces nothing."""
    return _build(problem, opt, info, scheduled, dict(hp), 0, np.zeros((1, problem.dim)))


def _build(
    problem: Problem,
    opt: Optimizer,
    info: tuple[str, ...],
    scheduled: bool,
    params: Mapping[str, Any],
    steps: int,
    starts: np.ndarray,
) -> vm.Compiled | None:
    """An elementwise rule traced per coordinate, then the surface's lines; a scheduled rate
    whose lr varies makes the rate register per column, and ``steps`` bounds the table of
    powers (0: no numbers vary, no table). The state's fields are the rule's at ``starts``."""
    assert opt.init is not None and opt.step is not None
    lines, surface_constants = surface_part(problem)
    state = opt.init(starts, params)
    n_state = len(state)
    hp = {name: _columns(value) for name, value in params.items()}
    try:
        trace = trace_rule(opt.step, hp, type(state), n_state, info, scheduled)
    except (Untraceable, TypeError, AttributeError, KeyError, ValueError):
        return None  # ValueError: the rule branches on a swept column
    build = Builder(surface_constants)  # so the surface's lines keep their constant names
    infos = [build.rule(trace, c, n_state) for c in range(problem.dim)]
    build.lines += lines
    if not vm.exact_on_floats(tuple(build.lines), tuple(build.constants)):
        return None
    levels = _tabled(build, steps) if steps else ()
    constants = tuple(build.constants)
    varying = {f"c{k}" for k, c in enumerate(constants) if isinstance(c, np.ndarray)}
    if scheduled and _varies(params.get("lr")):
        varying.add("lr")
    recorded = tuple(infos[c][k] for k in range(len(info)) for c in range(problem.dim))
    program = vm.assemble(
        _carry(problem.dim, n_state), scheduled, len(constants), tuple(build.lines), recorded,
        frozenset(varying),
    )  # fmt: skip
    if program is None:
        return None
    evaluations = (1, int(opt.uses_gradient), 0)
    return vm.Compiled(program, constants, evaluations, FIRST_TRACED_STEP, n_state, levels)


MAX_TABLE = 1 << 20
"""Entries of a batch's table of powers (8 MB); past it, each column computes its own."""


def _tabled(build: Builder, steps: int) -> tuple[np.ndarray, ...]:
    """Rewrite ``c ** t`` for a number c the columns vary (Adam's ``beta1 ** t`` in a sweep of
    beta1) into a read of a table holding each distinct value's powers (:func:`_table`), as
    numpy's batch path computes them (``levels ** t``): a few hundred values' powers, not one
    power per column and step. Returns each tabled number's distinct values; each gets a
    number per column: its values' first column in the table, plus its own value's index."""
    tabled: dict[str, int] = {}
    levels: list[np.ndarray] = []
    width = 0
    for k, line in enumerate(build.lines):
        target, fn, args = line
        if fn != "**" or args[1] != "t" or not args[0].startswith("c"):
            continue
        value = build.constants[int(args[0][1:])]
        if not isinstance(value, np.ndarray):
            continue
        if args[0] not in tabled:
            bits, inverse = np.unique(
                np.ascontiguousarray(value).view(np.int64), return_inverse=True
            )
            if (width + len(bits)) * (steps + 1) > MAX_TABLE:
                continue
            levels.append(bits.view(np.float64))
            build.constants.append((width + inverse.reshape(-1)).astype(float))
            tabled[args[0]] = len(build.constants) - 1
            width += len(bits)
        build.lines[k] = (target, vm_loop.TABLE, (f"c{tabled[args[0]]}",))
    return tuple(levels)


def _table(levels: tuple[np.ndarray, ...], t0: int, T: int) -> np.ndarray | None:
    """``table[t, column]``: each tabled value to the power t, for the steps t0 + 1 .. T."""
    if not levels:
        return None
    values = np.concatenate(levels)
    table = np.zeros((T + 1, len(values)))
    for t in range(t0 + 1, T + 1):
        table[t] = values**t
    return table


def _columns(value: Any) -> Any:
    """A sweep's (B, 1) column as a 1-D array (what the tracer folds per column)."""
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value, dtype=float).reshape(-1)
    if isinstance(value, tuple):
        return tuple(_columns(v) for v in value)
    return value


def _varies(value: Any) -> bool:
    """A hyperparameter a sweep varies: a column of values, or a pair holding one."""
    if isinstance(value, tuple):
        return any(_varies(v) for v in value)
    return isinstance(value, np.ndarray)


def finish(
    cp: vm.Compiled,
    stepper: Any,
    book: Book,
    head: Chunk,
    pool: Executor | None = None,
    helpers: int = 0,
) -> Chunk:
    """Run the rows still active in ``book`` from ``stepper`` (a :class:`~.loop._Stepper`
    that has taken the first steps, checked in the chunk ``head``) to their ends, in blocks
    taken in turn by this thread and up to ``helpers`` tasks of ``pool``. Returns the last
    chunk, of one point: each row's final values, as :func:`~.loop.final` returns them."""
    fn = vm.load()
    assert fn is not None  # loop.path chose the columns once the loop was loaded
    spec = stepper.spec
    B = spec.starts.shape[0]
    T, t0 = spec.stop.max_steps, stepper.t
    rows = np.flatnonzero(book.active)
    regs = registers(cp, stepper, rows)
    regs[-1] = book.prev_loss[rows]
    lrs = _rates_of(stepper.lrs, rows)
    keys = draws.row_keys(spec.seed, B)[rows].astype(np.uint64)
    stop = (float(spec.stop.bound), *tolerances(spec), NORMS.index(spec.stop.grad_norm))
    table = _table(cp.levels, t0, T)
    steps = np.empty(len(rows), dtype=np.int64)
    codes = np.empty(len(rows), dtype=np.int64)
    blocks = iter(range(0, len(rows), BLOCK))
    taking = threading.Lock()

    def take_blocks() -> None:
        while True:
            with taking:
                lo = next(blocks, None)
            if lo is None:
                return
            hi = min(lo + BLOCK, len(rows))
            block = np.ascontiguousarray(regs[:, lo:hi])
            rates = _rates_of(lrs, slice(lo, hi))
            _, ids, ended, why, _ = vm.call(
                fn, cp.program, block, T - t0, t0, rates, keys[lo:hi], None, stop, table
            )
            regs[:, lo + ids] = block
            steps[lo:hi], codes[lo:hi] = ended, why

    helpers = min(helpers, -(-len(rows) // BLOCK) - 1)
    jobs = [pool.submit(take_blocks) for _ in range(helpers)] if pool is not None else []
    take_blocks()
    for job in jobs:
        if not job.cancel():  # a helper that started finishes its block
            job.result()
    return _last_chunk(stepper, cp, book, head, rows, regs, steps, codes)


def _rates_of(lrs: np.ndarray | None, columns: Any) -> np.ndarray | None:
    """The scheduled rates of these columns (an index or a slice): (steps, 1) when every
    column has the same, (steps, columns) when a sweep varies lr; None without a schedule."""
    if lrs is None:
        return None
    lrs = np.reshape(lrs, (len(lrs), -1))
    return lrs if lrs.shape[1] == 1 else lrs[:, columns]


def registers(cp: vm.Compiled, stepper: Any, rows: np.ndarray) -> np.ndarray:
    """(registers, rows) of a :class:`~.loop._Stepper`'s rows as numpy left them: the carry
    (t, x, f, g, state), the numbers; the previous loss (the last register) is NaN."""
    p, (B, D) = cp.program, stepper.spec.starts.shape
    regs = np.zeros((p.n_regs, len(rows)))
    x, g = np.asarray(stepper.x)[rows], np.asarray(stepper.g)[rows]
    state = [np.broadcast_to(np.asarray(a, dtype=float), (B, D))[rows] for a in stepper.state]
    carry = [
        np.full(len(rows), float(stepper.t)),
        *(x[:, c] for c in range(D)),
        np.asarray(stepper.f)[rows],
        *(g[:, c] for c in range(D)),
        *(state[j][:, c] for c in range(D) for j in range(cp.n_state)),
    ]
    regs[: len(carry)] = carry
    for k, c in enumerate(cp.constants):
        column = np.reshape(np.asarray(c, dtype=float), -1)
        regs[p.first_constant + k] = column[rows] if column.size > 1 else column[0]
    regs[-1] = np.nan
    return regs


def record(
    cp: vm.Compiled, regs: np.ndarray, n: int, t: int, lrs: Any, keys: np.ndarray
) -> np.ndarray:
    """``n`` steps of every column of ``regs`` from step count ``t``, block by block, in place;
    (n, columns, recorded): what each step recorded (x, f, g, the info values)."""
    fn = vm.load()
    assert fn is not None  # loop.path chose the loop once it was loaded
    K = regs.shape[1]
    out = np.empty((n, K, len(cp.program.recorded)))
    table = _table(cp.levels, t, t + n)
    # a single trajectory runs a candidate loop's passes side by side, as lanes
    lanes = vm.lanes(cp.program, regs) if K == 1 else 0
    for lo in range(0, K, BLOCK):
        hi = min(lo + BLOCK, K)
        block = np.repeat(regs[:, lo:hi], max(lanes, 1), axis=1)
        part = np.empty((n, hi - lo, out.shape[2]))
        rates = _rates_of(lrs, slice(lo, hi))
        vm.call(fn, cp.program, block, n, t, rates, keys[lo:hi], part, None, table, lanes)
        regs[:, lo:hi] = block[:, : hi - lo]
        out[:, lo:hi] = part
    return out


def _last_chunk(
    stepper: Any,
    cp: vm.Compiled,
    book: Book,
    head: Chunk,
    rows: np.ndarray,
    regs: np.ndarray,
    steps: np.ndarray,
    codes: np.ndarray,
) -> Chunk:
    """The columns' results written into the book, as one chunk of each row's final point."""
    spec = stepper.spec
    D = spec.starts.shape[1]
    path, loss, grad_norm = (a[:, -1].copy() for a in (head.path, head.loss, head.grad_norm))
    path[rows] = regs[1 : 1 + D].T
    loss[rows] = regs[1 + D]
    with np.errstate(all="ignore"):
        grad_norm[rows] = _norm(regs[2 + D : 2 + 2 * D].T, spec.stop.grad_norm)
    taken = steps - book.nit[rows]
    nfev, ngev, nhev = cp.evaluations
    book.nfev[rows] += taken * nfev
    book.ngev[rows] += taken * ngev
    book.nhev[rows] += taken * nhev
    book.nit[rows] = steps
    for j in np.flatnonzero(codes).tolist():
        b = int(rows[j])
        diverged = bool(codes[j] == vm_loop.DIVERGED)
        book.close(b, int(steps[j]), diverged, path[b], loss[b], grad_norm[b])
    start = int(book.nit.max())
    return book.chunk(
        start,
        path=path[:, None],
        loss=loss[:, None],
        grad_norm=grad_norm[:, None],
        lr=_rates(spec, stepper.lrs, book.nit),
        count=(book.nit == start).astype(int),
        done=True,
    )


def _rates(spec: RunSpec, lrs: np.ndarray | None, steps: np.ndarray) -> np.ndarray | None:
    """(B, 1): the rate each row's last step used (NaN for a row that took none), from the
    schedule's rates ``lrs`` (None: no schedule)."""
    if not spec.optimizer.uses_lr:
        return None
    B = len(steps)
    if lrs is None:
        rate = np.broadcast_to(np.reshape(spec.params["lr"], (-1,)), (B,)).astype(float)
    else:
        lrs = np.reshape(lrs, (len(lrs), -1))
        rate = lrs[np.maximum(steps - 1, 0), np.arange(B) if lrs.shape[1] > 1 else 0]
    return np.where(steps > 0, rate, np.nan)[:, None]
