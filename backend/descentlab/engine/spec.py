"""What a run is: its validated specification (problem, optimiser, hyperparameters, starts,
stopping rules, stochastic gradients) and :func:`prepare`, which builds one from loose input."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

import numpy as np

from .. import limits
from ..errors import DescentLabError
from ..optimizers import REGISTRY, Optimizer
from ..problems import Problem, make_problem
from ..schedules import ScheduleSpec, make_schedule

# The gradient norms a stopping rule may use; the compiled loop's code for one is its index.
NORMS = ("l2", "l1", "inf")


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
    gradient component, on any surface: simulated noise, neither minibatching nor the notes'
    stochastic relaxation (which smooths the objective by averaging it over random shifts).
    Stopping rules always use the true, full-data loss and gradient."""

    batch_size: int | None = None
    sampling: str = "shuffle"
    noise: float = 0.0

    @property
    def active(self) -> bool:
        return self.batch_size is not None or self.noise > 0


SAMPLINGS = ("shuffle", "replacement")
RESTART_DISTS = ("uniform", "normal", "grid")


@dataclass(frozen=True)
class RestartFrom:
    """Where random restarts (a particle cloud) start: ``uniform`` over ``box`` (else the
    surface's domain); ``grid``, the centres of a grid's cells over the same box, ⌈√R⌉
    columns of R restarts, filled row by row from the lowest (so the last row may be short);
    or ``normal``, N(center, σ²) in each coordinate (the notes' restarts; ``center`` defaults
    to the run's start)."""

    dist: str = "uniform"
    center: tuple[float, ...] | None = None
    sigma: float = 1.0
    box: tuple[tuple[float, float], ...] | None = None


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
    restart_from: RestartFrom | dict[str, Any] | None = None,
    stochastic: Stochastic | dict[str, Any] | None = None,
    epochs: int | None = None,
    sweep: Mapping[str, Sequence[Any]] | None = None,
) -> RunSpec:
    """Validate loose arguments (ids, dicts, lists) into a :class:`RunSpec`.

    ``restarts`` adds that many extra rows started at random (seeded), uniformly in the
    surface's domain or as ``restart_from`` says: the lecture's random restarts, run side by
    side on the batch axis. ``sweep``
    maps hyperparameter names to lists of values (a pair such as ``betas``: a list of pairs):
    every combination is one row (the grid in the order given, the last name varying fastest),
    all from the one start. ``epochs`` (minibatch SGD only) sets ``max_steps`` to
    epochs x ceil(n / batch_size).
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
    starts = _starts(problem, start, restarts, seed, _restart_from(restart_from))
    if sweep:
        if restarts:
            raise DescentLabError("sweep", "cannot be combined with restarts")
        hp, rows = _sweep(opt, hp, sweep)
        if opt.driver is not None and rows > limits.MAX_SWEEP_POINTS_ONE_AT_A_TIME:
            raise DescentLabError(
                "sweep",
                f"{rows} settings; {opt.id!r} is scipy's method, whose runs go one after "
                f"another: its limit is {limits.MAX_SWEEP_POINTS_ONE_AT_A_TIME}",
            )
        starts = np.repeat(starts, rows, axis=0)
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
    if sweep and starts.shape[0] * stop.max_steps > limits.MAX_SWEEP_STEPS:
        raise DescentLabError(
            "max_steps",
            f"{starts.shape[0]} settings x {stop.max_steps} steps is over the "
            f"{limits.MAX_SWEEP_STEPS:,} limit of one sweep",
        )
    return RunSpec(problem, opt, hp, sched, starts, stop, seed, sgd)


def _sweep(
    opt: Optimizer, hp: dict[str, Any], sweep: Mapping[str, Sequence[Any]]
) -> tuple[dict[str, Any], int]:
    """``hp`` with each swept name replaced by a (B, 1) column over the grid of settings (a
    pair such as ``betas``, swept as a list of pairs, by a pair of columns); and B."""
    axes = []
    for name, values in sweep.items():
        field_path = f"sweep.{name}"
        hyper = opt.hyper_by_name.get(name)
        if hyper is None or not hyper.per_row:
            sweepable = [h.name for h in opt.hypers if h.per_row]
            raise DescentLabError(
                field_path,
                f"not a hyperparameter of {opt.id!r} that a sweep can vary "
                f"(those are: {', '.join(sweepable) or 'none'})",
            )
        if not isinstance(values, (list, tuple)) or not values:
            what = "numbers" if hyper.size == 1 else f"lists of {hyper.size} numbers"
            raise DescentLabError(field_path, f"must be a non-empty list of {what}")
        checked = [hyper.check(v, f"{field_path}.{i}") for i, v in enumerate(values)]
        axes.append(np.asarray(checked, dtype=float))  # (n,) or (n, size)
    rows = math.prod(len(a) for a in axes)
    if rows > limits.MAX_SWEEP_POINTS:
        raise DescentLabError("sweep", f"{rows} settings; the limit is {limits.MAX_SWEEP_POINTS}")
    grids = np.meshgrid(*[np.arange(len(a)) for a in axes], indexing="ij")  # the last fastest
    out = dict(hp)
    for name, a, grid in zip(sweep, axes, grids, strict=True):
        column = a[grid.reshape(-1)]
        if a.ndim == 1:
            out[name] = column[:, None]
        else:  # a part of the pair that the sweep holds fixed stays one number
            out[name] = tuple(float(c[0]) if (c == c[0]).all() else c[:, None] for c in column.T)
    return out, rows


def row_params(params: Mapping[str, Any], b: int) -> dict[str, Any]:
    """The hyperparameters of batch row ``b`` as plain numbers (a sweep's (B, 1) columns too)."""

    def number(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return float(value.reshape(-1)[b if value.size > 1 else 0])
        return value

    return {
        name: [number(v) for v in value] if isinstance(value, tuple) else number(value)
        for name, value in params.items()
    }


def row_settings(params: Mapping[str, Any], names: Sequence[str], rows: int) -> list[list[Any]]:
    """Each row's values of ``names``, as :func:`row_params` gives them, for ``rows`` rows at
    once (a sweep of 10,000 settings: one pass per name, not a dictionary per row)."""

    def column(value: Any) -> list[Any]:
        if isinstance(value, np.ndarray):
            flat = value.reshape(-1).astype(float)
            return np.broadcast_to(flat if flat.size > 1 else flat[:1], (rows,)).tolist()
        return [value] * rows

    columns = []
    for name in names:
        value = params[name]
        if isinstance(value, tuple):
            columns.append([list(row) for row in zip(*map(column, value), strict=True)])
        else:
            columns.append(column(value))
    return [list(row) for row in zip(*columns, strict=True)]


_Options = TypeVar("_Options", Stochastic, RestartFrom)


def _options(cls: type[_Options], given: Any, where: str) -> _Options:
    """``given`` as a ``cls``: one already, or a dict of some of its fields (an unknown one
    refused by name); None is the defaults."""
    if given is None:
        return cls()
    if isinstance(given, dict):
        unknown = sorted(set(given) - {f.name for f in fields(cls)})
        if unknown:
            raise DescentLabError(f"{where}.{unknown[0]}", "unknown field")
        given = cls(**given)
    if not isinstance(given, cls):
        raise DescentLabError(where, "must be an object")
    return given


def _stochastic(given: Any, problem: Problem, opt: Optimizer) -> Stochastic:
    given = _options(Stochastic, given, "stochastic")
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


def _restart_from(given: Any) -> RestartFrom:
    requested = isinstance(given, dict)
    given = _options(RestartFrom, given, "restart_from")
    if requested:  # a request's lists: the centre as a tuple, the box checked
        center, box = given.center, given.box
        given = replace(
            given,
            center=None if center is None else _center(center),
            box=None if box is None else _box(box),
        )
    if given.dist not in RESTART_DISTS:
        raise DescentLabError("restart_from.dist", f"must be one of {', '.join(RESTART_DISTS)}")
    # (a field the distribution does not read is refused, not silently ignored)
    if given.center is not None and given.dist != "normal":
        raise DescentLabError(
            "restart_from.center", f"is the mean of dist 'normal'; {given.dist!r} draws over `box`"
        )
    if given.box is not None and given.dist == "normal":
        raise DescentLabError(
            "restart_from.box", "is for dist 'uniform' or 'grid'; 'normal' draws around `center`"
        )
    sigma = given.sigma
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)):
        raise DescentLabError("restart_from.sigma", "must be a number")
    if not (math.isfinite(sigma) and 0 < sigma <= limits.MAX_BOUND):
        raise DescentLabError("restart_from.sigma", f"must be in (0, {limits.MAX_BOUND:g}]")
    return given


