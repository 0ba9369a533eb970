"""Which contour heights a grid can draw truthfully.

A contour of height L drawn from a grid is the boundary of the grid points below L. Where the set
{f < L} is narrower than a grid cell, as the floor of Rosenbrock's valley is for every L below
about 1 on the default view, the grid catches it only here and there, and the figure shows a
string of small closed contours: "beads" that look like minima the surface does not have. A grid
twice as fine catches other pieces of the same strip, so the two grids disagree on how many
separate pieces {f < L} has; where the set is wide enough they agree.

So the grid is computed twice as fine (its points are every other point of the fine one), and
the figure's heights start at the lowest one at which both grids count the same pieces: the
valley below it is one band of the fill, and zooming in (a new grid for the view) shows the
heights the view can draw. Heights are the figure's own: ``CONTOUR_LEVELS`` evenly spaced between
the grid's lowest and highest value, on the scale the surface asks for (f, or
log10(f − f_min + LOG_EPS)).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

LOG_EPS = 1e-3  # the log scale's offset: log10(f − f_min + LOG_EPS), the page's and figures'
CONTOUR_LEVELS = 28  # heights between the lowest and the highest value, evenly spaced
MAX_CHECKED = 300  # points per axis of the largest grid checked (its fine copy: 599 x 599)


def fine_axes(lo: float, hi: float, n: int) -> np.ndarray:
    """The axis of the grid twice as fine, whose every other point is ``linspace(lo, hi, n)``."""
    return np.linspace(lo, hi, 2 * n - 1)


def checkable(nx: int, ny: int) -> bool:
    return max(nx, ny) <= MAX_CHECKED


def heights(Z: np.ndarray, zmin: float, log: bool) -> np.ndarray:
    """Values on the figure's scale (below ``zmin``, as a finer grid may be, clipped to it)."""
    return np.log10(np.fmax(Z - zmin, 0.0) + LOG_EPS) if log else Z


def levels_from(fine: np.ndarray, log: bool) -> float | None:
    """The lowest of the figure's heights (as a value of f) from which the grid ``fine[::2, ::2]``
    draws contours as the fine grid does, or None when it does from the first height on. Only
    the lower half of the heights is searched: above them the fill's bands are wide."""
    coarse = fine[::2, ::2]
    if not np.isfinite(coarse).any():
        return None
    zmin = float(np.nanmin(coarse))
    low, high = heights(coarse, zmin, log), heights(fine, zmin, log)
    lo, hi = float(np.nanmin(low)), float(np.nanmax(low))
    size = (hi - lo) / (CONTOUR_LEVELS + 1)
    if not size > 0:
        return None
    for k in range(1, CONTOUR_LEVELS // 2 + 2):
        level = lo + k * size
        if ndimage.label(low < level)[1] == ndimage.label(high < level)[1]:
            if k == 1:
                return None
            return float(10**level - LOG_EPS + zmin) if log else level
    return None
