"""The moving parts of a frame, drawn with Pillow: every row's path so far in its run's colour,
dash and width, its start ring, its dots, and its head (the run's symbol) where it has got to.

Pillow draws without anti-aliasing, so each panel is drawn at ``SUPERSAMPLE`` times the video's
resolution and reduced (a box filter) into the frame. A path only grows, so what is drawn stays
in a :class:`Trail` and each frame adds only its new steps; the head and the piece of the step
under way are drawn on a copy.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import figures

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

    from ..figures import Row
    from .scene import Panel, Series

SUPERSAMPLE = 2
LIGHT = 140  # alpha of a restart under its run's best row (Plotly's opacity 0.55)
OUTLINE = (255, 255, 255, 255)


@dataclass(frozen=True)
class Style:
    """How a row is drawn in one panel, in supersampled pixels."""

    colour: tuple[int, int, int, int]
    width: float
    dash: tuple[float, ...]
    symbol: str
    head: float  # size of the end symbol
    dots: float  # size of the dot at each step (0: none)
    ring: float  # size of the start ring (0: none)


def style(row: Row, steps: int, scale: float, dots: bool, dim: int = 2) -> Style:
    """The row's look in figures.py's terms (Plotly sizes are layout pixels): in 1-D a dot
    at every point on the curve, in 2-D on a best row's shorter paths."""
    s = scale * SUPERSAMPLE
    colour = _rgb(figures.PALETTE[row.run % len(figures.PALETTE)])
    dash = figures.DASHES[row.run % len(figures.DASHES)]
    pattern = tuple(float(p.removesuffix("px")) * s for p in dash.split(",")) if dash else ()
    dot = 7 if dim == 1 else 4 if row.best and steps + 1 <= figures.DOTS_UP_TO else 0
    return Style(
        colour=(*colour, 255 if row.best else LIGHT),
        # at least a pixel and a half (a restart: one) of the video, however small it is
        width=max(2.2 * s, 1.5 * SUPERSAMPLE) if row.best else max(1.1 * s, SUPERSAMPLE),
        dash=pattern,
        symbol=figures.SYMBOLS[row.run % len(figures.SYMBOLS)],
        head=(13 if row.best else 8) * s,
        dots=dot * s if dots else 0.0,
        ring=12 * s if dots else 0.0,
    )


Box = tuple[int, int, int, int]
Patch = tuple["Image.Image", tuple[int, int]]


