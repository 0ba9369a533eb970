"""Trajectories drawn as the page draws them, as Plotly figures for notebooks and files.

The surface's filled contours over its domain (log-scaled heights where the surface asks for
them) or, in 1-D, its curve; the known minima as stars; every row's path in its run's colour,
dash and marker (the page's, ``frontend/js/palette.js``), ringed at its start and marked at its
end. A run is one setting of one trajectory: the rows of a sweep are runs of their own, the
restarts of a run share its colour, drawn light under its best row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import contours
from .contours import LOG_EPS  # log contours show log10(f - fmin + LOG_EPS), as the page does
from .engine.spec import row_params
from .errors import DescentLabError
from .thin import scale, thin_indices

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from .engine import Trajectory
    from .problems import Problem

# frontend/js/palette.js (a test holds them equal): Okabe–Ito colours with 3:1 contrast on
# white, a dash and a marker per run, so colour is never the only cue.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#B8548A", "#9C6B00", "#6A3D9A", "#000000", "#5D5D5D")
DASHES = ("", "8px,4px", "2px,3px", "9px,3px,2px,3px", "15px,5px", "15px,3px,2px,3px,2px,3px",
          "4px,2px", "2px,2px,8px,2px")  # fmt: skip
# The contours' fill, low to high (palette.js SURFACE_FILL): the top is not white, so the
# surface's box shows where it is highest.
SURFACE_FILL = ((0, "#b8bcc2"), (0.5, "#e3e5e8"), (1, "#f2f3f5"))
SYMBOLS = ("circle", "square", "triangle-up", "triangle-down", "pentagon", "hexagon",
           "hourglass", "cross")  # fmt: skip
# Plotly's tool bar without the buttons that send a figure to Chart Studio (as the page's).
CONFIG = {"displaylogo": False, "showSendToCloud": False}
# plotly.js's cartesian bundle: every 2-D trace, a third of the full bundle's size; shipped
# with this package (its MIT licence beside it). The page's Plotly, and the one a standalone
# page inlines.
CARTESIAN_JS = Path(__file__).resolve().parent / "vendor" / "plotly-cartesian.min.js"
GRID_POINTS = 200  # per axis
DOTS_UP_TO = 300  # a dot per step on shorter 2-D paths
STAR = {"symbol": "star", "size": 15, "color": "#ffffff", "line": {"color": "#000", "width": 1.5}}


@dataclass(frozen=True)
class Row:
    """One row of one trajectory, as drawn: its name, its run's index (colour) and whether it
    is its run's best row (drawn on top, in the legend)."""

    traj: Trajectory
    b: int
    name: str
    run: int
    best: bool


def figure(*trajectories: Trajectory, domain: Any = None, points: bool = True) -> go.Figure:
    """The surface of ``trajectories`` (all on the same one) with every row's path, over
    ``domain`` (``[[xmin, xmax], [ymin, ymax]]``; by default the surface's own). Without
    ``points`` the paths are their legend entries alone (an animation draws them itself)."""
    import plotly.graph_objects as go

    problem = _shared_problem(trajectories)
    box = problem.domain if domain is None else np.asarray(domain, dtype=float)
    axes, Z, floor = _grid(problem, box)
    drawn = sorted(rows(trajectories), key=lambda r: r.best)  # best rows last, on top
    paths = [path_trace(problem, r, points, pixels(problem, box, Z)) for r in drawn]
    fig = go.Figure([*_surface_traces(problem, axes, Z, floor), *_minima_traces(problem), *paths])
    fig.update_layout(_layout(problem, box, Z))
    return fig


def standalone_html(fig: go.Figure) -> str:
    """A standalone page of ``fig``: plotly.js's cartesian bundle inlined (no CDN: it opens
    offline, from disk), no MathJax (its default is a CDN), the tool bar without Chart
    Studio's buttons."""
    div = fig.to_html(include_plotlyjs=False, include_mathjax=False, full_html=False, config=CONFIG)
    title = fig.layout.title.text or "DescentLab"
    plotly_js = CARTESIAN_JS.read_text(encoding="utf-8")
    return (
        f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
        f"<script>{plotly_js}</script>\n</head>\n<body>\n{div}\n</body>\n</html>\n"
    )


def write_html(fig: go.Figure, path: str | os.PathLike[str]) -> None:
    """A standalone page (:func:`standalone_html`), written to ``path``."""
    Path(path).write_text(standalone_html(fig), encoding="utf-8")


