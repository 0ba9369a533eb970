"""Animations of runs as MP4, WebM or GIF: ``descentlab.animate(source, path)``.

The still picture (contours, axes, colour bar, title, formula, legend, the loss plot's axes) is
drawn once by Plotly (:mod:`.scene`); each frame is a copy of it with the paths so far drawn by
Pillow (:mod:`.draw`), piped to ffmpeg (:mod:`.encode`). A run's steps are spread over
``seconds`` (a step every few frames for a short run, several steps a frame for a long one,
the position between two steps on the line joining them), then the last frame is held a second.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import limits
from ..errors import DescentLabError
from .encode import FORMATS, MEDIA_TYPES, ffmpeg, format_of

if TYPE_CHECKING:
    from PIL import Image

    from ..api.schemas import RunBody
    from ..engine import Trajectory
    from .scene import Scene

__all__ = ["FORMATS", "MEDIA_TYPES", "animate", "check", "defaults", "format_of"]

HOLD_SECONDS = 1.0  # the last frame, held
SECONDS = 8.0  # the motion, by default


def defaults(fmt: str) -> tuple[int, tuple[int, int]]:
    """Frames per second and size when not given: slides get 30 frames/s at 1920 x 1080; a GIF
    (256 colours, no motion compensation: large files) 15 frames/s at 960 x 540."""
    return (15, (960, 540)) if fmt == "gif" else (30, (1920, 1080))


def check(fps: int, size: tuple[int, int], seconds: float) -> None:
    """The limits of :mod:`descentlab.limits`, errors naming the field."""
    if not 1 <= fps <= limits.MAX_ANIMATION_FPS:
        raise DescentLabError("fps", f"must be from 1 to {limits.MAX_ANIMATION_FPS}")
    width, height = size
    for name, value, top in (
        ("width", width, limits.MAX_ANIMATION_WIDTH),
        ("height", height, limits.MAX_ANIMATION_HEIGHT),
    ):
        if not limits.MIN_ANIMATION_SIDE <= value <= top or value % 2:
            raise DescentLabError(
                name, f"must be even, from {limits.MIN_ANIMATION_SIDE} to {top} pixels"
            )
    if not 0 < seconds <= limits.MAX_ANIMATION_SECONDS:
        raise DescentLabError(
            "seconds", f"must be above 0 and at most {limits.MAX_ANIMATION_SECONDS}"
        )
    if fps * seconds > limits.MAX_ANIMATION_FRAMES:
        raise DescentLabError(
            "seconds",
            f"fps x seconds = {fps * seconds:g} frames is over the limit of "
            f"{limits.MAX_ANIMATION_FRAMES:,}",
        )


def animate(
    source: Any,
    path: str | os.PathLike[str],
    *,
    fps: int | None = None,
    size: tuple[int, int] | None = None,
    seconds: float = SECONDS,
    loss: bool = False,
    title: str | None = None,
    view: Sequence[Sequence[float]] | None = None,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Animate ``source`` into ``path`` (.mp4, .webm or .gif) and return the path.

    ``source`` is a preset id (``GET /api/presets``), a run body as ``POST /api/runs`` takes
    it, or Trajectory objects (one, or a list; on one surface). ``fps`` and ``size`` (width,
    height) default to 30 and 1920 x 1080 (a GIF: 15 and 960 x 540); the steps take ``seconds``
    and the end is held a second. ``loss`` puts the loss plot beside the surface. ``progress``
    is called with the fraction done, from 0 to 1. ``view`` ([[xmin, xmax], [ymin, ymax]]) is
    the box shown, by default a preset's own or the surface's domain."""
    out = Path(path)
    fmt = format_of(out)
    default_fps, default_size = defaults(fmt)
    fps = default_fps if fps is None else fps
    size = default_size if size is None else (int(size[0]), int(size[1]))
    check(fps, size, seconds)
    ffmpeg()  # before the work: without one, say so at once
    report = progress or (lambda done: None)
    trajectories, default_title, default_view = resolve(source)
    domain = view_box(view if view is not None else default_view, trajectories[0].problem.dim)
    from . import scene as scenes

    built = scenes.build(trajectories, size, title or default_title, loss, domain)
    report(0.05)
    still = scenes.render(built)
    report(0.15)
    _encode(built, still, out, fmt, fps, seconds, lambda done: report(0.15 + 0.85 * done))
    report(1.0)
    return out


