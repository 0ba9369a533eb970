"""The surface catalog and contour grids."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Response

from ... import limits
from ...errors import DescentLabError
from ...problems import CATALOG, Problem, make_problem
from ..responses import StrictJSONRoute, dumps
from ..schemas import (
    GRID_DERIVATIVES_HELP,
    GRID_ENCODING_HELP,
    DataBody,
    GridBody,
    GridEncoding,
    surface_spec,
)
from ..service import grid, offload
from ..settings import MAX_GRID, PoolDep

router = APIRouter(prefix="/api/surfaces", tags=["surfaces"], route_class=StrictJSONRoute)
grid_router = APIRouter(prefix="/api/grid", tags=["surfaces"], route_class=StrictJSONRoute)
data_router = APIRouter(prefix="/api/data", tags=["surfaces"], route_class=StrictJSONRoute)

ParamsQuery = Annotated[
    str | None,
    Query(max_length=2000, description='surface parameters as JSON, e.g. {"b": 10}'),
]
Bound = Annotated[float | None, Query(allow_inf_nan=False)]
Size = Annotated[int, Query(ge=2, le=MAX_GRID)]
Encoding = Annotated[GridEncoding, Query(description=GRID_ENCODING_HELP)]


def bind(surface_id: str, params: str | None) -> Problem:
    """A catalog surface bound to JSON-encoded parameters; unknown ids are 404s here."""
    surface = CATALOG.by_id.get(surface_id)
    if surface is None:
        raise HTTPException(404, f"unknown surface {surface_id!r}")
    values: Any = None
    if params:
        try:
            values = orjson.loads(params)
        except orjson.JSONDecodeError:
            raise DescentLabError("params", "must be a JSON object") from None
        if not isinstance(values, dict):
            raise DescentLabError("params", "must be a JSON object")
    return surface.bind(values)


@router.get("")
def list_surfaces() -> dict[str, Any]:
    return {"surfaces": [s.bind().describe() for s in CATALOG]}


@router.get("/{surface_id}")
def get_surface(surface_id: str, params: ParamsQuery = None) -> dict[str, Any]:
    return bind(surface_id, params).describe()


@router.get("/{surface_id}/data")
def get_data(
    surface_id: str,
    params: ParamsQuery = None,
    max_points: Annotated[
        int | None,
        Query(
            ge=1,
            le=limits.MAX_LEAST_SQUARES_POINTS,
            description="at most this many samples: a seeded subsample (default: all)",
        ),
    ] = None,
) -> dict[str, Any]:
    """A data-fit surface's data columns (or a seeded subsample, for drawing), with the rows
    shown (`index`, what minibatches name) and the full size; 404 for a surface without data."""
    problem = bind(surface_id, params)
    if problem.data is None:
        raise HTTPException(404, f"surface {surface_id!r} has no data")
    return problem.sample(max_points)


@router.get("/{surface_id}/grid")
async def get_grid(
    surface_id: str,
    pool: PoolDep,
    nx: Size = 200,
    ny: Size = 200,
    xmin: Bound = None,
    xmax: Bound = None,
    ymin: Bound = None,
    ymax: Bound = None,
    params: ParamsQuery = None,
    encoding: Encoding = "json",
    derivatives: Annotated[bool, Query(description=GRID_DERIVATIVES_HELP)] = False,
) -> Response:
    problem = bind(surface_id, params)
    box = [(xmin, xmax), (ymin, ymax)]
    body = await offload(pool, grid, problem, nx, ny, box, encoding, derivatives)
    return Response(body, media_type="application/json")


def _grid(body: GridBody) -> bytes:
    problem = make_problem(surface_spec(body.surface))
    box = [(body.xmin, body.xmax), (body.ymin, body.ymax)]
    return grid(problem, body.nx, body.ny, box, body.encoding, body.derivatives)


@grid_router.post("")
async def post_grid(body: GridBody, pool: PoolDep) -> Response:
    """Contour values of any surface spec, typed expressions included."""
    return Response(await offload(pool, _grid, body), media_type="application/json")


def _data(body: DataBody) -> bytes:
    problem = make_problem(surface_spec(body.surface))
    if problem.data is None:
        raise DescentLabError("surface", f"surface {problem.id!r} has no data")
    return dumps({"surface": problem.describe(), **problem.sample(body.max_points)})


@data_router.post("")
async def post_data(body: DataBody, pool: PoolDep) -> Response:
    """A data-fit surface's description (its minimiser, view, n) and its data or a seeded
    subsample of it, as `GET /api/surfaces/{id}` and `/data` give them, for any surface spec:
    the user's own data (`"data": {"x", "y"}`) included."""
    return Response(await offload(pool, _data, body), media_type="application/json")
