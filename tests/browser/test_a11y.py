"""Accessibility (issue 16): axe-core finds no violation on the page in its main states, a skip
link leads to the figure, the figures are described, and Play is a few Tab stops from the top.

axe-core comes from an installed package (axe-playwright-python ships axe.min.js; the `test`
extra installs it), never from a CDN. It is evaluated through the DevTools protocol, which the
page's Content-Security-Policy does not govern (an inline <script> would be refused).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, open_app, wait_fitted

pytestmark = pytest.mark.browser

COMPARE = (
    "surface=quadratic&opt=gd(lr:0.009)&opt=momentum(lr:0.001,momentum:0.9)"
    "&opt=momentum(lr:0.001,momentum:0.5)&opt=adam(lr:0.05)"
)


def axe_source() -> str:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        reason = "axe-playwright-python is not installed (pip install -e '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    path = Path(next(iter(spec.submodule_search_locations))) / "axe.min.js"
    return path.read_text(encoding="utf-8")


RUN_AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}));
}"""


def violations(page: Any) -> list[dict[str, Any]]:
    page.evaluate(axe_source())
    return page.evaluate(RUN_AXE)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("name", "size", "hash_"),
    [
        ("desktop", (1280, 720), f"{COMPARE}&{FAST}"),
        ("projector", (1280, 720), f"{COMPARE}&big=1&panel=0&{FAST}"),
        ("phone", (390, 844), f"{COMPARE}&{FAST}"),
        (
            "data-fit",
            (1280, 720),
            f"surface=linear-regression&batch=10&epochs=5&opt=gd(lr:0.01)&opt=gd(lr:0.05)&{FAST}",
        ),
        ("lecture", (1280, 720), "lecture=duke-bowl-momentum"),
        ("phone-lecture", (390, 844), "lecture=duke-bowl-momentum"),
    ],
)
def test_axe_finds_no_violations(
    browser: Any, server_url: str, name: str, size: tuple[int, int], hash_: str
) -> None:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto("/#" + hash_)
        pg.wait_for_selector("#app[data-status=done]")
        wait_fitted(pg)
        found = violations(pg)
        assert found == [], found
    finally:
        ctx.close()


def test_skip_link_play_within_a_few_tabs_and_described_figures(page: Any) -> None:
    open_app(page, f"{COMPARE}&{FAST}")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    assert page.locator(".skip").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "surface-box"
    assert "surface=quadratic" in page.evaluate("() => location.hash")  # the state kept
    # from the top of the page, Play is reached in a few Tab stops: the skip link, the
    # header's tools, then the player's first buttons
    page.reload()
    page.wait_for_selector("#app[data-status=done]")
    stops = 0
    while page.evaluate("() => document.activeElement.id") != "play":
        assert stops < 10, "Play is more than 10 Tab stops from the top"
        page.keyboard.press("Tab")
        stops += 1
    # keyboard play / step as before
    page.keyboard.press("Enter")
    page.wait_for_selector("#app[data-status=done]")
    desc = page.locator("#surface-desc").text_content() or ""
    assert "Ill-conditioned bowl" in desc and "Momentum lr=0.001 momentum=0.5" in desc
    assert "dashed line" in desc
    assert page.get_attribute("#surface-box", "aria-describedby") == "surface-desc"
    assert page.get_attribute("#surface-box", "role") == "figure"
    assert "against step" in (page.locator("#loss-desc").text_content() or "")
    assert page.console.errors == []
