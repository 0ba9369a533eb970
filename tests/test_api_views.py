"""What the page's sweep and basin views rely on (issue 17): a 200 × 200 sweep, which
hyperparameters a sweep can vary, and presets whose `show` names a view the API can draw."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from descentlab import limits
from descentlab.api import create_app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def _sweep(n_lr: int, n_mu: int, steps: int) -> dict:
    return {
        "surface": {"id": "quadratic", "params": {"kappa": 100, "angle": 0}},
        "start": [-1.0, -1.0],
        "max_steps": steps,
        "optimizer": {"id": "momentum"},
        "sweep": {
            "momentum": [float(v) for v in np.linspace(0, 0.99, n_mu)],
            "lr": [float(v) for v in np.geomspace(1e-4, 0.1, n_lr)],
        },
    }


def test_a_200_by_200_sweep_and_no_more(client: TestClient) -> None:
    assert limits.MAX_SWEEP_POINTS == 200 * 200
    answer = client.post("/api/sweeps", json=_sweep(200, 200, 10))
    assert answer.status_code == 200
    result = answer.json()
    assert len(result["status"]) == 40_000
    mu, lr = _sweep(200, 200, 10)["sweep"].values()
    assert result["settings"][201] == [mu[1], lr[1]]  # row j * 200 + i: (mu[j], lr[i])
    refused = client.post("/api/sweeps", json=_sweep(201, 200, 10))
    assert refused.status_code == 422 and "sweep" in refused.text
    too_long = client.post("/api/sweeps", json=_sweep(200, 200, 501))
    assert too_long.status_code == 422 and "max_steps" in too_long.text


def test_a_sweep_of_scipys_method_stops_at_20_by_20(client: TestClient) -> None:
    """scipy's methods run a sweep's settings one after another: at most 400 of them."""
    assert limits.MAX_SWEEP_POINTS_ONE_AT_A_TIME == 20 * 20
    published = client.get("/api/limits").json()["limits"]
    assert published["max_sweep_points_one_at_a_time"] == 400

    def body(n: int) -> dict:
        values = [float(v) for v in np.geomspace(1e-6, 1e-3, n)]
        return {"surface": "rosenbrock", "max_steps": 50, "optimizer": {"id": "bfgs"},
                "sweep": {"gtol": values, "xrtol": values[:1]}}  # fmt: skip

    answer = client.post("/api/sweeps", json=body(400))
    assert answer.status_code == 200 and len(answer.json()["status"]) == 400
    refused = client.post("/api/sweeps", json=body(401))
    assert refused.status_code == 422, refused.text
    assert "sweep" in refused.text and "bfgs" in refused.text and "400" in refused.text


def test_optimizers_say_what_a_sweep_can_vary(client: TestClient) -> None:
    catalog = {o["id"]: o for o in client.get("/api/optimizers").json()["optimizers"]}
    sweepable = {
        o: {h["name"] for h in catalog[o]["hyperparameters"] if h["sweepable"]}
        for o in ("momentum", "random-search")
    }
    assert [o for o in catalog if catalog[o]["one_at_a_time"]] == [
        "bfgs",
        "lbfgs",
        "newton-cg",
        "nelder-mead",
    ]
    assert sweepable == {
        "momentum": {"lr", "momentum", "dampening", "weight_decay"},
        "random-search": set(),
    }
    refused = client.post(
        "/api/sweeps",
        json={
            "surface": "rosenbrock",
            "optimizer": {"id": "random-search"},
            "sweep": {"samples": [5, 10]},
        },
    )
    assert refused.status_code == 422


def test_view_presets_name_what_the_api_draws(client: TestClient) -> None:
    optimizers = {o["id"]: o for o in client.get("/api/optimizers").json()["optimizers"]}
    shown = [p for p in client.get("/api/presets").json()["presets"] if p["show"]]
    assert {p["show"]["view"] for p in shown} == {"sweep", "basins", "3d"}
    for preset in shown:
        show = preset["show"]
        if show["view"] == "3d":
            assert show["z"] in ("lin", "log", "clip")  # surface3d.js's height scales
            assert client.get(f"/api/surfaces/{preset['run']['surface']}").json()["dim"] == 2
            continue
        opt = preset["run"]["optimizers"][show["optimizer"]]
        if show["view"] == "basins":
            assert 2 <= show["n"] <= limits.MAX_BASIN_POINTS
            continue
        assert show["n"] ** 2 * preset["run"]["max_steps"] <= limits.MAX_SWEEP_STEPS
        specs = {h["name"]: h for h in optimizers[opt["id"]]["hyperparameters"]}
        for axis in (show["x"], show["y"]):
            h = specs[axis["name"]]
            assert h["sweepable"] and h["low"] <= axis["range"][0] < axis["range"][1] <= h["high"]
        assert show["metric"] in ("loss", "steps", "status")
