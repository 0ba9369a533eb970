"""``POST /api/expressions/validate``: what the UI asks while the user types a surface."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ...errors import DescentLabError
from ...problems import make_problem
from ..responses import StrictJSONRoute
from ..schemas import ExpressionBody
from ..service import offload
from ..settings import PoolDep

router = APIRouter(prefix="/api/expressions", tags=["expressions"], route_class=StrictJSONRoute)


def validate(body: ExpressionBody) -> dict[str, Any]:
    """``valid`` with the parsed form as LaTeX, or the refusal with its column. A refusal is
    an answer here (200), not an error: the request itself was well-formed."""
    try:
        problem = make_problem({"expression": body.expression, "params": body.params})
    except DescentLabError as err:
        return {"valid": False, "field": err.field, "message": err.message, "column": err.position}
    return {
        "valid": True,
        "latex": problem.surface.formula,
        "dim": problem.dim,
        "domain": problem.domain.tolist(),
        "start": problem.start.tolist(),
    }


@router.post("/validate")
async def validate_expression(body: ExpressionBody, pool: PoolDep) -> dict[str, Any]:
    return await offload(pool, validate, body)
