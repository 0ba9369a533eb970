"""The view as one self-contained HTML file: ``descentlab.view_html(source, path)``, ``descentlab
run ... --html FILE`` and ``POST /api/exports/html`` (the page's Export → HTML).

The figure is an animation's still (:mod:`.animation.scene`: title, formula, legend, contours,
colour bar and the loss plot's axes beside, in a layout of our own pixels) with the paths drawn
on it as Plotly traces: each row's path as :func:`.figures.path_trace` draws it and its loss
against step, both thinned for drawing (:mod:`.thin`). plotly.js's cartesian bundle is inlined
(:func:`.figures.standalone_html`): the file opens offline, from disk, and fetches nothing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import figures
from .thin import scale, thin_indices

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from .animation.scene import Scene
    from .figures import Row

SIZE = (1280, 720)  # the figure's pixels in the file (the layout is the still's, scaled to it)


def view_figure(
    source: Any,
    *,
    title: str | None = None,
    view: Sequence[Sequence[float]] | None = None,
    loss: bool = True,
    labels: Sequence[str] | None = None,
) -> go.Figure:
    """The figure of ``source`` (a preset id, a run body as ``POST /api/runs`` takes it, or
    Trajectory objects) over ``view`` (else a preset's own, else the surface's domain), with
    the loss plot beside unless ``loss`` is false; ``labels`` name the runs in order (as the
    page names them), else figures.py names them."""
    from .animation import resolve, view_box
    from .animation import scene as scenes

    trajectories, default_title, default_view = resolve(source)
    problem = trajectories[0].problem
    domain = view_box(view if view is not None else default_view, problem.dim)
    built = scenes.build(trajectories, SIZE, title or default_title, loss, domain)
    fig = built.figure
    built.rows = _renamed(fig, built.rows, labels or [])
    box = problem.domain if domain is None else np.asarray(domain, dtype=float)
    heights = np.array(built.surface.y_range) if problem.dim == 1 else box[-1]
    px = scale(*box[0]), scale(*heights)
    for row in built.rows:
        trace = figures.path_trace(problem, row, True, px)
        fig.add_trace({**trace, "showlegend": False})
    if built.loss is not None:
        fig.add_traces(_loss_traces(built))
    return fig


def _renamed(fig: go.Figure, rows: list[Row], labels: Sequence[str]) -> list[Row]:
    """``rows`` with run i named ``labels[i]`` (its restarts after it), and the figure's legend
    entries renamed alike."""
    out = []
    for row in rows:
        if row.run < len(labels):
            row = dataclasses.replace(row, name=figures.row_name(labels[row.run], row.b, row.best))
        out.append(row)
    names = {old.name: new.name for old, new in zip(rows, out, strict=True)}
    fig.for_each_trace(lambda t: t.update(name=names.get(t.name, t.name)))
    return out


def _loss_traces(built: Scene) -> list[dict[str, Any]]:
    """Each row's loss against step on the loss plot's axes (its values in log10 on a log
    axis: drawn as the values themselves), thinned as the paths are."""
    assert built.loss is not None
    log = built.figure.layout.yaxis2.type == "log"
    sx, sy = scale(*built.loss.x_range), scale(*built.loss.y_range)
    traces = []
    for row, series in zip(built.rows, built.losses, strict=True):
        keep = thin_indices(series.x, series.y, sx, sy)
        y = 10.0 ** series.y[keep] if log else series.y[keep]
        style = figures.path_trace(row.traj.problem, row, False)
        traces.append({
            "type": "scatter", "mode": "lines", "x": series.x[keep], "y": y,
            "xaxis": "x2", "yaxis": "y2", "name": row.name, "legendgroup": style["legendgroup"],
            "showlegend": False, "opacity": style["opacity"], "line": style["line"],
            "hovertemplate": f"{row.name}<br>step %{{x}}<br>loss %{{y:.4g}}<extra></extra>",
        })  # fmt: skip
    return traces


def view_html(
    source: Any,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    view: Sequence[Sequence[float]] | None = None,
    loss: bool = True,
    labels: Sequence[str] | None = None,
) -> Path:
    """Write the view of ``source`` (see :func:`view_figure`) as a standalone HTML file that
    opens offline; returns its path."""
    out = Path(path)
    fig = view_figure(source, title=title, view=view, loss=loss, labels=labels)
    out.write_text(figures.standalone_html(fig), "utf-8")
    return out
