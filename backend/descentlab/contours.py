"""Which contour heights a grid can draw truthfully.

A contour of height L drawn from a grid is the boundary of the grid points below L. Where the set
{f < L} is narrower than a grid cell, as the floor of Rosenbrock's valley is for every L below
about 1 on the default view, the grid catches it only here and there, and the figure shows a
string of small closed contours: "beads" that look like minima the surface does not have. A grid
twice as fine catches other pieces of the same strip, so the two grids disagree on the pieces of
{f < L}; where the set is wide enough they agree: the same pieces, each fine one holding coarse
points.

So the grid is computed twice as fine (its points are every other point of the fine one), and
the figure's heights start at the lowest one at which both grids have the same pieces: the
valley below it is one band of the fill, and zooming in (a new grid for the view) shows the
heights the view can draw. Heights are the figure's own: ``CONTOUR_LEVELS`` evenly spaced between
the grid's lowest and highest value, on the scale the surface asks for (f, or
log10(f − f_min + LOG_EPS)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

if TYPE_CHECKING:
    from .problems import Problem

LOG_EPS = 1e-3  # the log scale's offset: log10(f − f_min + LOG_EPS), the page's and figures'
CONTOUR_LEVELS = 28  # heights between the lowest and the highest value, evenly spaced
ISLAND = 3  # points: a piece this small that the finer grid joins to another is a false one
OFFSETS = (0, 4, 2, 6, 1, 3, 5, 7)  # eighths of a step between heights: where they may sit
MAX_CHECKED = 300  # points per axis of the largest grid checked (its fine copy: 599 x 599)


def values(
    problem: Problem,
    ranges: Sequence[Sequence[float]],
    nx: int,
    ny: int,
    count: int = CONTOUR_LEVELS,
) -> tuple[np.ndarray, float | None]:
    """A 2-D surface's values on the nx x ny grid over ``ranges`` (shape (ny, nx), NaN where not
    finite) and :func:`levels_from` for a figure of ``count`` heights (None for a grid over
    MAX_CHECKED points an axis, which is not checked)."""
    spans = list(zip(ranges, (nx, ny), strict=True))
    if max(nx, ny) > MAX_CHECKED:
        return _on_grid(problem, [np.linspace(lo, hi, n) for (lo, hi), n in spans]), None
    fine = _on_grid(problem, [np.linspace(lo, hi, 2 * n - 1) for (lo, hi), n in spans])
    return fine[::2, ::2], levels_from(fine, problem.surface.log_contours, count)


def _on_grid(problem: Problem, axes: list[np.ndarray]) -> np.ndarray:
    with np.errstate(all="ignore"):
        Z = np.asarray(problem.value_on_grid(axes), dtype=float)
    return np.where(np.isfinite(Z), Z, np.nan)


def heights(Z: np.ndarray, zmin: float, log: bool) -> np.ndarray:
    """Values on the figure's scale (below ``zmin``, as a finer grid may be, clipped to it)."""
    return np.log10(np.fmax(Z - zmin, 0.0) + LOG_EPS) if log else Z


def levels_from(fine: np.ndarray, log: bool, count: int = CONTOUR_LEVELS) -> float | None:
    """The lowest of a figure's ``count`` heights (as a value of f) from which the grid
    ``fine[::2, ::2]`` draws contours truthfully, or None when it does from the first height on.

    The floor: the lowest height at which both grids have the same pieces, searched in the lower
    half of the heights (above them the bands are wide). Above it a set can still pinch to less
    than a cell at one height, as Rosenbrock's {f < 5.6} does at the tip of its valley, and the
    grid draws a small false island there: then the heights move by a fraction of their step
    (OFFSETS; the page spaces them from this one) to where none does, if any offset has none."""
    coarse = fine[::2, ::2]
    if not np.isfinite(coarse).any():
        return None
    zmin = float(np.nanmin(coarse))
    low, high = heights(coarse, zmin, log), heights(fine, zmin, log)
    lo, hi = float(np.nanmin(low)), float(np.nanmax(low))
    size = (hi - lo) / (count + 1)
    if not size > 0:
        return None

    def as_f(level: float) -> float:
        return float(10**level - LOG_EPS + zmin) if log else float(level)

    first = None  # the floor at the heights unmoved
    for offset in OFFSETS:
        levels = lo + size * (np.arange(1, count + 1) + offset / 8)
        # (moved heights lie between unmoved ones: their floor is next to the unmoved floor's)
        below = 0 if first is None else max(first - 1, 0)
        floor = next(
            (
                i
                for i in range(below, count // 2 + 1)
                if _same_pieces(low < levels[i], high < levels[i])
            ),
            None,
        )
        if floor is None:
            if offset == 0:
                return None
            continue
        if not any(_false_island(low < level, high < level) for level in levels[floor:]):
            return None if floor == 0 and offset == 0 else as_f(levels[floor])
        if offset == 0:
            first = floor
    return as_f(lo + size * (first + 1)) if first else None


def _false_island(coarse: np.ndarray, fine: np.ndarray) -> bool:
    """Whether ``coarse`` (a set on the grid ``fine[::2, ::2]``) has a piece of at most ISLAND
    points that the fine grid joins to another piece: a closed contour a few pixels across
    where the surface has no minimum. (Large pieces the fine grid joins meet at a saddle: two
    contours that nearly touch where they truly touch.)"""
    labels, n = ndimage.label(coarse)
    sizes = np.bincount(labels[coarse], minlength=n + 1)[1:]
    if n < 2 or sizes.min() > ISLAND:  # (the fine grid is labelled only where it may tell)
        return False
    fine_piece = np.zeros(n + 1, dtype=np.int64)
    fine_piece[labels[coarse]] = ndimage.label(fine)[0][::2, ::2][coarse]
    shared = np.bincount(fine_piece[1:])[fine_piece[1:]] > 1
    return bool((shared & (sizes <= ISLAND)).any())


def _same_pieces(coarse: np.ndarray, fine: np.ndarray) -> bool:
    """Whether the pieces of ``coarse`` (a set on the grid ``fine[::2, ::2]``) are those of
    ``fine``: as many, each within one piece of the fine set and no two in the same one (so
    every fine piece holds a coarse point). Equal counts alone are not enough: along a valley
    much narrower than a cell both grids see beads, as many of each by chance."""
    coarse_labels, n = ndimage.label(coarse)
    fine_labels, n_fine = ndimage.label(fine)
    if n != n_fine:
        return False
    pairs = set(
        zip(coarse_labels[coarse].tolist(), fine_labels[::2, ::2][coarse].tolist(), strict=True)
    )
    return len(pairs) == n and len({f for _, f in pairs}) == n
