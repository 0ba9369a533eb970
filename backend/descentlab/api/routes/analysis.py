"""``POST /api/analysis``: the Hessian's verdict at one point (see :mod:`descentlab.analysis`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ...analysis import analyse
from ...problems import make_problem
from ..responses import StrictJSONRoute
from ..schemas import AnalysisBody, surface_spec
from ..service import offload
from ..settings import PoolDep

router = APIRouter(prefix="/api/analysis", tags=["analysis"], route_class=StrictJSONRoute)


def _analyse(body: AnalysisBody) -> dict[str, Any]:
    return analyse(make_problem(surface_spec(body.surface)), body.point)


@router.post("")
async def create_analysis(body: AnalysisBody, pool: PoolDep) -> dict[str, Any]:
    return await offload(pool, _analyse, body)
