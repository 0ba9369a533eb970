"""The REST routes, in-process, and a table of bad input that must answer 4xx, never 500."""

from __future__ import annotations

import base64
import gc
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info

from descentlab import limits
from descentlab.api import create_app
from descentlab.optimizers import REGISTRY
from descentlab.problems import CATALOG


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def run_body(**overrides: object) -> dict:
    body = {"surface": "rosenbrock", "max_steps": 20, "optimizers": [{"id": "adam"}]}
    return {**body, **overrides}


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_serving_freezes_what_startup_loaded() -> None:
    """While served, what was loaded at startup is out of the garbage collector's sight (so a
    full collection does not walk it), and back in sight once the app stops."""
    with TestClient(create_app()) as client:
        assert gc.get_freeze_count() > 0
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0


def test_a_served_worker_keeps_one_blas_thread() -> None:
    """Its matrices are 2 x 2: BLAS threads would only wait for a busy core."""
    with TestClient(create_app()):
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)


def test_index_and_assets(client: TestClient) -> None:
    frontend = client.app.state.frontend  # type: ignore[attr-defined]
    index = client.get("/")
    if (frontend.root / "index.html").exists():
        assert index.status_code == 200
        assert "{{" not in index.text
        assert f'src="{frontend.plotly_url}" data-full="{frontend.plotly_full_url}"' in index.text
        assert index.headers["cache-control"] == "no-cache"
    assert re.fullmatch(r"/static/[0-9a-f]{12}", frontend.static_url)
    for url in (frontend.plotly_url, frontend.plotly_full_url):
        js = client.get(url)
        assert js.status_code == 200 and js.headers["cache-control"].endswith("immutable")
    assets = [p for p in frontend.root.rglob("*") if p.is_file()]
    if assets:
        rel = assets[0].relative_to(frontend.root).as_posix()
        r = client.get(f"{frontend.static_url}/{rel}")
        assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    assert client.get("/static/0000/none.js").status_code == 404


def test_surfaces(client: TestClient) -> None:
    surfaces = client.get("/api/surfaces").json()["surfaces"]
    assert [s["id"] for s in surfaces] == list(CATALOG.by_id)
    one = client.get("/api/surfaces/rosenbrock", params={"params": '{"b": 10}'}).json()
    assert {p["name"]: p["value"] for p in one["params"]}["b"] == 10
    assert client.get("/api/surfaces/nope").status_code == 404


def test_grid_2d_and_1d(client: TestClient) -> None:
    g = client.get("/api/surfaces/rosenbrock/grid", params={"nx": 5, "ny": 3}).json()
    assert len(g["x"]) == 5 and len(g["y"]) == 3 and len(g["z"]) == 3 and len(g["z"][0]) == 5
    assert g["zmin"] <= g["zmax"]
    g = client.get("/api/surfaces/parabola/grid", params={"nx": 7, "xmin": -1, "xmax": 1}).json()
    assert "y" not in g and len(g["z"]) == 7 and g["x"][0] == -1


def decoded(z: dict) -> np.ndarray:
    assert z["dtype"] == "float32"
    return np.frombuffer(base64.b64decode(z["base64"]), dtype="<f4").reshape(z["shape"])


@pytest.mark.parametrize(
    ("surface", "query"), [("rosenbrock", {"nx": 7, "ny": 4}), ("parabola", {"nx": 9})]
)
def test_a_base64_grid_holds_the_json_grids_values(client: TestClient, surface, query) -> None:
    """The browser's encoding: the same float32 values, axes and bounds, as little-endian
    bytes."""
    url = f"/api/surfaces/{surface}/grid"
    plain = client.get(url, params=query).json()
    packed = client.get(url, params={**query, "encoding": "base64"}).json()
    values = decoded(packed.pop("z"))
    np.testing.assert_array_equal(values, np.array(plain.pop("z"), dtype=np.float32))
    assert packed == plain


def test_a_posted_grid_takes_the_encoding_too(client: TestClient) -> None:
    """Where the surface is not finite, JSON has null and the bytes NaN."""
    body = {"surface": {"expression": "log(x) + y^2"}, "nx": 6, "ny": 4, "xmin": -1, "xmax": 1}
    plain = client.post("/api/grid", json=body).json()
    packed = client.post("/api/grid", json={**body, "encoding": "base64"}).json()
    values = decoded(packed.pop("z"))
    expected = np.array(plain.pop("z"), dtype=float)  # null -> nan
    assert np.isnan(expected).any() and not np.isnan(expected).all()
    np.testing.assert_array_equal(values, expected.astype(np.float32))
    assert packed == plain
    refused = client.post("/api/grid", json={**body, "encoding": "hex"})
    assert refused.status_code == 422 and "encoding" in refused.text