def write_png(fig: go.Figure, path: str | os.PathLike[str]) -> None:
    """A PNG through Plotly's image export: needs kaleido, which drives a Chrome or Chromium."""
    try:
        fig.write_image(path, format="png", width=900, height=700, scale=2)
    except (ImportError, RuntimeError, ValueError) as err:  # no kaleido, or no browser for it
        why = str(err).strip().splitlines()[0]
        raise DescentLabError(
            "png", f"cannot export an image ({why}); `pip install kaleido` and a Chromium"
        ) from None
    except OSError as err:
        raise DescentLabError("png", str(err)) from None


def _shared_problem(trajectories: tuple[Trajectory, ...]) -> Problem:
    if not trajectories:
        raise DescentLabError("trajectories", "draw at least one trajectory")
    first = trajectories[0].problem
    for t in trajectories[1:]:
        if (t.problem.id, t.problem.params) != (first.id, first.params):
            raise DescentLabError(
                "trajectories", f"drawn together, they must share a surface: {first.id!r} and "
                f"{t.problem.id!r} (or its parameters) differ"
            )  # fmt: skip
    return first


def rows(trajectories: tuple[Trajectory, ...]) -> list[Row]:
    """Every row, named by its optimiser, the hyperparameters that tell its run from the others
    of the same optimiser, and for restarts which row it is."""
    keys = [[repr(row_params(t.params, b)) for b in range(len(t.nit))] for t in trajectories]
    runs: dict[tuple[int, str], int] = {}  # (trajectory, setting) -> run
    settings = []
    for i, t in enumerate(trajectories):
        for b, key in enumerate(keys[i]):
            if (i, key) not in runs:
                runs[i, key] = len(runs)
                settings.append((t.optimizer, row_params(t.params, b)))
    labels = _labels(settings)
    out = []
    for i, t in enumerate(trajectories):
        for b, key in enumerate(keys[i]):
            run = runs[i, key]
            best = keys[i].count(key) == 1 or b == t.best
            out.append(Row(t, b, row_name(labels[run], b, best), run, best))
    return out


def row_name(label: str, b: int, best: bool) -> str:
    return label if best else f"{label}, " + (f"restart {b}" if b else "start given")


