"""``/ws/runs``: stream runs as frames over one socket (docs/api.md, "WebSocket").

One :class:`Session` per socket: a receive loop validates messages and starts, replaces or
cancels run tasks; each run task asks the thread pool for its frames a batch at a time
(:class:`~.stream.RunFrames`: the first frame alone, then bounded batches) and puts them on a
bounded queue; one sender task drains the queue. A client that stops reading fills the queue,
which pauses the producers: memory stays bounded.

A replaced or cancelled run's frames still waiting in the queue are dropped (each frame carries
its run's generation), so a slider drag never waits for stale frames to flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from pydantic import TypeAdapter, ValidationError

from ..errors import DescentLabError
from .guards import clean_errors
from .responses import dumps
from .schemas import ClientMessage, RunMessage
from .service import offload
from .settings import Settings
from .stream import RunFrames

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
        self.turn = asyncio.Lock()  # held while one of this socket's runs is in the pool

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
            first = clean_errors(err.errors())[0]
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
        run = RunFrames(msg)
        most, seconds = 1, 0.0  # the first frame leaves as soon as it is made
        try:
            while not run.finished:
                # One pool call per socket at a time, so a socket with many runs gets no more
                # of the pool than one with a single run; its own runs take turns (FIFO lock).
                async with self.turn:
                    texts = await offload(self.pool, run.take, most, seconds)
                for k, text in enumerate(texts):
                    last = run.finished and k == len(texts) - 1  # the `done` text
                    await self.queue.put(Outgoing(text, msg.id, generation, last))
                most, seconds = self.settings.ws_batch_frames, self.settings.ws_batch_seconds
        except DescentLabError as err:
            await self._error(msg.id, "invalid", err.field, err.message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("run %r failed", msg.id)
            await self._error(msg.id, "internal", None, "the run failed on the server")
        finally:
            run.cancel()
            if not run.finished:  # a finished run's generators hold nothing to release
                with contextlib.suppress(RuntimeError):  # the pool is shut down: the app exits
                    self.pool.submit(run.close)
