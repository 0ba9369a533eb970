"""``/ws/runs``: stream runs as frames over one socket (docs/api.md, "WebSocket").

One :class:`Session` per socket: a receive loop validates messages and starts, replaces or
cancels run tasks; each run task pulls one chunk per thread-pool call (so a cancel lands between
chunks) and puts encoded frames on a bounded queue; one sender task drains the queue. A client
that stops reading fills the queue, which pauses the producers: memory stays bounded.

A replaced or cancelled run's frames still waiting in the queue are dropped (each frame carries
its run's generation), so a slider drag never waits for stale frames to flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, WebSocket
from pydantic import TypeAdapter, ValidationError

from .. import engine
from ..errors import DescentLabError
from .responses import dumps
from .schemas import ClientMessage, RunMessage
from .service import offload, prepare_runs
from .settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["websocket"])
MESSAGES: TypeAdapter[Any] = TypeAdapter(ClientMessage)


@router.websocket("/ws/runs")
async def runs_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    state = websocket.app.state
    await Session(websocket, state.settings, state.pool).serve()


@dataclass(frozen=True)
class Outgoing:
    text: str
    id: str | None = None
    generation: int | None = None  # frames only: dropped once their run is replaced
    last: bool = False  # the run's final message: its generation can be forgotten


class Session:
    def __init__(self, websocket: WebSocket, settings: Settings, pool: Executor) -> None:
        self.ws = websocket
        self.settings = settings
        self.pool = pool
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue(settings.ws_queue_frames)
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.generation: dict[str, int] = {}
        self.counter = 0

    async def serve(self) -> None:
        sender = asyncio.create_task(self._send_loop())
        try:
            await self._receive_loop()
        finally:
            tasks = [*self.tasks.values(), sender]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _send_loop(self) -> None:
        while True:
            out = await self.queue.get()
            if out.generation is not None and self.generation.get(out.id or "") != out.generation:
                continue  # a replaced or cancelled run
            await self.ws.send_text(out.text)
            if out.last and self.generation.get(out.id or "") == out.generation:
                del self.generation[out.id or ""]

    async def _receive_loop(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                raw = (message.get("bytes") or b"").decode("utf-8", "replace")
            await self._handle(raw)

    async def _handle(self, raw: str) -> None:
        limit = self.settings.max_body_bytes
        if len(raw) > limit:
            return await self._error(None, "too_large", None, f"message over {limit} bytes")
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as err:
            return await self._error(None, "bad_json", None, f"not JSON: {err}")
        given_id = data.get("id") if isinstance(data, dict) else None
        given_id = given_id if isinstance(given_id, str) else None
        try:
            msg = MESSAGES.validate_python(data)
        except ValidationError as err:
            first = err.errors()[0]
            loc = list(first["loc"])
            if loc and isinstance(data, dict) and loc[0] == data.get("type"):
                loc = loc[1:]  # the union's tag
            field = ".".join(map(str, loc)) or None
            return await self._error(given_id, "invalid", field, first["msg"])
        if isinstance(msg, RunMessage):
            await self._start(msg)
        else:
            await self._cancel(msg.id)

    async def _start(self, msg: RunMessage) -> None:
        old = self.tasks.pop(msg.id, None)
        if old is None and len(self.tasks) >= self.settings.max_ws_runs:
            limit = self.settings.max_ws_runs
            return await self._error(msg.id, "too_many_runs", None, f"at most {limit} live runs")
        if old is not None:
            old.cancel()
        self.counter += 1
        self.generation[msg.id] = generation = self.counter
        task = asyncio.create_task(self._run(msg, generation))
        self.tasks[msg.id] = task
        task.add_done_callback(lambda t: self._forget(msg.id, t))

    def _forget(self, run_id: str, task: asyncio.Task[None]) -> None:
        if self.tasks.get(run_id) is task:
            del self.tasks[run_id]

    async def _cancel(self, run_id: str) -> None:
        task = self.tasks.pop(run_id, None)
        if task is None:
            return  # finished already, or never started: nothing to do
        task.cancel()
        self.generation.pop(run_id, None)
        text = dumps({"type": "done", "id": run_id, "status": "cancelled", "runs": []})
        await self.queue.put(Outgoing(text.decode()))

    async def _error(self, run_id: str | None, code: str, field: str | None, text: str) -> None:
        body = {"type": "error", "id": run_id, "code": code, "field": field, "message": text}
        await self.queue.put(Outgoing(dumps(body).decode()))

    async def _run(self, msg: RunMessage, generation: int) -> None:
        streams: list[Stream] = []
        try:
            _, specs = await offload(self.pool, prepare_runs, msg)
            n = msg.frame_points
            streams = [
                Stream(s.optimizer.id, engine.iterate(s, n, min(n, 32)), s.epoch_size)
                for s in specs
            ]
            finals: list[dict[str, Any] | None] = [None] * len(streams)
            while any(f is None for f in finals):
                for i, stream in enumerate(streams):  # round robin: the paths grow together
                    if finals[i] is not None:
                        continue
                    text, final = await offload(self.pool, _next_frame, msg.id, i, stream)
                    finals[i] = final
                    if text is not None:
                        await self.queue.put(Outgoing(text, msg.id, generation))
            done = {"type": "done", "id": msg.id, "status": "complete", "runs": finals}
            await self.queue.put(Outgoing(dumps(done).decode(), msg.id, generation, last=True))
        except DescentLabError as err:
            await self._error(msg.id, "invalid", err.field, err.message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("run %r failed", msg.id)
            await self._error(msg.id, "internal", None, "the run failed on the server")
        finally:
            for stream in streams:
                with contextlib.suppress(RuntimeError):  # the pool is shut down: the app exits
                    self.pool.submit(stream.close)


class Stream:
    """An engine generator advanced from pool threads one chunk at a time.

    A cancelled run's task stops awaiting, but the chunk it asked for may still be computing
    in the pool: the lock makes the close wait for it (a generator cannot be closed while it
    runs).
    """

    def __init__(
        self, optimizer: str, chunks: Iterator[engine.Chunk], epoch_size: int | None = None
    ) -> None:
        self.optimizer = optimizer
        self.chunks = chunks
        self.epoch_size = epoch_size
        self.lock = threading.Lock()

    def next(self) -> engine.Chunk:
        with self.lock:
            return next(self.chunks)

    def close(self) -> None:
        with self.lock:
            getattr(self.chunks, "close", lambda: None)()


def _next_frame(
    run_id: str, index: int, stream: Stream
) -> tuple[str | None, dict[str, Any] | None]:
    """One chunk of one optimiser, encoded (in the pool: numpy and orjson work off the loop).
    Returns the frames text (None if no row moved) and, after the last chunk, the summary."""
    chunk = stream.next()
    counts = [int(c) for c in chunk.count]
    text = None
    if any(counts):
        frame = {
            "type": "frames",
            "id": run_id,
            "run": index,
            "start": chunk.start,
            "paths": [np.ascontiguousarray(chunk.path[b, :c]) for b, c in enumerate(counts)],
            "losses": [np.ascontiguousarray(chunk.loss[b, :c]) for b, c in enumerate(counts)],
            "grad_norms": [
                np.ascontiguousarray(chunk.grad_norm[b, :c]) for b, c in enumerate(counts)
            ],
        }
        if chunk.batch_loss is not None:  # stochastic runs: what each step saw
            frame["batch_losses"] = [
                np.ascontiguousarray(chunk.batch_loss[b, :c]) for b, c in enumerate(counts)
            ]
        if chunk.batches is not None:  # minibatch SGD: the samples of each step (shared)
            frame["batches"] = np.ascontiguousarray(chunk.batches[: max(counts)])
        text = dumps(frame).decode()
    if not chunk.done:
        return text, None
    final = chunk.loss[:, -1]
    finite = np.isfinite(final)
    rows = [
        {
            "status": chunk.status[b],
            "message": chunk.message[b],
            "steps": int(chunk.steps[b]),
            "loss": float(final[b]),
            "nfev": int(chunk.nfev[b]),
            "ngev": int(chunk.ngev[b]),
            "nhev": int(chunk.nhev[b]),
        }
        for b in range(len(counts))
    ]
    best = int(np.argmin(np.where(finite, final, np.inf))) if finite.any() else 0
    summary = {
        "run": index,
        "optimizer": stream.optimizer,
        "best": best,
        "rows": rows,
        "epoch_size": stream.epoch_size,
    }
    return text, summary
