"""Typed surfaces and stochastic runs through the REST routes and the WebSocket."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

import descentlab
from descentlab.api import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def test_validate_answers_latex_or_the_column(client: TestClient) -> None:
    ok = client.post(
        "/api/expressions/validate", json={"expression": "x^2 + a*y^2", "params": {"a": 2}}
    ).json()
    assert ok["valid"] and ok["dim"] == 2 and "{x}^{2}" in ok["latex"]
    bad = client.post("/api/expressions/validate", json={"expression": "x + import"}).json()
    assert bad == {
        "valid": False,
        "field": "surface.expression",
        "message": "unknown name `import` at column 5",
        "column": 5,
    }
    too_long = client.post("/api/expressions/validate", json={"expression": "x" * 5000})
    assert too_long.status_code == 422


def test_a_typed_surface_runs_and_grids(client: TestClient) -> None:
    surface = {
        "expression": "(x - 1)^2 + 3*(y + b)^2",
        "params": {"b": 0.5},
        "domain": [[-3, 3], [-3, 3]],
        "start": [2, 2],
    }
    run = client.post(
        "/api/runs",
        json={
            "surface": surface,
            "max_steps": 500,
            "optimizers": [{"id": "gd", "params": {"lr": 0.1}}],
        },
    ).json()
    assert run["runs"][0]["status"] == "converged"
    assert run["runs"][0]["path"][-1] == pytest.approx([1, -0.5], abs=1e-5)
    assert run["surface"]["expression"] == surface["expression"]
    grid = client.post("/api/grid", json={"surface": surface, "nx": 4, "ny": 3}).json()
    assert len(grid["x"]) == 4 and len(grid["z"]) == 3 and grid["zmin"] >= 0


def test_gaps_in_a_grid_are_null(client: TestClient) -> None:
    grid = client.post(
        "/api/grid", json={"surface": {"expression": "log(x) + y"}, "nx": 3, "ny": 2}
    ).json()
    assert grid["z"][0][0] is None and grid["z"][0][2] is not None


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"surface": {"expression": "x +* y"}}, ["body", "surface", "expression"]),
        ({"surface": {"expression": "os.system"}}, ["body", "surface", "expression"]),
        ({"surface": {"expression": "x", "params": {"a": "1"}}}, ["body", "surface"]),
        (
            {"surface": "nightmare", "stochastic": {"batch_size": 5}},
            ["body", "stochastic", "batch_size"],
        ),
        (
            {"surface": "linear-regression", "stochastic": {"batch_size": 500}},
            ["body", "stochastic", "batch_size"],
        ),
        ({"surface": "linear-regression", "epochs": 3}, ["body", "epochs"]),
    ],
)
def test_bad_typed_and_stochastic_bodies_are_422(client: TestClient, body, loc) -> None:
    r = client.post("/api/runs", json={**body, "optimizers": [{"id": "gd"}]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][: len(loc)] == loc


def test_minibatch_sgd_over_rest(client: TestClient) -> None:
    body = {
        "surface": "linear-regression",
        "epochs": 3,
        "seed": 4,
        "stochastic": {"batch_size": 20},
        "optimizers": [{"id": "gd", "params": {"lr": 0.05}}],
        "stop": {"grad_tol": None},
    }
    run = client.post("/api/runs", json=body).json()["runs"][0]
    assert run["nit"] == 15 and run["epoch_size"] == 5
    assert len(run["batches"]) == 16 and len(run["batches"][1]) == 20
    assert run["batch_loss"][0] is None and run["batch_loss"][1] > 0
    surface = client.get("/api/surfaces/linear-regression").json()
    assert surface["data_size"] == 100 and surface["minima"] and "data" not in surface
    data = client.get("/api/surfaces/linear-regression/data").json()
    assert len(data["columns"]["xi"]) == data["size"] == data["shown"] == 100


def test_minibatch_frames_carry_the_batches(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        ws.send_text(
            json.dumps(
                {
                    "type": "run",
                    "id": "sgd",
                    "surface": "linear-regression",
                    "max_steps": 30,
                    "frame_points": 10,
                    "stochastic": {"batch_size": 10},
                    "optimizers": [{"id": "gd", "params": {"lr": 0.05}}],
                }
            )
        )
        frames = []
        while (msg := ws.receive_json())["type"] != "done":
            frames.append(msg)
    assert sum(len(f["paths"][0]) for f in frames) == 31
    assert all(len(f["batches"]) == len(f["paths"][0]) for f in frames)
    assert all("batch_losses" in f for f in frames)


def test_a_sweep_answers_one_row_per_setting(client: TestClient) -> None:
    body = {
        "surface": "quadratic",
        "max_steps": 200,
        "optimizer": {"id": "momentum"},
        "sweep": {"lr": [0.001, 0.005], "momentum": [0.0, 0.9]},
    }
    out = client.post("/api/sweeps", json=body).json()
    assert out["names"] == ["lr", "momentum"]
    assert out["settings"] == [[0.001, 0.0], [0.001, 0.9], [0.005, 0.0], [0.005, 0.9]]
    assert len(out["fun"]) == 4 and min(out["fun"]) == out["fun"][3]
    alone = descentlab.run("quadratic", "momentum", lr=0.005, momentum=0.9, max_steps=200)
    assert out["nit"][3] == alone.nit[0]  # a row of the batch is the single run
    assert out["x"][3] == pytest.approx(alone.x[0].tolist(), rel=1e-12)
    assert out["fun"][3] == pytest.approx(alone.loss[0, alone.nit[0]], rel=1e-12)


def test_a_sweep_varies_a_pair_as_pairs(client: TestClient) -> None:
    body = {
        "surface": "rosenbrock",
        "max_steps": 50,
        "optimizer": {"id": "adam"},
        "sweep": {"lr": [0.01, 0.02], "betas": [[0.9, 0.999], [0.5, 0.99]]},
    }
    out = client.post("/api/sweeps", json=body).json()
    assert out["settings"][1] == [0.01, [0.5, 0.99]]
    alone = descentlab.run("rosenbrock", "adam", lr=0.01, betas=(0.5, 0.99), max_steps=50)
    assert out["x"][1] == pytest.approx(alone.x[0].tolist(), rel=1e-12)


@pytest.mark.parametrize(
    ("sweep", "loc"),
    [
        ({"betas": [0.9]}, ["body", "sweep", "betas"]),
        ({"betas": [[0.9, 0.999, 0.5]]}, ["body", "sweep", "betas", 0]),
        ({"lr": [[0.1, 0.2]]}, ["body", "sweep", "lr", 0]),
        ({"lr": [-1.0]}, ["body", "sweep", "lr", 0]),
        ({"lr": []}, ["body", "sweep", "lr"]),
        ({"lr": [0.1] * 201, "eps": [1e-8] * 200}, ["body", "sweep"]),  # 40,200 settings
    ],
)
def test_bad_sweeps_are_422(client: TestClient, sweep, loc) -> None:
    body = {"surface": "quadratic", "optimizer": {"id": "adam"}, "sweep": sweep}
    r = client.post("/api/sweeps", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][: len(loc)] == loc
