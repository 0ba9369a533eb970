"""Running an optimiser on a problem: one code path for a single run, a batch and a stream.

:func:`iterate` is the engine: it yields :class:`Chunk` s of consecutive points for every row of
the batch (B starts x settings), and :func:`run` just collects them into a :class:`Trajectory`.
The WebSocket streams the same chunks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ..optimizers import draws
from ..optimizers.base import Oracle, StepContext
from . import columns, vm
from .record import Chunk, Chunker, Trajectory
from .spec import RunSpec, prepare, row_params
from .trace import FIRST_TRACED_STEP


class GradientNoise:
    """Which samples step t uses, and the simulated noise it adds: both from (seed, t), so
    the optimiser-state view (:mod:`descentlab.rulestate`) replays the steps a run took."""

    def __init__(self, spec: RunSpec) -> None:
        self.sgd = spec.stochastic
        self.seed = spec.seed
        self.n = spec.problem.n_data
        self.epoch_size = spec.epoch_size or 1
        self._epoch = -1
        self._order: np.ndarray = np.arange(self.n)

    def batch(self, t: int) -> np.ndarray | None:
        M = self.sgd.batch_size
        if M is None:
            return None
        if self.sgd.sampling == "replacement":
            drawn = np.random.default_rng([self.seed, 0x5A3B1E, t]).integers(0, self.n, M)
            return np.sort(drawn)
        epoch, k = divmod(t, self.epoch_size)
        if epoch != self._epoch:
            self._epoch = epoch
            self._order = np.random.default_rng([self.seed, 0x5F1E, epoch]).permutation(self.n)
        # Sorted, so that M = n sums in the data's own order and equals gradient descent.
        return np.sort(self._order[k * M : (k + 1) * M])

    def perturb(self, g: np.ndarray, t: int) -> np.ndarray:
        if not self.sgd.noise:
            return g
        rng = np.random.default_rng([self.seed, 0x0015E, t])
        return g + self.sgd.noise * rng.standard_normal(g.shape)


def run(*args: Any, chunk: int | None = None, **kwargs: Any) -> Trajectory:
    """Run one optimiser on one problem; arguments as :func:`prepare`. Collects :func:`iterate`
    (a single trajectory in chunks of 1024 steps, where the per-chunk bookkeeping is a few
    percent of the steps; a batch in chunks of 256, which bounds its memory)."""
    spec = args[0] if args and isinstance(args[0], RunSpec) else prepare(*args, **kwargs)
    chunk = chunk or (1024 if spec.starts.shape[0] == 1 else 256)
    chunks = list(iterate(spec, chunk=chunk))
    last = chunks[-1]

    length = int(last.nit.max()) + 1  # rows are padded to the longest, not to the chunking

    def cat(name: str) -> Any:
        """The chunks' arrays of ``name`` end to end (None where a run keeps none)."""
        if getattr(last, name) is None:
            return None
        return np.concatenate([getattr(c, name) for c in chunks], axis=1)[:, :length]

    return Trajectory(
        surface=spec.problem.id,
        optimizer=spec.optimizer.id,
        params=spec.params,
        schedule=spec.schedule.describe() if spec.schedule else None,
        stop=spec.stop,
        seed=spec.seed,
        path=cat("path"),
        loss=cat("loss"),
        grad_norm=cat("grad_norm"),
        step_size=cat("step_size"),
        lr=cat("lr"),
        info={
            k: np.concatenate([c.info[k] for c in chunks], axis=1)[:, :length] for k in last.info
        },
        batch_loss=cat("batch_loss"),
        batches=(
            np.concatenate([c.batches for c in chunks])[:length]
            if last.batches is not None
            else None
        ),
        epoch_size=spec.epoch_size,
        nit=last.nit,
        status=last.status,
        message=last.message,
        nfev=last.nfev,
        ngev=last.ngev,
        nhev=last.nhev,
        problem=spec.problem,
    )


