"""The presentation layout (issue 16): the figure first, the controls in a drawer, projector mode
giving the surface most of the screen at projector resolutions, a phone keeping the plot in view
while a slider moves. Sizes are read from the page (bounding boxes), never from Plotly's state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from uiutil import FAST, run_id, wait_done, wait_fitted, wait_hash

pytestmark = pytest.mark.browser

COMPARE = (
    "surface=quadratic&opt=gd(lr:0.009)&opt=momentum(lr:0.001,momentum:0.9)"
    "&opt=momentum(lr:0.001,momentum:0.5)&opt=adam(lr:0.05)"
)

BOXES = """() => Object.fromEntries(['#surface-box', '#loss-box', '#summary', '.player', '#panel']
  .map((s) => { const e = document.querySelector(s);
    if (!e || !e.offsetParent) return [s, null];
    const r = e.getBoundingClientRect();
    return [s, {x: r.x, y: r.y, w: r.width, h: r.height}]; }))"""

# Text boxes of the surface figure's legend and colour bar, and of the loss plot's axis labels.
LABELS = """() => {
  const rect = (e) => { const r = e.getBoundingClientRect();
    return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const all = (sel) => [...document.querySelectorAll(sel)].map(rect);
  return {
    legend: all('#surface-legend .entry'),
    colorbar: all('#contour .colorbar text'),
    lossTicks: all('#lossbase .ytick text'),
    lossTitle: all('#lossbase .ytitle'),
    lossX: all('#lossbase .xtick text, #lossbase .xtitle'),
  };
}"""


def overlap(a: dict[str, float], b: dict[str, float], slack: float = 1.0) -> bool:
    """Whether two boxes ({x, y, w, h} or Playwright's {x, y, width, height}) overlap."""
    aw, ah = a.get("w", a.get("width", 0)), a.get("h", a.get("height", 0))
    bw, bh = b.get("w", b.get("width", 0)), b.get("h", b.get("height", 0))
    return (
        a["x"] + aw - slack > b["x"]
        and b["x"] + bw - slack > a["x"]
        and a["y"] + ah - slack > b["y"]
        and b["y"] + bh - slack > a["y"]
    )


def no_overlaps(boxes: list[dict[str, float]], others: list[dict[str, float]]) -> None:
    for a in boxes:
        for b in others:
            assert not overlap(a, b), (a, b)


# Surface-figure heights measured before this layout (the panel always beside, the loss plot and
# table under the figure): 1024x768 347 px normal / 184 px projector, 1280x720 312 / 259 px.
@pytest.mark.parametrize(("size", "normal"), [((1024, 768), 0.45), ((1280, 720), 0.8)])
def test_projector_gives_the_surface_most_of_the_screen(
    browser: Any, server_url: str, artifacts: Path, size: tuple[int, int], normal: float
) -> None:
    w, h = size
    ctx = browser.new_context(viewport={"width": w, "height": h}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#{COMPARE}&{FAST}")
        wait_done(pg)
        wait_fitted(pg)
        boxes = pg.evaluate(BOXES)
        assert boxes["#panel"] is not None  # the drawer opens by default
        assert boxes["#surface-box"]["h"] >= normal * h
        pg.screenshot(path=str(artifacts / f"layout-{w}x{h}.png"))

        pg.click("#projector")  # large type; the drawer folds away
        wait_hash(pg, "big=1", "panel=0")
        assert pg.get_attribute("#panel-toggle", "aria-expanded") == "false"
        wait_fitted(pg)
        boxes = pg.evaluate(BOXES)
        assert boxes["#panel"] is None
        surface, loss, table = boxes["#surface-box"], boxes["#loss-box"], boxes["#summary"]
        assert surface["h"] >= 0.6 * h
        assert surface["w"] >= 0.55 * w
        for other in (loss, table, boxes[".player"]):
            assert not overlap(surface, other)
        assert not overlap(loss, table)
        assert loss["y"] + loss["h"] <= h + 1 and surface["y"] + surface["h"] <= h + 1
        labels = pg.evaluate(LABELS)
        assert len(labels["legend"]) == 5  # the minimum and every run
        no_overlaps(labels["legend"], labels["colorbar"])
        no_overlaps(labels["lossTitle"], labels["lossTicks"] + labels["lossX"])
        pg.screenshot(path=str(artifacts / f"projector-{w}x{h}.png"))
    finally:
        ctx.close()


def test_the_drawer_folds_and_is_remembered_in_the_url(page: Any) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/#{COMPARE}&{FAST}")
    wait_done(page)
    # the optimiser cards start above the fold on a laptop
    card = page.locator(".card").first.bounding_box()
    assert card is not None and card["y"] + 60 < 900
    before = page.evaluate(BOXES)["#surface-box"]["w"]
    page.click("#panel-toggle")
    wait_hash(page, "panel=0")
    assert page.locator("#panel").is_hidden()
    wait_fitted(page)
    assert page.evaluate(BOXES)["#surface-box"]["w"] > before + 200
    page.reload()
    wait_done(page)
    assert page.locator("#panel").is_hidden()
    assert page.get_attribute("#panel-toggle", "aria-expanded") == "false"
    page.click("#panel-toggle")
    assert page.locator("#panel").is_visible()
    page.wait_for_function("() => !location.hash.includes('panel=0')")
    assert page.console.errors == []


def test_full_screen_button(page: Any) -> None:
    page.goto(f"/#{COMPARE}&{FAST}")
    wait_done(page)
    button = page.locator("#fullscreen")
    if not page.evaluate("() => document.fullscreenEnabled"):
        assert button.is_hidden()
        return
    button.click()
    page.wait_for_function("() => document.fullscreenElement === document.documentElement")
    expect(button).to_have_attribute("aria-pressed", "true")
    button.click()
    page.wait_for_function("() => document.fullscreenElement === null")
    expect(button).to_have_attribute("aria-pressed", "false")


def test_lecture_caption_fits_in_projector_mode(
    browser: Any, server_url: str, artifacts: Path
) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto("/#lecture=duke-bowl-momentum")
        pg.wait_for_selector("#lecture[data-step=duke-bowl-momentum]")
        wait_done(pg)
        pg.click("#projector")
        wait_hash(pg, "big=1", "panel=0")
        wait_fitted(pg)
        caption = pg.locator("#lecture").bounding_box()
        figure = pg.evaluate(BOXES)["#surface-box"]
        assert caption is not None and caption["y"] + caption["height"] <= 721
        assert not overlap(caption, figure)
        # the caption's text is all there to read (scrolls if long, never cut off unseen)
        assert pg.locator(".lecture-step-title").is_visible()
        assert figure["h"] >= 0.6 * 720
        pg.screenshot(path=str(artifacts / "lecture-projector-1280x720.png"))
    finally:
        ctx.close()


def test_phone_keeps_the_plot_in_view_while_a_slider_moves(
    browser: Any, server_url: str, artifacts: Path
) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#surface=quadratic&opt=gd(lr:0.009)&opt=momentum(lr:0.001)&{FAST}")
        wait_done(pg)
        assert pg.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        lr = pg.locator('.card [data-field="optimizers.0.params.lr"] input[type=range]')
        # the first card is reachable: within two screens of the top
        assert (
            pg.evaluate(
                "() => document.querySelector('.card').getBoundingClientRect().top + scrollY"
            )
            < 2 * 844
        )
        lr.focus()  # (focus scrolls the slider into view below the plot)
        first = run_id(pg)
        pg.keyboard.press("ArrowRight")
        wait_done(pg, after_run=first)
        plot = pg.locator("#surface-box").bounding_box()
        slider = lr.bounding_box()
        assert pg.evaluate("() => scrollY") > 500  # scrolled down to the card...
        assert plot is not None and slider is not None
        assert plot["y"] >= 0 and plot["y"] + plot["height"] <= slider["y"]  # ...the plot above it
        assert slider["y"] + slider["height"] <= 844
        pg.screenshot(path=str(artifacts / "phone-slider.png"))
    finally:
        ctx.close()


# The player bar's controls: each one's row (the clock, or the tools) and its vertical centre.
PLAYER_ROWS = (
    "() => [...document.querySelectorAll('.player > button, .player > input, .player > output,"
    " .player > select, .player-tools button')].filter((e) => e.offsetParent).map((e) =>"
    " [e.closest('.player-tools') ? 'tools' : 'clock',"
    " e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2])"
)


@pytest.mark.parametrize(
    ("size", "hash_"),
    [((1920, 1080), COMPARE), ((1280, 720), COMPARE), ((1024, 768), "lecture=line-fit-sgd")],
)
def test_the_player_bar_keeps_the_clock_on_one_row_and_the_tools_on_one(
    page: Any, size: tuple[int, int], hash_: str
) -> None:
    """Where the bar is too narrow for everything, the tools move to a row of their own as a
    block, never one control at a time (the speed once wrapped alone under the clock)."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"/#{hash_}&{FAST}")
    wait_done(page)
    rows: dict[str, list[float]] = {}
    for name, centre in page.evaluate(PLAYER_ROWS):
        rows.setdefault(name, []).append(centre)
    for centres in rows.values():
        assert max(centres) - min(centres) < 4, rows  # one row each
    assert min(rows["clock"]) <= min(rows["tools"])


# Each run's name in the status table: its text's width and the width its cell shows.
NAME_CELLS = """() => [...document.querySelectorAll('#summary tbody td:first-child')].map((td) =>
  [td.textContent.trim(), td.scrollWidth, td.clientWidth])"""


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768), (1920, 1080)])
def test_the_status_table_shows_each_run_s_whole_name(page: Any, size: tuple[int, int]) -> None:
    """A long label wraps in its cell: cut, "…(EWA) lr=0.01" once read "…(EWA) lr=0.0"."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(
        f"/#surface=quadratic&opt=ewa-momentum(lr:0.01)&opt=gd(lr:0.1)~inverse_time(t1:50)&{FAST}"
    )
    wait_done(page)
    cells = page.evaluate(NAME_CELLS)
    assert len(cells) == 2
    for name, scroll, client in cells:
        assert "lr=0." in name
        assert scroll <= client + 1, (name, scroll, client)


@pytest.mark.parametrize("extra", ["", "&big=1", "&panel=0&big=1"])
def test_a_link_to_a_lecture_step_opens_its_preset_as_shown(page: Any, extra: str) -> None:
    """#lecture=<id> opens that step's preset afresh, also with keys of how the page is shown
    (projector, the drawer folded): a lecturer's link to a step on the projector."""
    page.goto(f"/#lecture=line-fit-sgd{extra}")
    page.wait_for_function("() => window.descentlab?.runs.length > 0")  # (the step's run asked)
    state = page.evaluate(
        "() => { const s = window.descentlab.store.state;"
        " return [s.surface, s.opts.map((o) => o.id), s.big, s.panel]; }"
    )
    assert state == ["line-fit-sgd", ["gd"], "big=1" in extra, "panel=0" not in extra]


LECTURE_BOXES = """() => Object.fromEntries(
  ['#surface-box', '#datapanel', '#loss-box', '#summary', '.player', '#lecture']
  .filter((s) => document.querySelector(s).offsetParent)
  .map((s) => { const r = document.querySelector(s).getBoundingClientRect();
    return [s, {x: r.x, y: r.y, w: r.width, h: r.height}]; }))"""


# The contour's plot area, measured without the layouts this tests: 2 and 116 px for the data-fit
# step (the data panel, the status table and the loss plot each took a column beside it), and
# 154 px for the bowl at 1024 px (the status and the loss plot a column beside it).
@pytest.mark.parametrize(
    ("step", "size", "plot"),
    [
        ("line-fit-sgd", (1024, 768), 185),
        ("line-fit-sgd", (1280, 720), 280),
        ("duke-bowl-momentum", (1024, 768), 210),
    ],
)
def test_a_lecture_on_the_projector_keeps_the_surface_large(
    browser: Any, server_url: str, artifacts: Path, step: str, size: tuple[int, int], plot: int
) -> None:
    """A lecture step in projector mode at a projector's resolution: on a data-fit surface the
    data panel and the loss plot stack beside the surface, the status under it; elsewhere below
    1200 px the status and the loss plot go under the surface. Nothing overlaps, nothing is cut."""
    w, h = size
    ctx = browser.new_context(viewport={"width": w, "height": h}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#lecture={step}")
        wait_done(pg)
        pg.click("#projector")
        wait_hash(pg, "big=1", "panel=0")
        wait_fitted(pg)
        boxes = pg.evaluate(LECTURE_BOXES)
        names = list(boxes)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                assert not overlap(boxes[a], boxes[b]), (a, b, boxes)
            assert boxes[a]["x"] + boxes[a]["w"] <= w + 1 and boxes[a]["y"] + boxes[a]["h"] <= h + 1
        area = pg.locator("#contour .nsewdrag").bounding_box()
        assert area is not None and min(area["width"], area["height"]) >= plot, area
        # the caption's buttons hold their labels ("Next →" ran past the caption at 1024 px)
        clipped = pg.evaluate(
            "() => [...document.querySelectorAll('#lecture button')].filter((b) => b.offsetParent"
            " && (b.scrollWidth > b.clientWidth + 1 || b.getBoundingClientRect().right >"
            " document.querySelector('#lecture').getBoundingClientRect().right)).map((b) =>"
            " b.textContent)"
        )
        assert clipped == []
        pg.screenshot(path=str(artifacts / f"lecture-projector-{step}-{w}x{h}.png"))
        if "#datapanel" not in boxes:
            return
        data, loss = boxes["#datapanel"], boxes["#loss-box"]
        assert data["y"] + data["h"] <= loss["y"] and data["h"] >= 0.28 * h  # the data above
        # the data panel's title is within the panel and above its plot
        title = pg.locator("#datapanel .gtitle").bounding_box()
        assert title is not None
        assert data["x"] <= title["x"] and title["x"] + title["width"] <= data["x"] + data["w"]
        top_tick = min(t.bounding_box()["y"] for t in pg.locator("#datapanel .ytick text").all())
        assert title["y"] >= data["y"] and title["y"] + title["height"] <= top_tick
    finally:
        ctx.close()


def test_a_view_on_a_wide_projector_shares_the_width_with_the_surface(
    browser: Any, server_url: str, artifacts: Path
) -> None:
    """Projector mode at 1920x1080 with the lecture's caption and a view open: the surface and
    the view take the width, each about half (three columns left each a third), with the
    status and the loss plot under them; the view's type is the projector's."""
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#lecture=duke-bowl-momentum&big=1&panel=0&show=basins&basins=n:30&{FAST}")
        wait_done(pg)
        pg.wait_for_function(
            "() => document.getElementById('basins-fig')?.dataset.state === 'done'"
        )
        wait_fitted(pg)
        boxes = pg.evaluate(
            """() => Object.fromEntries(['#surface-box', '#viewpanel', '#loss-box', '#summary']
              .map((s) => { const r = document.querySelector(s).getBoundingClientRect();
                return [s, {x: r.x, y: r.y, w: r.width, h: r.height}]; }))"""
        )
        figs = pg.evaluate("() => document.querySelector('.figures').getBoundingClientRect().width")
        surface, view = boxes["#surface-box"], boxes["#viewpanel"]
        assert surface["w"] >= 0.45 * figs and view["w"] >= 0.45 * figs
        for under in (boxes["#loss-box"], boxes["#summary"]):
            assert under["y"] >= max(surface["y"] + surface["h"], view["y"] + view["h"]) - 1
        sizes = pg.evaluate(
            "() => [...document.querySelectorAll('#basins-fig .xtick text')]"
            ".map((e) => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert sizes and min(sizes) >= 16, sizes
        pg.screenshot(path=str(artifacts / "projector-view-1920x1080.png"))
    finally:
        ctx.close()


# The text of each cell of the status table's header row, as drawn (a cell's text may overflow it).
HEADER_TEXT = """() => [...document.querySelectorAll('#summary thead th')].map((th) => {
  const r = document.createRange(); r.selectNodeContents(th);
  const b = r.getBoundingClientRect();
  return {text: th.textContent.trim(), x: b.x, y: b.y, w: b.width, h: b.height}; })"""


@pytest.mark.parametrize(
    ("size", "hash_"),
    [
        ((1024, 768), "lecture=line-fit-sgd&big=1&panel=0"),
        ((1280, 720), "lecture=duke-bowl-momentum&big=1&panel=0"),
        ((1280, 720), f"{COMPARE}&big=1&panel=0"),
        ((1024, 768), f"{COMPARE}&big=1"),
    ],
)
def test_the_status_table_s_headings_never_run_into_each_other(
    page: Any, size: tuple[int, int], hash_: str
) -> None:
    """In projector mode "status" ran into "loss (step 75)" where the table was narrow."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"/#{hash_}&{FAST}")
    wait_done(page)
    cells = page.evaluate(HEADER_TEXT)
    assert len(cells) >= 3
    for i, a in enumerate(cells):
        no_overlaps([a], cells[i + 1 :])
