"""Which points of a long path to draw: the rule of the page's ``frontend/js/thin.js``, for the
figures and the notebook lab (tests/test_thin.py holds the two to the same indices).

A run may have 100,000 steps per path, most of them far under a pixel long. Two passes over
screen distances: (1) a point is kept when it lies half a pixel or more (|dx| + |dy|, in
pixels) from the last point kept, so every dropped point is within half a pixel of a drawn one;
(2) if that still leaves more than ``max_points``, the kept points are cut into buckets and each
keeps its first and last point and its extremes in x and in y, so a zigzag keeps its envelope.
The first and last points and every non-finite one (a gap) are kept. Only drawing is thinned:
trajectories, CSV and JSON keep every step.
"""

from __future__ import annotations

import math

import numpy as np

DRAW_ALL_UP_TO = 2000  # shorter series are drawn whole
MAX_DRAWN = 4000  # points of one series drawn, at most
# Distances are measured in a reference box this many pixels across the axis range (larger
# than any figure), so a figure drawn smaller keeps more than it needs rather than less.
REFERENCE_PX = 2048
MIN_PX = 0.5


def scale(lo: float, hi: float) -> float:
    """Pixels per unit for values spanning [lo, hi] across the reference box."""
    span = abs(hi - lo)
    return REFERENCE_PX / span if span > 0 and math.isfinite(span) else 1.0


def thin_indices(
    xs: np.ndarray, ys: np.ndarray, sx: float, sy: float, max_points: int = MAX_DRAWN
) -> np.ndarray:
    """The indices of the points to draw, ascending (all of them for a short series)."""
    n = len(xs)
    if n <= DRAW_ALL_UP_TO:
        return np.arange(n)
    x = np.asarray(xs, dtype=float).tolist()
    y = np.asarray(ys, dtype=float).tolist()
    finite = (np.isfinite(xs) & np.isfinite(ys)).tolist()
    kept = [0]
    lx, ly, last_ok = x[0], y[0], finite[0]
    for k in range(1, n - 1):
        if finite[k] and last_ok and abs(x[k] - lx) * sx + abs(y[k] - ly) * sy < MIN_PX:
            continue
        kept.append(k)
        lx, ly, last_ok = x[k], y[k], finite[k]
    kept.append(n - 1)
    return np.array(kept if len(kept) <= max_points else _extremes(kept, x, y, finite, max_points))


def _extremes(
    kept: list[int], x: list[float], y: list[float], finite: list[bool], max_points: int
) -> list[int]:
    """Pass (2): per bucket of kept points, its first, last and extreme ones (at most 6)."""
    size = math.ceil(len(kept) / (max_points // 6))
    out: list[int] = []
    for b in range(0, len(kept), size):
        bucket = kept[b : b + size]
        pick = {bucket[0], bucket[-1]}
        # the extremes start from the bucket's first finite point (a gap compares as nothing)
        x0 = x1 = y0 = y1 = next((k for k in bucket if finite[k]), bucket[-1])
        for k in bucket:
            if not finite[k]:
                pick.add(k)  # gaps stay gaps
                continue
            if x[k] < x[x0]:
                x0 = k
            if x[k] > x[x1]:
                x1 = k
            if y[k] < y[y0]:
                y0 = k
            if y[k] > y[y1]:
                y1 = k
        out.extend(sorted(pick | {x0, x1, y0, y1}))
    if out[-1] != kept[-1]:
        out.append(kept[-1])
    return out
