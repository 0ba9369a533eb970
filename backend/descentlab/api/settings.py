"""Settings and the shared resources routes ask for, as ``Annotated[..., Depends()]`` aliases.

Settings come from ``DESCENTLAB_*`` environment variables (so the Docker image and the CLI can
set them) with defaults from :mod:`descentlab.limits`; one class, read once per app.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Executor
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel, Field

import descentlab

from .. import limits

MAX_BODY_BYTES = limits.MAX_BODY_BYTES  # request bodies and WebSocket messages (docs/api.md)
MAX_WS_RUNS = 16  # concurrent runs on one WebSocket
MAX_GRID = limits.MAX_GRID_POINTS


def default_frontend_dir() -> Path:
    """The frontend inside an installed wheel, else the repository's (editable install)."""
    package = Path(descentlab.__file__).resolve().parent
    bundled = package / "frontend"
    return bundled if bundled.is_dir() else package.parents[1] / "frontend"


def default_animation_dir() -> Path:
    """One folder for every worker process of a server (so any of them finds any job)."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"descentlab-animations-{uid}"


class Settings(BaseModel):
    frontend_dir: Path
    animation_dir: Path = Field(default_factory=default_animation_dir)
    max_body_bytes: int = MAX_BODY_BYTES
    max_ws_runs: int = MAX_WS_RUNS
    ws_queue_frames: int = 8  # frames a socket may hold unsent before its runs pause
    # One pool call of a streamed run (after its first frame) makes at most this many frames
    # and stops after about this long: a stalled reader makes the server hold at most the
    # queue and one batch, a long run gives the pool up every few tens of milliseconds.
    ws_batch_frames: int = 16
    ws_batch_seconds: float = 0.02
    threads: int = min(8, os.cpu_count() or 1)  # threads of each of the app's two pools
    warm_up: bool = True  # run every first-order rule once before serving (stream.warm_up)

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            frontend_dir=Path(env.get("DESCENTLAB_FRONTEND_DIR") or default_frontend_dir()),
            animation_dir=Path(env.get("DESCENTLAB_ANIMATION_DIR") or default_animation_dir()),
            threads=int(env.get("DESCENTLAB_THREADS", min(8, os.cpu_count() or 1))),
        )


def get_pool(request: Request) -> Executor:
    pool: Executor = request.app.state.pool
    return pool


def get_batch_pool(request: Request) -> Executor:
    pool: Executor = request.app.state.batch_pool
    return pool


PoolDep = Annotated[Executor, Depends(get_pool)]  # interactive work (see create_app)
BatchPoolDep = Annotated[Executor, Depends(get_batch_pool)]  # whole-result requests
