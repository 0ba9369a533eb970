"""The lab in a notebook: ``descentlab.Lab(...)``, an anywidget for Jupyter, JupyterLab and
VS Code.

The widget draws the surface's contours, its minima and every optimiser's path, with a slider
per hyperparameter; dragging a slider or the start marker reruns the optimisers here, in the
kernel, as ``POST /api/runs`` runs the same body. Python drives it through its traits
(``surface``, ``optimizers``, ``start``, ``max_steps``, ``settings``) and reads the runs back
from ``lab.trajectories``. Its JavaScript (``lab.js``) ships in the package: nothing is fetched.

    >>> lab = descentlab.Lab("rosenbrock", ["gd", {"id": "adam", "params": {"lr": 0.05}}])
    >>> lab                                  # shown in the notebook
    >>> lab.optimizers = [{"id": "momentum", "params": {"lr": 1e-3, "momentum": 0.9}}]
    >>> lab.trajectories[0].fun[0]           # row 0's final loss
    >>> descentlab.Lab.from_preset("duke-bowl-momentum")   # one of the notes' figures
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import contours, engine
from .api.schemas import RunBody
from .api.service import prepare_runs
from .errors import DescentLabError
from .figures import DASHES, PALETTE, SURFACE_FILL, log_heights, rows
from .optimizers import REGISTRY
from .presets import PRESETS
from .thin import scale, thin_indices

try:
    import anywidget
    import traitlets
    from pydantic import ValidationError
except ImportError as err:  # pragma: no cover - the notebook extra is not installed
    raise ImportError("descentlab.Lab needs anywidget: pip install 'descentlab[notebook]'") from err

LEVELS = 24  # contour lines, evenly spaced in f (or in log f where the surface asks for it)
GRID_POINTS = 120  # per axis: enough for smooth lines, small enough to send on every change


class Lab(anywidget.AnyWidget):
    """A live lab: ``Lab(surface, optimizers, start=None, max_steps=500, **settings)``.

    ``surface`` is a catalog id (``descentlab.surfaces()``), ``{"id": ..., "params": {...}}``
    or a typed surface such as ``{"expression": "x^2 + 10*y^2"}``; ``optimizers`` a list of
    ids or ``{"id": ..., "params": {...}, "schedule": ...}``; ``settings`` the other fields of
    a ``POST /api/runs`` body (``stop``, ``seed``, ``restarts``, ``restart_from``,
    ``stochastic``, ``epochs``), held in ``lab.settings``. The runs are the API's for the same
    body. Errors (an unknown id, a value out of range) are shown in the widget and kept in
    ``lab.error``, naming the field; the last good runs stay drawn."""

    _esm = Path(__file__).with_name("lab.js")
    _css = Path(__file__).with_name("lab.css")

    surface = traitlets.Union([traitlets.Unicode(), traitlets.Dict()]).tag(sync=True)
    optimizers = traitlets.List[Any]().tag(sync=True)
    start = traitlets.List[float](allow_none=True, default_value=None).tag(sync=True)
    max_steps = traitlets.Int(500).tag(sync=True)
    settings = traitlets.Dict().tag(sync=True)
    view = traitlets.Dict().tag(sync=True)  # a preset's "domain" and contour "levels"
    caption = traitlets.Unicode("").tag(sync=True)  # a preset's what-it-shows and how it differs
    # drawn by the JavaScript, computed here
    figure = traitlets.Dict().tag(sync=True)
    paths = traitlets.List[Any]().tag(sync=True)
    sliders = traitlets.List[Any]().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        surface: str | dict[str, Any] = "rosenbrock",
        optimizers: Sequence[str | dict[str, Any]] = ("gd",),
        *,
        start: Sequence[float] | None = None,
        max_steps: int = 500,
        view: dict[str, Any] | None = None,
        **settings: Any,
    ) -> None:
        self.trajectories: list[engine.Trajectory] = []
        self._figure_key: Any = None
        super().__init__(
            surface=surface,
            optimizers=[_as_entry(o) for o in optimizers],
            start=None if start is None else [float(v) for v in start],
            max_steps=max_steps,
            settings=settings,
            view=dict(view or {}),
        )
        self.observe(self._update, names=list(INPUTS))
        self._update()

    @classmethod
    def from_preset(cls, preset_id: str) -> Lab:
        """The lab set up as one of the notes' figures (``GET /api/presets``)."""
        preset = PRESETS_BY_ID.get(preset_id)
        if preset is None:
            raise DescentLabError("preset", f"unknown preset {preset_id!r}")
        run = dict(preset.run)
        fields = {
            k: run.pop(k) for k in ("surface", "optimizers", "start", "max_steps") if k in run
        }
        lab = cls(**fields, view=preset.view, **run)
        lab.caption = " ".join(filter(None, [
            f"{preset.title} ({preset.section}).", preset.description,
            preset.differs and f"Differs from the notes: {preset.differs}",
        ]))  # fmt: skip
        return lab

    def _update(self, change: dict[str, Any] | None = None) -> None:
        try:
            problem, specs = prepare_runs(self._body())
            self._draw_surface(problem)
            trajectories = [engine.run(spec) for spec in specs]
        except DescentLabError as err:
            self.error = f"{err.field}: {err.message}"
            return
        self.error = ""
        self.trajectories = trajectories
        self.paths = _paths(trajectories, self.figure)
        self.sliders = _sliders(self.optimizers)

    def _body(self) -> RunBody:
        """The API's run body for what the lab holds: validated as ``POST /api/runs`` does."""
        given = {**self.settings, "surface": self.surface, "optimizers": self.optimizers,
                 "start": self.start, "max_steps": self.max_steps}  # fmt: skip
        try:
            return RunBody.model_validate(given)
        except ValidationError as err:
            first = err.errors()[0]
            raise DescentLabError(".".join(map(str, first["loc"])), first["msg"]) from None

    def _draw_surface(self, problem: Any) -> None:
        key = (problem.id, repr(problem.params), repr(self.view))
        if key != self._figure_key:
            self.figure = _figure(problem, self.view)
            self._figure_key = key


