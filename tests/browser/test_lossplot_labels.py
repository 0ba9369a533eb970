"""The loss plot's own words: its log axis labels every tick as a power of ten (10ⁿ), never
"1e+3" beside "100", and never lets them touch however short the plot; a minibatch run's key
keeps to one line, clear of the plot's tools, with the whole key on hover and in the figure's
description. Positions are read from the page (bounding boxes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, open_app, wait_done, wait_fitted

pytestmark = pytest.mark.browser

LINE_FIT = "lecture=line-fit-sgd"

# Each y tick label the loss plot shows (Plotly hides one cut at the figure's edge): text and box.
TICKS = """() => [...document.querySelectorAll('#lossbase .ytick text')].filter((e) =>
  e.getBoundingClientRect().height > 0).map((e) => {
  const r = e.getBoundingClientRect();
  return {text: e.textContent.replaceAll('\\u200b', ''),
    x: r.x, y: r.y, w: r.width, h: r.height}; })"""

POWER = re.compile(r"^10−?\d+$")  # "10<sup>−3</sup>" read as text


def boxes_apart(boxes: list[dict[str, Any]]) -> None:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a["y"] + a["h"] <= b["y"] + 0.5 or b["y"] + b["h"] <= a["y"] + 0.5
            assert apart, (a, b)


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] + a["width"] > b["x"]
        and b["x"] + b["width"] > a["x"]
        and a["y"] + a["height"] > b["y"]
        and b["y"] + b["height"] > a["y"]
    )


def open_at(browser: Any, server_url: str, size: tuple[int, int], hash_: str) -> Any:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server_url)
    pg = ctx.new_page()
    pg.goto("/#" + hash_)
    wait_done(pg)
    wait_fitted(pg)
    return pg


def test_log_axis_labels_are_powers_of_ten(page: Any) -> None:
    open_app(page)  # Rosenbrock: f − f_min from ~10² down to ~10⁻³
    ticks = page.evaluate(TICKS)
    assert len(ticks) >= 4
    assert all(POWER.match(t["text"]) for t in ticks), [t["text"] for t in ticks]
    boxes_apart(ticks)
    assert page.console.errors == []


@pytest.mark.parametrize(
    ("size", "hash_"),
    [
        ((1024, 768), f"{LINE_FIT}&big=1"),
        ((1280, 720), f"{LINE_FIT}&big=1"),
        ((1024, 768), f"{FAST}&big=1"),
        ((390, 844), LINE_FIT),
        ((1920, 1080), LINE_FIT),
    ],
)
def test_log_axis_labels_never_touch_however_short_the_plot(
    browser: Any, server_url: str, artifacts: Path, size: tuple[int, int], hash_: str
) -> None:
    pg = open_at(browser, server_url, size, hash_)
    try:
        ticks = pg.evaluate(TICKS)
        assert ticks, "no label on the loss axis"
        assert all(POWER.match(t["text"]) for t in ticks), [t["text"] for t in ticks]
        boxes_apart(ticks)
        # fewer labels where the plot is short: every one inside the figure
        loss = pg.locator("#loss-box").bounding_box()
        for t in ticks:
            assert loss["y"] - 1 <= t["y"] and t["y"] + t["h"] <= loss["y"] + loss["height"] + 1
        name = "big" if "big=1" in hash_ else "normal"
        pg.locator("#loss-box").screenshot(
            path=str(artifacts / f"loss-labels-{name}-{size[0]}x{size[1]}.png")
        )
        # the linear axis: one notation too, and apart
        pg.click("#loss-log")
        pg.wait_for_function(
            "() => document.querySelector('#lossbase').layout.yaxis.type === 'linear'"
        )
        wait_fitted(pg)
        linear = pg.evaluate(TICKS)
        texts = [t["text"] for t in linear]
        assert texts and not any("e" in t for t in texts), texts
        boxes_apart(linear)
    finally:
        pg.context.close()


# The key annotation's box, and the boxes it must keep clear of.
KEY = """() => { const r = (e) => { const b = e.getBoundingClientRect();
    return {x: b.x, y: b.y, width: b.width, height: b.height}; };
  return {key: r(document.querySelector('#lossbase .annotation-text')),
    tools: r(document.querySelector('#ewa-ctl')), log: r(document.querySelector('#loss-log')),
    fig: r(document.querySelector('#loss-box')),
    ticks: [...document.querySelectorAll('#lossbase .ytick text')].map(r)}; }"""


@pytest.mark.parametrize(
    ("size", "big"),
    [((1024, 768), True), ((1280, 720), True), ((1024, 768), False), ((1280, 720), False)],
)
def test_the_data_fit_key_keeps_to_one_line(
    browser: Any, server_url: str, artifacts: Path, size: tuple[int, int], big: bool
) -> None:
    pg = open_at(browser, server_url, size, LINE_FIT + ("&big=1" if big else ""))
    try:
        box = pg.evaluate(KEY)
        key_font = 16 if big else 11
        assert box["key"]["height"] <= 1.7 * key_font, box["key"]  # one line
        fig = box["fig"]
        assert (
            fig["x"] <= box["key"]["x"]
            and box["key"]["x"] + box["key"]["width"] <= fig["x"] + fig["width"]
        )
        for other in [box["tools"], box["log"], *box["ticks"]]:
            assert not overlap(box["key"], other), (box["key"], other)
        # the whole key: on hover, and in the figure's description
        full = pg.evaluate(
            "() => document.querySelector('#lossbase').layout.annotations[0].hovertext"
        )
        described = pg.locator("#loss-key").text_content() or ""
        for part in ("thick: full loss", "minibatch loss × n (n = 100,000)", "squares: epoch mean"):
            assert part in full and part in described
        assert "loss-key" in (pg.get_attribute("#loss-box", "aria-describedby") or "")
        name = "big" if big else "normal"
        pg.screenshot(path=str(artifacts / f"loss-key-{name}-{size[0]}x{size[1]}.png"))
    finally:
        pg.context.close()


def test_the_colour_bar_labels_its_decades_as_the_loss_axis_does(page: Any) -> None:
    """The surface's log colour bar read "1e2 1e1 1e0" beside the loss axis's 10²."""
    open_app(page)  # Rosenbrock: log contours
    labels = page.evaluate(
        "() => [...document.querySelectorAll('#contour .colorbar .cbaxis text, "
        "#contour .colorbar text.ytick, #contour .colorbar .ytick text')]"
        ".map((e) => e.textContent.replaceAll('\\u200b', ''))"
    )
    assert len(labels) >= 3
    assert all(POWER.match(t) for t in labels), labels


def test_a_short_loss_plot_leaves_log_to_its_toggle(browser: Any, server_url: str) -> None:
    """At 1024x768 with the lecture's caption in projector mode the loss plot is ~130 px tall:
    "f − fmin (log)" ran past its top; there the title is "f − fmin" (the toggle says log)."""
    pg = open_at(browser, server_url, (1024, 768), "lecture=duke-bowl-momentum&big=1&panel=0")
    try:
        title = pg.locator("#lossbase .ytitle")
        plot = pg.locator("#lossbase .nsewdrag").bounding_box()
        box = title.bounding_box()
        assert plot is not None and box is not None
        assert (title.text_content() or "").replace("\u200b", "") == "f − fmin"
        assert (
            box["y"] >= plot["y"] - 1 and box["y"] + box["height"] <= plot["y"] + plot["height"] + 1
        )
        assert pg.get_attribute("#loss-log", "aria-pressed") == "true"
    finally:
        pg.context.close()
