"""The WebSocket protocol: frames then done, replace, cancel, several runs, errors."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from starlette.testclient import WebSocketTestSession

from descentlab import limits
from descentlab.api import create_app
from descentlab.api.schemas import ServerMessage


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def run_msg(run_id: str, **overrides: Any) -> str:
    msg = {
        "type": "run",
        "id": run_id,
        "surface": "rosenbrock",
        "max_steps": 100,
        "frame_points": 16,
        "optimizers": [{"id": "adam", "params": {"lr": 0.01}}],
    }
    return json.dumps({**msg, **overrides})


LONG = {
    "max_steps": 20_000,
    "stop": {"grad_tol": None},
    "optimizers": [{"id": "gd", "params": {"lr": 1e-6}}],
}


def until_done(ws: WebSocketTestSession, run_id: str) -> tuple[list[dict], dict]:
    frames = []
    while True:
        m = ws.receive_json()
        if m["id"] != run_id:
            continue
        if m["type"] == "done":
            return frames, m
        assert m["type"] == "frames", m
        frames.append(m)


def test_frames_then_done(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        ws.send_text(run_msg("a", restarts=2, optimizers=[{"id": "adam"}, {"id": "gd"}]))
        frames, done = until_done(ws, "a")
    assert done["status"] == "complete" and [r["optimizer"] for r in done["runs"]] == ["adam", "gd"]
    for i, run in enumerate(done["runs"]):
        mine = [f for f in frames if f["run"] == i]
        assert mine[0]["start"] == 0 and len(mine[0]["paths"]) == 3
        assert all(len(p) <= 16 for f in mine for p in f["paths"])  # frame_points
        assert mine[0]["paths"][0][0] == [-1.5, 2.0]
        for r, row in enumerate(run["rows"]):  # each row's frames hold its real points only
            assert sum(len(f["paths"][r]) for f in mine) == row["nit"] + 1
        starts = [f["start"] for f in mine]
        assert starts == sorted(starts)


def test_first_frame_is_small_and_frames_are_contiguous(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        ws.send_text(run_msg("big", max_steps=1000, frame_points=300, stop={"grad_tol": None}))
        frames, _ = until_done(ws, "big")
    sizes = [len(f["paths"][0]) for f in frames]
    assert sizes[0] <= 32 and max(sizes) <= 300 and sum(sizes) == 1001
    assert [f["start"] for f in frames] == [sum(sizes[:i]) for i in range(len(sizes))]


def test_replace_and_cancel(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        ws.send_text(run_msg("r", **LONG))
        assert ws.receive_json()["type"] == "frames"
        ws.send_text(run_msg("r", max_steps=5))  # replaces at once
        _, done = until_done(ws, "r")
        assert done["status"] == "complete" and done["runs"][0]["rows"][0]["nit"] == 5
        ws.send_text(run_msg("c", **LONG))
        assert ws.receive_json()["type"] == "frames"
        ws.send_text(json.dumps({"type": "cancel", "id": "c"}))
        _, done = until_done(ws, "c")
        assert done == {"type": "done", "id": "c", "status": "cancelled", "runs": []}
        ws.send_text(run_msg("after"))  # the socket still serves
        assert until_done(ws, "after")[1]["status"] == "complete"


def test_several_runs_on_one_socket(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        for name in "xyz":
            ws.send_text(run_msg(name))
        done = set()
        while len(done) < 3:
            m = ws.receive_json()
            if m["type"] == "done":
                done.add(m["id"])
    assert done == {"x", "y", "z"}


def test_a_long_run_does_not_hold_up_a_short_one(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        ws.send_text(run_msg("long", **LONG))
        ws.send_text(run_msg("short"))
        while (m := ws.receive_json())["type"] != "done":
            pass
        # the pool is shared in batches: the short run ends while the long one streams
        assert (m["id"], m["status"]) == ("short", "complete")
        ws.send_text(json.dumps({"type": "cancel", "id": "long"}))
        assert until_done(ws, "long")[1]["status"] == "cancelled"


def test_streams_do_not_wait_for_whole_result_requests() -> None:
    app = create_app()
    with TestClient(app) as client:
        gate = threading.Event()
        busy = [  # every thread that answers POST /api/runs and /api/sweeps, held
            app.state.batch_pool.submit(gate.wait, 30) for _ in range(app.state.settings.threads)
        ]
        try:
            with client.websocket_connect("/ws/runs") as ws:
                ws.send_text(run_msg("free"))
                assert until_done(ws, "free")[1]["status"] == "complete"
            assert not any(f.done() for f in busy)  # the run did not wait for them
        finally:
            gate.set()


def test_too_many_runs(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        for i in range(17):
            ws.send_text(run_msg(str(i), **LONG))
        while (m := ws.receive_json())["type"] != "error":
            pass
        assert m["code"] == "too_many_runs" and m["id"] == "16"


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        ("not json", "bad_json", None),
        ('{"type": "run", "id": "e", "start": [NaN, 1]}', "bad_json", None),
        ('{"type": "nope", "id": "e"}', "invalid", None),
        ("[1, 2]", "invalid", None),
        (run_msg("e", max_steps=10**9), "invalid", "max_steps"),
        (run_msg("e", surface="nope"), "invalid", "surface"),
        (run_msg("e", optimizers=[{"id": "nope"}]), "invalid", "optimizers.0.id"),
        (
            run_msg("e", optimizers=[{"id": "gd", "params": {"lr": 99}}]),
            "invalid",
            "optimizers.0.params.lr",
        ),
        (
            run_msg("e", optimizers=[{"id": "gd", "params": {"zz": 1}}]),
            "invalid",
            "optimizers.0.params.zz",
        ),
        (run_msg("e", optimizers=[{"id": "gd"}] * 9), "invalid", "optimizers"),
        pytest.param(
            run_msg("e", pad="x" * limits.MAX_BODY_BYTES), "too_large", None, id="too-large"
        ),
    ],
)
def test_errors_keep_the_socket(client: TestClient, raw: str, code: str, field: str) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        ws.send_text(raw)
        m = ws.receive_json()
        assert (m["type"], m["code"], m["field"]) == ("error", code, field), m
        ws.send_text(run_msg("ok", max_steps=3))
        assert until_done(ws, "ok")[1]["status"] == "complete"


def test_disconnect_mid_run(client: TestClient) -> None:
    with client.websocket_connect("/ws/runs") as ws:
        ws.send_text(run_msg("gone", **LONG))
        ws.receive_json()
    assert client.get("/healthz").status_code == 200


def test_a_worker_warms_up_so_that_its_first_user_compiles_nothing() -> None:
    """Before serving, the machine-code loop is loaded and every first-order rule has run on
    the page's first surface: the page's first run (any rates) then compiles nothing and
    builds no surface program (only its rules' traces, for its numbers)."""
    from descentlab.api.schemas import RunMessage
    from descentlab.api.stream import RunFrames, warm_up
    from descentlab.engine import columns, kernel, vm

    kernel.surface_part.cache_clear()
    columns._traced_cached.cache_clear()
    warm_up()
    built = kernel.surface_part.cache_info().misses
    page = RunMessage.model_validate(
        {
            "type": "run",
            "id": "first",
            "surface": "rosenbrock",
            "max_steps": 500,
            "optimizers": [
                {"id": "gd", "params": {"lr": 0.001}},
                {"id": "momentum", "params": {"lr": 0.001}},
                {"id": "adam", "params": {"lr": 0.05}},
            ],
        }
    )
    run = RunFrames(page)
    while not run.finished:
        run.take(64, 1.0)
    assert kernel.surface_part.cache_info().misses == built == 1
    assert len(vm.load().signatures) == 1


def test_every_message_the_server_sends_is_one_of_its_declared_models(client: TestClient) -> None:
    """Frames (plain and minibatch), done (complete, cancelled) and error messages all
    validate against the models GET /asyncapi.json publishes."""
    adapter = TypeAdapter(ServerMessage)
    seen = set()
    sgd = {
        "surface": "linear-regression",
        "stochastic": {"batch_size": 10},
        "optimizers": [{"id": "gd", "params": {"lr": 0.1}}],
    }
    with client.websocket_connect("/ws/runs") as ws:
        for run_id, extra in (("plain", {"restarts": 2}), ("sgd", sgd)):
            ws.send_text(run_msg(run_id, **extra))
            frames, done = until_done(ws, run_id)
            for message in [*frames, done]:
                parsed = adapter.validate_python(message)
                seen.add((parsed.type, getattr(parsed, "status", None)))
            assert any(f.get("batches") for f in frames) == (run_id == "sgd")
        ws.send_text(run_msg("long", **LONG))
        ws.send_text(json.dumps({"type": "cancel", "id": "long"}))
        ws.send_text(run_msg("bad", optimizers=[{"id": "adam", "params": {"lr": -1}}]))
        ws.send_text("{not json")
        errors = 0
        while errors < 2 or ("done", "cancelled") not in seen:
            parsed = adapter.validate_python(ws.receive_json())
            seen.add((parsed.type, getattr(parsed, "status", None)))
            errors += parsed.type == "error"
    assert seen == {("frames", None), ("done", "complete"), ("done", "cancelled"), ("error", None)}


def test_asyncapi_document_names_every_message_with_its_schema(client: TestClient) -> None:
    doc = client.get("/asyncapi.json").json()
    assert doc["asyncapi"].startswith("3.") and doc["channels"]["runs"]["address"] == "/ws/runs"
    messages = doc["components"]["messages"]
    assert set(messages) == {"run", "cancel", "frames", "done", "error"}
    for name, message in messages.items():
        model = message["payload"]["$ref"].rsplit("/", 1)[1]
        schema = doc["components"]["schemas"][model]
        assert schema["properties"]["type"]["const"] == name
    sent = {m["$ref"].rsplit("/", 1)[1] for m in doc["operations"]["stream"]["messages"]}
    assert sent == {"frames", "done", "error"}


def test_the_openapi_document_shows_the_websocket_messages(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("RunMessage", "CancelMessage", "FramesMessage", "DoneMessage", "ErrorMessage"):
        assert name in schemas, name
    row = schemas["RowSummary"]["properties"]
    assert {"x", "fun", "nit", "nfev", "status", "success", "message"} <= set(row)
