"""``POST /api/exports/html``: the view of a run as one self-contained HTML file (Plotly.js
inlined, nothing fetched), as ``descentlab run ... --html FILE`` writes it."""

from __future__ import annotations

import re

from fastapi import APIRouter, Response

from ... import figures, viewpage
from ...errors import DescentLabError
from ..responses import StrictJSONRoute
from ..schemas import ViewExportBody
from ..service import offload, prepare_runs, run_model
from ..settings import BatchPoolDep

router = APIRouter(prefix="/api/exports", tags=["exports"], route_class=StrictJSONRoute)


def page(body: ViewExportBody) -> str:
    """The file's text: ``body.run`` run, drawn over ``body.view``."""
    try:
        prepare_runs(body.run)  # (refusals named within `run`)
    except DescentLabError as err:
        raise err.within("run") from None
    trajectories = run_model(body.run)
    return figures.standalone_html(
        viewpage.view_figure(
            trajectories, title=body.title, view=body.view, loss=body.loss, labels=body.labels
        )
    )


@router.post("/html", response_class=Response)
async def export_html(body: ViewExportBody, pool: BatchPoolDep) -> Response:
    """The view (contours, paths, legend, title, formula and the loss plot) as a standalone
    HTML page to save: it opens offline."""
    html = await offload(pool, page, body)
    surface = body.run.surface
    name = surface if isinstance(surface, str) else getattr(surface, "id", None) or "custom"
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"descentlab-{name}")[:80]
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem}.html"'},
    )
