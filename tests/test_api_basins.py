"""``POST /api/basins``: a basin map's shape, its labels against single runs from the same
starts, the labelling rule, and the bodies it refuses."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from descentlab import limits
from descentlab.api import create_app
from descentlab.basins import TOLERANCE, grid_starts, label_ends
from descentlab.problems import make_problem

GD = {"id": "gd", "params": {"lr": 0.01}}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def basin_body(**overrides: object) -> dict:
    body = {"surface": "himmelblau", "optimizer": GD, "max_steps": 1000, "nx": 9, "ny": 7}
    return {**body, **overrides}


def post(client: TestClient, body: dict) -> dict:
    r = client.post("/api/basins", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_answer_has_one_label_and_one_step_count_per_cell(client: TestClient) -> None:
    out = post(client, basin_body(view=[[-4, 4], [-3, 5]]))
    assert len(out["x"]) == 9 and len(out["y"]) == 7
    assert out["x"][0] == -4 and out["x"][-1] == 4 and out["y"][0] == -3 and out["y"][-1] == 5
    for key in ("labels", "nit"):
        assert len(out[key]) == 7 and all(len(row) == 9 for row in out[key])
        assert all(isinstance(v, int) for row in out[key] for v in row)
    assert out["listed"] == 4 and len(out["minima"]) == len(out["kinds"]) >= 4
    assert out["minima"][:4] == make_problem("himmelblau").minima.tolist()
    assert all(-1 <= v < len(out["minima"]) for row in out["labels"] for v in row)
    assert sum(out["counts"].values()) == 63
    assert out["tolerance"] == pytest.approx(TOLERANCE * np.hypot(8, 8))
    assert out["optimizer"] == "gd" and out["surface"]["id"] == "himmelblau"


def single_label(client: TestClient, body: dict, start: list[float], out: dict) -> int:
    """The label a single ``POST /api/runs`` run from ``start`` earns by the map's rule."""
    run_body = {
        "surface": body["surface"],
        "start": start,
        "max_steps": body["max_steps"],
        "stop": body.get("stop", {}),
        "optimizers": [body["optimizer"]],
    }
    r = client.post("/api/runs", json=run_body)
    assert r.status_code == 200, r.text
    run = r.json()["runs"][0]
    if run["status"] != "converged":
        return -1
    distance = np.hypot(*(np.array(out["minima"]) - run["path"][-1]).T)
    assert distance.min() <= out["tolerance"]
    return int(np.argmin(distance))