INPUTS = ("surface", "optimizers", "start", "max_steps", "settings", "view")
PRESETS_BY_ID = {p.id: p for p in PRESETS}


def _as_entry(optimizer: str | dict[str, Any]) -> dict[str, Any]:
    """``{"id": ..., "params": {...}, ...}`` for an id or such a dict (validated later)."""
    if isinstance(optimizer, str):
        return {"id": optimizer, "params": {}}
    if not isinstance(optimizer, dict):
        return optimizer  # for the run body's validation to name
    return {**optimizer, "params": dict(optimizer.get("params") or {})}


def _figure(problem: Any, view: dict[str, Any]) -> dict[str, Any]:
    """What the widget draws under the paths: the grid of heights over the view's domain (the
    surface's own by default), its contour levels (the view's, or evenly spaced), the axis
    labels and the known minima. A 1-D surface: its curve, over the extent of f."""
    domain = view.get("domain") or problem.domain.tolist()
    axes = [np.linspace(lo, hi, GRID_POINTS) for lo, hi in domain]
    if problem.dim == 1:
        return _curve(problem, axes[0], _heights(problem, axes))
    Z, floor = contours.values(problem, domain, GRID_POINTS, GRID_POINTS, LEVELS)
    if view.get("levels"):
        z, zlabel, levels = Z, "f", [float(v) for v in view["levels"]]
    else:
        log = problem.surface.log_contours
        z, colorbar = log_heights(Z) if log else (Z, {"title": "f"})
        zlabel, levels = colorbar["title"], _even_levels(z)
        if floor is not None:  # lower heights would be beads along a valley (contours.py)
            start = float(contours.heights(np.array(floor), float(np.nanmin(Z)), log))
            levels = [v for v in levels if v >= start - 1e-9 * max(1.0, abs(start))]
    return {
        "dim": 2,
        "fill": [list(stop) for stop in SURFACE_FILL],
        "title": problem.surface.name,
        "labels": list(problem.surface.labels[:2]),
        "x": axes[0].tolist(),
        "y": axes[1].tolist(),
        "z": [[v if np.isfinite(v) else None for v in row] for row in z.tolist()],
        "levels": levels,
        "zlabel": zlabel,
        "minima": problem.minima[:, :2].tolist() if len(problem.minima) else [],
    }


def _curve(problem: Any, x: np.ndarray, f: np.ndarray) -> dict[str, Any]:
    lo, hi = float(np.nanmin(f)), float(np.nanmax(f))
    pad = (hi - lo) * 0.08 or 1.0
    minima = problem.minima[:, 0] if len(problem.minima) else np.empty(0)
    return {
        "dim": 1,
        "title": problem.surface.name,
        "labels": [problem.surface.labels[0], "f"],
        "x": x.tolist(),
        "y": [lo - pad, hi + pad],
        "curve": [v if np.isfinite(v) else None for v in f.tolist()],
        "levels": [],
        "zlabel": "f",
        "minima": [
            [float(m), float(v)]
            for m, v in zip(minima, problem.value(minima[:, None]), strict=True)
        ],
    }


def _even_levels(z: np.ndarray) -> list[float]:
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return np.linspace(lo, hi, LEVELS + 2)[1:-1].tolist()


def _heights(problem: Any, axes: list[np.ndarray]) -> np.ndarray:
    with np.errstate(all="ignore"):
        Z = np.asarray(problem.value_on_grid(axes), dtype=float)
    return np.where(np.isfinite(Z), Z, np.nan)


def _paths(trajectories: list[engine.Trajectory], figure: dict[str, Any]) -> list[dict[str, Any]]:
    """Each run's best row, named as figures name them, in the page's colours and dashes; for
    drawing only, a long path thinned as the page thins it (:mod:`.thin`)."""
    out = []
    for row in rows(tuple(trajectories)):
        if not row.best:
            continue
        t, n = row.traj, int(row.traj.nit[row.b]) + 1
        one = t.problem.dim == 1  # a point on the curve: (x, f)
        xy = (
            np.column_stack([t.path[row.b, :n, 0], t.loss[row.b, :n]]) if one else t.path[row.b, :n]
        )
        px = scale(figure["x"][0], figure["x"][-1]), scale(figure["y"][0], figure["y"][-1])
        xy = xy[thin_indices(xy[:, 0], xy[:, 1], *px)]
        finite = np.isfinite(xy).all(axis=1)
        out.append({
            "name": row.name,
            "color": PALETTE[row.run % len(PALETTE)],
            "dash": DASHES[row.run % len(DASHES)].replace("px", ""),
            "x": [float(v) if ok else None for v, ok in zip(xy[:, 0], finite, strict=True)],
            "y": [float(v) if ok else None for v, ok in zip(xy[:, 1], finite, strict=True)],
            "status": str(t.status[row.b]),
            "fun": float(t.fun[row.b]),
            "nit": n - 1,
        })  # fmt: skip
    return out


def _sliders(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A slider for every numeric hyperparameter of every optimiser, at its value now."""
    out = []
    for i, entry in enumerate(map(_as_entry, entries)):
        optimizer = REGISTRY.get(entry["id"])
        values = optimizer.resolve(entry.get("params"))
        for h in optimizer.hypers:
            if h.size != 1:
                continue
            out.append({**h.describe(), "optimizer": i, "value": values[h.name]})
    return out
