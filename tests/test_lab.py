"""The notebook lab's kernel side: what it computes for the widget and how it takes changes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

import descentlab
from descentlab.lab import Lab


def test_lab_runs_each_optimiser_as_run_does() -> None:
    lab = Lab("rosenbrock", ["gd", {"id": "adam", "params": {"lr": 0.05}}], max_steps=200)
    assert lab.error == ""
    expected = descentlab.run("rosenbrock", "adam", lr=0.05, max_steps=200)
    got = lab.trajectories[1]
    np.testing.assert_allclose(got.path, expected.path, rtol=1e-12, atol=0)
    drawn = lab.paths[1]
    assert drawn["x"][-1] == pytest.approx(expected.x[0, 0], rel=1e-12)
    assert drawn["nit"] == int(expected.nit[0])
    assert [p["name"] for p in lab.paths] == ["gd", "adam"]
    assert lab.paths[0]["color"] != lab.paths[1]["color"]


def test_a_changed_hyperparameter_or_start_reruns() -> None:
    lab = Lab("himmelblau", [{"id": "momentum", "params": {"lr": 1e-3, "momentum": 0.5}}])
    before = lab.paths[0]["x"][-1]
    lab.optimizers = [{"id": "momentum", "params": {"lr": 1e-3, "momentum": 0.9}}]
    assert lab.paths[0]["x"][-1] != before
    lab.start = [-3.0, 3.0]
    assert lab.paths[0]["x"][0] == -3.0 and lab.paths[0]["y"][0] == 3.0
    assert [s["value"] for s in lab.sliders if s["name"] == "momentum"] == [0.9]


def test_bad_input_is_named_and_keeps_the_last_runs() -> None:
    lab = Lab("rosenbrock", ["adam"])
    good = lab.paths
    lab.optimizers = [{"id": "adam", "params": {"lr": 99}}]
    assert lab.error.startswith("optimizers.0.params.lr:")
    assert lab.paths == good
    lab.surface = "no-such-surface"
    assert lab.error.startswith("surface:")
    lab.surface = "saddle"
    assert lab.error.startswith("optimizers.0.params.lr:")  # still out of range
    lab.optimizers = [{"id": "adam", "params": {"lr": 0.1}}]
    assert lab.error == "" and lab.trajectories[0].surface == "saddle"


def test_figure_holds_the_grid_levels_and_minima() -> None:
    lab = Lab({"id": "himmelblau", "params": {}}, ["gd"])
    fig = lab.figure
    assert len(fig["x"]) == len(fig["z"][0]) and len(fig["y"]) == len(fig["z"])
    assert len(fig["minima"]) == 4
    z = np.array(fig["z"], dtype=float)
    assert np.all(np.diff(fig["levels"]) > 0)
    assert np.nanmin(z) < fig["levels"][0] and fig["levels"][-1] < np.nanmax(z)


def test_figure_leaves_out_the_heights_that_would_be_beads() -> None:
    """Rosenbrock's sublevel sets are connected: on the widget's grid the lowest even heights
    would show as strings of pieces along the valley (contours.py), so they are not drawn. (A
    few drawn split off the thin tip where their set ends: one piece more at most.)"""
    fig = Lab("rosenbrock", ["gd"]).figure
    z = np.array(fig["z"], dtype=float)
    step = (np.nanmax(z) - np.nanmin(z)) / 25  # the widget's 24 even heights
    assert len(fig["levels"]) < 24 and fig["levels"][0] > np.nanmin(z) + 5 * step
    assert max(ndimage.label(z < level)[1] for level in fig["levels"]) <= 2
    lowest = [ndimage.label(z < np.nanmin(z) + k * step)[1] for k in range(1, 9)]
    assert min(lowest) > 1 and max(lowest) > 10  # the even heights left out: beads


def test_lab_is_exported_lazily() -> None:
    assert descentlab.Lab is Lab


def test_a_preset_opens_as_the_api_runs_it() -> None:
    from fastapi.testclient import TestClient

    from descentlab.api import create_app
    from descentlab.presets import PRESETS

    preset = next(p for p in PRESETS if p.id == "duke-bowl-momentum")
    lab = Lab.from_preset(preset.id)
    with TestClient(create_app()) as client:
        api = client.post("/api/runs", json=preset.run).json()["runs"][0]
    np.testing.assert_allclose(lab.trajectories[0].path[0], api["path"], rtol=1e-12, atol=1e-300)
    assert lab.figure["levels"] == preset.view["levels"]
    assert [lab.figure["x"][0], lab.figure["x"][-1]] == preset.view["domain"][0]
    assert preset.differs and lab.caption.endswith(f"Differs from the notes: {preset.differs}")


def test_a_one_dimensional_preset_draws_its_curve_and_points_on_it() -> None:
    lab = Lab.from_preset("parabola-lr-0.98")
    assert lab.error == "" and lab.figure["dim"] == 1
    assert len(lab.figure["curve"]) == len(lab.figure["x"])
    path = lab.paths[0]
    traj = lab.trajectories[0]
    assert path["y"][0] == pytest.approx(traj.loss[0, 0])  # (x, f) on the curve
    assert len(path["x"]) == int(traj.nit[0]) + 1  # every oscillation is visible


def test_long_paths_are_thinned_for_drawing_only() -> None:
    lab = Lab.from_preset("duke-rosenbrock-gd-100k")
    traj = lab.trajectories[0]
    assert traj.path.shape[1] == 100_001
    drawn = lab.paths[0]
    assert 50 < len(drawn["x"]) < 2_000
    assert (drawn["x"][-1], drawn["y"][-1]) == tuple(traj.x[0])  # the end is exact
    assert (drawn["x"][0], drawn["y"][0]) == tuple(traj.path[0, 0])


def test_unknown_preset_is_named() -> None:
    with pytest.raises(descentlab.DescentLabError, match="preset"):
        Lab.from_preset("no-such-preset")
