"""``POST /api/runs``: one or several optimisers on one problem, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from ..responses import StrictJSONRoute
from ..schemas import RunBody
from ..service import offload, run_csv, run_json
from ..settings import BatchPoolDep

router = APIRouter(prefix="/api/runs", tags=["runs"], route_class=StrictJSONRoute)


@router.post("")
async def create_run(
    body: RunBody,
    pool: BatchPoolDep,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    accept: Annotated[str, Header()] = "",
) -> Response:
    """Run every optimiser of ``body`` to its end and answer the whole trajectories."""
    if format == "csv" or (format is None and "text/csv" in accept):
        text = await offload(pool, run_csv, body)
        return Response(text, media_type="text/csv; charset=utf-8")
    return Response(await offload(pool, run_json, body), media_type="application/json")