def test_registries(client: TestClient) -> None:
    ids = [o["id"] for o in client.get("/api/optimizers").json()["optimizers"]]
    assert ids == list(REGISTRY.by_id)
    assert "step" in [s["id"] for s in client.get("/api/schedules").json()["schedules"]]


def test_presets_name_their_lecture_and_section(client: TestClient) -> None:
    catalog = client.get("/api/presets").json()
    lectures = [lecture["id"] for lecture in catalog["lectures"]]
    assert lectures and len(set(lectures)) == len(lectures)
    for preset in catalog["presets"]:
        keys = {"id", "title", "description", "try_this", "differs", "run", "view", "show"}
        assert keys <= set(preset)
        assert preset["lecture"] in lectures and preset["section"]


def test_run_json(client: TestClient) -> None:
    body = run_body(
        restarts=2,
        optimizers=[
            {
                "id": "adam",
                "params": {"lr": 0.01, "betas": [0.9, 0.999]},
                "schedule": {"id": "step", "params": {"step_size": 10, "gamma": 0.5}},
            },
            {"id": "gd"},
        ],
    )
    result = client.post("/api/runs", json=body).json()
    assert result["surface"]["id"] == "rosenbrock"
    adam, gd = result["runs"]
    assert adam["optimizer"] == "adam" and gd["optimizer"] == "gd"
    assert len(adam["path"]) == adam["nit"] + 1 == len(adam["loss"])
    assert adam["path"][0] == [-1.5, 2.0] and adam["step_size"][0] is None
    assert len(adam["restarts"]) == 2 and 0 <= adam["best"] <= 2


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "adam", "amsgrad"])
def test_each_optimizer_runs(client: TestClient, optimizer: str) -> None:
    run = client.post("/api/runs", json=run_body(optimizers=[{"id": optimizer}])).json()["runs"][0]
    assert run["status"] in ("converged", "diverged", "max_steps")


def test_run_csv(client: TestClient) -> None:
    for kwargs in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        r = client.post("/api/runs", json=run_body(max_steps=3), **kwargs)  # type: ignore[arg-type]
        lines = r.text.splitlines()
        assert r.headers["content-type"].startswith("text/csv")
        assert lines[0] == "run,optimizer,row,step,x,y,loss,grad_norm,step_size,lr"
        assert len(lines) == 1 + 4


def test_analysis(client: TestClient) -> None:
    a = client.post("/api/analysis", json={"surface": "rosenbrock", "point": [1, 1]}).json()
    assert a["critical_point"] == "minimum" and a["gradient_check"]["ok"]
    assert a["max_stable_lr"] == pytest.approx(2 / max(a["eigenvalues"]))


def test_engine_error_has_field_loc(client: TestClient) -> None:
    body = run_body(optimizers=[{"id": "gd"}, {"id": "adam", "params": {"lr": 50}}])
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "optimizers", 1, "params", "lr"]


def test_each_optimizer_may_start_from_its_own_point(client: TestClient) -> None:
    body = run_body(
        start=[-1.0, 1.0],
        optimizers=[{"id": "gd"}, {"id": "gd", "start": [2.0, -1.0]}],
        restarts=2,
        restart_from={"dist": "normal", "sigma": 0.5},
    )
    shared, own = client.post("/api/runs", json=body).json()["runs"]
    assert shared["path"][0] == [-1.0, 1.0] and own["path"][0] == [2.0, -1.0]
    for run, center in ((shared, [-1, 1]), (own, [2, -1])):
        starts = np.array([row["path"][0] for row in run["restarts"]])
        assert np.abs(starts - center).max() < 3  # drawn around that optimiser's start


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (run_body(optimizers=[{"id": "gd"}, {"id": "gd", "start": [1.0]}]), ["optimizers", 1]),
        (run_body(restarts=1, restart_from={"dist": "normal", "sigma": -1}), ["restart_from"]),
        (run_body(restarts=1, restart_from={"dist": "normal", "center": [1.0]}), ["restart_from"]),
    ],
)
def test_bad_starts_name_their_field(client: TestClient, body: dict, loc: list) -> None:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][1 : 1 + len(loc)] == loc


