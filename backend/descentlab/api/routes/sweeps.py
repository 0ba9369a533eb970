"""``POST /api/sweeps``: one optimiser over a grid of hyperparameters, on the batch axis."""

from __future__ import annotations

from concurrent.futures import Executor

from fastapi import APIRouter, Response

from ..responses import StrictJSONRoute, dumps
from ..schemas import SweepBody, SweepResult
from ..service import offload, sweep_result
from ..settings import BatchPoolDep

router = APIRouter(prefix="/api/sweeps", tags=["runs"], route_class=StrictJSONRoute)


def _sweep_json(body: SweepBody, pool: Executor) -> bytes:
    return dumps(sweep_result(body, pool))


@router.post(
    "",
    responses={
        200: {"model": SweepResult, "description": "Every setting's result, one entry per row"}
    },
)
async def create_sweep(body: SweepBody, pool: BatchPoolDep) -> Response:
    """Every combination of the listed values is one row; answers final values per row."""
    return Response(await offload(pool, _sweep_json, body, pool), media_type="application/json")
