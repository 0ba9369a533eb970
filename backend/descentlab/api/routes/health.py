"""Liveness for load balancers and ``docker compose``."""

from __future__ import annotations

from fastapi import APIRouter

import descentlab

from ..responses import StrictJSONRoute

router = APIRouter(tags=["health"], route_class=StrictJSONRoute)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": descentlab.__version__}
