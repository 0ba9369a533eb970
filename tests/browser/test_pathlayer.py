"""The app's path layer (pathlayer.js), through its module as the page loads it: a line's `d`
leaves out points under half a pixel from the last one drawn, keeps gaps and every run's last
point, and cuts segments to far-away points (a diverging run's) at a box around the figure."""

from __future__ import annotations

from typing import Any

import pytest
from uiutil import FAST, open_app

pytestmark = pytest.mark.browser

POLYLINE = """async (cases) => {
  const href = document.querySelector('link[rel=modulepreload][href$="/pathlayer.js"]').href;
  const m = await import(href);
  const far = { x0: -100, y0: -100, x1: 200, y1: 200 };
  return cases.map(([xs, ys]) => m.PathLayer.polyline(xs.map(Number), ys.map(Number), far));
}"""


def test_polyline_drops_sub_pixel_points_and_cuts_far_segments(page: Any) -> None:
    open_app(page, FAST)
    cases = [
        [[0, 10, 10.2, 20], [0, 0, 0.1, 5]],  # (10.2, 0.1): 0.3 px from (10, 0)
        [[0, 10, 10.2], [0, 0, 0.1]],  # ... unless it is the last point
        [[0, "NaN", 10, 20], [0, 0, 0, 5]],  # a gap
        [[0, 10, 1e30, 20], [0, 0, 0, 5]],  # out to 1e30 px and back
    ]
    assert page.evaluate(POLYLINE, cases) == [
        "M0,0L10,0L20,5",
        "M0,0L10,0L10.2,0.1",
        "M0,0M10,0L20,5",
        "M0,0L10,0L200,0M200,5L20,5",
    ]
