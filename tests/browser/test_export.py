"""The Export menu (one Tab stop for every export: a menu button with its keyboard) and the
exports it offers that the page composes itself."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from test_a11y import violations
from test_honest import CENTROIDS, FIGURE
from uiutil import FAST, export, open_app, wait_fitted

pytestmark = pytest.mark.browser

FOCUSED = "() => document.activeElement.id"
OPEN = "() => !document.querySelector('#export-menu').hidden"


def test_export_menu_keyboard(page: Any) -> None:
    open_app(page, f"surface=booth&steps=50&opt=gd(lr:0.05)&{FAST}")
    items = page.eval_on_selector_all("#export-menu [role=menuitem]", "l => l.map(e => e.id)")
    assert items[:3] == ["export-csv", "export-json", "export-png"] and "export-video" in items
    page.focus("#export")
    assert page.get_attribute("#export", "aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert page.evaluate(OPEN) and page.evaluate(FOCUSED) == items[0]
    assert page.get_attribute("#export", "aria-expanded") == "true"
    assert violations(page) == []  # open, too
    page.keyboard.press("ArrowDown")
    assert page.evaluate(FOCUSED) == items[1]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # wraps to the last
    assert page.evaluate(FOCUSED) == items[-1]
    page.keyboard.press("Home")
    assert page.evaluate(FOCUSED) == items[0]
    page.keyboard.press("End")
    assert page.evaluate(FOCUSED) == items[-1]
    step = page.evaluate("() => window.descentlab.player.t")
    page.keyboard.press("Escape")
    assert not page.evaluate(OPEN) and page.evaluate(FOCUSED) == "export"
    assert page.evaluate("() => window.descentlab.player.t") == step  # Home/End: the menu's
    # ↑ on the button opens at the last item; Tab leaves the menu closed, on to Share
    page.keyboard.press("ArrowUp")
    assert page.evaluate(FOCUSED) == items[-1]
    page.keyboard.press("Tab")
    assert not page.evaluate(OPEN) and page.evaluate(FOCUSED) == "share"
    # a click outside closes it; the Video item's dialog takes the focus
    page.click("#export")
    assert page.evaluate(OPEN)
    page.mouse.click(5, 400)
    assert not page.evaluate(OPEN)
    page.click("#export")
    page.click("#export-video")
    assert page.get_by_role("dialog", name="Video of the runs").is_visible()
    assert page.evaluate("() => document.activeElement.closest('dialog')?.id") == "video"
    page.keyboard.press("Escape")  # the dialog closes; focus back on the menu's button
    assert page.evaluate(FOCUSED) == "export" and not page.evaluate(OPEN)
    assert page.console.errors == []


# Per colour, in the SVG drawn at its own size: how many pixels of the box (x, y, w, h) below
# `top` (from the box's top) are near it, and their centroid from the box's corner.
SVG_CENTROIDS = """async ([svg, [bx, by, w, h], top, colours]) => {
  const img = new Image();
  img.src = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  await img.decode();
  const ctx = new OffscreenCanvas(img.naturalWidth, img.naturalHeight).getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(bx, by, w, h).data;
  return colours.map(([r, g, b]) => {
    let n = 0, sx = 0, sy = 0;
    for (let i = top * w * 4; i < d.length; i += 4) {
      if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) > 60) continue;
      const k = i / 4;
      n++; sx += k % w; sy += Math.floor(k / w);
    }
    return [n, sx / n, sy / n];
  });
}"""

SVG_NS = "{http://www.w3.org/2000/svg}"


def figure_at(svg: str, name: str) -> tuple[int, int]:
    """Where the export put a figure: its group's translation."""
    root = ElementTree.fromstring(svg)
    for g in root.iter(f"{SVG_NS}g"):
        if g.get("data-figure") == name:
            x, y = re.fullmatch(r"translate\((\S+) (\S+)\)", g.get("transform", "")).groups()  # type: ignore[union-attr]
            return round(float(x)), round(float(y))
    raise AssertionError(f"no figure {name!r} in the SVG")