def final(
    *args: Any,
    chunk: int = 64,
    pool: Executor | None = None,
    helpers: int = 0,
    **kwargs: Any,
) -> Chunk:
    """Run to the end keeping only the last chunk, whose last column holds every row's final
    values (a row that stopped is padded with its last point): what a sweep reports, in
    memory bounded by one chunk instead of the whole (B, T, D) record. On numpy, or in machine
    code with the rows as columns (:mod:`.columns`, as :func:`path` decides; there up to
    ``helpers`` tasks of ``pool`` take blocks of columns beside the calling thread)."""
    spec = args[0] if args and isinstance(args[0], RunSpec) else prepare(*args, **kwargs)
    if path(spec) != "loop":  # each chunk is dropped as the next arrives
        return deque(iterate(spec, chunk=chunk, extras=False), maxlen=1).pop()
    # The first steps run here (rules may set their state on step 1), then the columns run
    # to their ends.
    stepper = _Stepper(spec, info=False)
    program = stepper.program
    assert program is not None  # path() chose the loop
    chunker = Chunker(spec, step_sizes=False)
    arrays = stepper.advance(FIRST_TRACED_STEP - 1, with_start=True)
    head = chunker(0, arrays, last=stepper.t >= spec.stop.max_steps)
    if head.done:
        return head
    return columns.finish(program, stepper, chunker.book, head, pool, helpers)


def compiles(spec: RunSpec) -> bool:
    """Whether :func:`final` runs ``spec`` in machine code: what a caller sizing its work by
    the path reads."""
    return path(spec) == "loop"


def iterate(
    spec: RunSpec, chunk: int = 256, first_chunk: int | None = None, extras: bool = True
) -> Iterator[Chunk]:
    """Yield the run in chunks of ``chunk`` steps (the first of ``first_chunk``, so a stream
    can show something at once). The first chunk also carries the start point. With
    ``extras=False`` neither the optimiser's per-step state nor the step sizes are recorded
    (``Chunk.info`` is empty, ``Chunk.step_size`` None): a consumer that shows neither (the
    WebSocket, a sweep) saves their arithmetic and their arrays."""
    if spec.optimizer.driver is not None:
        yield from _iterate_driver(spec, chunk, extras)
    else:
        yield from _iterate_steps(spec, chunk, first_chunk or chunk, extras)


