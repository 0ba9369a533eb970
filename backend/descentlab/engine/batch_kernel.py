"""A sweep's final values with each column's trajectory compiled to machine code (numba).

numpy runs a sweep step by step across its columns, one pass over memory per operation of the
rule and the surface: ~40 passes a step for Adam on Rosenbrock. Here the same lines the float
kernel strings together (:mod:`.kernel`: the traced rule per coordinate, then the surface's float
program) become the body of a loop over steps *per column*, compiled by numba, with the stopping
rules checked at every point as :class:`~.record.Book` checks them. Columns are independent, so
they are split across cores (the compiled code releases the GIL), and several columns are
interleaved in one loop ("lanes") so that their dependency chains overlap.

The results agree with numpy's batch path to a stated tolerance (relative 1e-12 per step on a
smooth surface), not to the bit: the same operations in the same order and IEEE arithmetic, but
the compiled code calls the C library's exp, log, pow, ... where numpy may use its own SIMD code
(on CPUs with AVX-512, say), and the two differ in the last bit now and then (:mod:`.native`).
Hyperparameters a sweep varies are traced as columns: arithmetic on them alone folds per column
with numpy, as the batch path computes it. ``beta ** t`` on a column is read from a table of
each distinct value's powers, computed as :class:`~..optimizers.base.ArrayOps` computes them.

Which path serves a sweep is decided here alone (:func:`column_kernel`), from its structure
(rule, flags, surface, stopping norm) and its size, never from timing: a process answers the
same request the same way every time. Compiling takes a second or two, once per structure and
process, and the structure's first big sweep waits for it, in the thread that runs the sweep
(a server's pool, never its event loop). A structure whose compile fails stays on numpy. Safety
is :mod:`.kernel`'s: our own syntax tree, every number an argument.
"""

from __future__ import annotations

import ast
import concurrent.futures
import logging
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import native
from .kernel import INLINE, INLINE_NAMES, Builder, Line, define, expression, surface_part
from .record import Book, Chunk
from .spec import RunSpec
from .trace import FIRST_TRACED_STEP, Untraceable, trace_rule

_log = logging.getLogger(__name__)

MIN_WORK = 500_000
"""Columns x steps below which numpy is quick enough that compiling is not worth it."""
LANES = 2  # columns interleaved in one loop: their dependency chains overlap (4 gains nothing)
_CODE_DIVERGED, _CODE_CONVERGED = 1, 2


@dataclass(frozen=True)
class ColumnKernel:
    """A compiled sweep structure and this spec's numbers for it."""

    fn: Callable[..., Any]
    constants: list[Any]  # floats, ints, or (B,) columns
    tabled: tuple[int, ...]  # constants whose powers beta ** t are read from a table
    dim: int
    n_state: int


def column_kernel(spec: RunSpec) -> ColumnKernel | None:
    """The compiled kernel that serves ``spec`` (compiled now if its structure is new), or None:
    numpy serves it (too small, not compilable, no numba, or its structure failed to compile)."""
    if not compiles(spec):
        return None
    built = _build(spec)
    if built is None:
        return None
    plan, constants, tabled = built
    fn = _compiled(plan)
    if fn is None:
        return None
    return ColumnKernel(fn, constants, tabled, spec.problem.dim, plan.n_state)


def compiles(spec: RunSpec) -> bool:
    """Whether :func:`~.loop.final` runs ``spec``'s columns compiled (if its structure compiles:
    a failed compile leaves it on numpy): what a caller sizing its work by the path reads."""
    opt, problem = spec.optimizer, spec.problem
    return native.numba() is not None and (
        opt.elementwise
        and opt.step is not None
        and not spec.stochastic.active
        and problem.data is None
        and spec.starts.shape[0] * spec.stop.max_steps >= MIN_WORK
        and spec.stop.max_steps >= FIRST_TRACED_STEP
    )


@dataclass(frozen=True)
class _Plan:
    """What the compiled code depends on (the numbers are arguments)."""

    dim: int
    n_state: int
    n_constants: int
    scheduled: bool
    lines: tuple[Line, ...]
    tabled: tuple[int, ...]
    varying: tuple[bool, ...]  # which constants differ between columns
    lr_varies: bool  # a scheduled rate per column (the sweep varies lr)
    norm: str
    lanes: int