@pytest.mark.parametrize("big", [False, True])
def test_svg_export_is_the_view_as_on_screen(
    page: Any, browser: Any, artifacts: Path, big: bool
) -> None:
    open_app(page, f"surface=rosenbrock&start=-1,2{'&big=1' if big else ''}&{FAST}")
    wait_fitted(page)
    page.mouse.move(0, 0)  # (no readout, no tool bar)
    fig = page.evaluate(FIGURE)
    stage = page.locator("#surface-stage").bounding_box()
    # the figures' toggles (controls, in the accent colour) are not part of the view
    page.evaluate(
        "document.querySelectorAll('.plot-toggle').forEach(b => b.style.visibility = 'hidden')"
    )
    shot = page.screenshot(clip=fig)
    with page.expect_download() as info:
        export(page, "svg")
    svg = Path(info.value.path()).read_text(encoding="utf-8")
    Path(artifacts / f"export-view{'-big' if big else ''}.svg").write_text(svg, encoding="utf-8")
    # one vector file: Plotly's figures, the layers, the legend's names, title and formula
    assert "<image" not in svg and "data:image/png" not in svg
    assert "Rosenbrock" in svg and "(a - x)^2" in svg and "Gradient descent" in svg
    assert figure_at(svg, "loss")[0] > figure_at(svg, "surface")[0]  # the loss plot beside
    x, y = figure_at(svg, "surface")
    w, h, top = round(fig["width"]), round(fig["height"]), round(stage["y"] - fig["y"])
    colours = [[0x00, 0x72, 0xB2], [0xD5, 0x5E, 0x00], [0x00, 0x9E, 0x73]]
    (screen,) = page.evaluate(CENTROIDS, [[base64.b64encode(shot).decode()], w, h, top, colours])
    blank = browser.new_page()  # (no page's Content-Security-Policy over the blob: image)
    try:
        exported = blank.evaluate(SVG_CENTROIDS, [svg, [x, y, w, h], top, colours])
    finally:
        blank.close()
    for (n_s, x_s, y_s), (n_e, x_e, y_e) in zip(screen, exported, strict=True):
        assert n_s > 30 and n_e == pytest.approx(n_s, rel=0.35), (screen, exported)
        assert abs(x_s - x_e) < 2 and abs(y_s - y_e) < 2, (screen, exported)
    assert page.console.errors == []


# What Plotly drew in an exported page: each line's stroke colour and how many points it has.
DRAWN_LINES = """() => [...document.querySelectorAll('.scatterlayer path.js-line')]
  .map((p) => ({ stroke: getComputedStyle(p).stroke,
    points: (p.getAttribute('d').match(/[ML]/g) || []).length }))"""
# Each trace's markers drawn (a dot per step on a short path).
MARKERS = """() => [...document.querySelectorAll('.scatterlayer .trace')]
  .map((t) => t.querySelectorAll('.points path.point').length)"""


def test_html_export_opens_offline_and_draws_the_paths(
    page: Any, browser: Any, tmp_path: Path
) -> None:
    open_app(page, f"surface=himmelblau&opt=gd(lr:0.01)&opt=adam(lr:0.05)&steps=80&{FAST}")
    with page.expect_download() as info:
        export(page, "html")
    out = tmp_path / "view.html"
    info.value.save_as(out)
    steps = page.evaluate("() => window.descentlab.runs.tracks.map((t) => t.path.length)")
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*src=[\"']?(https?:)?//", html)
    assert "Himmelblau" in html and "Gradient descent" in html  # the page's names for the runs
    ctx = browser.new_context(viewport={"width": 1400, "height": 800})
    asked: list[str] = []

    def offline(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:  # nothing from the network
            asked.append(route.request.url)
            route.abort()

    try:
        ctx.route("**/*", offline)
        pg = ctx.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(out.as_uri())
        pg.wait_for_function(
            "() => document.querySelectorAll('.scatterlayer path.js-line').length >= 4"
        )
        lines = pg.evaluate(DRAWN_LINES)
        assert asked == [] and errors == []
        blue, orange = "rgb(0, 114, 178)", "rgb(213, 94, 0)"  # the runs' colours
        for colour in (blue, orange):  # each run: its path and its loss curve (simplified)
            drawn = [ln["points"] for ln in lines if ln["stroke"] == colour]
            assert len(drawn) == 2 and min(drawn) >= 5, lines
        markers = pg.evaluate(MARKERS)
        for n in steps:  # a dot on every step of both paths
            assert n > 20 and n in markers, (steps, markers)
        pg.screenshot(path=str(tmp_path / "view.png"))
    finally:
        ctx.close()
    assert page.console.errors == []
