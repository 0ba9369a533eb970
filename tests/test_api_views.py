"""What the page's sweep and basin views rely on (issue 17): a 200 × 200 sweep, which
hyperparameters a sweep can vary, presets whose `show` names a view the API can draw, and
answers that name a row's result as a run's rows do (issue 15)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from descentlab import limits
from descentlab.api import create_app
from descentlab.api.schemas import BasinResult, RowColumns, SweepResult


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


def _answer_of(client: TestClient, path: str, body: dict) -> dict:
    answer = client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _run_row(client: TestClient, start: list[float], body: dict, params: dict) -> dict:
    """Row 0 of a single ``POST /api/runs`` run of ``body``'s surface and optimiser."""
    run = {
        "surface": body["surface"],
        "start": start,
        "max_steps": body["max_steps"],
        "optimizers": [{"id": body["optimizer"]["id"], "params": params}],
    }
    return _answer_of(client, "/api/runs", run)["runs"][0]


def _as_in_a_run(row: dict, name: str) -> object:
    """What a run's row holds under ``name`` at its end (``grad_norm`` is its list), to the
    tolerance two runs of one setting keep."""
    value = row[name][-1] if name == "grad_norm" else row[name]
    return value if isinstance(value, str) else pytest.approx(value, rel=1e-12)


def test_a_sweep_names_each_rows_result_as_a_run_row_does(client: TestClient) -> None:
    """Every field with one entry per setting bears the name a run's row gives that value
    and holds that value: one name for one thing (issue 15)."""
    body = {**_sweep(2, 2, 300), "sweep": {"lr": [9e-3, 0.011], "momentum": [0.0, 0.9]}}
    sweep = _answer_of(client, "/api/sweeps", body)
    assert set(sweep) == set(SweepResult.model_fields)
    SweepResult.model_validate(sweep)
    rows = len(sweep["settings"])
    per_row = {
        name
        for name, value in sweep.items()
        if name not in ("names", "settings") and isinstance(value, list) and len(value) == rows
    }
    assert per_row == set(RowColumns.model_fields) and {"x", "fun", "nit"} <= per_row
    assert sorted(set(sweep["status"])) == ["converged", "diverged", "max_steps"]
    for k, (lr, momentum) in enumerate(sweep["settings"]):
        row = _run_row(client, body["start"], body, {"lr": lr, "momentum": momentum})
        assert per_row <= set(row)
        for name in per_row:
            assert sweep[name][k] == _as_in_a_run(row, name), name


def test_a_basin_map_names_each_starts_steps_as_a_run_row_does(client: TestClient) -> None:
    body = {"surface": "himmelblau", "optimizer": {"id": "gd", "params": {"lr": 0.01}},
            "max_steps": 40, "nx": 3, "ny": 2}  # fmt: skip
    basins = _answer_of(client, "/api/basins", body)
    assert set(basins) == set(BasinResult.model_fields)
    BasinResult.model_validate(basins)
    per_cell = {
        name
        for name, value in basins.items()
        if name != "labels" and np.shape(value) == (2, 3)  # the map's own labels aside
    }
    assert per_cell == {"nit"} and len(set(np.ravel(basins["nit"]))) > 1
    for j, y in enumerate(basins["y"]):
        for i, x in enumerate(basins["x"]):
            row = _run_row(client, [x, y], body, body["optimizer"]["params"])
            assert {name: basins[name][j][i] for name in per_cell} == {
                name: row[name] for name in per_cell
            }


def test_the_openapi_document_declares_what_sweeps_and_basin_maps_answer(
    client: TestClient,
) -> None:
    doc = client.get("/openapi.json").json()
    for path, model in (("/api/sweeps", SweepResult), ("/api/basins", BasinResult)):
        answer = doc["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
        declared = doc["components"]["schemas"][answer["schema"]["$ref"].rsplit("/", 1)[1]]
        assert set(declared["properties"]) == set(model.model_fields), path
        assert "nit" in declared["properties"] and "steps" not in declared["properties"]
