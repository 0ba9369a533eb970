"""Grid derivatives (issue 17): GET …/grid?derivatives=true and POST /api/grid answer the
symbolic gradient (and f″ on a curve) on the contour's own grid, held to autograd on the same
expression tree, for the f′/f″ curves and the gradient-component panels."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import autograd
import numpy as np
import pytest
from fastapi.testclient import TestClient

from descentlab.api import create_app
from descentlab.problems import make_problem


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def _rows(field: object) -> np.ndarray:
    if isinstance(field, dict):  # base64 float32
        raw = base64.b64decode(field["base64"])
        return np.frombuffer(raw, dtype="<f4").reshape(field["shape"]).astype(float)
    return np.array(field, dtype=float)


def test_1d_first_and_second_derivatives(client: TestClient) -> None:
    answer = client.get(
        "/api/surfaces/quartic/grid", params={"nx": 101, "derivatives": "true"}
    ).json()
    x = np.array(answer["x"])
    (d1,) = [_rows(g) for g in answer["gradient"]]
    d2 = _rows(answer["second"])
    f = make_problem("quartic").autograd_function()
    want1 = [autograd.grad(f)(np.array([v]))[0] for v in x]
    want2 = [autograd.hessian(f)(np.array([v]))[0, 0] for v in x]
    scale1, scale2 = np.abs(want1).max(), np.abs(want2).max()
    np.testing.assert_allclose(d1, want1, rtol=1e-6, atol=1e-6 * scale1)  # float32 on the wire
    np.testing.assert_allclose(d2, want2, rtol=1e-6, atol=1e-6 * scale2)
    # f′ changes sign where the curve has its listed minimum
    minimum = make_problem("quartic").minima[0][0]
    k = np.searchsorted(x, minimum)
    assert d1[k - 1] < 0 < d1[k] or d1[k] == 0


@pytest.mark.parametrize("encoding", ["json", "base64"])
def test_2d_gradient_components(client: TestClient, encoding: str) -> None:
    answer = client.get(
        "/api/surfaces/dog/grid",
        params={"nx": 21, "ny": 17, "derivatives": "true", "encoding": encoding},
    ).json()
    assert "second" not in answer
    gx, gy = (_rows(g) for g in answer["gradient"])
    assert gx.shape == gy.shape == (17, 21)
    grad = autograd.grad(make_problem("dog").autograd_function())
    for j in (0, 5, 16):
        for i in (0, 7, 20):
            want = grad(np.array([answer["x"][i], answer["y"][j]]))
            np.testing.assert_allclose([gx[j, i], gy[j, i]], want, rtol=1e-6, atol=1e-9)


def test_typed_surface_derivatives(client: TestClient) -> None:
    answer = client.post(
        "/api/grid",
        json={
            "surface": {"expression": "x^2 * y + sin(y)"},
            "nx": 4,
            "ny": 3,
            "xmin": -1,
            "xmax": 2,
            "ymin": 0,
            "ymax": 1,
            "derivatives": True,
        },
    ).json()
    X, Y = np.meshgrid(answer["x"], answer["y"])
    gx, gy = (np.array(g, dtype=float) for g in answer["gradient"])
    np.testing.assert_allclose(gx, 2 * X * Y, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gy, X**2 + np.cos(Y), rtol=1e-6, atol=1e-7)


def test_derivatives_refused_on_data_fit_surfaces(client: TestClient) -> None:
    r = client.get("/api/surfaces/line-fit/grid", params={"nx": 3, "derivatives": "true"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "derivatives"
    plain = client.get("/api/surfaces/line-fit/grid", params={"nx": 3, "ny": 3})
    assert plain.status_code == 200 and "gradient" not in plain.json()
