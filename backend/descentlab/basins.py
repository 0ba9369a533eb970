"""Basins of attraction: which minimum each start of a grid ends in.

The runs themselves are a batch like any other (one row per start, :func:`engine.final`); this
module lays out the starts and labels the end points. A converged end point takes the label of
the nearest of the surface's listed minima within ``tol``; converged end points near none of
them are clustered (cells of side ``tol``, occupied cells that touch, diagonally too, joined),
and each cluster is a minimum of its own, after the listed ones. Diverged rows and rows that
reached ``max_steps`` are labelled ``-1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOLERANCE = 1e-3
"""An end point is at a minimum within this fraction of the view's diagonal. A run that stops on
its gradient norm (1e-6 by default) ends ~|g| / λ from the minimum, far inside it; one that
stops on a loss change ends within ~sqrt(loss_tol / λ), and the listed minima hold ~16 digits.
Distinct minima closer than this (a thousandth of what is on screen) are one colour."""


def grid_starts(view: np.ndarray, nx: int, ny: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The axes x (nx,), y (ny,) of the grid over ``view`` [[xmin, xmax], [ymin, ymax]] (its
    ends included, as the contour grid's) and its starts (ny * nx, 2), x varying fastest: row
    ``j * nx + i`` starts at (x[i], y[j])."""
    x = np.linspace(view[0, 0], view[0, 1], nx)
    y = np.linspace(view[1, 0], view[1, 1], ny)
    X, Y = np.meshgrid(x, y)
    return x, y, np.column_stack([X.ravel(), Y.ravel()])


@dataclass(frozen=True)
class Labels:
    labels: np.ndarray  # (B,) index into ``minima``, or -1
    minima: np.ndarray  # (K, D): the listed minima, then the centres of the clusters found
    listed: int  # how many of ``minima`` are the surface's own


def label_ends(
    ends: np.ndarray,
    converged: np.ndarray,
    loss: np.ndarray,
    listed: np.ndarray,
    tol: float,
) -> Labels:
    """Label end points ``ends`` (B, D) of rows that ``converged`` (B,) by the nearest of the
    ``listed`` minima (K, D) within ``tol``, else by clusters of the remaining converged end
    points; the clusters are ordered by their lowest final ``loss`` (B,), then position."""
    B = len(ends)
    labels = np.full(B, -1, dtype=np.int64)
    listed = np.asarray(listed, dtype=float).reshape(-1, ends.shape[1])
    rows = np.flatnonzero(converged & np.isfinite(ends).all(axis=1))
    if len(listed) and len(rows):
        distance = np.full(len(rows), np.inf)
        nearest = np.zeros(len(rows), dtype=np.int64)
        for k, m in enumerate(listed):  # K is small: one pass over the rows per minimum
            d = np.sqrt(((ends[rows] - m) ** 2).sum(axis=1))
            closer = d < distance
            distance[closer], nearest[closer] = d[closer], k
        near = distance <= tol
        labels[rows[near]] = nearest[near]
        rows = rows[~near]
    centres = []
    if len(rows):
        groups = _clusters(ends[rows], tol)
        order = sorted(
            range(len(groups)),
            key=lambda g: (float(np.min(loss[rows[groups[g]]])), *ends[rows[groups[g]]].mean(0)),
        )
        for new, g in enumerate(order):
            members = rows[groups[g]]
            labels[members] = len(listed) + new
            centres.append(ends[members].mean(axis=0))
    minima = np.concatenate([listed, np.reshape(centres, (-1, ends.shape[1]))])
    return Labels(labels, minima, len(listed))


def _clusters(points: np.ndarray, tol: float) -> list[np.ndarray]:
    """Groups of ``points`` (indices into it): each point's cell of side ``tol``, and occupied
    cells that touch (a side or a corner) in one group (union-find). Deterministic: it depends
    only on the set of cells."""
    cells = np.floor((points - points.min(axis=0)) / tol).astype(np.int64)
    unique, which = np.unique(cells, axis=0, return_inverse=True)
    which = which.reshape(-1)
    index = {tuple(c): i for i, c in enumerate(unique.tolist())}
    parent = list(range(len(unique)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    offsets = [(1, 0), (-1, 1), (0, 1), (1, 1)] if points.shape[1] == 2 else [(1,)]
    for i, cell in enumerate(unique.tolist()):
        for offset in offsets:
            j = index.get(tuple(c + o for c, o in zip(cell, offset, strict=True)))
            if j is not None:
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    roots = np.array([root(i) for i in range(len(unique))], dtype=np.int64)
    group_of_cell = np.unique(roots, return_inverse=True)[1].reshape(-1)
    group = group_of_cell[which]
    order = np.argsort(group, kind="stable")
    return np.split(order, np.cumsum(np.bincount(group))[:-1])
