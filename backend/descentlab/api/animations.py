"""Animation jobs: ``POST /api/animations`` queues one, its status says how far it has got, its
file is there to download until it expires.

A job renders on the app's own one-thread pool (never the event loop; at most
``MAX_ANIMATION_JOBS`` queued or rendering per process, refused beyond). Its state lives on disk,
one folder per job under ``Settings.animation_dir`` (``status.json``, replaced whole on each
update, and the file), so that any worker process of the server answers for any job: a page's
requests need not reach the process that renders. Finished jobs (and folders left by a process
that stopped) are deleted ``ANIMATION_KEEP_SECONDS`` after they end. ``DELETE`` cancels a job:
a ``cancel`` file in its folder, which whichever process renders it sees before its next few
frames; it kills ffmpeg, stops drawing and deletes the folder (a queued job never starts).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .. import limits
from ..animation import MEDIA_TYPES, animate, defaults
from ..errors import DescentLabError
from .schemas import AnimationBody

ID = re.compile(r"[A-Za-z0-9_-]{22}")
STATUS = "status.json"
CANCEL = "cancel"  # a file in a job's folder: stop it (any worker process may write it)
FINISHED = ("done", "failed", "cancelled")
PROGRESS_EVERY = 0.25  # seconds between two writes of a job's progress
ORPHAN_SECONDS = 3600  # a job unfinished this long after its last update: its process stopped


class TooBusy(Exception):
    """This process already has MAX_ANIMATION_JOBS jobs queued or rendering."""


class Cancelled(Exception):
    """The job's cancel file appeared while it rendered."""


class AnimationJobs:
    def __init__(
        self,
        root: Path,
        limit: int = limits.MAX_ANIMATION_JOBS,
        keep: float = limits.ANIMATION_KEEP_SECONDS,
        render: Callable[..., Any] = animate,
    ) -> None:
        self.root = root
        self.render = render  # descentlab.animate's signature
        self.limit = limit
        self.keep = keep
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="animation")
        self.pending: dict[Future[None], str] = {}  # -> its job's id
        self.lock = threading.Lock()

    def submit(self, body: AnimationBody) -> str:
        """Queue ``body``'s animation; its id. Raises TooBusy when this process is full."""
        self.expire()
        with self.lock:
            if len(self.pending) >= self.limit:
                raise TooBusy
            job = secrets.token_urlsafe(16)
            folder = self.root / job
            folder.mkdir(parents=True, mode=0o700)
            queued = {"status": "queued", "progress": 0.0, "error": None, "format": body.format}
            _write(folder, {**queued, "file": None, "updated": time.time()})
            future = self.pool.submit(self._render, folder, body)
            self.pending[future] = job
        future.add_done_callback(self._finished)
        return job

    def status(self, job: str) -> dict[str, Any] | None:
        """A job's state (status, progress, error, format, bytes), or None if unknown."""
        self.expire()
        folder = self._folder(job)
        state = _read(folder) if folder else None
        if state is None:
            return None
        return {
            "id": job,
            "status": state["status"],
            "progress": state["progress"],
            "error": state["error"],
            "format": state["format"],
            "bytes": state.get("bytes"),
        }

    def file(self, job: str) -> tuple[Path, str] | None:
        """A finished job's file and its media type."""
        folder = self._folder(job)
        state = _read(folder) if folder else None
        if folder is None or state is None or state["status"] != "done":
            return None
        return folder / state["file"], MEDIA_TYPES[state["format"]]

    def cancel(self, job: str) -> bool:
        """Stop ``job`` and delete it and its file: a queued job never starts, one rendering
        (in this process or another) stops within a few frames, ffmpeg killed. False if the
        job is unknown."""
        folder = self._folder(job)
        if folder is None:
            return False
        state = _read(folder)
        if state is None or state["status"] in FINISHED:
            shutil.rmtree(folder, ignore_errors=True)
            return True
        try:
            (folder / CANCEL).touch()
            _write(folder, {**state, "status": "cancelled", "updated": time.time()})
        except FileNotFoundError:  # the renderer saw the mark first and deleted the job
            return True
        with self.lock:
            mine = [f for f, j in self.pending.items() if j == job]
        # (outside the lock: a future cancelled calls _finished, which takes it)
        if any(f.cancel() for f in mine):  # never started: nothing else will delete it
            shutil.rmtree(folder, ignore_errors=True)
        return True

    def expire(self) -> None:
        """Delete jobs finished over ``keep`` seconds ago, and orphans."""
        now = time.time()
        try:
            folders = list(self.root.iterdir())
        except FileNotFoundError:
            return
        for folder in folders:
            state = _read(folder)
            age = now - (state["updated"] if state else _mtime(folder))
            finished = state is not None and state["status"] in FINISHED
            if age > (self.keep if finished else max(self.keep, ORPHAN_SECONDS)):
                shutil.rmtree(folder, ignore_errors=True)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _folder(self, job: str) -> Path | None:
        folder = self.root / job
        return folder if ID.fullmatch(job) and folder.is_dir() else None

    def _finished(self, future: Future[None]) -> None:
        with self.lock:
            self.pending.pop(future, None)

    def _render(self, folder: Path, body: AnimationBody) -> None:
        if (folder / CANCEL).exists():
            shutil.rmtree(folder, ignore_errors=True)
            return
        state = _read(folder) or {}
        last = 0.0

        def progress(done: float) -> None:
            nonlocal last
            if (folder / CANCEL).exists():
                raise Cancelled
            if time.monotonic() - last >= PROGRESS_EVERY:
                last = time.monotonic()
                _write(folder, {**state, "status": "rendering", "progress": round(done, 3),
                                "updated": time.time()})  # fmt: skip

        out = folder / f"{filename(body)}"
        fps, size = defaults(body.format)
        try:
            self.render(
                body.run,
                out,
                fps=body.fps or fps,
                size=(body.width, body.height) if body.width and body.height else size,
                seconds=body.seconds,
                loss=body.loss,
                title=body.title,
                view=body.view,
                progress=progress,
            )
        except Cancelled:
            shutil.rmtree(folder, ignore_errors=True)  # (the encoder deleted its partial file)
            return
        except DescentLabError as err:
            _write(folder, {**state, "status": "failed", "error": f"{err.field}: {err.message}",
                            "updated": time.time()})  # fmt: skip
            return
        except Exception as err:  # reported to the client; the server goes on
            _write(folder, {**state, "status": "failed", "error": f"{type(err).__name__}: {err}",
                            "updated": time.time()})  # fmt: skip
            return
        _write(folder, {**state, "status": "done", "progress": 1.0, "file": out.name,
                        "bytes": out.stat().st_size, "updated": time.time()})  # fmt: skip


def filename(body: AnimationBody) -> str:
    """``descentlab-rosenbrock-adam-momentum.mp4``: the surface and the optimisers."""
    surface = body.run.surface
    name = surface if isinstance(surface, str) else getattr(surface, "id", "surface")
    parts = ["descentlab", name, *dict.fromkeys(o.id for o in body.run.optimizers)]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(parts))[:100]
    return f"{stem}.{body.format}"


def _write(folder: Path, state: dict[str, Any]) -> None:
    """Replace the job's state whole, so a reader never sees half of it."""
    part = folder / f".{STATUS}.{threading.get_ident()}"
    part.write_text(json.dumps(state), encoding="utf-8")
    os.replace(part, folder / STATUS)


def _read(folder: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads((folder / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state


def _mtime(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return time.time()
