"""A client that stops reading pauses its runs: the server never buffers without bound."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from descentlab import engine
from descentlab.api.settings import Settings
from descentlab.api.stream import SINGLE_CHUNK
from descentlab.api.ws import Session


class StalledSocket:
    """Delivers the client's messages, then never lets a frame out until ``release``."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for m in messages:
            self.incoming.put_nowait({"type": "websocket.receive", "text": json.dumps(m)})
        self.released = asyncio.Event()
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def send_text(self, text: str) -> None:
        await self.released.wait()
        self.sent.append(json.loads(text))
        if self.sent[-1]["type"] == "done":
            self.incoming.put_nowait({"type": "websocket.disconnect"})


def test_a_stalled_reader_pauses_its_run(monkeypatch: pytest.MonkeyPatch) -> None:
    produced = 0  # points the engine computed
    original = engine.iterate

    def counting(*args: Any, **kwargs: Any):
        nonlocal produced
        for chunk in original(*args, **kwargs):
            produced += chunk.path.shape[1]
            yield chunk

    monkeypatch.setattr(engine, "iterate", counting)
    run = {
        "type": "run",
        "id": "slow",
        "surface": "rosenbrock",
        "max_steps": 20_000,
        "frame_points": 10,
        "stop": {"grad_tol": None},
        "optimizers": [{"id": "gd", "params": {"lr": 1e-4}}],
    }
    settings = Settings.from_env()

    async def scenario() -> int:
        socket = StalledSocket([run])
        with ThreadPoolExecutor(2) as pool:
            session = asyncio.create_task(Session(socket, settings, pool).serve())  # type: ignore[arg-type]
            await asyncio.sleep(1.0)  # plenty of time to compute all 20,000 steps, were it free to
            stalled_at = produced
            socket.released.set()  # the reader comes back: everything arrives, in order
            await asyncio.wait_for(session, timeout=30)
        frames = [m for m in socket.sent if m["type"] == "frames"]
        assert socket.sent[-1]["type"] == "done"
        assert sum(len(f["paths"][0]) for f in frames) == 20_001
        return stalled_at

    # A thread of its own: the browser tests' Playwright keeps an event loop in this one.
    with ThreadPoolExecutor(1) as runner:
        stalled_at = runner.submit(asyncio.run, scenario()).result(timeout=60)
    # Held back: the frame being sent, the queue, one batch and the engine chunk it was cut from.
    held = 1 + settings.ws_queue_frames + settings.ws_batch_frames
    assert stalled_at <= held * run["frame_points"] + SINGLE_CHUNK < 20_001