class Trail:
    """A panel's paths up to the last whole step drawn, kept between frames: at 2x
    (``image``) and reduced (``small``), which each frame brings up to date only where it drew.

    The supersampled picture is premultiplied (Pillow's ``RGBa``): reduced as it is, a path's
    edge averages with transparency without darkening."""

    def __init__(self, panel: Panel, series: list[Series], styles: list[Style]) -> None:
        from PIL import Image, ImageDraw

        self.panel = panel
        self.series = series
        self.styles = [dataclasses.replace(st, colour=_premultiplied(st.colour)) for st in styles]
        self.size = (panel.width * SUPERSAMPLE, panel.height * SUPERSAMPLE)
        self.image = Image.new("RGBa", self.size, (0, 0, 0, 0))
        self.small = Image.new("RGBA", (panel.width, panel.height), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.image)
        self.points = [panel.to_pixels(s.x, s.y) * SUPERSAMPLE for s in series]
        self.done = [-1] * len(series)  # the last point drawn, per row
        self.phase = [0.0] * len(series)  # the length drawn along each row's dash pattern
        w, h = self.size
        self.window = (-w, -h, 2 * w, 2 * h)

    def frame(self, position: float) -> tuple[Image.Image, Patch | None]:
        """The panel at ``position`` (in steps), reduced to the video's pixels (RGBA): the paths
        up to the last whole step, and a patch (with its place in the panel) that holds the
        step under way and each row's head over the paths beneath them."""
        dirty = [self._extend(r, min(int(position), s.last)) for r, s in enumerate(self.series)]
        box = self._aligned(_union(dirty))
        if box is not None:
            self.small.paste(self._reduced(self.image.crop(box)), _down(box)[:2])
        return self.small, self._patch(position)

    def _patch(self, position: float) -> Patch | None:
        from PIL import ImageDraw

        heads = [self._head(r, position) for r in range(len(self.series))]
        pieces: list[tuple[int, np.ndarray]] = []
        boxes = []
        for r, head in enumerate(heads):
            if head is None:
                continue
            st, i = self.styles[r], self.done[r]
            boxes.append(_around(head[None], st.head / 2 + st.head / 10 + 2))
            if i < self.series[r].last and np.isfinite(self.points[r][i]).all():
                pieces.append((r, np.vstack([self.points[r][i], head])))
                boxes.append(_around(pieces[-1][1], st.width / 2 + 2))
        box = self._aligned(_union(boxes))
        if box is None:
            return None
        layer = self.image.crop(box)
        draw = ImageDraw.Draw(layer)
        shift = np.array(box[:2], dtype=float)
        window = tuple(np.subtract(self.window, (*shift, *shift)).tolist())
        for r, piece in pieces:
            _polyline(draw, piece - shift, self.styles[r], self.phase[r], window)
        for r, head in enumerate(heads):
            if head is not None:
                st = self.styles[r]
                marker(draw, st.symbol, head - shift, st.head, st.colour, OUTLINE, st.head / 10)
        return self._reduced(layer), _down(box)[:2]

    def _extend(self, r: int, upto: int) -> tuple[float, float, float, float] | None:
        """Draw row ``r`` from its last point drawn to point ``upto`` onto the trail; the box
        drawn in (None: nothing)."""
        first = self.done[r]
        if upto <= first:
            return None
        st, points = self.styles[r], self.points[r]
        begin = max(first, 0)
        self.phase[r] = _polyline(
            self.draw, points[begin : upto + 1], st, self.phase[r], self.window
        )
        if st.dots:
            for p in points[first + 1 : upto + 1]:
                if np.isfinite(p).all():
                    _disc(self.draw, p, st.dots / 2, st.colour)
        if first < 0 and st.ring and np.isfinite(points[0]).all():
            (x, y), ring = points[0], st.ring / 2
            box = [x - ring, y - ring, x + ring, y + ring]
            self.draw.ellipse(box, outline=st.colour, width=max(1, round(st.width)))
        self.done[r] = upto
        return _around(points[begin : upto + 1], max(st.width, st.dots, st.ring) / 2 + 2)

    def _aligned(self, box: tuple[float, float, float, float] | None) -> Box | None:
        """``box`` within the picture, its corners on whole video pixels; None if empty."""
        if box is None:
            return None
        x0, y0 = (max(0, int(v // SUPERSAMPLE) * SUPERSAMPLE) for v in box[:2])
        x1, y1 = (
            min(limit, -int(-v // SUPERSAMPLE) * SUPERSAMPLE)
            for v, limit in zip(box[2:], self.size, strict=True)
        )
        return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None

    @staticmethod
    def _reduced(layer: Image.Image) -> Image.Image:
        return layer.reduce(SUPERSAMPLE).convert("RGBA")

    def _head(self, r: int, position: float) -> np.ndarray | None:
        """Where row ``r`` is at ``position``: between two steps, on the line joining them."""
        s, points = self.series[r], self.points[r]
        i = min(int(position), s.last)
        here = points[i]
        if i < s.last:
            there = points[i + 1]
            if np.isfinite(there).all() and np.isfinite(here).all():
                here = here + (there - here) * (position - i)
        if not np.isfinite(here).all():
            return None
        x0, y0, x1, y1 = self.window
        return np.clip(here, (x0, y0), (x1, y1))


def _around(points: np.ndarray, pad: float) -> tuple[float, float, float, float] | None:
    """The box around the finite ``points``, ``pad`` wider on every side."""
    finite = points[np.isfinite(points).all(axis=1)]
    if not len(finite):
        return None
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    return (lo[0] - pad, lo[1] - pad, hi[0] + pad, hi[1] + pad)


def _union(
    boxes: list[tuple[float, float, float, float] | None],
) -> tuple[float, float, float, float] | None:
    found = [b for b in boxes if b is not None]
    if not found:
        return None
    x0, y0, x1, y1 = zip(*found, strict=True)
    return (min(x0), min(y0), max(x1), max(y1))


def _down(box: Box) -> Box:
    x0, y0, x1, y1 = (v // SUPERSAMPLE for v in box)
    return (x0, y0, x1, y1)


def _premultiplied(colour: tuple[int, ...]) -> tuple[int, int, int, int]:
    r, g, b, a = colour
    return (r * a // 255, g * a // 255, b * a // 255, a)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _disc(draw: ImageDraw.ImageDraw, p: np.ndarray, radius: float, fill: tuple[int, ...]) -> None:
    draw.ellipse([p[0] - radius, p[1] - radius, p[0] + radius, p[1] + radius], fill=fill)


def _polyline(
    draw: ImageDraw.ImageDraw,
    points: np.ndarray,
    st: Style,
    phase: float,
    window: tuple[float, float, float, float],
) -> float:
    """Draw ``points`` (a path's pixels, NaN where not finite) dashed from ``phase``; returns
    the phase after them. Segments leaving ``window`` (a diverging path) are clipped to it."""
    for run in _runs(points, window):
        lengths = np.hypot(*np.diff(run, axis=0).T)
        pieces = _dashes(run, lengths, st.dash, phase) if st.dash else [run]
        for piece in pieces:
            draw.line(piece.ravel().tolist(), fill=st.colour, width=max(1, round(st.width)),
                      joint="curve")  # fmt: skip
        # a round join with what was drawn before (the line drawn in pieces)
        if not st.dash and len(run):
            _disc(draw, run[0], st.width / 2, st.colour)
        phase += float(lengths.sum())
    return phase


def _runs(points: np.ndarray, window: tuple[float, float, float, float]) -> list[np.ndarray]:
    """``points`` as polylines of finite points inside ``window``; a segment that leaves it
    becomes a polyline of its own, clipped."""
    if len(points) < 2:
        return []
    x0, y0, x1, y1 = window
    finite = np.isfinite(points).all(axis=1)
    inside = finite & (points[:, 0] >= x0) & (points[:, 0] <= x1)
    inside &= (points[:, 1] >= y0) & (points[:, 1] <= y1)
    whole = inside[:-1] & inside[1:]
    runs: list[np.ndarray] = []
    start: int | None = None
    for j, ok in enumerate([*whole.tolist(), False]):
        if ok and start is None:
            start = j
        elif not ok and start is not None:
            runs.append(points[start : j + 1])
            start = None
    for k in np.flatnonzero(~whole & finite[:-1] & finite[1:]):
        clipped = _clip(points[k], points[k + 1], window)
        if clipped is not None:
            runs.append(clipped)
    return runs


def _clip(
    a: np.ndarray, b: np.ndarray, window: tuple[float, float, float, float]
) -> np.ndarray | None:
    """The segment a-b inside ``window`` (Liang-Barsky), or None if it misses it."""
    x0, y0, x1, y1 = window
    d = b - a
    t0, t1 = 0.0, 1.0
    for p, q in ((-d[0], a[0] - x0), (d[0], x1 - a[0]), (-d[1], a[1] - y0), (d[1], y1 - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
    if t0 > t1:
        return None
    return np.vstack([a + t0 * d, a + t1 * d])


def _dashes(
    run: np.ndarray, lengths: np.ndarray, pattern: tuple[float, ...], phase: float
) -> list[np.ndarray]:
    """The dashes of a polyline: it is cut into pieces at most a quarter of the pattern's
    shortest dash long; a piece is drawn where its middle falls in a dash."""
    quantum = max(min(pattern) / 4, 0.5)
    counts = np.maximum(1, np.ceil(lengths / quantum)).astype(int)
    j = np.repeat(np.arange(len(lengths)), counts)
    k = np.arange(len(j)) - np.repeat(np.cumsum(counts) - counts, counts)
    frac = (k / counts[j])[:, None]
    starts = run[j] + (run[j + 1] - run[j]) * frac
    points = np.vstack([starts, run[-1:]])
    piece = np.hypot(*np.diff(points, axis=0).T)
    middle = phase + np.cumsum(piece) - piece / 2
    period = float(sum(pattern))
    ends = np.cumsum(pattern)
    slot = np.searchsorted(ends, np.mod(middle, period), side="right")
    on = slot % 2 == 0
    out = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
    for first, stop in zip(edges[::2], edges[1::2], strict=True):
        out.append(points[first : stop + 1])
    return out


def marker(
    draw: ImageDraw.ImageDraw,
    symbol: str,
    at: np.ndarray,
    size: float,
    fill: tuple[int, ...],
    outline: tuple[int, ...],
    width: float,
) -> None:
    """Plotly's marker ``symbol`` of ``size`` (its diameter) centred ``at``."""
    x, y, r = float(at[0]), float(at[1]), size / 2
    w = max(1, round(width))
    if symbol == "circle":
        draw.ellipse([x - r, y - r, x + r, y + r], fill=fill, outline=outline, width=w)
        return
    draw.polygon(_outline(symbol, x, y, r), fill=fill, outline=outline, width=w)


def _outline(symbol: str, x: float, y: float, r: float) -> list[tuple[float, float]]:
    shape: list[tuple[float, float]]
    if symbol == "square":
        shape = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    elif symbol == "hourglass":
        shape = [(-1, -1), (1, -1), (-1, 1), (1, 1)]
    elif symbol == "cross":
        a = 0.4
        shape = [(-a, -1), (a, -1), (a, -a), (1, -a), (1, a), (a, a), (a, 1), (-a, 1),
                 (-a, a), (-1, a), (-1, -a), (-a, -a)]  # fmt: skip
    else:  # a regular polygon, pointing up (triangle-down: down)
        sides = {"triangle-up": 3, "triangle-down": 3, "pentagon": 5, "hexagon": 6}.get(symbol, 8)
        turn = math.pi if symbol == "triangle-down" else 0.0
        grow = 1.25 if sides == 3 else 1.1
        shape = [
            (grow * math.sin(turn + 2 * math.pi * k / sides),
             -grow * math.cos(turn + 2 * math.pi * k / sides))
            for k in range(sides)
        ]  # fmt: skip
    return [(x + r * u, y + r * v) for u, v in shape]
