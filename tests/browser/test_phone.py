"""A phone (390x844): the player bar in two rows, its tools one row scrolled sideways (a fade
at the end that hides more), each tool reachable by Tab with its focus ring whole and by a
swipe; a drag over the 3-D figure scrolls the page unless "rotate" is pressed; Home and End
move the player, not the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, run_id, touch_drag, wait_done, wait_fitted

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TOOLS = [
    "inspect-toggle",
    "over-state",
    "over-field",
    "show-sweep",
    "show-basins",
    "show-3d",
    "show-grad",
]

# Each control of the player bar: its id and box; the tools' row: its box and what it hides.
BAR = """() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const row = document.querySelector('.player-tools');
  return {
    bar: box(document.querySelector('.player')),
    row: {...box(row), more: row.dataset.more, scroll: row.scrollLeft},
    controls: [...document.querySelectorAll('.player > button, .player > input, .player > output,'
      + ' .player > select, .player-tools button')].filter((e) => e.offsetParent)
      .map((e) => ({id: e.id, ...box(e)})),
  };
}"""

RING = 4  # px round a focused control: its outline (3 px) and offset (1 px)
FADE = 2.2 * 15  # px: the fade at an end of the row that hides more (2.2em of 15 px)


def rows(controls: list[dict[str, Any]]) -> list[float]:
    """The distinct vertical centres (to 4 px) of the controls: one per row of the bar."""
    centres: list[float] = []
    for c in sorted(controls, key=lambda c: c["y"] + c["h"] / 2):
        mid = c["y"] + c["h"] / 2
        if not centres or mid - centres[-1] > 4:
            centres.append(mid)
    return centres


def ring_is_clear(btn: dict[str, Any], row: dict[str, Any]) -> bool:
    """Whether a focused control's ring lies inside the row, clear of the fades at its ends."""
    fade = {end: FADE * (end in row["more"]) for end in ("start", "end")}
    return bool(
        btn["x"] - RING >= row["x"] + fade["start"] - 0.5
        and btn["x"] + btn["w"] + RING <= row["x"] + row["w"] - fade["end"] + 0.5
        and btn["y"] - RING >= row["y"] - 0.5
        and btn["y"] + btn["h"] + RING <= row["y"] + row["h"] + 0.5
    )


def phone(browser: Any, server_url: str) -> Any:
    ctx = browser.new_context(viewport=PHONE, base_url=server_url, has_touch=True, is_mobile=True)
    ctx.set_default_timeout(15_000)
    return ctx