def _labels(settings: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Each run's optimiser, with the hyperparameters that differ among its optimiser's runs."""
    labels = []
    for optimizer, params in settings:
        others = [p for o, p in settings if o == optimizer]
        differ = [k for k in params if any(p[k] != params[k] for p in others)]
        shown = ", ".join(f"{k}={_show(params[k])}" for k in differ)
        labels.append(f"{optimizer} ({shown})" if shown else optimizer)
    return labels


def _show(value: Any) -> str:
    return "/".join(f"{v:g}" for v in value) if isinstance(value, list) else f"{value:g}"


def _grid(
    problem: Problem, domain: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, float | None]:
    """The axes over ``domain``, the problem's values there (non-finite ones NaN) and, for a
    2-D surface, the lowest contour height the grid draws truthfully (contours.py)."""
    axes = [np.linspace(lo, hi, GRID_POINTS) for lo, hi in domain]
    if problem.dim == 2:
        return axes, *contours.values(problem, domain.tolist(), GRID_POINTS, GRID_POINTS)
    with np.errstate(all="ignore"):
        Z = np.asarray(problem.value_on_grid(axes), dtype=float)
    return axes, np.where(np.isfinite(Z), Z, np.nan), None


def _surface_traces(
    problem: Problem, axes: list[np.ndarray], Z: np.ndarray, floor: float | None
) -> list[dict[str, Any]]:
    if problem.dim == 1:
        curve = {"type": "scatter", "mode": "lines", "x": axes[0], "y": Z, "name": "f"}
        return [{**curve, "showlegend": False, "line": {"color": "#555", "width": 2}}]
    log = problem.surface.log_contours
    z, colorbar = log_heights(Z) if log else (Z, {"title": "f"})
    trace: dict[str, Any] = {
        "type": "contour",
        "x": axes[0],
        "y": axes[1],
        "z": z,
        "name": "surface",
        "ncontours": contours.CONTOUR_LEVELS,
        "connectgaps": False,
        "colorscale": SURFACE_FILL,
        "contours": {"coloring": "fill", "showlines": True},
        "line": {"color": "rgba(20,24,30,0.45)", "width": 0.7},
        "colorbar": {**colorbar, "thickness": 12, "outlinewidth": 0},
        "hoverinfo": "skip",
    }
    if floor is not None:  # as the page: lower heights would be beads along a valley
        lo, hi = float(np.nanmin(z)), float(np.nanmax(z))
        start = float(contours.heights(np.array(floor), float(np.nanmin(Z)), log))
        size = (hi - lo) / (contours.CONTOUR_LEVELS + 1)
        trace["autocontour"] = False
        trace["contours"] |= {"start": start, "end": hi, "size": size}
    return [trace]


def log_heights(Z: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """log10(f - fmin + eps), with a colour bar ticked at the powers of ten."""
    zmin, zmax = np.nanmin(Z), np.nanmax(Z)
    top = int(np.ceil(np.log10(max(zmax - zmin, LOG_EPS) + LOG_EPS)))
    ticks = list(range(int(np.log10(LOG_EPS)), top + 1))
    colorbar = {
        "title": "f − f_min (log)",
        "tickvals": ticks,
        "ticktext": [f"1e{k}" for k in ticks],
    }
    return np.log10(Z - zmin + LOG_EPS), colorbar


def _minima_traces(problem: Problem) -> list[dict[str, Any]]:
    if not len(problem.minima):
        return []
    one = problem.dim == 1
    x = problem.minima[:, 0]
    y = problem.value(problem.minima) if one else problem.minima[:, 1]
    where = "x=%{x:.3g}" if one else "(%{x:.3g}, %{y:.3g})"
    return [
        {
            "type": "scatter",
            "mode": "markers",
            "x": x,
            "y": y,
            "name": "minimum",
            "marker": STAR,
            "hovertemplate": f"minimum {where}<extra></extra>",
        }
    ]


def pixels(problem: Problem, domain: np.ndarray, Z: np.ndarray) -> tuple[float, float]:
    """Pixels per unit on each axis of a figure over ``domain`` (a curve: its heights ``Z``),
    in thinning's reference box."""
    if problem.dim == 2:
        return scale(*domain[0]), scale(*domain[1])
    finite = Z[np.isfinite(Z)]
    heights = scale(float(finite.min()), float(finite.max())) if finite.size else 1.0
    return scale(*domain[0]), heights


def path_trace(
    problem: Problem, row: Row, points: bool = True, px: tuple[float, float] | None = None
) -> dict[str, Any]:
    """A row's path (in 1-D: its points on the curve), a ring at its start, its symbol at its
    end; restarts thin and light under their run's best row. A long path is thinned to the
    points half a pixel apart at ``px`` pixels per unit (:mod:`.thin`; the surface's domain by
    default); hovering names each point's step. Without ``points``, none of them: its legend
    entry (line, dash and end symbol) alone."""
    t, n, i = row.traj, int(row.traj.nit[row.b]) + 1, row.run
    one = problem.dim == 1
    x = t.path[row.b, :n, 0]
    y = t.loss[row.b, :n] if one else t.path[row.b, :n, 1]
    sx, sy = px or pixels(problem, problem.domain, y)
    steps = thin_indices(x, y, sx, sy)
    x, y, m = x[steps], y[steps], len(steps)
    dot = 7 if one else 4 if row.best and n <= DOTS_UP_TO else 0
    sizes = np.full(m, dot)
    sizes[0], sizes[-1] = 12, 13 if row.best else 8
    symbols = ["circle-open"] + [SYMBOLS[i % len(SYMBOLS)]] * (m - 1)
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": x,
        "y": y,
        "customdata": steps,
        "name": row.name,
        "legendgroup": f"run{i}",
        "showlegend": row.best,
        "opacity": 1 if row.best else 0.55,
        "line": {"color": _colour(i), "width": 2.2 if row.best else 1.1, "dash": _dash(i)},
        "marker": {"color": _colour(i), "size": sizes, "symbol": symbols},
        "hovertemplate": f"{row.name}<br>step %{{customdata}}<br>"
        + ("x=%{x:.4g}, f=%{y:.4g}" if one else "(%{x:.4g}, %{y:.4g})")
        + "<extra></extra>",
    }
    if not points:
        marker = {"color": _colour(i), "size": 10, "symbol": symbols[-1]}
        trace |= {"x": [None], "y": [None], "marker": marker, "hoverinfo": "skip"}
        trace["customdata"] = None
    return trace


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _dash(i: int) -> str:
    return DASHES[i % len(DASHES)] or "solid"


def _layout(problem: Problem, domain: np.ndarray, Z: np.ndarray) -> dict[str, Any]:
    """Axes over the domain (a diverging path does not stretch them); in 1-D, over the curve."""
    labels = problem.surface.labels
    x_range = domain[0].tolist()
    if problem.dim == 1:
        lo, hi = float(np.nanmin(Z)), float(np.nanmax(Z))
        pad = (hi - lo) * 0.08 or 1.0
        y_axis = {"title": "f", "range": [lo - pad, hi + pad]}
    else:
        y_axis = {"title": labels[1], "range": domain[1].tolist()}
    return {
        "title": problem.surface.name,
        "template": "plotly_white",
        "xaxis": {"title": labels[0], "range": x_range},
        "yaxis": y_axis,
        "legend": {"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"},
        "hovermode": "closest",
    }