class _Stepper:
    """The state of a stepwise run between chunks: advances it ``n`` steps at a time, on
    numpy arrays, or (as :func:`path` decides) in the machine-code loop after numpy's first
    step, the rows as columns (:mod:`.columns`).

    Floating-point warnings are silenced per call (not across the generator's ``yield``: the
    error state is a context variable, and a stream may resume in another thread).
    """

    def __init__(self, spec: RunSpec, info: bool = True) -> None:
        opt, problem = spec.optimizer, spec.problem
        assert opt.init is not None and opt.step is not None
        self.spec = spec
        self.info = opt.info if info else ()  # the per-step state recorded
        self.oracle = Oracle(problem)
        self.ctx = StepContext(self.oracle, spec.seed, problem.domain)
        hp = spec.params
        self.lrs = spec.schedule.rates(hp["lr"], spec.stop.max_steps) if spec.schedule else None
        self.noise = GradientNoise(spec)
        with np.errstate(all="ignore"):
            # Column-major: a coordinate's B values are contiguous, so a (B, 1) hyperparameter
            # of a sweep broadcasts along them ~7x faster than across rows of two numbers,
            # and the tape reads each coordinate without a stride.
            self.x = np.array(spec.starts, order="F")
            self.state = opt.init(self.x, hp)
            self.f, self.g = problem.value_and_grad(self.x)
        self.t = 0  # index of x
        self.program = columns.column_program(spec, self.info) if path(spec) == "loop" else None
        self.registers: np.ndarray | None = None  # the loop's, once it has taken over

    def advance(self, n: int, with_start: bool) -> dict[str, Any]:
        """Take ``n`` steps; arrays of the points reached (and of the start, if asked)."""
        spec, opt, problem, ctx = self.spec, self.spec.optimizer, self.spec.problem, self.ctx
        assert opt.step is not None
        sgd = spec.stochastic
        B, D = spec.starts.shape
        k = n + with_start
        # Step-major, coordinate-major storage seen through (B, k, ...) views: each step
        # copies the column-major x, f, g as one contiguous block, not B strided rows.
        P, G = np.empty((k, D, B)).transpose(2, 0, 1), np.empty((k, D, B)).transpose(2, 0, 1)
        F = np.empty((k, B)).T
        info = {name: np.full((k, D, B), np.nan).transpose(2, 0, 1) for name in self.info}
        # Only a minibatch makes the loss a step sees differ from the true loss (simulated
        # noise perturbs the gradient alone), so only minibatch runs record it.
        batch_loss = np.full((B, k), np.nan) if sgd.batch_size else None
        batches = np.full((k, sgd.batch_size), -1) if sgd.batch_size else None
        evals = np.zeros((k, 3), dtype=int)  # (nfev, ngev, nhev) spent to reach each point
        first = 0
        if with_start:
            P[:, 0], F[:, 0], G[:, 0] = self.x, self.f, self.g
            evals[0] = (1, opt.uses_gradient, 0)
            first = 1
        on_arrays = k  # numpy takes every step, or those before the loop's first
        if self.program is not None:
            on_arrays = first + max(0, min(n, self.program.first_step - 1 - self.t))
        x, state, f, g = self.x, self.state, self.f, self.g
        with np.errstate(all="ignore"):
            for i in range(first, on_arrays):
                hp = spec.params if self.lrs is None else {**spec.params, "lr": self.lrs[self.t]}
                ctx.advance()
                if sgd.active:  # the step sees a stochastic loss and gradient at x
                    batch = self.noise.batch(self.t)
                    self.oracle.batch = batch
                    f, g = (f, g) if batch is None else problem.value_and_grad(x, batch)
                    g = self.noise.perturb(g, self.t)
                    if batch_loss is not None and batches is not None:
                        # on the surface's scale (n times the batch's mean on a sum), so it
                        # estimates the full loss recorded beside it
                        batch_loss[:, i] = f * problem.scale
                        batches[i, : len(batch)] = batch  # type: ignore[arg-type]
                x, state, step_info = opt.step(hp, state, x, f, g, ctx)
                f, g = problem.value_and_grad(x)  # the true loss, recorded and checked
                P[:, i], F[:, i], G[:, i] = x, f, g
                for name in self.info:
                    info[name][:, i] = step_info[name]
                oracle = self.oracle  # what this step cost: its extras plus the point's f, g
                evals[i] = (oracle.nfev + 1, oracle.ngev + opt.uses_gradient, oracle.nhev)
                oracle.nfev = oracle.ngev = oracle.nhev = 0
                self.t += 1
        self.x, self.state, self.f, self.g = x, state, f, g
        if on_arrays < k:
            self._advance_in_loop(on_arrays, k, P, F, G, info)
            assert self.program is not None
            evals[on_arrays:] = self.program.evaluations
        lr = None
        if opt.uses_lr:  # the rate each step used: (B or 1, n) broadcast into (B, n)
            lr = np.full((B, k), np.nan)
            if self.lrs is None:
                lr[:, first:] = np.reshape(spec.params["lr"], (-1, 1))
            else:
                lr[:, first:] = self.lrs[self.t - n : self.t].reshape(n, -1).T
        return {
            "P": P,
            "F": F,
            "G": G,
            "lr": lr,
            "info": info,
            "batch_loss": batch_loss,
            "batches": batches,
            "evals": evals,
        }

    def _advance_in_loop(
        self,
        first: int,
        k: int,
        P: np.ndarray,
        F: np.ndarray,
        G: np.ndarray,
        info: dict[str, np.ndarray],
    ) -> None:
        """The same steps as numpy's, the rows as columns of the machine-code loop, each
        drawing from its own row's key as the numpy rule does. Fills points first..k-1."""
        assert self.program is not None
        B, D = self.spec.starts.shape
        n = k - first
        if self.registers is None:  # the loop takes over from numpy's state
            self.registers = columns.registers(self.program, self, np.arange(B))
        keys = draws.row_keys(self.spec.seed, B)
        rows = columns.record(self.program, self.registers, n, self.t, self.lrs, keys)
        P[:, first:] = rows[:, :, :D].transpose(1, 0, 2)
        F[:, first:] = rows[:, :, D].T
        G[:, first:] = rows[:, :, D + 1 : 2 * D + 1].transpose(1, 0, 2)
        values = rows[:, :, 2 * D + 1 :].reshape(n, B, len(self.info), D)
        for j, name in enumerate(self.info):
            info[name][:, first:] = values[:, :, j].transpose(1, 0, 2)
        self.t = self.ctx.t = self.t + n
        self.x, self.f, self.g = P[:, -1].copy(), F[:, -1].copy(), G[:, -1].copy()