def _build(spec: RunSpec) -> tuple[_Plan, list[Any], tuple[int, ...]] | None:
    opt, problem = spec.optimizer, spec.problem
    assert opt.init is not None and opt.step is not None
    lines, surface_constants = surface_part(problem)
    state = opt.init(np.asarray(spec.starts[:1], dtype=float), spec.params)
    state_type, n_state = type(state), len(state)
    scheduled = spec.schedule is not None
    hp = {name: _columns(value) for name, value in spec.params.items()}
    try:
        trace = trace_rule(opt.step, hp, state_type, n_state, (), scheduled)
    except (Untraceable, TypeError, AttributeError, KeyError, ValueError):
        return None  # ValueError: the rule branches on a swept column
    build = Builder(surface_constants)
    for c in range(problem.dim):
        build.rule(trace, c, n_state)
    build.lines += lines
    if not _compilable(build.lines):
        return None
    tabled = tuple(
        sorted(
            {
                int(args[0][1:])
                for _, fn, args in build.lines
                if fn == "**" and args[1] == "t" and args[0].startswith("c")
            }
        )
    )
    plan = _Plan(
        problem.dim,
        n_state,
        len(build.constants),
        scheduled,
        tuple(build.lines),
        tabled,
        tuple(isinstance(c, np.ndarray) for c in build.constants),
        isinstance(spec.params.get("lr"), np.ndarray),
        spec.stop.grad_norm,
        LANES,
    )
    return plan, build.constants, tabled


def _columns(value: Any) -> Any:
    """A sweep's (B, 1) column as a 1-D array (what the tracer folds per column)."""
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value, dtype=float).reshape(-1)
    if isinstance(value, tuple):
        return tuple(_columns(v) for v in value)
    return value


def _compilable(lines: list[Line]) -> bool:
    """Every function the lines call is written inline or has a compiled counterpart."""
    return all(
        fn is None or isinstance(fn, str) or fn in INLINE or native.native_function(fn) is not None
        for _, fn, _ in lines
    )


_KERNELS: dict[_Plan, concurrent.futures.Future[Callable[..., Any] | None]] = {}
_KERNELS_LOCK = threading.Lock()


def _compiled(plan: _Plan) -> Callable[..., Any] | None:
    """The plan's compiled function: its first caller compiles it, and callers meanwhile wait
    for that compile. None, for good, if it failed: numpy serves the plan, once warned."""
    with _KERNELS_LOCK:
        future = _KERNELS.get(plan)
        first = future is None
        if future is None:
            future = _KERNELS[plan] = concurrent.futures.Future()
    if first:
        fn = None
        try:
            fn = _warm(native.jit(_python_function(plan)))
        except Exception:
            _log.warning("could not compile a sweep kernel; numpy serves it", exc_info=True)
        finally:
            future.set_result(fn)  # whatever happened, no caller waits for ever
    return future.result()


