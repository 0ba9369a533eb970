"""Running an optimiser on a problem: one code path for a single run, a batch and a stream.

:func:`iterate` is the engine: it yields :class:`Chunk` s of consecutive points for every row of
the batch (B starts x settings), and :func:`run` just collects them into a :class:`Trajectory`.
The WebSocket streams the same chunks.

Stopping rules are checked once per chunk, vectorised over its steps: a row stops at the first
point where it diverged (non-finite, or ``|x|`` beyond ``bound``), where the gradient norm fell
to ``grad_tol``, or where the loss changed by at most ``loss_tol``; otherwise at ``max_steps``.
Points a row computed past its stop are discarded (the row is padded with its last point).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import limits
from .errors import DescentLabError
from .optimizers import REGISTRY, Optimizer
from .optimizers.base import Oracle, StepContext
from .problems import Problem, make_problem
from .schedules import ScheduleSpec, make_schedule

NORMS = {"l1": 1, "l2": 2, "inf": np.inf}
STATUSES = ("converged", "diverged", "max_steps")


@dataclass(frozen=True)
class Stop:
    """When a run ends. ``grad_norm`` picks the norm compared with ``grad_tol``: ``l1`` is the
    lecture's ``sum |dL| > tol`` rule."""

    max_steps: int = 1000
    grad_tol: float | None = 1e-6
    grad_norm: str = "l2"
    loss_tol: float | None = None
    bound: float = 1e6

    def __post_init__(self) -> None:
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int):
            raise DescentLabError("max_steps", "must be a whole number")
        if not 1 <= self.max_steps <= limits.MAX_STEPS:
            raise DescentLabError("max_steps", f"must be between 1 and {limits.MAX_STEPS}")
        if self.grad_norm not in NORMS:
            raise DescentLabError("stop.grad_norm", f"must be one of {', '.join(NORMS)}")
        for name in ("grad_tol", "loss_tol"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise DescentLabError(f"stop.{name}", "must be a finite number >= 0")
        if not (np.isfinite(self.bound) and 0 < self.bound <= limits.MAX_BOUND):
            raise DescentLabError("stop.bound", f"must be in (0, {limits.MAX_BOUND:g}]")


@dataclass(frozen=True)
class Stochastic:
    """Stochastic gradients. ``batch_size`` M: minibatch SGD on a data-fit loss (M = n is
    plain gradient descent); ``sampling`` "shuffle" cuts a fresh permutation into batches each
    epoch, "replacement" draws M samples per step. ``noise`` σ adds N(0, σ²) to every
    gradient component, on any surface: simulated noise (the notes' stochastic relaxation),
    not minibatching. Stopping rules always use the true, full-data loss and gradient."""

    batch_size: int | None = None
    sampling: str = "shuffle"
    noise: float = 0.0

    @property
    def active(self) -> bool:
        return self.batch_size is not None or self.noise > 0


SAMPLINGS = ("shuffle", "replacement")


class _GradientNoise:
    """Which samples step t uses, and the simulated noise it adds: both from (seed, t)."""

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


@dataclass
class Chunk:
    """Consecutive points of every row: indices ``start`` .. ``start + k - 1``.

    ``count[b]`` of the k points of row b are real; the rest repeat its last point (the row
    stopped). ``done`` marks the last chunk; ``status``, ``message`` and ``steps`` are final then.
    """

    start: int
    path: np.ndarray  # (B, k, D)
    loss: np.ndarray  # (B, k)
    grad_norm: np.ndarray  # (B, k)
    step_size: np.ndarray  # (B, k): |x_i - x_(i-1)|, NaN at index 0
    lr: np.ndarray | None  # (B, k) scheduled rate used to reach each point, NaN at index 0
    info: dict[str, np.ndarray]  # name -> (B, k, D), NaN at index 0
    batch_loss: np.ndarray | None  # (B, k) stochastic loss each step saw, NaN at index 0
    batches: np.ndarray | None  # (k, M) the samples of each step's minibatch, -1 padded
    count: np.ndarray  # (B,)
    done: bool
    steps: np.ndarray  # (B,) steps taken so far (final when done)
    status: list[str]
    message: list[str]
    nfev: np.ndarray
    ngev: np.ndarray
    nhev: np.ndarray


@dataclass
class Trajectory:
    """The result of :func:`run`: every row's path and what happened on it.

    Arrays are (B, T + 1, ...) with each row padded after its ``steps[b]``; :meth:`row` gives
    one row trimmed. For a single run, B = 1 and the convenience properties read row 0.
    """

    surface: str
    optimizer: str
    params: dict[str, Any]
    schedule: dict[str, Any] | None
    stop: Stop
    seed: int
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    step_size: np.ndarray
    lr: np.ndarray | None
    info: dict[str, np.ndarray]
    batch_loss: np.ndarray | None
    batches: np.ndarray | None
    epoch_size: int | None
    steps: np.ndarray
    status: list[str]
    message: list[str]
    nfev: np.ndarray
    ngev: np.ndarray
    nhev: np.ndarray

    @property
    def x(self) -> np.ndarray:
        """The final point of row 0."""
        return self.path[0, self.steps[0]]

    @property
    def fun(self) -> float:
        """The final loss of row 0."""
        return float(self.loss[0, self.steps[0]])

    @property
    def best(self) -> int:
        """The row with the lowest final loss (the answer of a random-restart run)."""
        final = self.loss[np.arange(len(self.steps)), self.steps]
        return int(
            np.nanargmin(np.where(np.isfinite(final), final, np.nan))
            if np.isfinite(final).any()
            else 0
        )

    def row(self, b: int = 0) -> dict[str, Any]:
        """Row ``b`` trimmed to its own length, as plain lists (JSON-ready)."""
        n = int(self.steps[b]) + 1
        out = {
            "optimizer": self.optimizer,
            "params": _plain(self.params),
            "schedule": self.schedule,
            "path": self.path[b, :n].tolist(),
            "loss": self.loss[b, :n].tolist(),
            "grad_norm": self.grad_norm[b, :n].tolist(),
            "step_size": self.step_size[b, :n].tolist(),
            "lr": None if self.lr is None else self.lr[b, :n].tolist(),
            "info": {k: v[b, :n].tolist() for k, v in self.info.items()},
            "batch_loss": None if self.batch_loss is None else self.batch_loss[b, :n].tolist(),
            "batches": None if self.batches is None else self.batches[:n].tolist(),
            "epoch_size": self.epoch_size,
            "status": self.status[b],
            "message": self.message[b],
            "steps": n - 1,
            "nfev": int(self.nfev[b]),
            "ngev": int(self.ngev[b]),
            "nhev": int(self.nhev[b]),
        }
        return out


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}


