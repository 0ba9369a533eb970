"""A data-fit surface on the user's own data (``{"id": ..., "data": {"x", "y"}}``): a CSV read
here becomes a body for every route that takes a surface, and works there as generated data
does; bad data are refused with the field and row they are about."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy.optimize import minimize

import descentlab
from descentlab import cli, limits
from descentlab.api import create_app
from descentlab.problems import make_problem, userdata

# What a user pastes: a header, then x,y per line (x not sorted, y = 1.5 - 0.8x plus noise).
LINE_CSV = """x,y
0.5,1.21
2.0,-0.02
1.0,0.77
3.5,-1.31
2.7,-0.52
0.1,1.48
4.2,-1.94
1.7,0.11
"""
# features,label: two features, labels 0/1, overlapping classes.
LOGISTIC_CSV = """u,v,label
1.0,0.4,1
0.2,1.1,1
-0.3,0.2,0
1.4,-0.2,1
-1.0,-0.6,0
0.1,-1.2,0
0.6,0.9,0
-0.4,0.8,1
"""


def read_csv(text: str) -> tuple[list[Any], list[float]]:
    """The last column is y (or the label); the others are x (one column: plain numbers)."""
    rows = [[float(v) for v in row] for row in list(csv.reader(io.StringIO(text)))[1:] if row]
    x = [r[:-1] if len(r) > 2 else r[0] for r in rows]
    return x, [r[-1] for r in rows]


def spec(surface: str, text: str, **params: float) -> dict[str, Any]:
    x, y = read_csv(text)
    out: dict[str, Any] = {"id": surface, "data": {"x": x, "y": y}}
    return {**out, "params": params} if params else out


def lstsq(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(np.column_stack([np.ones(len(x)), x]), y, rcond=None)[0]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def test_a_csv_round_trips_through_runs_grid_and_data(client: TestClient) -> None:
    surface = spec("linear-regression", LINE_CSV)
    x, y = (np.array(c) for c in read_csv(LINE_CSV))
    best = lstsq(x, y)

    data = client.post("/api/data", json={"surface": surface}).json()
    described = data["surface"]
    np.testing.assert_allclose(described["minima"][0], best, rtol=1e-10, atol=1e-12)
    assert described["data_size"] == 8 and described["user_data"] is True
    assert [p["name"] for p in described["params"]] == []  # n, noise, seed: not with own data
    np.testing.assert_array_equal(data["columns"]["xi"], x)
    np.testing.assert_array_equal(data["columns"]["yi"], y)
    (lo0, hi0), (lo1, hi1) = described["domain"]  # the view holds the start and the minimum
    assert lo0 < min(0, best[0]) and hi0 > max(0, best[0])
    assert lo1 < min(0, best[1]) and hi1 > max(0, best[1])

    # the contour (sums over the data) is the mean squared residual, point for point
    grid = client.post("/api/grid", json={"surface": surface, "nx": 7, "ny": 5}).json()
    gx, gy = np.meshgrid(grid["x"], grid["y"])
    direct = ((gx[..., None] + gy[..., None] * x - y) ** 2).mean(axis=-1)
    np.testing.assert_allclose(grid["z"], direct, rtol=1e-6)  # z is float32

    # GD on it ends at the least-squares line; SGD takes n / batch_size steps an epoch
    run = client.post(
        "/api/runs",
        json={
            "surface": surface,
            "max_steps": 20_000,
            "stop": {"grad_tol": 1e-10},
            "optimizers": [{"id": "gd", "params": {"lr": 0.05}}],
        },
    ).json()
    np.testing.assert_allclose(run["runs"][0]["path"][-1], best, atol=1e-8)
    sgd = client.post(
        "/api/runs",
        json={
            "surface": surface,
            "stochastic": {"batch_size": 3},
            "epochs": 4,
            "seed": 7,
            "optimizers": [{"id": "gd", "params": {"lr": 0.05}}],
        },
    ).json()["runs"][0]
    assert sgd["nit"] == 4 * 3 and len(sgd["batches"]) == sgd["nit"] + 1
    rows = [k for b in sgd["batches"][1:4] for k in b if k >= 0]  # an epoch: each row once
    assert sorted(rows) == list(range(8))


def test_the_same_data_give_the_same_runs_as_the_python_api(client: TestClient) -> None:
    surface = spec("line-fit", LINE_CSV)
    body = {"surface": surface, "max_steps": 50, "optimizers": [{"id": "adam"}]}
    over_http = client.post("/api/runs", json=body).json()["runs"][0]
    x, y = read_csv(LINE_CSV)
    arrays = {"id": "line-fit", "data": {"x": np.array(x), "y": np.array(y)}}
    local = descentlab.run(arrays, "adam", max_steps=50)
    np.testing.assert_allclose(over_http["path"], local.path[0], rtol=1e-12)
    # line-fit sums the squares, over (slope, offset): its minimiser is lstsq's, reversed
    problem = make_problem(arrays)
    np.testing.assert_allclose(problem.minima[0], lstsq(np.array(x), np.array(y))[::-1], 1e-10)
    np.testing.assert_allclose(
        problem.value(problem.minima), ((np.polyval(problem.minima[0], x) - y) ** 2).sum()
    )


def test_a_hundred_thousand_rows_are_one_request(client: TestClient) -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-5, 5, limits.MAX_LEAST_SQUARES_POINTS).round(4)
    y = (2.5 - 1.25 * x + rng.standard_normal(x.size)).round(4)
    body = {
        "surface": {"id": "line-fit-sgd", "data": {"x": x.tolist(), "y": y.tolist()}},
        "stochastic": {"batch_size": 100},
        "epochs": 1,
        "optimizers": [{"id": "gd", "params": {"lr": 0.05}}],
    }
    raw = json.dumps(body)
    assert len(raw) < limits.MAX_BODY_BYTES
    began = time.perf_counter()
    response = client.post("/api/runs", content=raw, headers={"content-type": "application/json"})
    took = time.perf_counter() - began
    assert response.status_code == 200, response.text[:300]
    result = response.json()
    assert result["runs"][0]["nit"] == 1000 and result["surface"]["data_size"] == x.size
    np.testing.assert_allclose(result["surface"]["minima"][0], lstsq(x, y)[::-1], rtol=1e-10)
    assert took < 20  # generous: parsing, checking and 1,000 minibatch steps on a shared CPU


def test_logistic_regression_on_features_and_labels(client: TestClient) -> None:
    surface = spec("logistic-regression", LOGISTIC_CSV, lam=0.05)
    data = client.post("/api/data", json={"surface": surface}).json()
    described = data["surface"]
    assert [p["name"] for p in described["params"]] == ["lam"]
    np.testing.assert_array_equal(data["columns"]["ti"], [1, 1, -1, 1, -1, -1, -1, 1])
    x, y = read_csv(LOGISTIC_CSV)
    U, t = np.array(x), 2 * np.array(y) - 1

    def loss(w: np.ndarray) -> float:
        return float(np.logaddexp(0, -t * (U @ w)).mean() + 0.05 / 2 * w @ w)

    other = minimize(loss, np.zeros(2), method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(described["minima"][0], other, atol=1e-6)
    run = client.post(
        "/api/runs",
        json={"surface": surface, "stochastic": {"batch_size": 4}, "epochs": 2,
              "optimizers": [{"id": "adam", "params": {"lr": 0.05}}]},
    )  # fmt: skip
    assert run.status_code == 200 and run.json()["runs"][0]["nit"] == 4
    # one feature: the second weight multiplies a constant 1 (an intercept)
    one = {
        "id": "logistic-regression",
        "data": {"x": [0.1, 0.5, 1.2, 2.0, 0.9], "y": [0, 0, 1, 1, 0]},
    }
    columns = client.post("/api/data", json={"surface": one}).json()["columns"]
    assert columns["vi"] == [1.0] * 5 and columns["ui"] == [0.1, 0.5, 1.2, 2.0, 0.9]


def test_sweeps_basins_analysis_and_the_socket_take_data(client: TestClient) -> None:
    surface = spec("linear-regression", LINE_CSV)
    sweep = client.post(
        "/api/sweeps",
        json={"surface": surface, "optimizer": {"id": "gd"}, "sweep": {"lr": [0.01, 0.1]}},
    )
    assert sweep.status_code == 200 and sweep.json()["surface"]["user_data"] is True
    basins = client.post(
        "/api/basins",
        json={"surface": surface, "optimizer": {"id": "gd", "params": {"lr": 0.1}},
              "nx": 4, "ny": 4, "max_steps": 2000},
    )  # fmt: skip
    assert basins.status_code == 200
    assert set(basins.json()["labels"][0]) == {0}  # one bowl: every start ends at its minimum
    analysis = client.post("/api/analysis", json={"surface": surface, "point": [0, 0]})
    assert analysis.status_code == 200
    with client.websocket_connect("/ws/runs") as ws:
        ws.send_text(
            json.dumps({"type": "run", "id": "mine", "surface": surface, "max_steps": 30,
                        "optimizers": [{"id": "momentum", "params": {"lr": 0.02}}]})
        )  # fmt: skip
        while (m := ws.receive_json())["type"] != "done":
            assert m["type"] == "frames", m
        assert m["status"] == "complete"
        bad = {"type": "run", "id": "bad", "surface": spec("linear-regression", "x,y\n1,2\n1,3\n"),
               "optimizers": [{"id": "gd"}]}  # fmt: skip
        ws.send_text(json.dumps(bad))
        m = ws.receive_json()
        assert (m["type"], m["field"]) == ("error", "surface.data.x"), m


def test_the_surface_limits_are_served(client: TestClient) -> None:
    served = client.get("/api/limits").json()["limits"]
    assert served["max_data_abs"] == limits.MAX_DATA_ABS
    assert served["max_body_bytes"] == limits.MAX_BODY_BYTES


LINE = "linear-regression"
LOGISTIC = "logistic-regression"
BAD = [
    (LINE, {"x": [1, 2, 3], "y": [1, 2]}, None, "surface.data.y", "as many"),
    (LINE, {"x": [1], "y": [1]}, None, "surface.data.x", "takes 2 to 100,000"),
    (LINE, {"x": [1, 2, "3"], "y": [1, 2, 3]}, None, "surface.data.x.2", "number"),
    (LINE, {"x": [1, 2, True], "y": [1, 2, 3]}, None, "surface.data.x.2", "number"),
    (LINE, {"x": [1, 2, 3], "y": [1, 1e300, 3]}, None, "surface.data.y.1", "finite"),
    (LINE, {"x": [2, 2, 2], "y": [1, 2, 3]}, None, "surface.data.x", "singular"),
    (LINE, {"x": [1e8, 1e8 + 1], "y": [1, 2]}, None, "surface.data.x", "ill-conditioned"),
    (LINE, {"x": [1, 2], "y": [1, 2], "z": [3, 4]}, None, "surface.data.z", "xtra"),
    (LINE, {"x": [1, 2]}, None, "surface.data.y", "required"),
    (LINE, {"x": [1, 2], "y": [1, 2]}, {"noise": 1}, "surface.params.noise", "generated"),
    (LOGISTIC, {"x": [[1, 2], [2, 1]], "y": [1, 0.5]}, None, "surface.data.y.1", "0 or 1"),
    (LOGISTIC, {"x": [[1, 2, 3], [2, 1, 0]], "y": [1, 0]}, None, "surface.data.x.0", "1 or 2"),
    (LOGISTIC, {"x": [[1, 2], [2]], "y": [1, 0]}, None, "surface.data.x.1", "as row 0"),
    (LOGISTIC, {"x": [[1, 2]] * 10_001, "y": [1] * 10_001}, None, "surface.data.x", "10,000"),
    (
        LOGISTIC,
        {"x": [[1, 1], [2, 2], [-1, -1], [-2, -1]], "y": [1, 1, 0, 0]},
        {"lam": 0},
        "surface.params.lam",
        "no finite minimum",
    ),
    ("rosenbrock", {"x": [1, 2], "y": [1, 2]}, None, "surface.data", "fits no data"),
]


@pytest.mark.parametrize(("surface", "data", "params", "field", "words"), BAD)
def test_bad_data_are_refused_by_field(
    client: TestClient,
    surface: str,
    data: dict[str, Any],
    params: dict[str, float] | None,
    field: str,
    words: str,
) -> None:
    body = {"surface": {"id": surface, "data": data, **({"params": params} if params else {})}}
    for path, extra in (("/api/runs", {"optimizers": [{"id": "gd"}]}), ("/api/grid", {})):
        response = client.post(path, json={**body, **extra})
        assert response.status_code == 422, response.text
        detail = response.json()["detail"][0]
        assert ".".join(map(str, detail["loc"][1:])) == field
        assert words in detail["msg"]
        assert len(response.content) < 2000  # never the data echoed back


def test_an_oversize_body_is_refused_before_parsing(client: TestClient) -> None:
    pad = "1," * (limits.MAX_BODY_BYTES // 2)
    raw = '{"surface": {"id": "linear-regression", "data": {"x": [' + pad + '1], "y": [1]}}}'
    assert client.post("/api/data", content=raw).status_code == 413


def test_the_command_line_reads_a_csv_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "points.csv"
    path.write_text(LINE_CSV)
    argv = ["run", "linear-regression", "gd", "--data", str(path), "--param", "lr=0.05"]
    assert cli.main([*argv, "--steps", "20000", "--grad-tol", "1e-10", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    x, y = (np.array(c) for c in read_csv(LINE_CSV))
    np.testing.assert_allclose(result["surface"]["minima"][0], lstsq(x, y), rtol=1e-10)
    np.testing.assert_allclose(result["runs"][0]["path"][-1], lstsq(x, y), atol=1e-8)
    # the same reading as the page's: header optional, ; or tab separators, # comments
    assert userdata.read_csv("# mine\n1;2\n3;4\n") == {"x": [1.0, 3.0], "y": [2.0, 4.0]}
    assert userdata.read_csv("u\tv\tt\n1\t2\t0\n") == {"x": [[1.0, 2.0]], "y": [0.0]}
    path.write_text("x,y\n1,2\n3,abc\n")
    assert cli.main(argv) == 2
    assert "surface.data: line 3: '3,abc' is not numbers" in capsys.readouterr().err
