"""The first load: the page loads plotly.js's cartesian bundle (a third of the full one's size)
and the 3-D view the full one only when it opens; and the contours are drawn once, since
Plotly's first drawing of a figure is the costliest thing before the first contour: the figure
is laid out at the size it keeps (the legend above it shown first) rather than drawn again when
the legend's row makes the plot shorter.
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


# The trace types a Plotly has (its public plot schema).
HAS_SURFACE = "(p) => Object.keys(p.PlotSchema.get().traces).includes('surface')"


def test_the_3d_view_loads_the_full_bundle_and_leaves_the_page_its_own(page: Any) -> None:
    page.goto(f"/#{RUNS}")
    wait_done(page)
    scripts = "() => [...document.scripts].map((s) => s.src).filter((s) => s.includes('/vendor/'))"
    assert [s.split("/")[-1].split("-")[1] for s in page.evaluate(scripts)] == ["cartesian"]
    assert page.evaluate(f"() => ({HAS_SURFACE})(window.Plotly)") is False
    page.click("#show-3d")
    page.wait_for_function("() => document.getElementById('3d-fig')?.dataset.state === 'drawn'")
    assert len(page.evaluate(scripts)) == 2
    view = "window.descentlab.views.views['3d'].view"
    assert page.evaluate(f"() => ({HAS_SURFACE})({view}.plotly)") is True
    assert page.evaluate(f"() => ({HAS_SURFACE})(window.Plotly)") is False  # the page's, back
    assert page.evaluate(
        "() => document.getElementById('3d-fig').querySelector('.gl-container') !== null"
    )
    # the page's figures still answer to the page's Plotly
    before = page.evaluate("() => window.descentlab.baseDraws()")
    page.click("#show-3d")  # closed: the surface figure takes the room back, drawn again
    page.wait_for_function(f"() => window.descentlab.baseDraws() > {before}")