def _center(given: Any) -> tuple[float, ...]:
    """A centre as given in a request: numbers (their count is checked against the surface's
    dimension later)."""
    try:
        return tuple(float(v) for v in given)
    except (TypeError, ValueError):
        raise DescentLabError("restart_from.center", "must be a list of numbers") from None


def _box(given: Any) -> tuple[tuple[float, float], ...]:
    """A box [[lo, hi], …] as given in a request: each side finite, lo < hi, within
    ``limits.MAX_BOUND``; its dimension is checked against the surface's later."""
    try:
        box = np.array(given, dtype=float)
    except (TypeError, ValueError):
        raise DescentLabError("restart_from.box", "must be [[lo, hi], …] numbers") from None
    if box.ndim != 2 or box.shape[1] != 2 or not 1 <= box.shape[0] <= 2:
        raise DescentLabError("restart_from.box", "must be [[lo, hi]] or [[lo, hi], [lo, hi]]")
    if not (np.isfinite(box).all() and (np.abs(box) <= limits.MAX_BOUND).all()):
        raise DescentLabError("restart_from.box", f"must be finite, |v| <= {limits.MAX_BOUND:g}")
    if not (box[:, 0] < box[:, 1]).all():
        raise DescentLabError("restart_from.box", "each side must have lo < hi")
    return tuple((float(lo), float(hi)) for lo, hi in box)