BAD_RUNS = [
    run_body(max_steps="many"),
    run_body(max_steps=10**9),
    run_body(surface="nope"),
    run_body(surface={"id": "rosenbrock", "params": {"zz": 1}}),
    run_body(optimizers=[{"id": "nope"}]),
    run_body(optimizers=[{"id": "adam", "params": {"momentum": 0.9}}]),
    run_body(optimizers=[{"id": "gd", "params": {"lr": -1}}]),
    run_body(optimizers=[{"id": "gd", "params": {"lr": "0.1"}}]),
    run_body(optimizers=[{"id": "adam", "params": {"betas": [0.9]}}]),
    run_body(optimizers=[{"id": "adam", "schedule": {"id": "nope"}}]),
    run_body(optimizers=[{"id": "adam"}] * 9),
    run_body(optimizers=[]),
    run_body(restarts=10_000),
    run_body(restarts=256, max_steps=20_000),
    run_body(max_steps=100_001),
    run_body(start=[1, 2, 3]),
    run_body(start=["a", 2]),
    run_body(stop={"grad_norm": "l7"}),
    run_body(extra=1),
    [1, 2],
]


@pytest.mark.parametrize("body", BAD_RUNS)
def test_bad_run_bodies(client: TestClient, body: object) -> None:
    assert client.post("/api/runs", json=body).status_code == 422
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        b'{"surface": "rosenbrock", "start": [NaN, 1], "optimizers": [{"id": "gd"}]}',
        b'{"surface": "rosenbrock", "optimizers": [{"id": "gd", "params": {"lr": Infinity}}]}',
        b'{"surface": "rosenbrock", "optimizers": [{"id": "gd"}',
        b"",
    ],
)
def test_bad_json(client: TestClient, raw: bytes) -> None:
    r = client.post("/api/runs", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_oversize_body(client: TestClient) -> None:
    big = {**run_body(), "pad": "x" * limits.MAX_BODY_BYTES}
    assert client.post("/api/runs", json=big).status_code == 413
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"nx": 501},
        {"nx": 1},
        {"nx": "a"},
        {"xmin": "nan"},
        {"xmin": "inf"},
        {"xmin": 3, "xmax": 1},
        {"params": "{bad"},
        {"params": "[1]"},
        {"params": '{"b": 1e9}'},
        {"encoding": "hex"},
    ],
)
def test_bad_grid_queries(client: TestClient, query: dict) -> None:
    assert client.get("/api/surfaces/rosenbrock/grid", params=query).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"surface": "rosenbrock", "point": [1]},
        {"surface": "rosenbrock", "point": "x"},
        {"surface": "nope", "point": [1, 1]},
    ],
)
def test_bad_analysis(client: TestClient, body: dict) -> None:
    assert client.post("/api/analysis", json=body).status_code == 422


def test_unknown_route(client: TestClient) -> None:
    assert client.get("/api/nothing").status_code == 404


@pytest.mark.parametrize("which", ["plotly_url", "plotly_full_url"])
def test_plotly_travels_gzipped_when_the_browser_accepts_it(client: TestClient, which: str) -> None:
    url = getattr(client.app.state.frontend, which)  # type: ignore[attr-defined]
    zipped = client.get(url, headers={"accept-encoding": "gzip"})
    plain = client.get(url, headers={"accept-encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert zipped.content == plain.content  # the client undoes the encoding
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2


@pytest.mark.parametrize(
    ("which", "bundle"), [("plotly_url", "cartesian"), ("plotly_full_url", "full")]
)
def test_plotly_is_served_as_the_bundle_module_prepares_it(
    client: TestClient, which: str, bundle: str
) -> None:
    from descentlab.api.plotly_bundle import plotly_source

    url = getattr(client.app.state.frontend, which)  # type: ignore[attr-defined]
    served = client.get(url, headers={"accept-encoding": "identity"}).content
    assert served == plotly_source(bundle)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["/", "/api/presets", "/healthz", "/docs", "/redoc"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    inline = "'unsafe-inline'" in policy.split("script-src")[1].split(";")[0]
    assert inline == path.startswith(("/docs", "/redoc"))  # only FastAPI's docs pages
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_load_their_assets_from_this_server(client: TestClient, path: str) -> None:
    page = client.get(path).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200
