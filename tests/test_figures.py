"""Trajectories drawn as the page draws them: ``Trajectory.figure()``, ``descentlab.figure``
and ``Trajectory.to_html`` (a standalone, offline file)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import descentlab
from descentlab import contours, figures
from descentlab.api.plotly_bundle import PLOTLY_JS, plotly_js_version

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"


def test_a_comparison_is_the_contours_the_minima_and_a_path_per_row() -> None:
    adam = descentlab.run("rosenbrock", "adam", start=(-1.5, 2), lr=0.02, max_steps=200)
    momentum = descentlab.run(
        "rosenbrock", "momentum", start=(-1.5, 2), lr=0.001, max_steps=200, restarts=2, seed=1
    )
    fig = descentlab.figure(adam, momentum)
    contour, minima, *paths = fig.data
    assert contour.type == "contour" and minima.name == "minimum"
    assert minima.marker.symbol == "star" and list(minima.x) == [1.0]
    assert len(paths) == 1 + 3 and all(p.type == "scatter" for p in paths)
    names = {p.name for p in paths}
    best = momentum.best
    assert "adam" in names and "momentum" in names and len(names) == 4
    assert list(paths[-1].x) == momentum.path[best, : momentum.nit[best] + 1, 0].tolist()
    colours = {p.name.split(",")[0]: p.line.color for p in paths}
    assert colours == {"adam": figures.PALETTE[0], "momentum": figures.PALETTE[1]}
    assert [s for s in paths[0].marker.symbol[:2]] == ["circle-open", "square"]  # start, path


def test_log_contours_where_the_surface_asks() -> None:
    rosen = descentlab.run("rosenbrock", "gd", max_steps=5).figure().data[0]
    assert rosen.colorbar.title.text.endswith("(log)") and min(rosen.z.ravel()) == -3
    bowl = descentlab.run("booth", "gd", max_steps=5).figure().data[0]
    assert bowl.colorbar.title.text == "f"


def test_contours_start_where_the_pages_do() -> None:
    """Heights below the grid's levels_from would be beads along Rosenbrock's valley: the
    figure starts its contours there, as the page does; a wide bowl keeps Plotly's own."""
    run = descentlab.run("rosenbrock", "gd", max_steps=5)
    rosen = run.figure().data[0]
    Z, floor = contours.values(run.problem, run.problem.domain.tolist(), 200, 200)
    assert floor is not None and rosen.autocontour is False
    start = contours.heights(np.array(floor), np.nanmin(Z), log=True)
    assert rosen.contours.start == pytest.approx(start)
    assert rosen.contours.size == pytest.approx((np.nanmax(rosen.z) - np.nanmin(rosen.z)) / 29)
    assert descentlab.run("booth", "gd", max_steps=5).figure().data[0].autocontour is None


def test_runs_of_one_optimiser_are_named_by_what_differs() -> None:
    sweep = descentlab.run("quadratic", "momentum", max_steps=20,
                           sweep={"lr": [1e-3, 5e-3], "momentum": [0.0, 0.9]})  # fmt: skip
    names = [p.name for p in sweep.figure().data[2:]]
    assert names == [
        "momentum (lr=0.001, momentum=0)",
        "momentum (lr=0.001, momentum=0.9)",
        "momentum (lr=0.005, momentum=0)",
        "momentum (lr=0.005, momentum=0.9)",
    ]
    a = descentlab.run("quadratic", "adam", lr=0.01, max_steps=5)
    b = descentlab.run("quadratic", "adam", lr=0.1, betas=(0.5, 0.999), max_steps=5)
    assert [p.name for p in descentlab.figure(a, b).data[2:]] == [
        "adam (lr=0.01, betas=0.9/0.999)",
        "adam (lr=0.1, betas=0.5/0.999)",
    ]


def test_one_dimension_is_the_curve_with_the_points_on_it() -> None:
    traj = descentlab.run("parabola", "gd", start=-10, lr=0.25, max_steps=30)
    curve, minima, path = traj.figure().data
    assert curve.type == "scatter" and curve.mode == "lines"
    assert list(minima.x) == [0.0] and list(minima.y) == [0.0]
    assert list(path.x) == traj.path[0, : traj.nit[0] + 1, 0].tolist()
    assert list(path.y) == traj.loss[0, : traj.nit[0] + 1].tolist()


def test_trajectories_on_different_surfaces_are_refused() -> None:
    a = descentlab.run("rosenbrock", "gd", max_steps=2)
    b = descentlab.run({"id": "rosenbrock", "params": {"b": 10}}, "gd", max_steps=2)
    with pytest.raises(descentlab.DescentLabError) as err:
        descentlab.figure(a, b)
    assert err.value.field == "trajectories"


def test_to_html_is_standalone_and_offline(tmp_path: Path) -> None:
    out = tmp_path / "run.html"
    descentlab.run("himmelblau", "adam", lr=0.05, max_steps=50).to_html(out)
    html = out.read_text()
    assert not re.search(r"<script[^>]*\bsrc=[\"']?(https?:)?//", html)
    # plotly.js's cartesian bundle, inlined: a third of the full one's size
    assert f"plotly.js (cartesian - minified) v{plotly_js_version('cartesian')}" in html
    assert figures.CARTESIAN_JS.read_text()[-2000:] in html
    assert len(html) < PLOTLY_JS.stat().st_size / 2
    assert '"displaylogo": false' in html


def test_the_palette_is_the_pages() -> None:
    js = (FRONTEND / "js" / "palette.js").read_text()

    def array(name: str) -> list[str]:
        body = re.search(rf"export const {name} = \[(.*?)\];", js, flags=re.S)
        assert body is not None
        return re.findall(r'"([^"]*)"', re.sub(r"//[^\n]*", "", body.group(1)))

    assert array("PALETTE") == list(figures.PALETTE)
    assert array("DASHES") == list(figures.DASHES)
    assert array("SYMBOLS") == list(figures.SYMBOLS)
    fill = re.search(r"export const SURFACE_FILL = (\[.*?\]);", js)
    assert fill is not None
    assert json.loads(fill.group(1)) == [list(stop) for stop in figures.SURFACE_FILL]