def test_the_player_tools_are_one_row_that_scrolls(
    browser: Any, server_url: str, artifacts: Path
) -> None:
    ctx = phone(browser, server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#surface=quadratic&opt=gd(lr:0.009)&opt=momentum(lr:0.001)&{FAST}")
        wait_done(pg)
        bar = pg.evaluate(BAR)
        # the clock on one row; the speed and every tool on a second (four rows before)
        assert len(rows(bar["controls"])) == 2, bar["controls"]
        assert bar["bar"]["h"] < 80
        assert pg.evaluate("() => document.documentElement.scrollWidth <= innerWidth + 1")
        row = bar["row"]
        assert row["more"] == "end"  # the cue: the row fades where more hides
        mask = pg.eval_on_selector(".player-tools", "e => getComputedStyle(e).maskImage")
        assert "gradient" in mask
        pg.screenshot(
            path=str(artifacts / "phone-player.png"),
            clip={"x": 0, "y": 0, "width": 390, "height": 220},
        )

        # keyboard: Tab from the speed reaches every tool in turn, scrolled into view with its
        # focus ring inside the row (not cut by its edges, clear of the fade)
        pg.focus("#speed")
        for tool in TOOLS:
            pg.keyboard.press("Tab")
            assert pg.evaluate("() => document.activeElement.id") == tool
            pg.wait_for_timeout(50)
            bar = pg.evaluate(BAR)
            row = bar["row"]
            btn = next(c for c in bar["controls"] if c["id"] == tool)
            assert ring_is_clear(btn, row), (tool, btn, row)
        assert row["more"] == "start"  # scrolled to its end: the fade at the start only
        pg.screenshot(
            path=str(artifacts / "phone-player-end.png"),
            clip={"x": 0, "y": 0, "width": 390, "height": 220},
        )

        # swipes scroll the row back to its start, then to its end: the last tool under the
        # finger. (Each starts where the row can still scroll its way: one that starts at the
        # row's end scrolls the page, or goes back in its history, as on any phone.)
        pg.focus("#speed")
        y = row["y"] + row["h"] / 2
        for _ in range(6):
            if pg.evaluate(BAR)["row"]["scroll"] <= 0:
                break
            touch_drag(pg, (row["x"] + 40, y), (120, 0))
        bar = pg.evaluate(BAR)
        assert bar["row"]["scroll"] == 0 and bar["row"]["more"] == "end"
        for _ in range(6):
            if pg.evaluate(BAR)["row"]["more"] == "start":
                break
            touch_drag(pg, (row["x"] + row["w"] - 40, y), (-120, 0))
        bar = pg.evaluate(BAR)
        assert bar["row"]["more"] == "start"
        last = next(c for c in bar["controls"] if c["id"] == TOOLS[-1])
        hit = "([x, y]) => document.elementFromPoint(x, y).closest('button')?.id"
        assert pg.evaluate(hit, [last["x"] + last["w"] / 2, last["y"] + last["h"] / 2]) == TOOLS[-1]
        assert pg.evaluate("() => scrollX") == 0
    finally:
        ctx.close()


def wait_3d(page: Any) -> None:
    page.wait_for_function(
        "() => document.getElementById('3d-fig')?.dataset.state === 'drawn'", timeout=30_000
    )


def figure_pixels(page: Any) -> Any:
    """The 3-D figure as painted (its camera is seen in it: Plotly reports a camera moved by
    touch only at the next mouse-up)."""
    import io

    import numpy as np
    from PIL import Image

    png = page.locator("[id='3d-fig']").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


def change(a: Any, b: Any) -> float:
    """Mean grey-level change between two pictures of the figure's middle (its edges may be
    under the viewport's), the smallest over shifts of up to 2 px (a scrolled figure is drawn
    a pixel higher or lower)."""
    h, w = min(len(a), len(b)), min(len(a[0]), len(b[0]))
    rows, cols = slice(h // 5, 4 * h // 5), slice(w // 10, 9 * w // 10)
    a, b = a[rows, cols], b[rows, cols]
    n = len(a) - 2
    return float(min(abs(a[i : i + n] - b[j : j + n]).mean() for i in range(3) for j in range(3)))


def test_a_drag_over_the_3d_figure_scrolls_the_page_unless_rotate_is_on(
    browser: Any, server_url: str, artifacts: Path
) -> None:
    ctx = phone(browser, server_url)
    try:
        pg = ctx.new_page()
        pg.goto("/#lecture=nightmare-3d")
        wait_3d(pg)
        pg.keyboard.press("End")  # the last step: the figure holds still
        wait_done(pg)
        pg.wait_for_timeout(500)  # its last frame drawn
        pg.eval_on_selector("[id='3d-fig']", "e => e.scrollIntoView({block: 'center'})")
        pg.wait_for_timeout(200)
        fig = pg.locator("[id='3d-fig']").bounding_box()
        assert fig is not None and fig["height"] > 300  # most of the screen: no room beside it
        centre = (fig["x"] + fig["width"] / 2, fig["y"] + fig["height"] / 2)
        assert (
            pg.evaluate("([x, y]) => document.elementFromPoint(x, y).tagName", centre) == "CANVAS"
        )
        before, seen = pg.evaluate("() => scrollY"), figure_pixels(pg)
        touch_drag(pg, centre, (0, -200))
        assert pg.evaluate("() => scrollY") - before > 100  # the page scrolled past the figure
        assert change(figure_pixels(pg), seen) < 0.5  # and the figure did not turn

        # rotate pressed: a drag turns the figure, and the page stays
        rotate = pg.locator("#threed-rotate")
        assert rotate.get_attribute("aria-pressed") == "false"
        rotate.click()
        assert rotate.get_attribute("aria-pressed") == "true"
        pg.eval_on_selector("[id='3d-fig']", "e => e.scrollIntoView({block: 'center'})")
        pg.wait_for_timeout(200)
        fig = pg.locator("[id='3d-fig']").bounding_box()
        assert fig is not None
        centre = (fig["x"] + fig["width"] / 2, fig["y"] + fig["height"] / 2)
        before, seen = pg.evaluate("() => scrollY"), figure_pixels(pg)
        touch_drag(pg, centre, (-120, -120))
        pg.wait_for_timeout(300)
        assert abs(pg.evaluate("() => scrollY") - before) < 2
        assert change(figure_pixels(pg), seen) > 5  # turned
        pg.screenshot(path=str(artifacts / "phone-3d-rotated.png"))
    finally:
        ctx.close()


def test_home_and_end_move_the_player_not_the_page(page: Any) -> None:
    """On a narrow screen the page scrolls: Home and End are the player's first and last step
    (as on a wide one), and the page stays where the reader left it."""
    page.set_viewport_size(PHONE)
    page.goto(f"/#surface=quadratic&opt=gd(lr:0.009)&opt=momentum(lr:0.001)&{FAST}")
    wait_done(page)
    page.evaluate("() => scrollTo(0, 600)")
    page.wait_for_function("() => scrollY === 600")
    total = page.evaluate("() => window.descentlab.player.t")
    assert total > 10
    page.keyboard.press("Home")
    page.wait_for_function("() => window.descentlab.player.t === 0")
    page.keyboard.press("End")
    page.wait_for_function("(n) => window.descentlab.player.t === n", arg=total)
    page.wait_for_timeout(100)
    assert page.evaluate("() => scrollY") == 600


def contour_centre(page: Any) -> tuple[float, float]:
    """The middle of the surface's plot area, scrolled to the middle of the screen."""
    page.eval_on_selector("#surface-stage", "e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(200)
    area = page.locator("#surface-stage .pathlayer .area").bounding_box()
    assert area is not None
    return area["x"] + area["width"] / 2, area["y"] + area["height"] / 2


def test_a_drag_over_the_2d_surface_scrolls_the_page_unless_zoom_is_on(
    browser: Any, server_url: str, artifacts: Path
) -> None:
    """With a view open the surface is not sticky: a finger's drag over it scrolls the page
    (it zoomed before); "zoom" pressed, the drag draws Plotly's zoom box. The start marker is
    dragged by a finger either way, and a tap with Inspect on inspects the point."""
    ctx = phone(browser, server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#surface=quadratic&opt=gd(lr:0.009)&show=grad&{FAST}")
        wait_done(pg)
        assert pg.eval_on_selector("#views", "e => getComputedStyle(e).position") != "sticky"
        zoom = pg.locator("#touch-zoom")
        assert zoom.is_visible() and zoom.get_attribute("aria-pressed") == "false"
        centre = contour_centre(pg)
        hit = "([x, y]) => document.elementFromPoint(x, y).closest('#contour') !== null"
        assert pg.evaluate(hit, centre)  # the finger lands on Plotly's figure
        draws = pg.evaluate("() => window.descentlab.baseDraws()")
        before = pg.evaluate("() => scrollY")
        touch_drag(pg, centre, (40, -200))
        assert pg.evaluate("() => scrollY") - before > 100  # the page scrolled past the figure
        assert pg.evaluate("() => window.descentlab.store.state.view") is None  # no zoom
        assert pg.evaluate("() => window.descentlab.baseDraws()") == draws

        # the start marker follows a finger (the page stays)
        first = run_id(pg)
        start = pg.evaluate("() => window.descentlab.store.state.start")
        contour_centre(pg)
        ring = pg.locator("#surface-stage .pathlayer .grab").first.bounding_box()
        assert ring is not None
        before = pg.evaluate("() => scrollY")
        at = (ring["x"] + ring["width"] / 2, ring["y"] + ring["height"] / 2)
        touch_drag(pg, at, (40, 30))
        wait_done(pg, after_run=first)
        moved = pg.evaluate("() => window.descentlab.store.state.start")
        assert abs(pg.evaluate("() => scrollY") - before) < 2
        assert start is None or moved != start
        assert moved is not None and len(moved) == 2

        # a tap with Inspect on inspects the point under the finger
        pg.click("#inspect-toggle")
        centre = contour_centre(pg)
        pg.touchscreen.tap(*centre)
        pg.wait_for_function("() => document.querySelector('#ins-out dl') !== null")
        assert float(pg.input_value("#ins-x")) == pytest.approx(0, abs=0.3)

        # zoom pressed: a drag draws a zoom box, and the page stays
        zoom.click()
        assert zoom.get_attribute("aria-pressed") == "true"
        centre = contour_centre(pg)
        before = pg.evaluate("() => scrollY")
        touch_drag(pg, (centre[0] - 60, centre[1] - 60), (120, 120))
        pg.wait_for_function("() => window.descentlab.store.state.view !== null")
        assert abs(pg.evaluate("() => scrollY") - before) < 2
        pg.screenshot(path=str(artifacts / "phone-2d-zoomed.png"))
    finally:
        ctx.close()


def test_the_zoom_toggle_is_for_touch_screens_only(page: Any) -> None:
    """A mouse zooms by dragging, as before: no toggle is shown without a touch screen."""
    page.set_viewport_size(PHONE)
    page.goto(f"/#surface=quadratic&opt=gd(lr:0.009)&{FAST}")
    wait_done(page)
    assert page.locator("#touch-zoom").count() == 0 or page.locator("#touch-zoom").is_hidden()


# The header: its title and each tool shown, with its box and its name for a screen reader.
HEADER = """() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const tools = [...document.querySelectorAll('.top h1, .top .tools > button, .menu-wrap > button')]
    .filter((e) => e.offsetParent);
  return {
    top: box(document.querySelector('.top')),
    width: innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    tools: tools.map((e) => ({id: e.id, name: (e.getAttribute('aria-label') || e.innerText
      || e.textContent).trim(), title: e.title, ...box(e)})),
  };
}"""
PHONES = [(360, 740), (390, 844), (430, 932)]


@pytest.mark.parametrize("size", PHONES, ids=[f"{w}x{h}" for w, h in PHONES])
@pytest.mark.parametrize("hash_", ["", "lecture=duke-bowl-momentum"], ids=["plain", "lecture"])
def test_the_phone_header_is_one_row(
    browser: Any, server_url: str, artifacts: Path, size: tuple[int, int], hash_: str
) -> None:
    """The header's title and tools in one row (the sticky figure gets the rest), every tool
    inside the screen and named; the ones a phone has no use for out of the way."""
    w, h = size
    ctx = browser.new_context(
        viewport={"width": w, "height": h}, base_url=server_url, has_touch=True, is_mobile=True
    )
    try:
        pg = ctx.new_page()
        pg.goto(f"/#{hash_ or FAST}")
        wait_done(pg)
        head = pg.evaluate(HEADER)
        assert len(rows(head["tools"])) == 1, head["tools"]
        assert head["top"]["h"] <= 48, head["top"]
        assert head["scrollWidth"] <= w
        names = {t["id"]: t["name"] for t in head["tools"]}
        for tool in head["tools"]:
            assert tool["x"] >= 0 and tool["x"] + tool["w"] <= w, tool
        expected = {"panel-toggle": "Controls", "lecture-open": "Lecture", "export": "Export"}
        expected |= {"share": "Share"}
        if pg.evaluate("() => document.fullscreenEnabled"):
            expected["fullscreen"] = "Full screen"
        for tool, name in expected.items():
            assert names.get(tool) == name, (tool, names)
            assert pg.get_by_role("button", name=name, exact=True).first.is_visible()
        # the Export menu opens inside the screen
        pg.click("#export")
        menu = pg.locator("#export-menu").bounding_box()
        assert menu is not None and menu["x"] >= 0 and menu["x"] + menu["width"] <= w
        pg.screenshot(
            path=str(artifacts / f"phone-header-{w}-{'lecture' if hash_ else 'plain'}.png"),
            clip={"x": 0, "y": 0, "width": w, "height": 300},
        )
    finally:
        ctx.close()


def test_projector_mode_can_be_left_on_a_phone(browser: Any, server_url: str) -> None:
    """A link that opens projector mode on a phone: its button is there to leave it."""
    ctx = phone(browser, server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#big=1&{FAST}")
        wait_done(pg)
        button = pg.get_by_role("button", name="Projector", exact=True)
        assert button.is_visible()
        assert len(rows(pg.evaluate(HEADER)["tools"])) == 1
        button.click()
        pg.wait_for_function("() => !document.body.classList.contains('projector')")
    finally:
        ctx.close()


def test_a_drag_over_the_loss_plot_scrolls_the_page(browser: Any, server_url: str) -> None:
    """The loss plot under the sticky surface: a finger's drag over it scrolls the page to the
    controls under it (Plotly's zoom took it, and that part of the screen did not scroll)."""
    ctx = phone(browser, server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#surface=quadratic&opt=gd(lr:0.009)&{FAST}")
        wait_done(pg)
        wait_fitted(pg)
        pg.eval_on_selector("#loss-box", "e => e.scrollIntoView({block: 'end'})")
        pg.wait_for_timeout(200)
        area = pg.locator("#lossbase .nsewdrag").bounding_box()
        assert area is not None
        centre = (area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
        hit = "([x, y]) => document.elementFromPoint(x, y).closest('#lossbase') !== null"
        assert pg.evaluate(hit, centre)  # the finger lands on Plotly's figure
        before = pg.evaluate("() => scrollY")
        touch_drag(pg, centre, (30, -150))
        assert pg.evaluate("() => scrollY") - before > 80
        # no zoom: the loss plot still shows every step
        assert pg.locator("#loss-box .zoom-out").is_hidden()
    finally:
        ctx.close()
