"""``POST /api/animations`` and its job: a run animated into an MP4, WebM or GIF, rendered in
the background (:mod:`..animations`) while the page polls its progress."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse

from ... import animation
from ...errors import DescentLabError
from ..animations import AnimationJobs, TooBusy
from ..responses import StrictJSONRoute
from ..schemas import AnimationBody
from ..service import offload, prepare_runs
from ..settings import BatchPoolDep

router = APIRouter(prefix="/api/animations", tags=["animations"], route_class=StrictJSONRoute)


def get_jobs(request: Request) -> AnimationJobs:
    jobs: AnimationJobs = request.app.state.animations
    return jobs


JobsDep = Annotated[AnimationJobs, Depends(get_jobs)]


@router.post("", status_code=202)
async def create_animation(body: AnimationBody, pool: BatchPoolDep, jobs: JobsDep) -> Any:
    """Queue the animation of ``body.run``; poll ``GET /api/animations/{id}`` for its progress.
    Bad input is refused here (422), before anything is queued."""
    default_fps, default_size = animation.defaults(body.format)
    if (body.width is None) != (body.height is None):
        missing = "height" if body.height is None else "width"
        raise DescentLabError(missing, "give width and height together, or neither")
    size = (body.width, body.height) if body.width and body.height else default_size
    animation.check(body.fps or default_fps, size, body.seconds)
    try:
        problem, _ = await offload(pool, prepare_runs, body.run)
    except DescentLabError as err:
        raise err.within("run") from None
    if body.view is not None and len(body.view) != problem.dim:
        raise DescentLabError("view", f"needs {problem.dim} [lo, hi] pair(s), one per coordinate")
    try:
        job = await offload(pool, jobs.submit, body)
    except TooBusy:
        raise HTTPException(
            429,
            "too many animations under way; try again when one has finished",
            headers={"Retry-After": "10"},
        ) from None
    return {"id": job, "status": "queued", "progress": 0.0}


@router.get("/{job}")
async def animation_status(job: str, jobs: JobsDep, pool: BatchPoolDep) -> Any:
    """``status`` (queued, rendering, done, failed), ``progress`` from 0 to 1, ``error`` (a
    failed job's reason), ``format`` and, once done, the file's ``bytes``."""
    state = await offload(pool, jobs.status, job)
    if state is None:
        raise HTTPException(404, f"no animation {job!r} (or it has expired)")
    return state


@router.get("/{job}/file", response_class=FileResponse)
async def animation_file(job: str, jobs: JobsDep, pool: BatchPoolDep) -> FileResponse:
    """The finished animation, as an attachment named after the surface and optimisers."""
    found = await offload(pool, jobs.file, job)
    if found is None:
        state = await offload(pool, jobs.status, job)
        if state is None:
            raise HTTPException(404, f"no animation {job!r} (or it has expired)")
        raise HTTPException(409, f"animation {job!r} is {state['status']}, not done")
    path, media_type = found
    return FileResponse(path, media_type=media_type, filename=path.name)


@router.delete("/{job}", status_code=204, response_class=Response)
async def cancel_animation(job: str, jobs: JobsDep, pool: BatchPoolDep) -> Response:
    """Cancel a job: a queued one never starts, one rendering stops (ffmpeg killed) within a
    few frames; the job and its file are deleted (a finished one's too)."""
    if not await offload(pool, jobs.cancel, job):
        raise HTTPException(404, f"no animation {job!r} (or it has expired)")
    return Response(status_code=204)
