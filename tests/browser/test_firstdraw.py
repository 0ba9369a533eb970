"""The first load draws the contours once: Plotly's first drawing of a figure is the costliest
thing before the first contour, so the figure is laid out at the size it keeps (the legend above
it shown first) rather than drawn again when the legend's row makes the plot shorter.
"""

from __future__ import annotations

from typing import Any

import pytest
from uiutil import FAST, wait_done

pytestmark = pytest.mark.browser

RUNS = f"surface=rosenbrock&opt=gd(lr:0.001)&opt=adam(lr:0.05)&{FAST}"


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_the_first_load_draws_the_contours_once(
    browser: Any, server_url: str, size: tuple[int, int]
) -> None:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#{RUNS}")
        wait_done(pg)
        pg.wait_for_timeout(300)  # (a late resize would be observed by now)
        wide = size[0] > 440
        shown = pg.evaluate("() => !document.querySelector('#surface-legend').hidden")
        assert shown is wide  # the legend is above the plot only on a wide figure
        assert pg.evaluate("() => window.descentlab.baseDraws()") == 1
        # the figure Plotly drew fills the stage it keeps
        height = pg.evaluate("() => document.querySelector('#contour').layout.height")
        stage = pg.locator("#surface-stage").bounding_box()
        assert stage is not None and abs(height - stage["height"]) <= 1
    finally:
        ctx.close()
