"""What the routes and the WebSocket do with a validated body: build run specs, run them,
encode the result. Plain functions, called in the app's thread pool.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import functools
import io
import os
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

import numpy as np

from .. import basins, contours, engine, limits, rulestate
from ..analysis import classify
from ..engine.spec import row_settings
from ..errors import DescentLabError
from ..optimizers import REGISTRY
from ..problems import Problem, make_problem
from .responses import dumps
from .schemas import (
    BasinBody,
    RowColumns,
    RunBody,
    ScheduleRef,
    StateBody,
    SweepBody,
    surface_spec,
)

T = TypeVar("T")

HELPERS = (os.cpu_count() or 1) - 1
"""Tasks a sweep or basin map may add to the server's pool beside its own thread (blocks of
rows a busy pool leaves to that thread: see ``engine.columns.finish``)."""

CSV_COLUMNS = ("run", "optimizer", "row", "step", "x", "y", "loss", "grad_norm", "step_size", "lr")


async def offload(pool: Executor, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in ``pool``: CPU work never blocks the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, functools.partial(fn, *args))


def prepare_runs(body: RunBody) -> tuple[Problem, list[engine.RunSpec]]:
    """One :class:`engine.RunSpec` per optimiser; errors name the field of ``body``."""
    problem = make_problem(surface_spec(body.surface))
    stop = engine.Stop(max_steps=body.max_steps, **body.stop.model_dump())
    specs = []
    for i, ref in enumerate(body.optimizers):
        optimizer = REGISTRY.get(ref.id, f"optimizers.{i}.id")
        schedule = (
            ref.schedule.model_dump() if isinstance(ref.schedule, ScheduleRef) else ref.schedule
        )
        try:
            spec = engine.prepare(
                problem,
                optimizer,
                start=body.start if ref.start is None else ref.start,
                params=ref.params,
                schedule=schedule,
                stop=stop,
                seed=body.seed,
                restarts=body.restarts,
                restart_from=body.restart_from.model_dump() if body.restart_from else None,
                stochastic=body.stochastic.model_dump() if body.stochastic else None,
                epochs=body.epochs,
            )
        except DescentLabError as err:
            if err.field.split(".")[0] in ("params", "schedule") or (
                err.field == "start" and ref.start is not None
            ):
                raise err.within(f"optimizers.{i}") from None
            raise
        specs.append(spec)
    field = "epochs" if body.epochs else "max_steps"
    points = sum(s.starts.shape[0] * (s.stop.max_steps + 1) for s in specs)
    if points > limits.MAX_RUN_POINTS:
        raise DescentLabError(
            field,
            f"(1 + restarts) x (steps + 1) x optimizers = {points:,} points is over the "
            f"limit of {limits.MAX_RUN_POINTS:,} per request",
        )
    # a loss summed over its data at every step (the full loss is recorded with a minibatch's)
    n = problem.summed_per_step
    steps = sum(s.starts.shape[0] * s.stop.max_steps for s in specs)
    if steps * n > limits.MAX_RUN_DATA_FIT_WORK:
        raise DescentLabError(
            field,
            f"(1 + restarts) x steps x optimizers x n = {steps:,} x {n:,} = {steps * n:,} is "
            f"over the limit of {limits.MAX_RUN_DATA_FIT_WORK:,} for {problem.id!r}, whose every "
            "step sums over its n data points: take fewer steps, restarts or points",
        )
    return problem, specs


def run_model(body: RunBody) -> tuple[engine.Trajectory, ...]:
    """Every optimiser of ``body`` run to its end, once: one Trajectory each."""
    _, specs = prepare_runs(body)
    return tuple(engine.run(spec) for spec in specs)


def run_result(body: RunBody) -> dict[str, Any]:
    """The JSON result of ``POST /api/runs`` (docs/api.md, "Run result")."""
    return result_of(run_model(body))


def result_of(trajectories: tuple[engine.Trajectory, ...]) -> dict[str, Any]:
    """Runs as ``POST /api/runs`` answers them."""
    runs = []
    for traj in trajectories:
        rows = [traj.row(b) for b in range(len(traj.nit))]
        runs.append({**rows[0], "restarts": rows[1:], "best": traj.best})
    return {"surface": trajectories[0].problem.describe(), "runs": runs}


def state_result(body: StateBody) -> dict[str, Any]:
    """``POST /api/states``: each optimiser's path from the start with what its rule keeps at
    every point (:mod:`descentlab.rulestate`; docs/api.md, "Optimiser state")."""
    problem, specs = prepare_runs(body)
    field = "epochs" if body.epochs else "max_steps"
    runs = [rulestate.to_json(rec) for rec in rulestate.records(specs, field)]
    return {"surface": problem.describe(), "kept": rulestate.KEPT, "runs": runs}


def sweep_result(body: SweepBody, pool: Executor | None = None) -> dict[str, Any]:
    """Final results of every setting of a sweep (no paths: there may be 40,000 of them), in
    the names of a run's rows (:class:`RowColumns`); ``pool``'s other threads (the server's
    pool this runs in) may take a share of the rows."""
    problem = make_problem(surface_spec(body.surface))
    ref = body.optimizer
    schedule = ref.schedule.model_dump() if isinstance(ref.schedule, ScheduleRef) else ref.schedule
    try:
        spec = engine.prepare(
            problem,
            REGISTRY.get(ref.id, "optimizer.id"),
            start=body.start,
            params=ref.params,
            schedule=schedule,
            stop=engine.Stop(max_steps=body.max_steps, **body.stop.model_dump()),
            seed=body.seed,
            sweep=body.sweep,
        )
    except DescentLabError as err:
        if err.field.split(".")[0] in ("params", "schedule"):
            raise err.within("optimizer") from None
        raise
    check_data_fit_work(problem, "settings", spec.starts.shape[0], body.max_steps)
    # only the last chunk: each row's final values in its last column
    last = engine.final(spec, pool=pool, helpers=HELPERS)
    return {
        "surface": problem.describe(),
        "optimizer": ref.id,
        "names": list(body.sweep),
        "settings": row_settings(spec.params, list(body.sweep), len(last.nit)),
        **last.columns(*RowColumns.model_fields),
    }


def check_data_fit_work(problem: Problem, rows_are: str, rows: int, max_steps: int) -> None:
    """Refuse (naming ``max_steps``) a sweep or basin map on a data-fit loss whose every
    full-batch step sums over its n samples when rows x max_steps x n is over the limit: its
    cost grows with n, which the limits on rows and steps alone do not see."""
    n = problem.summed_per_step
    work = rows * max_steps * n
    if work > limits.MAX_DATA_FIT_WORK:
        raise DescentLabError(
            "max_steps",
            f"{rows_are} x max_steps x n = {rows:,} x {max_steps:,} x {n:,} = {work:,} is over "
            f"the limit of {limits.MAX_DATA_FIT_WORK:,} for {problem.id!r}, whose every step "
            "sums over its n data points: take fewer steps, a smaller grid or fewer points",
        )


def basin_result(body: BasinBody, pool: Executor | None = None) -> dict[str, Any]:
    """``POST /api/basins``: every start of the grid is one row of one batch (final values
    only, as a sweep's); each row labelled by the minimum it ends in (:mod:`descentlab.basins`).
    ``pool`` as :func:`sweep_result`'s."""
    problem = make_problem(surface_spec(body.surface))
    if problem.dim != 2:
        raise DescentLabError("surface", f"{problem.id!r} is 1-D; a basin map needs two")
    ref = body.optimizer
    opt = REGISTRY.get(ref.id, "optimizer.id")
    if opt.driver is not None:
        raise DescentLabError(
            "optimizer.id",
            f"{opt.id!r} is scipy's method, run one start at a time: too slow for a basin map "
            "(newton and the first-order rules run the whole grid at once)",
        )
    if opt.family == "zeroth-order":
        raise DescentLabError(
            "optimizer.id",
            f"{opt.id!r} never converges by the stopping rules (it has no gradient, and "
            "loss_tol does not apply to it), so every start would be labelled -1",
        )
    view = problem.domain if body.view is None else np.array(body.view, dtype=float)
    x, y, starts = basins.grid_starts(view, body.nx, body.ny)
    schedule = ref.schedule.model_dump() if isinstance(ref.schedule, ScheduleRef) else ref.schedule
    try:
        spec = engine.prepare(
            problem,
            opt,
            start=starts,  # every start of the grid is a row
            params=ref.params,
            schedule=schedule,
            stop=engine.Stop(max_steps=body.max_steps, **body.stop.model_dump()),
            seed=body.seed,
        )
    except DescentLabError as err:
        if err.field.split(".")[0] in ("params", "schedule"):
            raise err.within("optimizer") from None
        raise
    check_data_fit_work(problem, "nx x ny", body.nx * body.ny, body.max_steps)
    limit = limits.MAX_BASIN_STEPS if engine.compiles(spec) else limits.MAX_BASIN_STEPS_ON_NUMPY
    work = body.nx * body.ny * body.max_steps
    if work > limit:
        raise DescentLabError(
            "max_steps",
            f"nx x ny x max_steps = {work:,} is over the limit of {limit:,} for {opt.id!r} "
            f"on {problem.id!r}",
        )
    # numpy in chunks of 16 steps: 40,000 rows make ~5 MB a chunk array
    last = engine.final(spec, chunk=16, pool=pool, helpers=HELPERS)
    converged = np.array(last.status) == "converged"
    tol = basins.TOLERANCE * float(np.hypot(*(view[:, 1] - view[:, 0])))
    found = basins.label_ends(last.path[:, -1], converged, last.loss[:, -1], problem.minima, tol)
    with np.errstate(all="ignore"):  # what each is: a clustered end may be a saddle (Newton)
        H = problem.hess(found.minima)
    kinds = [classify(np.linalg.eigvalsh(h)) if np.isfinite(h).all() else "undefined" for h in H]
    shape = (body.ny, body.nx)
    return {
        "surface": problem.describe(),
        "optimizer": ref.id,
        "x": x,
        "y": y,
        "labels": found.labels.reshape(shape),
        "minima": found.minima,
        "listed": found.listed,
        "kinds": kinds,
        "tolerance": tol,
        "nit": last.nit.reshape(shape),
        "counts": {status: last.status.count(status) for status in engine.STATUSES},
    }


def run_json(body: RunBody) -> bytes:
    return dumps(run_result(body))


def run_csv(body: RunBody) -> str:
    return csv_of(run_model(body))


def csv_of(trajectories: tuple[engine.Trajectory, ...]) -> str:
    """Runs as CSV, one line per point of every row (empty cells for non-finite)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i, traj in enumerate(trajectories):
        for b, steps in enumerate(traj.nit):
            n = int(steps) + 1
            P = traj.path[b, :n]
            y = P[:, 1] if P.shape[1] > 1 else np.full(n, np.nan)
            lr = traj.lr[b, :n] if traj.lr is not None else np.full(n, np.nan)
            columns = (
                P[:, 0],
                y,
                traj.loss[b, :n],
                traj.grad_norm[b, :n],
                traj.step_size[b, :n],
                lr,
            )
            for t, values in enumerate(zip(*columns, strict=True)):
                writer.writerow([i, traj.optimizer, b, t, *map(_cell, values)])
    return out.getvalue()


def _cell(v: float) -> str:
    return repr(float(v)) if np.isfinite(v) else ""


def grid(
    problem: Problem,
    nx: int,
    ny: int,
    box: list[tuple[float | None, float | None]],
    encoding: str = "json",
    derivatives: bool = False,
) -> bytes:
    """Values on an nx x ny grid in one batched call. ``z`` is float32 (plenty for a contour:
    ~7 digits): as JSON numbers (non-finite ones null), or with ``encoding="base64"`` as the
    little-endian bytes of the whole array (non-finite ones NaN), which a browser decodes into a
    Float32Array without parsing 40,000 numbers, at half the bytes and a tenth the encoding.
    A 2-D grid also has ``levels_from``: the lowest contour height it draws truthfully, or null
    when it draws all of them or is not checked (:mod:`descentlab.contours`).
    ``derivatives``: also the symbolic gradient's components (``gradient``) and, in 1-D, f″
    (``second``), on the same grid and encoded alike."""
    if derivatives and problem.data is not None:
        raise DescentLabError(
            "derivatives", "not on a data-fit surface (its grid is sums over the data)"
        )
    ranges = []
    for axis, (lo, hi) in enumerate(box[: problem.dim]):
        lo = float(problem.domain[axis, 0]) if lo is None else lo
        hi = float(problem.domain[axis, 1]) if hi is None else hi
        if not lo < hi:
            name = "xy"[axis]
            raise DescentLabError(f"{name}min", f"must be below {name}max ({lo:g} >= {hi:g})")
        ranges.append((lo, hi))
    axes = [np.linspace(*ranges[0], nx)]
    if problem.dim == 2:
        axes.append(np.linspace(*ranges[1], ny))
    out: dict[str, Any] = dict(zip("xy", axes, strict=False))
    if problem.dim == 2:
        Z, out["levels_from"] = contours.values(problem, ranges, nx, ny)
    else:
        with np.errstate(all="ignore"):
            Z = np.asarray(problem.value_on_grid(axes), dtype=float)  # (nx,)
        Z = np.where(np.isfinite(Z), Z, np.nan)
    zmin, zmax = np.fmin.reduce(Z, axis=None), np.fmax.reduce(Z, axis=None)  # NaN: none
    out["z"] = _encode_grid(Z, encoding)
    if derivatives:
        with np.errstate(all="ignore"):
            out.update(_grid_derivatives(problem, axes, Z.shape, encoding))
    out["zmin"] = None if np.isnan(zmin) else float(zmin)
    out["zmax"] = None if np.isnan(zmax) else float(zmax)
    return dumps(out)


def _encode_grid(Z: np.ndarray, encoding: str) -> Any:
    z = np.where(np.isfinite(Z), Z, np.nan).astype("<f4")
    if encoding == "base64":
        data = base64.b64encode(z.tobytes()).decode("ascii")
        return {"dtype": "float32", "shape": list(z.shape), "base64": data}
    return z  # orjson writes NaN as null


def _grid_derivatives(
    problem: Problem, axes: list[np.ndarray], shape: tuple[int, ...], encoding: str
) -> dict[str, Any]:
    """The gradient's components (and f″ on a curve) at every grid point, from the same
    symbolic derivatives the engine steps with, in the grid's own order (y slowest)."""
    mesh = np.meshgrid(*axes)
    X = np.column_stack([m.ravel() for m in mesh])
    _, G = problem.value_and_grad(X)
    out: dict[str, Any] = {
        "gradient": [_encode_grid(G[:, k].reshape(shape), encoding) for k in range(problem.dim)]
    }
    if problem.dim == 1:
        out["second"] = _encode_grid(problem.hess(X)[:, 0, 0].reshape(shape), encoding)
    return out
