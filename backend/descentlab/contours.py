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
    ``fine[::2, ::2]`` draws contours as the fine grid does, or None when it does from the first
    height on. Only the lower half of the heights is searched: above them the bands are wide."""
    coarse = fine[::2, ::2]
    if not np.isfinite(coarse).any():
        return None
    zmin = float(np.nanmin(coarse))
    low, high = heights(coarse, zmin, log), heights(fine, zmin, log)
    lo, hi = float(np.nanmin(low)), float(np.nanmax(low))
    size = (hi - lo) / (count + 1)
    if not size > 0:
        return None
    for k in range(1, count // 2 + 2):
        level = lo + k * size
        if _same_pieces(low < level, high < level):
            if k == 1:
                return None
            return float(10**level - LOG_EPS + zmin) if log else level
    return None


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
