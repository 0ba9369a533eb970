"""What stays still in an animation: the surface's contours, the axes, the colour bar, the title
and formula, the legend and (with ``loss``) the loss plot's axes, drawn once by Plotly through
kaleido at the video's size.

The layout is ours to the pixel: fixed margins (``autoexpand`` off), each plot area's box chosen
here (equal axis scales computed here, not by Plotly's ``scaleanchor``) and given to Plotly as
axis domains in whole layout pixels. So :class:`Panel` maps data to the video's pixels exactly,
and the moving parts are drawn over this picture frame by frame (:mod:`.draw`).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import figures
from ..errors import DescentLabError

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from PIL import Image

    from ..engine import Trajectory
    from ..figures import Row
    from ..problems import Problem

LAYOUT_HEIGHT = 720  # layout pixels: text and lines keep their size relative to the video
TOP = 96  # title and formula, above the legend
LEFT, RIGHT, BOTTOM = 84, 36, 64
COLORBAR = 110  # right of a contour plot: the colour bar, its ticks and title
LOSS_GAP = 100  # between the colour bar and the loss plot: its tick labels and title
LOSS_SHARE = 0.36  # of the width, with `loss`
LEGEND_ROW = 26
LEGEND_FONT = 15
FORMULA_FONT, MIN_FORMULA_FONT = 16, 11
CHAR_WIDTH = 0.6  # an average character's width, in font sizes (a slight overestimate)
MAX_ASPECT = 3.0  # equal axis scales unless the domain is longer than this on one side
TINY = 1e-300  # f − f_min at the minimum itself, on a log axis
LOSS_DECADES = 18  # the loss plot's log axis spans at most this many powers of ten


@dataclass(frozen=True)
class Panel:
    """A plot area: its box in the video's pixels (left, top, right, bottom) and its axes'
    ranges (log10 of the values on a log axis)."""

    box: tuple[int, int, int, int]
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    def to_pixels(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Points (N,) x (N,) -> (N, 2) pixels from the box's top left corner (floats; NaN
        where a value is not finite)."""
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        with np.errstate(all="ignore"):
            px = (np.asarray(x, float) - x0) / (x1 - x0) * self.width
            py = (y1 - np.asarray(y, float)) / (y1 - y0) * self.height
        return np.column_stack([px, py])


@dataclass(frozen=True)
class Series:
    """One row's points in one panel, in the panel's axis units, and its last index."""

    x: np.ndarray
    y: np.ndarray
    last: int


@dataclass
class Scene:
    size: tuple[int, int]
    figure: go.Figure
    layout_width: int
    rows: list[Row]
    surface: Panel
    paths: list[Series]
    loss: Panel | None
    losses: list[Series]

    @property
    def scale(self) -> float:
        """Video pixels per layout pixel."""
        return self.size[1] / LAYOUT_HEIGHT

    @property
    def steps(self) -> int:
        return max(s.last for s in self.paths)


def build(
    trajectories: tuple[Trajectory, ...],
    size: tuple[int, int],
    title: str,
    loss: bool,
    domain: list[list[float]] | None = None,
) -> Scene:
    """The figure without its paths (their legend entries alone) and the panels' boxes,
    over ``domain`` (else the surface's)."""
    fig = figures.figure(*trajectories, domain=domain, points=False)  # one surface
    problem = trajectories[0].problem
    rows = sorted(figures.rows(trajectories), key=lambda r: r.best)
    width, height = size
    layout_width = max(1, round(LAYOUT_HEIGHT * width / height))
    top = TOP + LEGEND_ROW * _legend_rows(fig, layout_width) + 12
    x_range = tuple(fig.layout.xaxis.range)
    y_range = tuple(fig.layout.yaxis.range)
    right = layout_width - RIGHT
    loss_left = right - round((right - LEFT) * LOSS_SHARE) if loss else right + LOSS_GAP
    main_right = loss_left - LOSS_GAP - (COLORBAR if problem.dim == 2 else 0)
    box = _plot_box(problem, (LEFT, top, main_right, LAYOUT_HEIGHT - BOTTOM), x_range, y_range)
    scale = height / LAYOUT_HEIGHT
    surface = Panel(_scaled(box, scale), x_range, y_range)
    paths = [_path_series(problem, r) for r in rows]
    loss_panel: Panel | None = None
    losses: list[Series] = []
    if loss:
        losses, log, y_loss = _loss_series(problem, rows)
        loss_box = (loss_left, top, right, LAYOUT_HEIGHT - BOTTOM)
        steps = max(1, max(s.last for s in losses))
        loss_panel = Panel(_scaled(loss_box, scale), (0.0, float(steps)), y_loss)
        fig.update_layout(_loss_axes(loss_box, layout_width, y_loss, log, steps))
        # Plotly draws only axes that hold a trace
        fig.add_scatter(x=[None], y=[None], xaxis="x2", yaxis="y2", showlegend=False)
    fig.update_layout(_layout(problem, box, layout_width, top, title))
    if problem.dim == 2:
        fig.update_traces(selector={"type": "contour"}, colorbar=_colorbar(box, layout_width, top))
    return Scene(size, fig, layout_width, rows, surface, paths, loss_panel, losses)