def test_himmelblau_shows_four_basins_that_single_runs_agree_with(client: TestClient) -> None:
    body = basin_body(nx=25, ny=25)
    out = post(client, body)
    labels = np.array(out["labels"])
    assert set(labels.ravel().tolist()) == {0, 1, 2, 3}  # gd at a safe rate: every run converges
    assert len(out["minima"]) == 4 and out["kinds"] == ["minimum"] * 4
    # Cells inside a basin (their four neighbours share the label), a few of each label: on a
    # boundary the last bit of a step may decide, and the map and a single run are computed
    # by different (equally right) code.
    inner = labels[1:-1, 1:-1]
    same = (
        (inner == labels[:-2, 1:-1])
        & (inner == labels[2:, 1:-1])
        & (inner == labels[1:-1, :-2])
        & (inner == labels[1:-1, 2:])
    )
    for label in range(4):
        js, is_ = np.nonzero(same & (inner == label))
        for j, i in list(zip(js + 1, is_ + 1, strict=True))[:: max(1, len(js) // 2)][:2]:
            start = [out["x"][i], out["y"][j]]
            assert single_label(client, body, start, out) == labels[j, i] == label


def test_diverged_and_unfinished_starts_are_minus_one(client: TestClient) -> None:
    body = basin_body(optimizer={"id": "gd", "params": {"lr": 0.02}}, max_steps=500,
                      nx=15, ny=15, view=[[-6, 6], [-6, 6]])  # fmt: skip
    out = post(client, body)
    labels = np.array(out["labels"])
    counts = out["counts"]
    assert counts["diverged"] > 0 and counts["converged"] > 0
    assert (labels == -1).sum() == counts["diverged"] + counts["max_steps"]
    for j, i in ((0, 14), (14, 0), (14, 14)):  # three corners, far up the walls: they diverge
        assert labels[j, i] == -1
        assert single_label(client, body, [out["x"][i], out["y"][j]], out) == -1


def test_the_nightmare_map_has_its_global_minimum_as_a_label(client: TestClient) -> None:
    out = post(
        client,
        {"surface": "nightmare", "optimizer": {"id": "adam", "params": {"lr": 0.05}},
         "max_steps": 1000, "nx": 20, "ny": 20},
    )  # fmt: skip
    problem = make_problem("nightmare")
    assert out["listed"] == len(problem.minima)
    assert out["minima"][0] == problem.minima[0].tolist()  # the lowest listed first
    labels = np.array(out["labels"])
    assert (labels == 0).any() and len(set(labels.ravel().tolist()) - {-1}) > 4


def test_newtons_map_finds_the_saddles_and_the_maximum_it_is_drawn_to(client: TestClient) -> None:
    """Newton heads for any critical point: those it finds off the list are clustered."""
    out = post(client, basin_body(optimizer={"id": "newton"}, max_steps=50, nx=30, ny=30))
    found = out["kinds"][out["listed"] :]
    assert "saddle" in found and "maximum" in found
    assert set(np.array(out["labels"]).ravel().tolist()) == set(range(len(out["minima"])))


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"nx": limits.MAX_BASIN_POINTS + 1}, ["nx"]),
        ({"ny": 1}, ["ny"]),
        ({"view": [[1, -1], [-1, 1]]}, ["view"]),
        ({"view": [[-1, 1], [2, 2]]}, ["view"]),
        ({"view": [[-1, 1]]}, ["view"]),
        ({"optimizer": {"id": "nope"}}, ["optimizer", "id"]),
        ({"optimizer": {"id": "bfgs"}}, ["optimizer", "id"]),
        ({"optimizer": {"id": "random-search"}}, ["optimizer", "id"]),
        ({"optimizer": {"id": "gd", "params": {"lr": -1}}}, ["optimizer", "params", "lr"]),
        ({"surface": "parabola"}, ["surface"]),
        ({"surface": "nope"}, ["surface"]),
        ({"nx": 200, "ny": 200, "max_steps": 1001}, ["max_steps"]),
        # a data-fit surface runs on numpy, under a smaller limit
        ({"surface": "linear-regression", "nx": 100, "ny": 100, "max_steps": 101}, ["max_steps"]),
        ({"stop": {"grad_norm": "l7"}}, ["stop", "grad_norm"]),
        ({"start": [0, 0]}, ["start"]),
    ],
)
def test_bad_bodies_name_their_field(client: TestClient, overrides: dict, loc: list) -> None:
    r = client.post("/api/basins", json=basin_body(**overrides))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][1 : 1 + len(loc)] == loc


def test_the_starts_run_x_fastest() -> None:
    x, y, starts = grid_starts(np.array([[0.0, 2.0], [10.0, 11.0]]), 3, 2)
    assert x.tolist() == [0, 1, 2] and y.tolist() == [10, 11]
    assert starts.tolist() == [[0, 10], [1, 10], [2, 10], [0, 11], [1, 11], [2, 11]]


def test_labels_take_the_nearest_listed_minimum_then_clusters_by_loss() -> None:
    listed = np.array([[0.0, 0.0], [1.0, 0.0]])
    ends = np.array(
        [
            [0.0005, 0.0],  # at minimum 0
            [0.9995, 0.0005],  # at minimum 1
            [5.0, 5.0],  # a cluster of two...
            [5.0008, 5.0],  # ...joined through touching cells
            [-3.0, 0.0],  # a cluster of its own, with the lowest loss
            [0.0, 0.0],  # did not converge
            [np.nan, 0.0],  # diverged
        ]
    )
    converged = np.array([True] * 5 + [False, False])
    loss = np.array([0.0, 0.0, 2.0, 3.0, 1.0, 0.0, np.nan])
    out = label_ends(ends, converged, loss, listed, tol=0.001)
    assert out.labels.tolist() == [0, 1, 3, 3, 2, -1, -1]
    assert out.listed == 2
    np.testing.assert_allclose(out.minima, [[0, 0], [1, 0], [-3, 0], [5.0004, 5.0]])


def test_without_listed_minima_every_converged_end_is_clustered() -> None:
    ends = np.array([[1.0, 1.0], [1.0, 1.0005], [2.0, 2.0]])
    out = label_ends(
        ends, np.ones(3, dtype=bool), np.array([1.0, 1.0, 0.5]), np.empty((0, 2)), 1e-3
    )
    assert out.labels.tolist() == [1, 1, 0] and out.listed == 0
    np.testing.assert_allclose(out.minima, [[2.0, 2.0], [1.0, 1.00025]])


def test_the_limits_route_names_the_basin_limits(client: TestClient) -> None:
    answer = client.get("/api/limits").json()["limits"]
    assert answer["max_basin_points"] == limits.MAX_BASIN_POINTS == 200
    assert answer["max_basin_steps"] == limits.MAX_BASIN_STEPS == 200 * 200 * 1000
    assert answer["max_basin_steps_on_numpy"] == limits.MAX_BASIN_STEPS_ON_NUMPY
