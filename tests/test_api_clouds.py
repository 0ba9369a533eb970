"""Particle clouds: restarts drawn uniformly over a box, on a grid, or around a point; up to
limits.MAX_RESTARTS of them; bad input refused naming its field."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

import descentlab
from descentlab import limits
from descentlab.api import create_app
from descentlab.engine.spec import grid_points


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def cloud(**overrides: object) -> dict:
    body = {
        "surface": "himmelblau",
        "start": [0.0, 0.0],
        "max_steps": 50,
        "optimizers": [{"id": "gd", "params": {"lr": 0.01}}],
    }
    return {**body, **overrides}


def starts_of(run: dict) -> np.ndarray:
    return np.array([row["path"][0] for row in [run, *run["restarts"]]])


def test_a_grid_cloud_starts_at_the_cell_centres_of_the_box(client: TestClient) -> None:
    box = [[-4.0, 4.0], [-2.0, 2.0]]
    body = cloud(restarts=12, restart_from={"dist": "grid", "box": box})
    (run,) = client.post("/api/runs", json=body).json()["runs"]
    starts = starts_of(run)[1:]
    # ⌈√12⌉ = 4 columns, 3 rows: x at the centres of 4 cells of 2, y of 3 cells of 4/3
    xs, ys = [-3.0, -1.0, 1.0, 3.0], [-2 + 2 / 3, 0.0, 2 - 2 / 3]
    expected = [[x, y] for y in ys for x in xs]
    np.testing.assert_allclose(starts, expected, atol=1e-12)


def test_a_short_last_row_and_a_line(client: TestClient) -> None:
    np.testing.assert_allclose(
        grid_points(np.array([[0.0, 3.0], [0.0, 2.0]]), 5),
        [[0.5, 0.5], [1.5, 0.5], [2.5, 0.5], [0.5, 1.5], [1.5, 1.5]],
    )
    np.testing.assert_allclose(grid_points(np.array([[0.0, 4.0]]), 4), [[0.5], [1.5], [2.5], [3.5]])


def test_a_uniform_cloud_stays_in_its_box_and_is_seeded(client: TestClient) -> None:
    box = [[1.0, 2.0], [-3.0, -2.5]]
    body = cloud(restarts=200, restart_from={"dist": "uniform", "box": box}, seed=7)
    first = starts_of(client.post("/api/runs", json=body).json()["runs"][0])[1:]
    again = starts_of(client.post("/api/runs", json=body).json()["runs"][0])[1:]
    other = starts_of(client.post("/api/runs", json={**body, "seed": 8}).json()["runs"][0])[1:]
    lo, hi = np.array(box).T
    assert ((first >= lo) & (first <= hi)).all()
    assert first.min(axis=0) == pytest.approx(lo, abs=0.05)
    assert first.max(axis=0) == pytest.approx(hi, abs=0.05)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_a_cloud_of_the_largest_size_runs_and_its_best_is_the_lowest(client: TestClient) -> None:
    body = cloud(restarts=limits.MAX_RESTARTS, restart_from={"dist": "grid"})
    (run,) = client.post("/api/runs", json=body).json()["runs"]
    rows = [run, *run["restarts"]]
    assert len(rows) == 1000
    finals = [row["loss"][-1] for row in rows]
    assert finals[run["best"]] == min(finals)


def test_the_limits_name_the_cloud(client: TestClient) -> None:
    answer = client.get("/api/limits").json()["limits"]
    assert answer["max_restarts"] == limits.MAX_RESTARTS == 999


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"restarts": limits.MAX_RESTARTS + 1}, ["restarts"]),
        ({"restarts": 4, "restart_from": {"dist": "lattice"}}, ["restart_from", "dist"]),
        (
            {"restarts": 4, "restart_from": {"dist": "grid", "box": [[1, 0], [0, 1]]}},
            ["restart_from", "box"],
        ),
        (
            {"restarts": 4, "restart_from": {"dist": "grid", "box": [[0, 1]]}},
            ["restart_from", "box"],
        ),
        (
            {"restarts": 4, "restart_from": {"dist": "uniform", "box": [[0, 1, 2], [0, 1]]}},
            ["restart_from", "box"],
        ),
        ({"restarts": 4, "restart_from": {"box": [[0, 1e13], [0, 1]]}}, ["restart_from", "box"]),
        ({"restarts": 4, "restart_from": {"box": [[0, "a"], [0, 1]]}}, ["restart_from", "box"]),
        (
            {"restarts": 4, "restart_from": {"dist": "normal", "sigma": 0}},
            ["restart_from", "sigma"],
        ),
        # a field the distribution would not read: refused, not ignored
        (
            {"restarts": 4, "restart_from": {"dist": "uniform", "center": [0, 0]}},
            ["restart_from", "center"],
        ),
        (
            {"restarts": 4, "restart_from": {"dist": "normal", "box": [[0, 1], [0, 1]]}},
            ["restart_from", "box"],
        ),
        # 1,000 particles of 1,000 steps each: over the points one request may carry
        ({"restarts": 999, "max_steps": 1000}, ["max_steps"]),
    ],
)
def test_bad_clouds_are_refused_naming_the_field(
    client: TestClient, overrides: dict, loc: list
) -> None:
    r = client.post("/api/runs", json=cloud(**overrides))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][1 : 1 + len(loc)] == loc


def test_the_websocket_refuses_a_bad_box_naming_it(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        body = cloud(restarts=4, restart_from={"dist": "grid", "box": [[1, 0], [0, 1]]})
        ws.send_json({"type": "run", "id": "c1", **body})
        msg = ws.receive_json()
        assert msg["type"] == "error" and msg["field"].startswith("restart_from.box")


@pytest.mark.parametrize(
    ("restart_from", "message"),
    [
        ({"dist": "normal", "center": 5}, "list of numbers"),
        ({"dist": "normal", "center": ["a", 1]}, "list of numbers"),
        ({"dist": "normal", "center": [1]}, "2 finite number(s)"),
        ({"dist": "grid", "center": [0, 0]}, "mean of dist 'normal'"),
    ],
)
def test_the_python_api_refuses_a_bad_centre_naming_it(restart_from: dict, message: str) -> None:
    with pytest.raises(descentlab.DescentLabError) as err:
        descentlab.run("rosenbrock", "gd", lr=1e-3, restarts=4, restart_from=restart_from)
    assert err.value.field == "restart_from.center" and message in str(err.value)
