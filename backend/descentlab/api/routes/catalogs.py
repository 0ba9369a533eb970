"""The registries the UI builds its controls from: optimisers, schedules, presets, and the
server's limits (the page reads them rather than copying them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ... import limits
from ...optimizers import REGISTRY
from ...presets import LECTURES, PRESETS
from ...schedules import SCHEDULES
from ..responses import StrictJSONRoute

router = APIRouter(prefix="/api", tags=["catalogs"], route_class=StrictJSONRoute)


@router.get("/optimizers")
def list_optimizers() -> dict[str, Any]:
    return {"optimizers": [o.describe() for o in REGISTRY]}


@router.get("/schedules")
def list_schedules() -> dict[str, Any]:
    return {"schedules": [s.describe() for s in SCHEDULES]}


@router.get("/presets")
def list_presets() -> dict[str, Any]:
    """The lectures, in teaching order, and their figures as ready-made runs, in the notes'
    order (each preset names its lecture)."""
    return {
        "lectures": [lecture.describe() for lecture in LECTURES],
        "presets": [p.describe() for p in PRESETS],
    }


@router.get("/limits")
def list_limits() -> dict[str, Any]:
    """Every size the server accepts (``limits.py``): the page clamps its controls to them."""
    return {"limits": limits.describe()}