@dataclass(frozen=True)
class RunSpec:
    """Everything a run needs, validated: built by :func:`prepare` from loose arguments."""

    problem: Problem
    optimizer: Optimizer
    params: dict[str, Any]
    schedule: ScheduleSpec | None
    starts: np.ndarray  # (B, D)
    stop: Stop = field(default_factory=Stop)
    seed: int = 0
    stochastic: Stochastic = field(default_factory=Stochastic)

    @property
    def epoch_size(self) -> int | None:
        """Steps per epoch of minibatch SGD: ceil(n / M)."""
        M = self.stochastic.batch_size
        return None if M is None else -(-self.problem.n_data // M)


def prepare(
    surface: str | dict[str, Any] | Problem,
    optimizer: str | Optimizer,
    *,
    start: Any = None,
    params: Mapping[str, Any] | None = None,
    schedule: Any = None,
    stop: Stop | None = None,
    seed: int = 0,
    restarts: int = 0,
    stochastic: Stochastic | dict[str, Any] | None = None,
    epochs: int | None = None,
) -> RunSpec:
    """Validate loose arguments (ids, dicts, lists) into a :class:`RunSpec`.

    ``restarts`` adds that many extra rows started uniformly at random in the surface's domain
    (seeded): the lecture's random restarts, run side by side on the batch axis. ``epochs``
    (minibatch SGD only) sets ``max_steps`` to epochs x ceil(n / batch_size).
    """
    problem = make_problem(surface)
    opt = optimizer if isinstance(optimizer, Optimizer) else REGISTRY.get(optimizer)
    hp = opt.resolve(params)
    sched = make_schedule(schedule)
    if sched is not None and not opt.uses_lr:
        raise DescentLabError("schedule", f"{opt.id!r} has no learning rate to schedule")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise DescentLabError("seed", "must be a whole number >= 0")
    if isinstance(restarts, bool) or not isinstance(restarts, int):
        raise DescentLabError("restarts", "must be a whole number")
    if not 0 <= restarts <= limits.MAX_RESTARTS:
        raise DescentLabError("restarts", f"must be between 0 and {limits.MAX_RESTARTS}")
    starts = _starts(problem, start, restarts, seed)
    sgd = _stochastic(stochastic, problem, opt)
    stop = stop or Stop()
    if epochs is not None:
        if sgd.batch_size is None:
            raise DescentLabError("epochs", "needs stochastic.batch_size (minibatch SGD)")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise DescentLabError("epochs", "must be a whole number >= 1")
        steps = epochs * -(-problem.n_data // sgd.batch_size)
        if steps > limits.MAX_STEPS:
            raise DescentLabError("epochs", f"{steps} steps is over the {limits.MAX_STEPS} limit")
        stop = replace(stop, max_steps=steps)
    return RunSpec(problem, opt, hp, sched, starts, stop, seed, sgd)


def _stochastic(given: Any, problem: Problem, opt: Optimizer) -> Stochastic:
    if given is None:
        return Stochastic()
    if isinstance(given, dict):
        unknown = sorted(set(given) - {"batch_size", "sampling", "noise"})
        if unknown:
            raise DescentLabError(f"stochastic.{unknown[0]}", "unknown field")
        given = Stochastic(**given)
    if not isinstance(given, Stochastic):
        raise DescentLabError("stochastic", "must be an object")
    M = given.batch_size
    if M is not None:
        if problem.data is None:
            raise DescentLabError(
                "stochastic.batch_size",
                f"surface {problem.id!r} is not a sum over data; use `noise` for simulated "
                "gradient noise",
            )
        if isinstance(M, bool) or not isinstance(M, int) or not 1 <= M <= problem.n_data:
            raise DescentLabError(
                "stochastic.batch_size", f"must be a whole number from 1 to n = {problem.n_data}"
            )
    if given.sampling not in SAMPLINGS:
        raise DescentLabError("stochastic.sampling", f"must be one of {', '.join(SAMPLINGS)}")
    noise = given.noise
    if (
        isinstance(noise, bool)
        or not isinstance(noise, (int, float))
        or not (math.isfinite(noise) and 0 <= noise <= 1e6)
    ):
        raise DescentLabError("stochastic.noise", "must be a number from 0 to 1e6")
    if given.active and opt.driver is not None:
        raise DescentLabError(
            "stochastic", f"{opt.id!r} is scipy's deterministic method; it takes no minibatches"
        )
    return given


def _starts(problem: Problem, start: Any, restarts: int, seed: int) -> np.ndarray:
    if start is None:
        first = problem.start[None, :]
    else:
        try:
            first = np.array(start, dtype=float)
        except (TypeError, ValueError):
            raise DescentLabError("start", "must be a list of numbers") from None
        if first.ndim == 0 and problem.dim == 1:
            first = first.reshape(1, 1)
        if first.ndim == 1:
            first = first[None, :]
        if first.ndim != 2 or first.shape[1] != problem.dim:
            raise DescentLabError(
                "start", f"must have {problem.dim} coordinate(s) for surface {problem.id!r}"
            )
        if not np.isfinite(first).all():
            raise DescentLabError("start", "must be finite")
    if restarts:
        rng = np.random.default_rng([seed, 0xC0FFEE])
        lo, hi = problem.domain[:, 0], problem.domain[:, 1]
        first = np.concatenate([first, rng.uniform(lo, hi, size=(restarts, problem.dim))])
    if first.shape[0] > limits.MAX_BATCH:
        raise DescentLabError("start", f"at most {limits.MAX_BATCH} start points")
    return first


def run(*args: Any, chunk: int = 256, **kwargs: Any) -> Trajectory:
    """Run one optimiser on one problem; arguments as :func:`prepare`. Collects :func:`iterate`."""
    spec = args[0] if args and isinstance(args[0], RunSpec) else prepare(*args, **kwargs)
    chunks = list(iterate(spec, chunk=chunk))
    last = chunks[-1]

    length = int(last.steps.max()) + 1  # rows are padded to the longest, not to the chunking

    def cat(name: str) -> np.ndarray:
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
        lr=cat("lr") if last.lr is not None else None,
        info={
            k: np.concatenate([c.info[k] for c in chunks], axis=1)[:, :length] for k in last.info
        },
        batch_loss=cat("batch_loss") if last.batch_loss is not None else None,
        batches=(
            np.concatenate([c.batches for c in chunks])[:length]
            if last.batches is not None
            else None
        ),
        epoch_size=spec.epoch_size,
        steps=last.steps,
        status=last.status,
        message=last.message,
        nfev=last.nfev,
        ngev=last.ngev,
        nhev=last.nhev,
    )


def iterate(spec: RunSpec, chunk: int = 256, first_chunk: int | None = None) -> Iterator[Chunk]:
    """Yield the run in chunks of ``chunk`` steps (the first of ``first_chunk``, so a stream
    can show something at once). The first chunk also carries the start point."""
    if spec.optimizer.driver is not None:
        yield from _iterate_driver(spec, chunk)
    else:
        yield from _iterate_steps(spec, chunk, first_chunk or chunk)


class _Book:
    """Per-row bookkeeping shared by both kinds of optimiser: stopping and counts."""

    def __init__(self, spec: RunSpec) -> None:
        B = spec.starts.shape[0]
        self.spec = spec
        self.active = np.ones(B, dtype=bool)
        self.steps = np.zeros(B, dtype=int)
        self.status = ["max_steps"] * B
        self.message = [f"reached max_steps = {spec.stop.max_steps}"] * B
        self.prev_loss = np.full(B, np.nan)
        self.nfev = np.zeros(B, dtype=int)
        self.ngev = np.zeros(B, dtype=int)
        self.nhev = np.zeros(B, dtype=int)

    def settle(self, start: int, P: np.ndarray, F: np.ndarray, Gn: np.ndarray) -> np.ndarray:
        """Find where each still-active row stops among points start .. start+k-1 of this
        chunk; pad what follows with its last point. Returns ``count`` (B,)."""
        stop = self.spec.stop
        k = F.shape[1]
        count = np.where(self.active, k, 0)
        finite = np.isfinite(F) & np.isfinite(P).all(axis=2)
        outside = np.abs(P).max(axis=2) > stop.bound
        diverged = ~finite | outside
        converged = np.zeros_like(diverged)
        if stop.grad_tol is not None and self.spec.optimizer.uses_gradient:
            converged |= Gn <= stop.grad_tol
        if stop.loss_tol is not None and self.spec.optimizer.family != "zeroth-order":
            previous = np.concatenate([self.prev_loss[:, None], F[:, :-1]], axis=1)
            change = np.abs(F - previous)
            converged |= change <= stop.loss_tol
            if start == 0:
                converged[:, 0] &= False  # the start has no previous loss
        hit = (diverged | converged) & self.active[:, None]
        for b in np.flatnonzero(hit.any(axis=1)):
            i = int(np.argmax(hit[b]))
            index = start + i
            if diverged[b, i]:
                why = (
                    "the loss is not finite"
                    if not finite[b, i]
                    else (f"|x| exceeded the bound {stop.bound:g}")
                )
                self.status[b], self.message[b] = "diverged", f"diverged at step {index}: {why}"
            else:
                by_grad = stop.grad_tol is not None and Gn[b, i] <= stop.grad_tol
                why = (
                    f"gradient {stop.grad_norm} norm {Gn[b, i]:.3g} <= {stop.grad_tol:g}"
                    if by_grad
                    else f"loss changed by at most {stop.loss_tol:g}"
                )
                self.status[b], self.message[b] = "converged", f"converged in {index} steps: {why}"
            self.active[b] = False
            self.steps[b] = index
            count[b] = i + 1
        self.steps[self.active] = start + k - 1
        self.prev_loss = F[:, -1].copy()
        return count


def _pad(count: np.ndarray, arrays: dict[str, np.ndarray], carry: dict[str, np.ndarray]) -> None:
    """Repeat each row's last real value over the rest of the chunk, in place; a row that
    stopped in an earlier chunk repeats that chunk's last value (``carry``)."""
    k = next(iter(arrays.values())).shape[1]
    for b in np.flatnonzero(count < k):
        c = int(count[b])
        for name, a in arrays.items():
            a[b, c:] = a[b, c - 1] if c > 0 else carry[name][b]


def _norm(G: np.ndarray, which: str) -> np.ndarray:
    if which == "l2":
        return np.sqrt(np.einsum("...i,...i->...", G, G))
    if which == "l1":
        return np.abs(G).sum(axis=-1)
    return np.abs(G).max(axis=-1)


def _step_sizes(P: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    before = np.concatenate([P[:, :1] if previous is None else previous[:, None], P[:, :-1]], 1)
    sizes = np.sqrt(((P - before) ** 2).sum(axis=2))
    if previous is None:
        sizes[:, 0] = np.nan
    return sizes


class _Chunker:
    """Turns raw per-step arrays into checked, padded :class:`Chunk` s."""

    def __init__(self, spec: RunSpec) -> None:
        self.book = _Book(spec)
        self.carry: dict[str, np.ndarray] = {}

    def __call__(self, start: int, raw: dict[str, Any], last: bool) -> Chunk:
        """``raw``: P (B, k, D), F (B, k), G (B, k, D), and optionally lr, batch_loss (B, k),
        info {name: (B, k, D)}, batches (k, M)."""
        book = self.book
        P, F, lr, batch_loss = raw["P"], raw["F"], raw.get("lr"), raw.get("batch_loss")
        info = raw.get("info", {})
        with np.errstate(all="ignore"):
            Gn = _norm(raw["G"], book.spec.stop.grad_norm)
            step_size = _step_sizes(P, self.carry.get("path"))
        was_active = book.active.copy()
        count = book.settle(start, P, F, Gn)
        if "evals" in raw:  # charge each row only for the points it kept
            spent = np.vstack([np.zeros((1, 3), dtype=int), np.cumsum(raw["evals"], axis=0)])
            charged = np.where(was_active[:, None], spent[count], 0)
            book.nfev += charged[:, 0]
            book.ngev += charged[:, 1]
            book.nhev += charged[:, 2]
        padded = {"path": P, "loss": F, "grad_norm": Gn, "step_size": step_size}
        padded.update({f"info.{name}": a for name, a in info.items()})
        padded.update(
            {name: a for name, a in (("lr", lr), ("batch_loss", batch_loss)) if a is not None}
        )
        _pad(count, padded, self.carry)
        self.carry = {name: a[:, -1].copy() for name, a in padded.items()}
        return Chunk(
            start,
            P,
            F,
            Gn,
            step_size,
            lr,
            info,
            batch_loss,
            raw.get("batches"),
            count,
            last or not book.active.any(),
            book.steps.copy(),
            list(book.status),
            list(book.message),
            book.nfev.copy(),
            book.ngev.copy(),
            book.nhev.copy(),
        )


class _Stepper:
    """The state of a stepwise run between chunks: advances it ``n`` steps at a time.

    Floating-point warnings are silenced per call (not across the generator's ``yield``: the
    error state is a context variable, and a stream may resume in another thread).
    """

    def __init__(self, spec: RunSpec) -> None:
        opt, problem = spec.optimizer, spec.problem
        assert opt.init is not None and opt.step is not None
        self.spec = spec
        self.oracle = Oracle(problem)
        self.ctx = StepContext(self.oracle, spec.seed, problem.domain)
        hp = spec.params
        self.lrs = spec.schedule.rates(hp["lr"], spec.stop.max_steps) if spec.schedule else None
        self.noise = _GradientNoise(spec)
        with np.errstate(all="ignore"):
            self.x = spec.starts.copy()
            self.state = opt.init(self.x, hp)
            self.f, self.g = problem.value_and_grad(self.x)
        self.t = 0  # index of x

    def advance(self, n: int, with_start: bool) -> dict[str, Any]:
        """Take ``n`` steps; arrays of the points reached (and of the start, if asked)."""
        spec, opt, problem, ctx = self.spec, self.spec.optimizer, self.spec.problem, self.ctx
        assert opt.step is not None
        sgd = spec.stochastic
        B, D = spec.starts.shape
        k = n + with_start
        P, F, G = np.empty((B, k, D)), np.empty((B, k)), np.empty((B, k, D))
        info = {name: np.full((B, k, D), np.nan) for name in opt.info}
        batch_loss = np.full((B, k), np.nan) if sgd.active else None
        batches = np.full((k, sgd.batch_size), -1) if sgd.batch_size else None
        evals = np.zeros((k, 3), dtype=int)  # (nfev, ngev, nhev) spent to reach each point
        first = 0
        if with_start:
            P[:, 0], F[:, 0], G[:, 0] = self.x, self.f, self.g
            evals[0] = (1, opt.uses_gradient, 0)
            first = 1
        x, state, f, g = self.x, self.state, self.f, self.g
        with np.errstate(all="ignore"):
            for i in range(first, k):
                hp = spec.params if self.lrs is None else {**spec.params, "lr": self.lrs[self.t]}
                ctx.advance()
                if sgd.active:  # the step sees a stochastic loss and gradient at x
                    batch = self.noise.batch(self.t)
                    self.oracle.batch = batch
                    f, g = (f, g) if batch is None else problem.value_and_grad(x, batch)
                    g = self.noise.perturb(g, self.t)
                    batch_loss[:, i] = f  # type: ignore[index]
                    if batches is not None:
                        batches[i, : len(batch)] = batch  # type: ignore[arg-type]
                x, state, step_info = opt.step(hp, state, x, f, g, ctx)
                f, g = problem.value_and_grad(x)  # the true loss, recorded and checked
                P[:, i], F[:, i], G[:, i] = x, f, g
                for name in opt.info:
                    info[name][:, i] = step_info[name]
                oracle = self.oracle  # what this step cost: its extras plus the point's f, g
                evals[i] = (oracle.nfev + 1, oracle.ngev + opt.uses_gradient, oracle.nhev)
                oracle.nfev = oracle.ngev = oracle.nhev = 0
                self.t += 1
        self.x, self.state, self.f, self.g = x, state, f, g
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


def _iterate_steps(spec: RunSpec, chunk: int, first_chunk: int) -> Iterator[Chunk]:
    max_steps = spec.stop.max_steps
    chunker = _Chunker(spec)
    stepper = _Stepper(spec)
    while True:
        with_start = stepper.t == 0  # the first chunk carries the start point too
        first_index = 0 if with_start else stepper.t + 1
        n = min(first_chunk if with_start else chunk, max_steps - stepper.t)
        arrays = stepper.advance(n, with_start)
        out = chunker(first_index, arrays, last=stepper.t >= max_steps)
        yield out
        if out.done:
            return


def _iterate_driver(spec: RunSpec, chunk: int) -> Iterator[Chunk]:
    """A wrapped method runs each row to its end; its path is then checked and chunked like
    any other, so its stopping, status and counts read the same."""
    opt, problem = spec.optimizer, spec.problem
    assert opt.driver is not None
    with np.errstate(all="ignore"):
        results = [opt.driver(problem, x0, spec.params, spec.stop.max_steps) for x0 in spec.starts]
    T = max(len(r.path) for r in results)
    B, D = spec.starts.shape
    P = np.empty((B, T, D))
    for b, r in enumerate(results):
        P[b, : len(r.path)] = r.path
        P[b, len(r.path) :] = r.path[-1]
    with np.errstate(all="ignore"):
        F, G = problem.value_and_grad(P.reshape(-1, D))
    F, G = F.reshape(B, T), G.reshape(B, T, D)
    chunker = _Chunker(spec)
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
                reached_max = end >= spec.stop.max_steps
                out.steps[row] = book.steps[row] = end
                out.status[row] = book.status[row] = "max_steps" if reached_max else "converged"
                out.message[row] = book.message[row] = (
                    f"reached max_steps = {spec.stop.max_steps}"
                    if reached_max
                    else f"stopped after {end} steps: {results[row].message}"
                )
        yield out
        if out.done:
            return