def path(spec: RunSpec) -> str:
    """Which path runs a stepwise rule's trajectories, recorded step by step (:func:`run`,
    :func:`iterate`) or to their final values (:func:`final`: sweeps, basin maps): the one
    place that decides, from the run's structure alone (never from timing), so a process gives
    a request one answer.

    - ``"loop"``: the rows as columns of the machine-code loop (:mod:`.columns`), after
      numpy's first step for a traced rule: an elementwise rule (swept or not) or a rule
      written as a program (:mod:`.programs`: zeroth-order rules, Newton; none swept), when
      numba is there; the first such run of a process waits for the loop's load;
    - ``"arrays"``: numpy over the batch, the reference, for the rest: stochastic gradients,
      data-fit surfaces, rules or dimensions no program takes, and everything when numba is
      missing (or ``vm.enabled`` is False)."""
    if not vm.enabled or columns.column_program(spec) is None or vm.load() is None:
        return "arrays"
    return "loop"


def _iterate_steps(spec: RunSpec, chunk: int, first_chunk: int, extras: bool) -> Iterator[Chunk]:
    max_steps = spec.stop.max_steps
    chunker = Chunker(spec, step_sizes=extras)
    stepper = _Stepper(spec, info=extras)
    while True:
        with_start = stepper.t == 0  # the first chunk carries the start point too
        first_index = 0 if with_start else stepper.t + 1
        n = min(first_chunk if with_start else chunk, max_steps - stepper.t)
        arrays = stepper.advance(n, with_start)
        out = chunker(first_index, arrays, last=stepper.t >= max_steps)
        yield out
        if out.done:
            return


def _iterate_driver(spec: RunSpec, chunk: int, extras: bool) -> Iterator[Chunk]:
    """A wrapped method runs each row to its end; its path is then checked and chunked like
    any other, so its stopping, status and counts read the same."""
    opt, problem = spec.optimizer, spec.problem
    assert opt.driver is not None
    with np.errstate(all="ignore"):
        results = [
            opt.driver(problem, x0, row_params(spec.params, b), spec.stop.max_steps)
            for b, x0 in enumerate(spec.starts)
        ]
    T = max(len(r.path) for r in results)
    B, D = spec.starts.shape
    P = np.empty((B, T, D))
    for b, r in enumerate(results):
        P[b, : len(r.path)] = r.path
        P[b, len(r.path) :] = r.path[-1]
    with np.errstate(all="ignore"):
        F, G = problem.value_and_grad(P.reshape(-1, D))
    F, G = F.reshape(B, T), G.reshape(B, T, D)
    chunker = Chunker(spec, step_sizes=extras)
    book = chunker.book
    book.nfev[:] = [r.nfev for r in results]
    book.ngev[:] = [r.ngev for r in results]
    book.nhev[:] = [r.nhev for r in results]
    ends = np.array([len(r.path) - 1 for r in results])
    for start in range(0, T, chunk):
        stop = min(start + chunk, T)
        last = stop >= T
        raw = {
            "P": P[:, start:stop].copy(),
            "F": F[:, start:stop].copy(),
            "G": G[:, start:stop].copy(),
        }
        out = chunker(start, raw, last)
        if last:
            for row in map(int, np.flatnonzero(book.active)):  # the method stopped itself
                end = int(ends[row])
                if end >= spec.stop.max_steps:
                    book.end(row, end, "max_steps")
                else:
                    book.end(row, end, "converged", results[row].message)
            out.nit[:], out.status[:], out.message[:] = book.nit, book.status, book.message
        yield out
        if out.done:
            return
