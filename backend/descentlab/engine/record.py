"""What a run records: :class:`Chunk` s of consecutive points, checked against the stopping
rules once per chunk (vectorised over its steps), and the :class:`Trajectory` they make.

A row stops at the first point where it diverged (non-finite, or ``|x|`` beyond ``bound``),
where the gradient norm fell to ``grad_tol``, or where the loss changed by at most
``loss_tol``; otherwise at ``max_steps``. Points a row computed past its stop are discarded
(the row is padded with its last point).
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..problems import Problem
from .spec import RunSpec, Stop, row_params

if TYPE_CHECKING:
    import plotly.graph_objects as go


@dataclass(frozen=True)
class Status:
    success: bool  # scipy's ``success``
    message: str  # its message, of the steps taken (nit) and why


STATUSES = {
    "converged": Status(True, "converged in {nit} steps: {why}"),
    "diverged": Status(False, "diverged at step {nit}: {why}"),
    "max_steps": Status(False, "reached max_steps = {nit}"),
}
"""Why a row stopped (its ``status``): ``converged``, a stopping rule met (the gradient's norm
at most ``grad_tol``, the loss's change at most ``loss_tol``) or a wrapped method's own
success; ``diverged``, a non-finite loss or ``|x|`` beyond ``bound``; ``max_steps``, neither
within the steps allowed. scipy's ``status`` is a solver's own code; ours is its name. Every
path (numpy's, the machine-code loop's, a wrapped method's) ends a row through
:meth:`Book.end`."""

OUTCOME = ("x", "fun", "nit", "nfev", "ngev", "nhev", "status", "success", "message")
"""A row's result in ``scipy.optimize.OptimizeResult``'s names (:meth:`Result.outcome`): the
names a run's rows, the stream's summaries, a sweep's and a basin map's answers give it."""


@dataclass
class Result:
    """Every row's outcome in the names of ``scipy.optimize.OptimizeResult``, one entry per row:
    ``x`` (B, D) and ``fun`` (B,) its last point and loss, ``nit`` its steps, ``nfev``,
    ``ngev`` (scipy's ``njev``), ``nhev`` the evaluations they spent, ``status``, ``success``
    and ``message`` why it stopped (:data:`STATUSES`); and the points it holds. A :class:`Chunk`
    holds them as they stand after its points (final when ``done``), a :class:`Trajectory` as
    they ended: both are one. Rows are padded with their last point, so ``x`` and ``fun`` are
    the arrays' last column."""

    path: np.ndarray  # (B, k, D)
    loss: np.ndarray  # (B, k)
    nit: np.ndarray  # (B,)
    status: list[str]
    message: list[str]
    nfev: np.ndarray
    ngev: np.ndarray
    nhev: np.ndarray
    grad_norm: np.ndarray  # (B, k)
    lr: np.ndarray | None  # (B, k) scheduled rate used to reach each point, NaN at index 0
    info: dict[str, np.ndarray]  # name -> (B, k, D), NaN at index 0
    # (B, k) the minibatch loss each step saw, on the surface's scale (n x the batch's mean on
    # a summed surface, so comparable with `loss`), NaN at index 0
    batch_loss: np.ndarray | None
    batches: np.ndarray | None  # (k, M) the samples of each step's minibatch, -1 padded

    @property
    def x(self) -> np.ndarray:
        return self.path[:, -1]

    @property
    def fun(self) -> np.ndarray:
        return self.loss[:, -1]

    @property
    def success(self) -> np.ndarray:
        return np.array([STATUSES[s].success for s in self.status], dtype=bool)

    def columns(self, *names: str) -> dict[str, Any]:
        """Every row's ``names``, one entry per row, each a name of :meth:`outcome` or
        ``grad_norm`` (the last of :attr:`grad_norm`: the gradient's norm at ``x``): what a
        sweep or a basin map answers of its rows, in the names a run's rows use."""
        out = {}
        for name in names:
            if name not in (*OUTCOME, "grad_norm"):
                raise KeyError(f"{name!r} is no name of a row's result")
            value = self.grad_norm[:, -1] if name == "grad_norm" else getattr(self, name)
            out[name] = np.ascontiguousarray(value) if isinstance(value, np.ndarray) else value
        return out

    def outcome(self, b: int) -> dict[str, Any]:
        """Row ``b``'s result as plain values (JSON-ready; a non-finite loss stays a float)."""
        return {
            "x": self.x[b].tolist(),
            "fun": float(self.fun[b]),
            "nit": int(self.nit[b]),
            "nfev": int(self.nfev[b]),
            "ngev": int(self.ngev[b]),
            "nhev": int(self.nhev[b]),
            "status": self.status[b],
            "success": STATUSES[self.status[b]].success,
            "message": self.message[b],
        }


@dataclass
class Chunk(Result):
    """Consecutive points of every row: indices ``start`` .. ``start + k - 1`` (``path``,
    ``loss``), and the result so far. ``count[b]`` of the k points of row b are real; the rest
    repeat its last point (the row stopped). ``done`` marks the last chunk."""

    start: int
    step_size: np.ndarray | None  # (B, k): |x_i - x_(i-1)|, NaN at index 0 (None: not kept)
    count: np.ndarray  # (B,)
    done: bool


@dataclass
class Trajectory(Result):
    """The result of :func:`run`: every row's path and what happened on it.

    Arrays are (B, T + 1, ...) with each row padded after its ``nit[b]``; :meth:`row` gives
    one row trimmed. For a single run, B = 1: ``x[0]``, ``fun[0]``.
    """

    surface: str
    optimizer: str
    params: dict[str, Any]
    schedule: dict[str, Any] | None
    stop: Stop
    seed: int
    step_size: np.ndarray
    epoch_size: int | None
    problem: Problem = field(repr=False, compare=False)

    @property
    def best(self) -> int:
        """The row with the lowest final loss (the answer of a random-restart run)."""
        final = self.fun
        return int(
            np.nanargmin(np.where(np.isfinite(final), final, np.nan))
            if np.isfinite(final).any()
            else 0
        )

    def row(self, b: int = 0) -> dict[str, Any]:
        """Row ``b`` trimmed to its own length, as plain lists (JSON-ready): its points and
        its result (:meth:`Result.outcome`)."""
        n = int(self.nit[b]) + 1
        return {
            "optimizer": self.optimizer,
            "params": row_params(self.params, b),
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
            "epochs": self.epochs(b),
            **self.outcome(b),
        }

    def figure(self) -> go.Figure:
        """The surface's contours (in 1-D its curve) with every row's path, as the page draws
        them: :func:`descentlab.figure`, which draws several trajectories together."""
        from ..figures import figure

        return figure(self)

    def to_html(self, path: str | os.PathLike[str]) -> None:
        """:meth:`figure` as a standalone HTML file (Plotly.js inlined: works offline)."""
        from ..figures import write_html

        write_html(self.figure(), path)

    def epochs(self, b: int = 0) -> dict[str, list[float]] | None:
        """Minibatch SGD, epoch by epoch (complete epochs of row ``b``): the mean minibatch loss
        its steps saw (the usual training curve) and the full loss at its end."""
        if self.epoch_size is None or self.batch_loss is None:
            return None
        E, n = int(self.nit[b]) // self.epoch_size, self.epoch_size
        seen = self.batch_loss[b, 1 : E * n + 1].reshape(E, n)
        return {
            "batch_loss_mean": seen.mean(axis=1).tolist(),
            "loss": self.loss[b, n : E * n + 1 : n].tolist(),
        }


def tolerances(spec: RunSpec) -> tuple[float, float]:
    """``grad_tol`` and ``loss_tol`` as they apply to ``spec``'s rule, NaN where one is off
    (given as None, or not for this rule: the gradient's norm for a rule that uses no
    gradient, the loss's change for a zeroth-order rule). No comparison with NaN holds, so
    every path checks both, as the machine-code loop does."""
    stop, opt = spec.stop, spec.optimizer

    def off_as_nan(tol: float | None) -> float:
        return math.nan if tol is None else float(tol)

    grad_tol = stop.grad_tol if opt.uses_gradient else None
    loss_tol = stop.loss_tol if opt.family != "zeroth-order" else None
    return off_as_nan(grad_tol), off_as_nan(loss_tol)


class Book:
    """Per-row bookkeeping shared by both kinds of optimiser: stopping and counts."""

    def __init__(self, spec: RunSpec) -> None:
        B = spec.starts.shape[0]
        self.spec = spec
        self.active = np.ones(B, dtype=bool)
        self.nit = np.zeros(B, dtype=int)
        self.status = ["max_steps"] * B
        self.message = [STATUSES["max_steps"].message.format(nit=spec.stop.max_steps)] * B
        self.prev_loss = np.full(B, np.nan)
        self.nfev = np.zeros(B, dtype=int)
        self.ngev = np.zeros(B, dtype=int)
        self.nhev = np.zeros(B, dtype=int)

    def settle(self, start: int, P: np.ndarray, F: np.ndarray, Gn: np.ndarray) -> np.ndarray:
        """Find where each still-active row stops among points start .. start+k-1 of this
        chunk; pad what follows with its last point. Returns ``count`` (B,)."""
        grad_tol, loss_tol = tolerances(self.spec)
        k = F.shape[1]
        count = np.where(self.active, k, 0)
        # |x_d| <= bound is False for NaN too: one pass per coordinate finds both failures
        # (numpy reduces a trailing axis of length 2 slowly, so no .all(axis=2) here).
        inside = np.isfinite(F)
        for d in range(P.shape[2]):
            inside &= np.abs(P[:, :, d]) <= self.spec.stop.bound
        diverged = ~inside
        converged = Gn <= grad_tol  # never, when the rule is off (NaN)
        if not math.isnan(loss_tol):
            previous = np.concatenate([self.prev_loss[:, None], F[:, :-1]], axis=1)
            converged |= np.abs(F - previous) <= loss_tol
            if start == 0:
                converged[:, 0] &= False  # the start has no previous loss
        hit = (diverged | converged) & self.active[:, None]
        for b in np.flatnonzero(hit.any(axis=1)):
            i = int(np.argmax(hit[b]))
            self.close(int(b), start + i, bool(diverged[b, i]), P[b, i], F[b, i], Gn[b, i])
            count[b] = i + 1
        self.nit[self.active] = start + k - 1
        self.prev_loss = F[:, -1].copy()
        return count

    def chunk(self, start: int, count: np.ndarray, done: bool, **points: Any) -> Chunk:
        """A chunk of these ``points`` (path, loss, grad_norm and those kept of step_size, lr,
        info, batch_loss, batches), with every row's result as it stands."""
        unkept = dict.fromkeys(("step_size", "lr", "batch_loss", "batches"))
        return Chunk(
            **{"info": {}, **unkept, **points},
            start=start,
            count=count,
            done=done,
            nit=self.nit.copy(),
            status=list(self.status),
            message=list(self.message),
            nfev=self.nfev.copy(),
            ngev=self.ngev.copy(),
            nhev=self.nhev.copy(),
        )

    def close(self, b: int, index: int, diverged: bool, x: np.ndarray, f: float, gn: float) -> None:
        """Row ``b`` met a stopping rule at point ``index`` (x, f, gn)."""
        stop, (grad_tol, _) = self.spec.stop, tolerances(self.spec)
        if diverged:
            finite = np.isfinite(f) and np.isfinite(x).all()
            why = (
                "the loss is not finite" if not finite else f"|x| exceeded the bound {stop.bound:g}"
            )
            self.end(b, index, "diverged", why)
        elif gn <= grad_tol:
            self.end(
                b,
                index,
                "converged",
                f"gradient {stop.grad_norm} norm {gn:.3g} <= {stop.grad_tol:g}",
            )
        else:
            self.end(b, index, "converged", f"loss changed by at most {stop.loss_tol:g}")

    def end(self, b: int, nit: int, status: str, why: str = "") -> None:
        """Row ``b`` stopped after ``nit`` steps: its status, and the message of its table."""
        self.status[b], self.message[b] = status, STATUSES[status].message.format(nit=nit, why=why)
        self.active[b] = False
        self.nit[b] = nit


def _pad(count: np.ndarray, arrays: dict[str, np.ndarray], carry: dict[str, np.ndarray]) -> None:
    """Repeat each row's last real value over the rest of the chunk, in place; a row that
    stopped in an earlier chunk repeats that chunk's last value (``carry``)."""
    k = next(iter(arrays.values())).shape[1]
    for b in np.flatnonzero(count < k):
        c = int(count[b])
        for name, a in arrays.items():
            a[b, c:] = a[b, c - 1] if c > 0 else carry[name][b]


def _norm(G: np.ndarray, which: str) -> np.ndarray:
    """The norm over the last axis, coordinate by coordinate (D is 1 or 2: a loop over it
    beats numpy's reduction of a short trailing axis)."""
    columns = [G[..., d] for d in range(G.shape[-1])]
    if which == "l2":  # squares need no abs: |a| |a| = a a exactly
        return np.sqrt(functools.reduce(np.add, [c * c for c in columns]))
    parts = [np.abs(c) for c in columns]
    return functools.reduce(np.maximum if which == "inf" else np.add, parts)


def _step_sizes(P: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    before = np.concatenate([P[:, :1] if previous is None else previous[:, None], P[:, :-1]], 1)
    sizes = _norm(P - before, "l2")
    if previous is None:
        sizes[:, 0] = np.nan
    return sizes


class Chunker:
    """Turns raw per-step arrays into checked, padded :class:`Chunk` s (with the step sizes,
    unless ``step_sizes`` is False: nothing stops on them)."""

    def __init__(self, spec: RunSpec, step_sizes: bool = True) -> None:
        self.book = Book(spec)
        self.carry: dict[str, np.ndarray] = {}
        self.step_sizes = step_sizes

    def __call__(self, start: int, raw: dict[str, Any], last: bool) -> Chunk:
        """``raw``: P (B, k, D), F (B, k), G (B, k, D), and optionally lr, batch_loss (B, k),
        info {name: (B, k, D)}, batches (k, M)."""
        book = self.book
        P, F, lr, batch_loss = raw["P"], raw["F"], raw.get("lr"), raw.get("batch_loss")
        info = raw.get("info", {})
        with np.errstate(all="ignore"):
            Gn = _norm(raw["G"], book.spec.stop.grad_norm)
            step_size = _step_sizes(P, self.carry.get("path")) if self.step_sizes else None
        was_active = book.active.copy()
        count = book.settle(start, P, F, Gn)
        if "evals" in raw:  # charge each row only for the points it kept
            spent = np.vstack([np.zeros((1, 3), dtype=int), np.cumsum(raw["evals"], axis=0)])
            charged = np.where(was_active[:, None], spent[count], 0)
            book.nfev += charged[:, 0]
            book.ngev += charged[:, 1]
            book.nhev += charged[:, 2]
        padded = {"path": P, "loss": F, "grad_norm": Gn}
        if step_size is not None:
            padded["step_size"] = step_size
        padded.update({f"info.{name}": a for name, a in info.items()})
        padded.update(
            {name: a for name, a in (("lr", lr), ("batch_loss", batch_loss)) if a is not None}
        )
        _pad(count, padded, self.carry)
        self.carry = {name: a[:, -1].copy() for name, a in padded.items()}
        return book.chunk(
            start,
            path=P,
            loss=F,
            grad_norm=Gn,
            step_size=step_size,
            lr=lr,
            info=info,
            batch_loss=batch_loss,
            batches=raw.get("batches"),
            count=count,
            done=last or not book.active.any(),
        )
