"""After a zoom: no Plotly tip over the view buttons ("Double-click to zoom back out" lay over
them for seconds), and a "zoom out" button in the figure's corner, clear of its other
controls, that takes it home as a double-click does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, open_app, wait_fitted

pytestmark = pytest.mark.browser

ROSENBROCK = f"surface=rosenbrock&opt=gd(lr:0.001)&{FAST}"

# Plotly's tips are its notifier's messages.
TIPS = (
    "() => [...document.querySelectorAll('.plotly-notifier .notifier-note')]"
    ".map(n => n.textContent)"
)


def drag(page: Any, area: str, by: tuple[float, float]) -> None:
    box = page.locator(area).bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.3
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + by[0], y0 + by[1], steps=5)
    page.mouse.up()


def rect(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_no_plotly_tip_after_a_zoom_and_a_button_to_zoom_out(page: Any, artifacts: Path) -> None:
    open_app(page, ROSENBROCK)
    home = "#surface-stage > .zoom-out"
    assert page.locator(home).is_hidden()  # nothing to go back to
    drag(page, "#surface-stage .pathlayer .area", (150, 150))
    page.wait_for_function("() => window.descentlab.store.state.view !== null")
    page.wait_for_timeout(400)  # Plotly shows its tip at once after a zoom
    assert page.evaluate(TIPS) == []
    button = page.locator(home)
    assert button.is_visible()
    assert "double-click" in (button.get_attribute("title") or "")
    for other in ("#equal-scale", "#surface-legend", "#over-state", "#inspect-toggle"):
        if page.locator(other).count() and page.locator(other).first.is_visible():
            assert apart(rect(page, home), rect(page, other)), other
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts / "zoom-out-surface.png"))
    button.click()
    page.wait_for_function("() => window.descentlab.store.state.view === null")
    domain = page.evaluate("window.descentlab.catalog.surfaces.get('rosenbrock').domain")
    assert page.evaluate("window.descentlab.surfaceBox().x") == domain[0]
    page.locator(home).wait_for(state="hidden")
    assert page.console.errors == []


def test_the_loss_plot_zooms_out_by_its_own_button(page: Any) -> None:
    open_app(page, ROSENBROCK)
    home = "#loss-box > .zoom-out"
    before = page.evaluate("window.descentlab.lossBox()")
    drag(page, "#loss-box .pathlayer .area", (80, 60))
    page.wait_for_function("b => window.descentlab.lossBox().x[1] !== b.x[1]", arg=before)
    page.wait_for_timeout(400)
    assert page.evaluate(TIPS) == []
    assert page.locator(home).is_visible()
    assert apart(rect(page, home), rect(page, "#loss-log"))
    page.click(home)
    page.wait_for_function("b => window.descentlab.lossBox().x[1] === b.x[1]", arg=before)
    assert page.evaluate("window.descentlab.lossBox()")["y"] == before["y"]
    page.locator(home).wait_for(state="hidden")


@pytest.mark.parametrize("size", [(390, 844), (1280, 720), (1920, 1080)])
def test_the_zoom_out_button_keeps_clear_of_the_figures_controls(
    browser: Any, server_url: str, artifacts: Path, size: tuple[int, int]
) -> None:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server_url)
    try:
        pg = ctx.new_page()
        view = "view=-0.5,1.5,0,2"  # a link to a zoomed view opens zoomed
        pg.goto(f"/#{ROSENBROCK}&{view}")
        pg.wait_for_selector("#app[data-status=done]")
        wait_fitted(pg)
        home = "#surface-stage > .zoom-out"
        pg.locator(home).wait_for(state="visible")
        assert apart(rect(pg, home), rect(pg, "#equal-scale"))
        stage = rect(pg, "#surface-stage")
        box = rect(pg, home)
        assert stage["x"] <= box["x"] and box["x"] + box["width"] <= stage["x"] + stage["width"]
        pg.screenshot(path=str(artifacts / f"zoom-out-{size[0]}x{size[1]}.png"))
    finally:
        ctx.close()