def timeline(steps: int, fps: int, seconds: float) -> list[float]:
    """The position (in steps) each frame shows: the steps spread evenly over ``seconds``,
    then the last held for HOLD_SECONDS."""
    moving = max(2, round(seconds * fps))
    hold = max(1, round(HOLD_SECONDS * fps))
    return [steps * k / (moving - 1) for k in range(moving)] + [float(steps)] * hold


def _encode(
    built: Scene,
    still: Image.Image,
    out: Path,
    fmt: str,
    fps: int,
    seconds: float,
    progress: Callable[[float], None],
) -> None:
    from .draw import SUPERSAMPLE, Trail, style
    from .encode import Encoder

    scale = built.scale
    steps = built.steps
    dim = built.rows[0].traj.problem.dim
    looks = [style(r, steps, scale, dots=True, dim=dim) for r in built.rows]
    trails = [Trail(built.surface, built.paths, looks)]
    if built.loss is not None:
        head = 9 * scale * SUPERSAMPLE  # a dot where each row has got to
        small = [
            dataclasses.replace(style(r, steps, scale, dots=False), symbol="circle", head=head)
            for r in built.rows
        ]
        trails.append(Trail(built.loss, built.losses, small))
    positions = timeline(steps, fps, seconds)
    encoder = Encoder(out, fmt, built.size, fps, still)
    try:
        for k, position in enumerate(positions):
            frame = still.copy()
            for trail in trails:
                paths, patch = trail.frame(position)
                left, top = trail.panel.box[:2]
                frame.paste(paths, (left, top), paths)
                if patch is not None:  # over the still again: the patch holds the paths too
                    image, (x, y) = patch
                    region = (left + x, top + y, left + x + image.width, top + y + image.height)
                    frame.paste(still.crop(region), region[:2])
                    frame.paste(image, region[:2], image)
            encoder.write(frame)
            if k % 10 == 0:
                progress(k / len(positions))
    except BaseException:
        encoder.abort()
        raise
    encoder.close()


def view_box(view: Any, dim: int) -> list[list[float]] | None:
    """``view`` checked: one [lo, hi] per coordinate, finite, lo below hi."""
    if view is None:
        return None
    try:
        box = [[float(lo), float(hi)] for lo, hi in view]
    except (TypeError, ValueError):
        raise DescentLabError("view", "must be [[xmin, xmax], [ymin, ymax]]") from None
    if len(box) != dim:
        raise DescentLabError("view", f"needs {dim} [lo, hi] pair(s) for a {dim}-D surface")
    for name, (lo, hi) in zip("xy", box, strict=False):
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise DescentLabError(f"view.{'xy'.index(name)}", f"{name}min must be below {name}max")
    return box


def resolve(source: Any) -> tuple[tuple[Trajectory, ...], str, Any]:
    """Trajectories, a title and a view from a preset id, a run body or Trajectory objects."""
    from ..api.schemas import RunBody
    from ..engine import Trajectory

    if isinstance(source, RunBody):
        trajectories = run_model(source)
        return trajectories, _title(trajectories), None
    if isinstance(source, Trajectory):
        source = [source]
    if isinstance(source, str):
        return _preset(source)
    if isinstance(source, dict):
        trajectories = run_body(source)
        return trajectories, _title(trajectories), None
    if isinstance(source, Sequence) and source and all(isinstance(t, Trajectory) for t in source):
        trajectories = tuple(source)
        return trajectories, _title(trajectories), None
    raise DescentLabError(
        "source", "give a preset id, a run body (as POST /api/runs takes) or Trajectory objects"
    )


def _preset(name: str) -> tuple[tuple[Trajectory, ...], str, Any]:
    from ..presets import PRESETS

    for preset in PRESETS:
        if preset.id == name:
            return run_body(preset.run), preset.title, (preset.view or {}).get("domain")
    known = ", ".join(p.id for p in PRESETS)
    raise DescentLabError("source", f"unknown preset {name!r}; the presets: {known}")


def run_body(body: dict[str, Any]) -> tuple[Trajectory, ...]:
    """A ``POST /api/runs`` body, validated by the API's model and run."""
    from pydantic import ValidationError

    from ..api.schemas import RunBody

    try:
        model = RunBody.model_validate(body)
    except ValidationError as err:
        first = err.errors()[0]
        raise DescentLabError(".".join(map(str, first["loc"])), first["msg"]) from None
    return run_model(model)


def run_model(model: RunBody) -> tuple[Trajectory, ...]:
    from ..api import service

    return service.run_model(model)


def _title(trajectories: tuple[Trajectory, ...]) -> str:
    problem = trajectories[0].problem
    names = dict.fromkeys(t.optimizer for t in trajectories)
    return f"{problem.surface.name}: {', '.join(names)}"