def _warm(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile for the argument types every call uses (an empty range of columns)."""
    floats2, ints1 = np.zeros((1, 1)), np.zeros(1, dtype=np.int64)
    fn(ints1, 0, 0, 0, 0, floats2, floats2, np.zeros((1, 1, 1)), np.zeros((1, 1), dtype=np.int64),
       floats2, 0.0, 0.0, 0.0, floats2, ints1, ints1)  # fmt: skip
    return fn


def _python_function(plan: _Plan) -> Callable[..., Any]:
    """The plan as a Python function for numba: ``kernel(rows, lo, hi, n, t0, C, V, PT, PU,
    LR, bound, grad_tol, loss_tol, OUT, STEPS, CODE)`` runs columns
    ``rows[lo:hi]`` from the carry ``V`` (t0 steps taken) for at most ``n`` more steps, and
    writes each one's last point, loss, gradient and its norm to ``OUT``, the index of that
    point to ``STEPS`` and why it stopped to ``CODE`` (0: max_steps, 1: diverged,
    2: converged). A check that is off has a NaN tolerance (a comparison with NaN is False)."""
    D, L = plan.dim, plan.lanes
    functions: dict[Any, str] = {}
    natives: dict[str, Any] = {}

    def name(n: str) -> ast.Name:
        return ast.Name(n, ast.Load())

    def assign(target: str, value: ast.expr) -> ast.Assign:
        return ast.Assign([ast.Name(target, ast.Store())], value)

    def item(array: str, *index: ast.expr, store: bool = False) -> ast.Subscript:
        where = ast.Tuple(list(index), ast.Load())
        return ast.Subscript(name(array), where, ast.Store() if store else ast.Load())

    def number(v: int) -> ast.Constant:
        return ast.Constant(v)

    def call(fn: str, *args: ast.expr) -> ast.Call:
        return ast.Call(name(fn), list(args), [])

    def lane(n: str, l: int) -> str:
        return n if n in shared else f"{n}_{l}"

    def line(target: str, fn: Any, args: tuple[str, ...], l: int) -> ast.stmt:
        if fn == "**":
            if args[1] == "t" and args[0].startswith("c") and int(args[0][1:]) in plan.tabled:
                j = plan.tabled.index(int(args[0][1:]))
                level = name(f"u{j}_{l}") if args[0] not in shared else number(0)
                return assign(lane(target, l), item("PT", number(j), name("t"), level))
            # numba raises a float to an int power by multiplying; numpy calls pow()
            base: ast.expr = name(lane(args[0], l))
            power: ast.expr = name(lane(args[1], l))
            if args[1] == "t":
                power = call("float", power)
            return assign(lane(target, l), call("_pow", base, power))
        if fn is not None and not isinstance(fn, str) and fn not in INLINE:
            compiled = native.native_function(fn)
            if compiled is native.NATIVE["pow"] and args[1] in fixed:
                compiled = native.POW_SCALAR  # numpy's shortcuts for one exponent
            fn = compiled
            natives[functions.setdefault(fn, f"_f{len(functions)}")] = fn
        return assign(lane(target, l), expression(fn, tuple(lane(a, l) for a in args), functions))

    # What does not depend on the point (numpy computes it as a scalar, not an array)
    fixed = {f"c{k}" for k in range(plan.n_constants)}
    for target, _, args in plan.lines:
        if args and all(a in fixed for a in args):
            fixed.add(target)

    # What is the same in every column (numbers the sweep holds fixed, t, an unswept rate) is
    # shared by the lanes, and a line of such alone is computed once per step for every
    # column before the columns run ("hoisted": Adam's sqrt(1 - beta2^t), say).
    shared = {f"c{k}" for k, varies in enumerate(plan.varying) if not varies} | {"t"}
    if plan.scheduled and not plan.lr_varies:
        shared.add("lr")
    hoisted: list[Line] = []
    for target, fn, args in plan.lines:
        temporary = target[0] in "reo"  # never a carried value (x, f, g, the state)
        if temporary and args and all(a in shared for a in args):
            shared.add(target)
            hoisted.append((target, fn, args))
    hoisted_names = {target for target, _, _ in hoisted}
    wanted = sorted(
        {a for target, _, args in plan.lines if target not in hoisted_names for a in args}
        & hoisted_names
    )

    carry = [
        *(f"x{c}" for c in range(D)),
        "f",
        *(f"g{c}" for c in range(D)),
        *(f"s{j}_{c}" for c in range(D) for j in range(plan.n_state)),
        "prev",
    ]
    out = [*(f"x{c}" for c in range(D)), "f", *(f"g{c}" for c in range(D)), "gn"]

    def norm(l: int) -> ast.expr:
        g = [name(f"g{c}_{l}") for c in range(D)]
        if plan.norm == "l2":  # as record._norm: squares summed in order, then the root
            terms: list[ast.expr] = [ast.BinOp(a, ast.Mult(), a) for a in g]
        else:
            terms = [call("abs", a) for a in g]
        total = terms[0]
        for term in terms[1:]:
            total = (
                call("_maximum", total, term)
                if plan.norm == "inf"
                else ast.BinOp(total, ast.Add(), term)
            )
        return call("_sqrt", total) if plan.norm == "l2" else total

    def finish(l: int, code: int) -> list[ast.stmt]:
        b = name(f"b_{l}")
        values = [name(f"{v}_{l}") for v in out[:-1]] + [norm(l)]
        stores: list[ast.stmt] = [
            ast.Assign([item("OUT", number(k), b, store=True)], value)
            for k, value in enumerate(values)
        ]
        stores.append(ast.Assign([item("STEPS", b, store=True)], name("t")))
        stores.append(ast.Assign([item("CODE", b, store=True)], number(code)))
        return stores

    column: list[ast.stmt] = []
    for l in range(L):  # lanes past the end repeat the last column: same values, same writes
        last = ast.BinOp(name("hi"), ast.Sub(), number(1))
        index = ast.BinOp(name("i"), ast.Add(), number(l))
        column.append(assign(f"b_{l}", item("rows", call("min", index, last))))
        b = name(f"b_{l}")
        column += [
            assign(f"c{k}_{l}", item("C", number(k), b))
            for k in range(plan.n_constants)
            if plan.varying[k]
        ]
        column += [
            assign(f"u{j}_{l}", item("PU", number(j), b))
            for j, k in enumerate(plan.tabled)
            if plan.varying[k]
        ]
        column += [assign(f"{v}_{l}", item("V", number(k), b)) for k, v in enumerate(carry)]
        column.append(assign(f"alive_{l}", ast.Constant(True)))
    column.append(assign("t", name("t0")))

    step: list[ast.stmt] = []
    if plan.scheduled and plan.lr_varies:
        for l in range(L):
            step.append(assign(f"lr_{l}", item("LR", name("t"), name(f"b_{l}"))))
    elif plan.scheduled:
        step.append(assign("lr", item("LR", name("t"), number(0))))
    step.append(assign("t", ast.BinOp(name("t"), ast.Add(), number(1))))
    step += [assign(h, item("H", number(k), name("t"))) for k, h in enumerate(wanted)]
    for target, fn, args in plan.lines:  # line by line across lanes: independent neighbours
        if target not in hoisted_names:
            step += [line(target, fn, args, l) for l in range(L)]
    for l in range(L):
        inside = ast.BoolOp(
            ast.And(),
            [
                call("_isfinite", name(f"f_{l}")),
                *(
                    ast.Compare(call("abs", name(f"x{c}_{l}")), [ast.LtE()], [name("bound")])
                    for c in range(D)
                ),
            ],
        )
        change = call("abs", ast.BinOp(name(f"f_{l}"), ast.Sub(), name(f"prev_{l}")))
        converged = ast.BoolOp(
            ast.Or(),
            [
                # the norm's root only when a tolerance asks for it: the divider is busy
                ast.BoolOp(
                    ast.And(),
                    [
                        name("check_grad"),
                        ast.Compare(norm(l), [ast.LtE()], [name("grad_tol")]),
                    ],
                ),
                ast.Compare(change, [ast.LtE()], [name("loss_tol")]),
            ],
        )
        stop = assign(f"alive_{l}", ast.Constant(False))
        check = ast.If(
            ast.UnaryOp(ast.Not(), inside),
            [stop, *finish(l, _CODE_DIVERGED)],
            [
                ast.If(
                    converged,
                    [stop, *finish(l, _CODE_CONVERGED)],
                    [assign(f"prev_{l}", name(f"f_{l}"))],
                )
            ],
        )
        step.append(ast.If(name(f"alive_{l}"), [check], []))
    anyone = ast.BoolOp(ast.Or(), [name(f"alive_{l}") for l in range(L)]) if L > 1 else None
    step.append(ast.If(ast.UnaryOp(ast.Not(), anyone or name("alive_0")), [ast.Break()], []))
    column.append(ast.For(ast.Name("_", ast.Store()), call("range", name("n")), step, []))
    for l in range(L):
        column.append(ast.If(name(f"alive_{l}"), finish(l, 0), []))

    lanes = call("range", name("lo"), name("hi"), number(L))
    check_grad = ast.Compare(name("grad_tol"), [ast.Eq()], [name("grad_tol")])  # not NaN
    body: list[ast.stmt] = [assign("check_grad", check_grad)]
    body += [
        assign(f"c{k}", item("C", number(k), number(0)))
        for k in range(plan.n_constants)
        if not plan.varying[k]
    ]
    # the hoisted lines, for every step this call takes: H[k, t]
    end = ast.BinOp(ast.BinOp(name("t0"), ast.Add(), name("n")), ast.Add(), number(1))
    body.append(
        assign("H", call("_empty", ast.Tuple([number(max(1, len(wanted))), end], ast.Load())))
    )
    prologue: list[ast.stmt] = []
    if plan.scheduled and not plan.lr_varies:  # the rate step t used
        before = ast.BinOp(name("t"), ast.Sub(), number(1))
        prologue.append(assign("lr", item("LR", before, number(0))))
    prologue += [line(target, fn, args, 0) for target, fn, args in hoisted]
    prologue += [
        ast.Assign([item("H", number(k), name("t"), store=True)], name(h))
        for k, h in enumerate(wanted)
    ]
    if hoisted:
        first = ast.BinOp(name("t0"), ast.Add(), number(1))
        body.append(ast.For(ast.Name("t", ast.Store()), call("range", first, end), prologue, []))
    body.append(ast.For(ast.Name("i", ast.Store()), lanes, column, []))
    arguments = "rows lo hi n t0 C V PT PU LR bound grad_tol loss_tol OUT STEPS CODE"
    namespace: dict[str, Any] = {
        "range": range,
        "min": min,
        "abs": abs,
        "float": float,
        "_isfinite": math.isfinite,
        "_empty": np.empty,
        "_pow": native.compiled_native(native.NATIVE["pow"]),
        "_maximum": native.compiled_native(native.NATIVE["max"]),
        **INLINE_NAMES,
    }
    namespace.update((label, native.compiled_native(fn)) for label, fn in natives.items())
    return define("columns", arguments.split(), body, namespace)


THREADS = os.cpu_count() or 1
_RUNNERS = concurrent.futures.ThreadPoolExecutor(THREADS, thread_name_prefix="descentlab-columns")
COLUMNS_PER_SLICE = 512  # a few ms of work: small enough to balance, big enough to not matter


def finish(kernel: ColumnKernel, stepper: Any, book: Book, head: Chunk) -> Chunk:
    """Run the rows still active in ``book`` from ``stepper`` (a :class:`~.loop._Stepper`
    that has taken the first steps, checked in the chunk ``head``) to their ends. Returns the
    last chunk, of one point: each row's final values, as :func:`~.loop.final` returns them."""
    spec = stepper.spec
    B, D = spec.starts.shape
    T, t0 = spec.stop.max_steps, stepper.t
    rows = np.flatnonzero(book.active).astype(np.int64)
    constants = np.array(
        [np.broadcast_to(np.asarray(c, dtype=float).reshape(-1), (B,)) for c in kernel.constants]
    ).reshape(-1, B)
    tables, where = _power_tables(kernel, t0, T, B)
    x, g = np.asarray(stepper.x), np.asarray(stepper.g)
    state = [np.broadcast_to(np.asarray(a, dtype=float), (B, D)) for a in stepper.state]
    carry = np.array(
        [
            *(x[:, c] for c in range(D)),
            stepper.f,
            *(g[:, c] for c in range(D)),
            *(state[j][:, c] for c in range(D) for j in range(kernel.n_state)),
            book.prev_loss,
        ]
    )
    if stepper.lrs is None:
        lrs = np.zeros((1, 1))
    else:  # (T, 1), or (T, B) when the sweep varies lr
        lrs = np.ascontiguousarray(np.reshape(stepper.lrs, (len(stepper.lrs), -1)))
    stop, opt = spec.stop, spec.optimizer
    grad_tol = stop.grad_tol if stop.grad_tol is not None and opt.uses_gradient else math.nan
    loss_tol = (
        stop.loss_tol if stop.loss_tol is not None and opt.family != "zeroth-order" else math.nan
    )
    out = np.empty((2 * D + 2, B))
    steps = np.zeros(B, dtype=np.int64)
    code = np.zeros(B, dtype=np.int64)
    args = (T - t0, t0, constants, carry, tables, where, lrs, float(stop.bound),
            float(grad_tol), float(loss_tol), out, steps, code)  # fmt: skip
    # Slices taken in turn by this thread and up to THREADS - 1 helpers: a thread the machine
    # holds back takes fewer slices instead of holding up the whole sweep.
    starts = iter(range(0, len(rows), COLUMNS_PER_SLICE))
    taking = threading.Lock()

    def take_slices() -> None:
        while True:
            with taking:
                lo = next(starts, None)
            if lo is None:
                return
            kernel.fn(rows, lo, min(lo + COLUMNS_PER_SLICE, len(rows)), *args)

    helpers = min(THREADS, -(-len(rows) // COLUMNS_PER_SLICE)) - 1
    jobs = [_RUNNERS.submit(take_slices) for _ in range(helpers)]
    take_slices()
    for job in jobs:
        job.result()
    return _last_chunk(spec, book, head, rows, out, steps, code)


def _power_tables(kernel: ColumnKernel, t0: int, T: int, B: int) -> tuple[np.ndarray, np.ndarray]:
    """``PT[j, t, u]``: the u-th distinct value of tabled constant j to the power t, for the
    steps t0+1 .. T, computed as the batch path computes it (ArrayOps.power: ``levels ** t`` on
    a column, Python's ``**`` on a number); ``PU[j, b]``: which value column b has."""
    levels: list[Any] = []
    where: list[np.ndarray] = []
    for k in kernel.tabled:
        c = kernel.constants[k]
        if isinstance(c, np.ndarray):
            bits, inverse = np.unique(np.ascontiguousarray(c).view(np.int64), return_inverse=True)
            levels.append(bits.view(np.float64))
            where.append(inverse.reshape(-1))
        else:
            levels.append([c])
            where.append(np.zeros(B, dtype=np.int64))
    U = max((len(v) for v in levels), default=1)
    tables = np.zeros((len(levels), T + 1, U))
    for j, values in enumerate(levels):
        for t in range(t0 + 1, T + 1):
            if isinstance(values, np.ndarray):
                tables[j, t, : len(values)] = values**t
            else:
                tables[j, t, 0] = values[0] ** t
    return tables, np.array(where, dtype=np.int64).reshape(len(levels), B)


def _last_chunk(
    spec: RunSpec,
    book: Book,
    head: Chunk,
    rows: np.ndarray,
    out: np.ndarray,
    steps: np.ndarray,
    code: np.ndarray,
) -> Chunk:
    """The kernel's results written into the book, as one chunk of each row's final point."""
    D = spec.starts.shape[1]
    path, loss, grad_norm = (
        head.path[:, -1].copy(),
        head.loss[:, -1].copy(),
        head.grad_norm[:, -1].copy(),
    )
    path[rows] = out[:D, rows].T
    loss[rows] = out[D, rows]
    grad_norm[rows] = out[2 * D + 1, rows]
    taken = steps[rows] - book.steps[rows]  # the kernel's steps, each one f and g
    book.nfev[rows] += taken
    book.ngev[rows] += taken * spec.optimizer.uses_gradient
    book.steps[rows] = steps[rows]
    for b in rows[code[rows] != 0].tolist():
        book.close(
            b, int(steps[b]), bool(code[b] == _CODE_DIVERGED), path[b], loss[b], grad_norm[b]
        )
    start = int(book.steps.max())
    return book.chunk(
        start,
        path=path[:, None],
        loss=loss[:, None],
        grad_norm=grad_norm[:, None],
        lr=_rates(spec, book.steps),
        count=(book.steps == start).astype(int),
        done=True,
    )


def _rates(spec: RunSpec, steps: np.ndarray) -> np.ndarray | None:
    """(B, 1): the rate each row's last step used (NaN for a row that took none)."""
    if not spec.optimizer.uses_lr:
        return None
    B = len(steps)
    if spec.schedule is None:
        rate = np.broadcast_to(np.reshape(spec.params["lr"], (-1,)), (B,)).astype(float)
    else:
        lrs = np.reshape(
            spec.schedule.rates(spec.params["lr"], spec.stop.max_steps), (spec.stop.max_steps, -1)
        )
        rate = lrs[np.maximum(steps - 1, 0), np.arange(B) if lrs.shape[1] > 1 else 0]
    return np.where(steps > 0, rate, np.nan)[:, None]