def grid_points(box: np.ndarray, count: int) -> np.ndarray:
    """``count`` points at the centres of a grid's cells over ``box`` (D, 2): ⌈√count⌉
    columns (one row of ``count`` on a line), rows filled from the lowest y, x varying fastest;
    the last row may be short."""
    dim = box.shape[0]
    cols = count if dim == 1 else math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    k = np.arange(count)
    cells = np.stack([k % cols, k // cols], axis=1)[:, :dim] + 0.5
    sides = np.array([cols, rows][:dim], dtype=float)
    return box[:, 0] + cells / sides * (box[:, 1] - box[:, 0])


def _restart_points(
    problem: Problem, first: np.ndarray, restarts: int, seed: int, where: RestartFrom
) -> np.ndarray:
    rng = np.random.default_rng([seed, 0xC0FFEE])
    if where.dist in ("uniform", "grid"):
        box = problem.domain if where.box is None else np.array(where.box, dtype=float)
        if box.shape != (problem.dim, 2):
            raise DescentLabError(
                "restart_from.box", f"must have {problem.dim} side(s) for {problem.id!r}"
            )
        if where.dist == "grid":
            return grid_points(box, restarts)
        return rng.uniform(box[:, 0], box[:, 1], size=(restarts, problem.dim))
    center = first[0] if where.center is None else np.asarray(where.center, dtype=float)
    if center.shape != (problem.dim,) or not np.isfinite(center).all():
        raise DescentLabError(
            "restart_from.center", f"must be {problem.dim} finite number(s) for {problem.id!r}"
        )
    return rng.normal(center, where.sigma, size=(restarts, problem.dim))


def _starts(
    problem: Problem, start: Any, restarts: int, seed: int, where: RestartFrom
) -> np.ndarray:
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
        first = np.concatenate([first, _restart_points(problem, first, restarts, seed, where)])
    if first.shape[0] > limits.MAX_BATCH:
        raise DescentLabError("start", f"at most {limits.MAX_BATCH} start points")
    return first