def render(scene: Scene) -> Image.Image:
    """The still picture, at the video's size, as RGB: kaleido with Debian's or any installed
    Chromium, the installed plotly.js, and no MathJax (its default is a CDN: no download)."""
    from PIL import Image

    from ..api.plotly_bundle import PLOTLY_JS

    try:
        import kaleido

        png = kaleido.calc_fig_sync(
            scene.figure,
            opts={
                "format": "png",
                "width": scene.layout_width,
                "height": LAYOUT_HEIGHT,
                "scale": scene.scale,
            },
            kopts={"plotlyjs": str(PLOTLY_JS), "mathjax": False},
        )
    except Exception as err:  # no kaleido, no browser for it, or the browser failed
        why = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DescentLabError(
            "animation",
            f"cannot draw the figure ({why}); install the `animate` extra and a Chromium",
        ) from None
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return image if image.size == scene.size else image.resize(scene.size, Image.Resampling.LANCZOS)


def formula(problem: Problem) -> str:
    """The surface's formula as the page states it, with its parameters' values."""
    text: str = problem.describe()["display"]
    values = ", ".join(f"{name} = {value:g}" for name, value in problem.params.items())
    return f"{text}   ({values})" if values else text


def markup(text: str) -> str:
    """Plain formula text as Plotly's text markup: powers raised, · for *."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\^(\([^()]*\)|[\w.]+)", r"<sup>\1</sup>", text).replace("*", "·")


def _subtitle(text: str, width: int) -> dict[str, Any]:
    """The formula in one line: smaller type for a long one, cut short (…) if still too long."""
    chars = len(text) or 1
    size = max(MIN_FORMULA_FONT, min(FORMULA_FONT, int(width / (CHAR_WIDTH * chars))))
    fits = int(width / (CHAR_WIDTH * size))
    if chars > fits:
        text = text[: max(0, fits - 1)].rstrip("^ ") + "…"
    return {"text": markup(text), "font": {"size": size, "color": "#444"}}


def _plot_box(
    problem: Problem,
    area: tuple[int, int, int, int],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> tuple[int, int, int, int]:
    """The largest box in ``area`` (top-aligned, centred across) with equal axis scales, or all
    of ``area`` for a curve or a domain much longer one way than the other."""
    left, top, right, bottom = area
    width, height = right - left, bottom - top
    dx, dy = x_range[1] - x_range[0], y_range[1] - y_range[0]
    if problem.dim == 1 or not 1 / MAX_ASPECT <= dx / dy <= MAX_ASPECT:
        return area
    per_unit = min(width / dx, height / dy)
    w, h = round(dx * per_unit), round(dy * per_unit)
    x0 = left + (width - w) // 2
    return (x0, top, x0 + w, top + h)


def _scaled(box: tuple[int, int, int, int], scale: float) -> tuple[int, int, int, int]:
    left, top, right, bottom = (round(v * scale) for v in box)
    return left, top, right, bottom


def _legend_rows(fig: go.Figure, layout_width: int) -> int:
    """Rows of the horizontal legend: its entries packed greedily (an entry's width estimated
    from its name at the legend's font size)."""
    names = [t.name for t in fig.data if t.showlegend is not False and t.type == "scatter"]
    rows, used = 1, 0.0
    for name in names:
        width = 48 + 0.56 * LEGEND_FONT * len(name or "")
        if used and used + width > layout_width - LEFT - RIGHT:
            rows, used = rows + 1, 0.0
        used += width
    return rows


def _paper(box: tuple[int, int, int, int], layout_width: int, top: int) -> dict[str, list[float]]:
    """``box`` (layout pixels) as axis domains, fractions of the area inside the margins."""
    width, height = layout_width - LEFT - RIGHT, LAYOUT_HEIGHT - top - BOTTOM
    left, upper, right, lower = box
    return {
        "x": [(left - LEFT) / width, (right - LEFT) / width],
        "y": [(LAYOUT_HEIGHT - BOTTOM - lower) / height, (LAYOUT_HEIGHT - BOTTOM - upper) / height],
    }


def _layout(
    problem: Problem, box: tuple[int, int, int, int], layout_width: int, top: int, title: str
) -> dict[str, Any]:
    domain = _paper(box, layout_width, top)
    axis = {"automargin": False, "showgrid": False, "zeroline": False, "ticks": "outside"}
    font = {"family": "DejaVu Sans, Arial, sans-serif"}
    return {
        "width": layout_width,
        "height": LAYOUT_HEIGHT,
        "autosize": False,
        "margin": {"l": LEFT, "r": RIGHT, "t": top, "b": BOTTOM, "pad": 0, "autoexpand": False},
        "font": {**font, "size": 15},
        "title": {
            "text": title,
            "x": LEFT / layout_width,
            "xanchor": "left",
            "y": 1 - 12 / LAYOUT_HEIGHT,
            "yanchor": "top",
            "font": {"size": 26},
            "subtitle": _subtitle(formula(problem), layout_width - LEFT - RIGHT),
        },
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1 + 8 / (LAYOUT_HEIGHT - top - BOTTOM),
            "yanchor": "bottom",
            "font": {"size": LEGEND_FONT},
            "itemwidth": 40,
        },
        "xaxis": {**axis, "domain": domain["x"], "autorange": False},
        "yaxis": {**axis, "domain": domain["y"], "autorange": False},
        "showlegend": True,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
    }


