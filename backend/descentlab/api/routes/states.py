"""``POST /api/states``: the runs of a run body with what each optimiser keeps at each point."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..responses import StrictJSONRoute, dumps
from ..schemas import StateBody
from ..service import offload, state_result
from ..settings import BatchPoolDep

router = APIRouter(prefix="/api/states", tags=["runs"], route_class=StrictJSONRoute)


def _state_json(body: StateBody) -> bytes:
    return dumps(state_result(body))


@router.post("")
async def create_states(body: StateBody, pool: BatchPoolDep) -> Response:
    """Each optimiser's path from the start, with the gradient, the step and the rule's state
    (buffers, per-coordinate step sizes, Adam's moments, a simplex, line-search trials,
    proposals) at every point."""
    return Response(await offload(pool, _state_json, body), media_type="application/json")
