"""Data-fit surfaces over REST: a listing without their data, the data from its own route, the
model each surface fits, the minibatch loss on the full loss's scale, and the server's limits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

import descentlab
from descentlab import limits
from descentlab.api import create_app
from descentlab.problems import make_problem

DATA_FIT = ("linear-regression", "line-fit", "line-fit-sgd", "logistic-regression")


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def test_the_listing_carries_no_data_but_its_size(client: TestClient) -> None:
    response = client.get("/api/surfaces")
    # the page fetches it on every load: it stays small whatever n a surface has
    assert len(response.content) < 100_000
    surfaces = {s["id"]: s for s in response.json()["surfaces"]}
    assert all("data" not in s for s in surfaces.values())
    sizes = {i: surfaces[i]["data_size"] for i in DATA_FIT}
    assert sizes == {
        "linear-regression": 100,
        "line-fit": 20,
        "line-fit-sgd": 100_000,
        "logistic-regression": 100,
    }
    assert surfaces["rosenbrock"]["data_size"] is None
    assert surfaces["rosenbrock"]["model"] is None
    assert surfaces["line-fit"]["data_columns"] == ["xi", "yi"]
    # one surface alone carries no data either (the page asks for it on every parameter change)
    one = client.get("/api/surfaces/line-fit-sgd")
    assert len(one.content) < 10_000 and one.json()["data_size"] == 100_000


def test_the_data_route_gives_all_the_data_or_a_seeded_subsample(client: TestClient) -> None:
    problem = make_problem("line-fit")
    whole = client.get("/api/surfaces/line-fit/data").json()
    assert whole["size"] == whole["shown"] == 20 and whole["index"] == list(range(20))
    np.testing.assert_array_equal(whole["columns"]["xi"], problem.data["xi"])
    np.testing.assert_array_equal(whole["columns"]["yi"], problem.data["yi"])

    big = make_problem("line-fit-sgd")
    response = client.get("/api/surfaces/line-fit-sgd/data", params={"max_points": 2000})
    sample = response.json()
    assert len(response.content) < 150_000
    assert sample["size"] == 100_000 and sample["shown"] == 2000
    index = np.array(sample["index"])
    assert len(set(index)) == 2000 and (np.diff(index) > 0).all()  # distinct, in data order
    np.testing.assert_array_equal(sample["columns"]["xi"], big.data["xi"][index])
    np.testing.assert_array_equal(sample["columns"]["yi"], big.data["yi"][index])
    # spread over the data, not its first rows
    assert index[0] < 1000 and index[-1] > 99_000
    again = client.get("/api/surfaces/line-fit-sgd/data", params={"max_points": 2000}).json()
    assert again["index"] == sample["index"]
    # bound to parameters like the grid
    small = client.get("/api/surfaces/line-fit-sgd/data", params={"params": '{"n": 50}'}).json()
    assert small["size"] == small["shown"] == 50


def test_the_data_route_refuses_what_has_no_data(client: TestClient) -> None:
    assert client.get("/api/surfaces/rosenbrock/data").status_code == 404
    assert client.get("/api/surfaces/nope/data").status_code == 404
    assert client.get("/api/surfaces/line-fit/data", params={"max_points": 0}).status_code == 422


@pytest.mark.parametrize("surface_id", ["linear-regression", "line-fit", "line-fit-sgd"])
def test_a_line_model_names_which_coordinate_is_the_slope(surface_id: str) -> None:
    problem = make_problem(surface_id)
    model = problem.describe()["model"]
    assert model["kind"] == "line"
    theta = problem.minima[0]
    slope, intercept = theta[model["slope"]], theta[model["intercept"]]
    xi, yi = problem.data[model["x"]], problem.data[model["y"]]
    # the minimiser, read through the model, is the least-squares line of the data
    np.testing.assert_allclose([slope, intercept], np.polyfit(xi, yi, 1), rtol=1e-10)


def test_a_boundary_model_names_its_weights() -> None:
    model = make_problem("logistic-regression").describe()["model"]
    assert model == {"kind": "boundary", "u": "ui", "v": "vi", "label": "ti", "weights": [0, 1]}


@pytest.mark.parametrize(
    ("lam", "noise", "minimum"), [(0.0, 0.05, False), (0.0, 1.0, True), (0.01, 0.05, True)]
)
def test_logistic_regression_has_a_minimum_only_where_its_loss_does(
    client: TestClient, lam: float, noise: float, minimum: bool
) -> None:
    """Two separable classes without a penalty: the cross-entropy falls towards 0 as the weights
    grow without end, so no point is its minimum (Newton runs away). Overlapping classes, or a
    penalty, give one, where the gradient vanishes."""
    params = {"lam": lam, "noise": noise}
    minima = make_problem({"id": "logistic-regression", "params": params}).minima
    assert len(minima) == int(minimum)
    if minimum:
        _, grad = make_problem({"id": "logistic-regression", "params": params}).value_and_grad(
            minima
        )
        assert np.abs(grad).max() < 1e-10
    shown = client.get("/api/surfaces/logistic-regression", params={"params": json.dumps(params)})
    assert shown.status_code == 200 and len(shown.json()["minima"]) == int(minimum)


def test_quadratic_says_whether_the_hessian_is_constant(client: TestClient) -> None:
    surfaces = {s["id"]: s for s in client.get("/api/surfaces").json()["surfaces"]}
    for i in ("linear-regression", "line-fit", "line-fit-sgd", "quadratic"):
        assert surfaces[i]["quadratic"], i
    for i in ("logistic-regression", "rosenbrock", "nightmare"):
        assert not surfaces[i]["quadratic"], i


def test_the_minibatch_loss_is_on_the_full_losss_scale() -> None:
    # a summed surface: n times the batch's mean, so over an epoch it averages to about the sum
    traj = descentlab.run(
        "line-fit", "gd", lr=0.001, batch_size=5, max_steps=4, seed=2, grad_tol=None
    )
    problem = make_problem("line-fit")
    for t in range(1, 5):
        batch = traj.batches[t]
        mean = problem.value(traj.path[0, t - 1][None], batch)[0]
        assert traj.batch_loss[0, t] == pytest.approx(20 * mean, rel=1e-14)
    # the batches of one shuffled epoch cover the data once: their mean is the full loss
    still = descentlab.run("line-fit", "gd", lr=1e-6, batch_size=5, max_steps=4, seed=2)
    np.testing.assert_allclose(np.mean(still.batch_loss[0, 1:]), still.loss[0, 0], rtol=1e-3)
    # a mean surface: unchanged, the batch's mean
    ols = descentlab.run("linear-regression", "gd", lr=1e-6, batch_size=20, max_steps=5, seed=1)
    np.testing.assert_allclose(np.mean(ols.batch_loss[0, 1:]), ols.loss[0, 0], rtol=1e-3)


def test_the_limits_are_the_servers(client: TestClient) -> None:
    answer = client.get("/api/limits").json()["limits"]
    assert answer["max_restarts"] == limits.MAX_RESTARTS == 999
    assert answer["max_steps"] == limits.MAX_STEPS
    assert answer["max_optimizers"] == limits.MAX_OPTIMIZERS
    assert answer["max_run_points"] == limits.MAX_RUN_POINTS
    assert answer["max_expression_length"] == limits.MAX_EXPRESSION_LENGTH
    assert answer["max_data_fit_work"] == limits.MAX_DATA_FIT_WORK
    assert answer["max_run_data_fit_work"] == limits.MAX_RUN_DATA_FIT_WORK


def test_a_sweep_on_100000_points_of_least_squares_agrees_with_the_summed_run(
    client: TestClient,
) -> None:
    # 30 x 30 settings x 100 steps x 100,000 points, stepped by the loss's expansion (its cost
    # is in bench/run.py; tests/test_least_squares.py holds that no full-batch step sums)
    lrs = np.linspace(1e-6, 1.1e-6, 30).tolist()  # below 2 / λmax: every row runs on
    body = {
        "surface": {"id": "line-fit-sgd", "params": {"n": 100_000}},
        "optimizer": {"id": "gd"},
        "max_steps": 100,
        "stop": {"grad_tol": None},
        "sweep": {"lr": lrs, "weight_decay": np.linspace(0, 0.1, 30).tolist()},
    }
    out = client.post("/api/sweeps", json=body).json()
    assert out["nit"] == [100] * 900
    # a cell against the same run summed over the data: a batch of all n rows, whose step
    # follows the batch's mean gradient, at n times the rate
    summed = descentlab.run(
        "line-fit-sgd", "gd", lr=lrs[0] * 100_000, batch_size=100_000, max_steps=100, grad_tol=None
    )
    assert out["settings"][0] == [lrs[0], 0.0]
    assert out["fun"][0] == pytest.approx(summed.loss[0, -1], rel=1e-10)
    assert out["x"][0] == pytest.approx(summed.x[0].tolist(), rel=1e-10)


LOGISTIC = {"id": "logistic-regression", "params": {"n": 100}}


def _sweep(settings: int, steps: int) -> dict:
    return {
        "surface": LOGISTIC,
        "optimizer": {"id": "gd"},
        "max_steps": steps,
        "sweep": {"lr": np.linspace(0.01, 1, settings).tolist()},
    }


def _basins(side: int, steps: int) -> dict:
    return {
        "surface": LOGISTIC,
        "optimizer": {"id": "gd"},
        "max_steps": steps,
        "nx": side,
        "ny": side,
    }


@pytest.mark.parametrize(
    ("route", "body", "words"),
    [
        ("sweeps", _sweep(10, 50), "settings x max_steps x n = 10 x 51 x 100 = 51,000"),
        ("basins", _basins(5, 20), "nx x ny x max_steps x n = 25 x 21 x 100 = 52,500"),
    ],
)
def test_work_summed_over_the_data_has_a_limit_that_counts_n(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, route: str, body: dict, words: str
) -> None:
    monkeypatch.setattr(limits, "MAX_DATA_FIT_WORK", 50_000)  # 10 x 50 x 100, 25 x 20 x 100
    assert client.post(f"/api/{route}", json=body).status_code == 200
    body["max_steps"] += 1
    r = client.post(f"/api/{route}", json=body)
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "max_steps"]
    assert words in detail["msg"] and "limit of 50,000" in detail["msg"]
    # least squares steps by its expansion: the same work on 100,000 points is not refused
    body["surface"] = {"id": "line-fit-sgd", "params": {"n": 100_000}}
    if route == "sweeps":
        body["sweep"] = {"lr": np.linspace(1e-6, 2e-6, 10).tolist()}
    assert client.post(f"/api/{route}", json=body).status_code == 200


def test_the_default_work_limit_refuses_a_long_sweep_of_logistic_regression(
    client: TestClient,
) -> None:
    body = {**_sweep(100, 1000), "surface": {"id": "logistic-regression", "params": {"n": 10_000}}}
    r = client.post("/api/sweeps", json=body)
    assert r.status_code == 422
    msg = r.json()["detail"][0]["msg"]
    assert "100 x 1,000 x 10,000 = 1,000,000,000" in msg and "20,000,000" in msg


def test_a_run_on_a_loss_summed_over_its_data_has_a_limit_that_counts_n(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run request's steps on logistic regression each sum over the n points (the full loss
    is recorded beside a minibatch's too): (1 + restarts) x steps x optimizers x n is limited."""
    monkeypatch.setattr(limits, "MAX_RUN_DATA_FIT_WORK", 2 * 3 * 50 * 100)
    body = {
        "surface": LOGISTIC,
        "optimizers": [{"id": "gd"}, {"id": "adam"}],
        "max_steps": 50,
        "restarts": 2,
    }
    assert client.post("/api/runs", json=body).status_code == 200
    body["max_steps"] = 51
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "max_steps"]
    assert "306 x 100 = 30,600" in detail["msg"] and "limit of 30,000" in detail["msg"]
    with client.websocket_connect("/ws/runs") as ws:
        ws.send_json({"type": "run", "id": "w1", **body})
        msg = ws.receive_json()
        assert msg["type"] == "error" and msg["field"] == "max_steps"
    # least squares steps by its expansion: the same run on 100,000 points is not refused
    body["surface"] = {"id": "line-fit-sgd", "params": {"n": 100_000}}
    body["optimizers"] = [{"id": "gd", "params": {"lr": 1e-6}}, {"id": "adam"}]
    assert client.post("/api/runs", json=body).status_code == 200
