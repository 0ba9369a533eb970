"""``POST /api/basins``: which minimum one optimiser reaches from every start of a grid."""

from __future__ import annotations

from concurrent.futures import Executor

from fastapi import APIRouter, Response

from ..responses import StrictJSONRoute, dumps
from ..schemas import BasinBody, BasinResult
from ..service import basin_result, offload
from ..settings import BatchPoolDep

router = APIRouter(prefix="/api/basins", tags=["runs"], route_class=StrictJSONRoute)


def _basin_json(body: BasinBody, pool: Executor) -> bytes:
    return dumps(basin_result(body, pool))


@router.post(
    "",
    responses={200: {"model": BasinResult, "description": "Each start's label and steps taken"}},
)
async def create_basin_map(body: BasinBody, pool: BatchPoolDep) -> Response:
    """Every start of the nx x ny grid is one row; answers each start's label and steps (nit)."""
    return Response(await offload(pool, _basin_json, body, pool), media_type="application/json")
