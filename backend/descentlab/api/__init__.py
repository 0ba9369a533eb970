"""The FastAPI application: :func:`create_app` builds it (uvicorn calls it as a factory).

CPU work never runs on the event loop: it goes to two thread pools owned by the app. ``pool``
does what a user waits on while using the page (WebSocket streams, contour grids, analysis,
expression checks), in pieces of at most a few tens of milliseconds; ``batch_pool`` does
whole-result requests (``POST /api/runs``, ``/api/sweeps``, ``/api/basins``), which may take
seconds, so that a few of them cannot occupy every thread the page needs; animations render
on a one-thread pool of their own (api/animations.py). (The GIL still
shares one core between the two; several worker processes, ``descentlab serve --workers``,
use several.)
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from threadpoolctl import threadpool_limits

import descentlab

from . import plotly_bundle
from .animations import AnimationJobs
from .guards import BodyLimit, install_handlers
from .responses import JSON
from .routes import (
    analysis,
    animations,
    basins,
    catalogs,
    exports,
    expressions,
    health,
    protocol,
    runs,
    states,
    surfaces,
    sweeps,
)
from .security import SecurityHeaders
from .service import offload
from .settings import Settings
from .static import mount_frontend
from .stream import warm_up
from .ws import router as ws_router

__all__ = ["Settings", "create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Pools per serving lifetime: an app served, stopped and served again (tests do)
        # gets fresh pools rather than shut-down ones.
        _pools(app, settings)
        # Every matrix a worker factors is a few numbers across, so BLAS's own threads only
        # wait for a core: with the cores busy (a server under load), L-BFGS took 277 ms
        # instead of 4.7 (measured with both cores of this machine taken).
        threadpool_limits(1)
        if settings.warm_up:  # before the worker listens, as descentlab serve runs it
            await offload(app.state.pool, warm_up)
            await offload(app.state.pool, plotly_bundle.warm_up)
        # What is loaded by now (numpy, scipy, the app: ~100,000 objects) lives as long as the
        # process: out of the collector's sight, a full collection no longer stops every
        # socket of the worker for 50-90 ms (measured under load) to walk it.
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()
        for pool in (app.state.pool, app.state.batch_pool):
            pool.shutdown(wait=False, cancel_futures=True)
        app.state.animations.shutdown()

    # FastAPIOffline serves /docs and /redoc with Swagger UI and ReDoc from its own package
    # data: no CDN, so the API docs work offline like the page.
    app = FastAPIOffline(
        title="DescentLab",
        version=descentlab.__version__,
        description="Optimisers on loss surfaces: REST, WebSocket streams and the browser UI.",
        default_response_class=JSON,
        lifespan=lifespan,
    )
    app.state.settings = settings
    # Also without a lifespan (TestClient outside a `with`); threads start only when used.
    _pools(app, settings)
    install_handlers(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    for module in (
        health,
        surfaces,
        catalogs,
        runs,
        sweeps,
        basins,
        states,
        analysis,
        expressions,
        animations,
        exports,
        protocol,
    ):
        app.include_router(module.router)
    app.include_router(surfaces.grid_router)
    app.include_router(surfaces.data_router)
    app.include_router(ws_router)
    protocol.publish_messages(app)
    app.state.frontend = mount_frontend(app, settings.frontend_dir)
    return app


def _pools(app: FastAPI, settings: Settings) -> None:
    app.state.pool = ThreadPoolExecutor(settings.threads, thread_name_prefix="descentlab")
    app.state.batch_pool = ThreadPoolExecutor(settings.threads, thread_name_prefix="batch")
    app.state.animations = AnimationJobs(settings.animation_dir)