def _colorbar(box: tuple[int, int, int, int], layout_width: int, top: int) -> dict[str, Any]:
    domain = _paper(box, layout_width, top)
    return {
        "x": domain["x"][1] + 14 / (layout_width - LEFT - RIGHT),
        "xanchor": "left",
        "y": sum(domain["y"]) / 2,
        "yanchor": "middle",
        "len": domain["y"][1] - domain["y"][0],
        "lenmode": "fraction",
        "thickness": 14,
        "title": {"side": "right"},
    }


def _loss_axes(
    box: tuple[int, int, int, int],
    layout_width: int,
    y_range: tuple[float, float],
    log: bool,
    steps: int,
) -> dict[str, Any]:
    top = box[1]
    domain = _paper(box, layout_width, top)
    axis = {"automargin": False, "zeroline": False, "ticks": "outside", "showline": True}
    return {
        "xaxis2": {
            **axis,
            "domain": domain["x"],
            "anchor": "y2",
            "range": [0, steps],
            "title": {"text": "step"},
        },
        "yaxis2": {
            **axis,
            "domain": domain["y"],
            "anchor": "x2",
            "type": "log" if log else "linear",
            "range": list(y_range),
            "exponentformat": "power",
            "tickfont": {"size": 13},  # powers of ten stand taller than plain numbers
            "dtick": max(1, math.ceil((y_range[1] - y_range[0]) / 6)) if log else None,
            "title": {"text": "f − f<sub>min</sub>" if log else "f"},
        },
    }


def _path_series(problem: Problem, row: Row) -> Series:
    t, n = row.traj, int(row.traj.nit[row.b]) + 1
    y = t.loss[row.b, :n] if problem.dim == 1 else t.path[row.b, :n, 1]
    return Series(t.path[row.b, :n, 0], y, n - 1)


def _loss_series(
    problem: Problem, rows: list[Row]
) -> tuple[list[Series], bool, tuple[float, float]]:
    """Each row's loss against its step: f − f_min on a log axis where the minimum is known
    (values in log10), else f; and the axis range over every finite value."""
    log = len(problem.minima) > 0
    fmin = float(np.min(problem.value(problem.minima))) if log else 0.0
    series = []
    for row in rows:
        n = int(row.traj.nit[row.b]) + 1
        loss = row.traj.loss[row.b, :n]
        with np.errstate(all="ignore"):
            y = np.log10(np.maximum(loss - fmin, TINY)) if log else loss.astype(float)
        series.append(Series(np.arange(n, dtype=float), np.where(np.isfinite(y), y, np.nan), n - 1))
    values = np.concatenate([s.y for s in series])
    values = values[np.isfinite(values)]
    if not len(values):
        return series, log, (0.0, 1.0)
    lo, hi = float(values.min()), float(values.max())
    if log:
        starts = [s.y[0] for s in series if np.isfinite(s.y[0])]
        start = math.ceil(max(starts) + 1e-9) if starts else math.ceil(hi)
        # at most LOSS_DECADES: a diverging run leaves through the top some decades above
        # its start, a converging one through the bottom (at machine precision, or 0)
        top = min(math.ceil(hi + 1e-9), start + LOSS_DECADES // 2)
        bottom = max(math.floor(lo), top - LOSS_DECADES)
        return series, log, (float(bottom), float(top if top > bottom else bottom + 1))
    pad = (hi - lo) * 0.05 or 1.0
    return series, log, (lo - pad, hi + pad)
