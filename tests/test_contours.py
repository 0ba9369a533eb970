"""Contour heights a grid draws truthfully (descentlab.contours, the grid's ``levels_from``)."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import ndimage

from descentlab import contours
from descentlab.api import create_app
from descentlab.problems import CATALOG


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def figure_levels(z: np.ndarray, log: bool) -> tuple[np.ndarray, float]:
    """The grid on the figure's scale, and the step between the figure's heights."""
    h = contours.heights(z, float(np.nanmin(z)), log)
    return h, (np.nanmax(h) - np.nanmin(h)) / (contours.CONTOUR_LEVELS + 1)


def test_rosenbrocks_valley_is_one_piece_at_every_height_drawn(client: TestClient) -> None:
    """Every sublevel set {f < L} of Rosenbrock's function is connected (it holds the valley's
    floor y = x², and each of its vertical sections is an interval about it), so a figure
    whose contours show two pieces of one set shows minima the surface does not have. On the
    150 x 150 grid of the default view the lowest heights do: those are the ones left out; and
    at f ≈ 5.6 the grid split off the thin tip where the set ends, near (−1.4, 1.9): the heights
    drawn are moved off it, by a fraction of their step."""
    g = client.get("/api/surfaces/rosenbrock/grid", params={"nx": 150, "ny": 150}).json()
    z = np.array(g["z"], dtype=float)
    floor = g["levels_from"]
    assert 0.3 < floor < 3  # f − f_min: the valley is narrower than a cell below about 1
    h, size = figure_levels(z, log=True)
    start = np.log10(floor - g["zmin"] + contours.LOG_EPS)
    drawn = np.arange(start, np.nanmax(h), size)
    left_out = np.arange(np.nanmin(h) + size, start - size / 2, size)
    assert len(drawn) >= 10 and len(left_out) >= 10
    pieces = [ndimage.label(h < level)[1] for level in drawn]
    assert pieces == [1] * len(drawn), pieces
    # (with the heights unmoved, one of them would split the tip off)
    unmoved = np.nanmin(h) + size * np.arange(1, contours.CONTOUR_LEVELS + 1)
    assert any(ndimage.label(h < level)[1] > 1 for level in unmoved if level > start)
    assert all(ndimage.label(h < level)[1] > 1 for level in left_out[:3])  # beads


def test_a_zoom_draws_the_heights_its_own_grid_resolves(client: TestClient) -> None:
    home = client.get("/api/surfaces/rosenbrock/grid", params={"nx": 150, "ny": 150}).json()
    view = {"xmin": 0.5, "xmax": 1.2, "ymin": 0.2, "ymax": 1.3}
    zoomed = client.get("/api/surfaces/rosenbrock/grid", params={"nx": 150, "ny": 150, **view})
    assert zoomed.json()["levels_from"] < home["levels_from"] / 10


@pytest.mark.parametrize("surface", ["quadratic", "himmelblau", "booth", "saddle"])
def test_wide_basins_draw_every_height(client: TestClient, surface: str) -> None:
    g = client.get(f"/api/surfaces/{surface}/grid", params={"nx": 150, "ny": 150}).json()
    assert g["levels_from"] is None


def test_the_grid_is_every_other_point_of_the_fine_one(client: TestClient) -> None:
    """What the figure draws is the surface at the grid's own points (to float32)."""
    g = client.get("/api/surfaces/beale/grid", params={"nx": 40, "ny": 30}).json()
    problem = CATALOG.by_id["beale"].bind()
    X, Y = np.meshgrid(g["x"], g["y"])
    expected = problem.value(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    np.testing.assert_allclose(np.array(g["z"], dtype=float), expected, rtol=1e-6)


def test_large_grids_and_curves_are_not_checked(client: TestClient) -> None:
    n = contours.MAX_CHECKED + 1
    g = client.get("/api/surfaces/rosenbrock/grid", params={"nx": n, "ny": 10}).json()
    assert g["levels_from"] is None and len(g["x"]) == n
    assert "levels_from" not in client.get("/api/surfaces/parabola/grid").json()


@pytest.mark.parametrize("surface", ["rosenbrock", "nightmare", "goldstein-price"])
def test_no_height_drawn_shows_a_false_island(client: TestClient, surface: str) -> None:
    """A piece of {f < L} a few grid points across that a grid four times as fine joins to
    another piece is a closed contour where the surface has no minimum. None is drawn."""
    g = client.get(f"/api/surfaces/{surface}/grid", params={"nx": 150, "ny": 150}).json()
    problem = CATALOG.by_id[surface].bind()
    log = problem.surface.log_contours
    z = np.array(g["z"], dtype=float)
    finer = np.asarray(
        problem.value_on_grid([np.linspace(a[0], a[-1], 4 * len(a) - 3) for a in (g["x"], g["y"])])
    )
    h, size = figure_levels(z, log)
    zmin = float(np.nanmin(z))
    start = (
        np.nanmin(h) + size
        if g["levels_from"] is None
        else contours.heights(np.array(g["levels_from"]), zmin, log)
    )
    for level in np.arange(start, np.nanmax(h), size):
        labels, n = ndimage.label(h < level)
        fine = ndimage.label(contours.heights(finer, zmin, log) < level)[0][::4, ::4]
        for piece in range(1, n + 1):
            points = labels == piece
            if points.sum() > contours.ISLAND:
                continue
            joined = set(np.unique(fine[points])) & set(np.unique(fine[(labels > 0) & ~points]))
            assert not joined, (surface, float(level), piece)
