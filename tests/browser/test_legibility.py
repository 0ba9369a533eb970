"""Figures that never mislead (issue 16): path colours with at least 3:1 contrast on white and a
dash and marker per run, so colour is never the only cue; labels that name every
hyperparameter in which two runs of one optimiser differ; the loss plot as f − f_min on a log
axis when the minimum is known, with a log / linear toggle; and no Plotly button that sends a
figure to a third party.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, open_app, wait_hash

pytestmark = pytest.mark.browser

COMPARE = (
    "surface=quadratic&opt=gd(lr:0.009)&opt=momentum(lr:0.001,momentum:0.9)"
    "&opt=momentum(lr:0.001,momentum:0.5)&opt=adam(lr:0.05)"
)

# The palette module's exports, imported by the page from the URL it preloads.
PALETTE = """async () => {
  const href = document.querySelector('link[rel=modulepreload][href$="/palette.js"]').href;
  const m = await import(href);
  return {colours: m.PALETTE, dashes: m.DASHES, symbols: m.SYMBOLS};
}"""


# The loss plot's y title is `text` (Plotly puts zero-width spaces around a subscript).
YTITLE = """(text) => { const t = document.querySelector('#lossbase .ytitle');
  return Boolean(t) && t.textContent.replace(/\u200b/g, '') === text; }"""


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of an #rrggbb colour."""
    rgb = [int(hex_colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_on_white(hex_colour: str) -> float:
    return 1.05 / (luminance(hex_colour) + 0.05)


def test_luminance_matches_wcag_examples() -> None:
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#ffffff") == pytest.approx(1.0)
    assert contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)


def test_every_run_has_a_contrasting_colour_a_dash_and_a_marker(page: Any, artifacts: Path) -> None:
    open_app(page, f"{COMPARE}&{FAST}")
    pal = page.evaluate(PALETTE)
    assert len(pal["colours"]) == len(pal["dashes"]) == len(pal["symbols"]) == 8
    for c in pal["colours"]:
        assert re.fullmatch(r"#[0-9a-fA-F]{6}", c)
        assert contrast_on_white(c) >= 3.0, c
    assert len({c.lower() for c in pal["colours"]}) == 8
    assert len(set(pal["dashes"])) == 8 and len(set(pal["symbols"])) == 8
    # on the figures: each run's line has its own dash, its current point its own marker
    styles = page.evaluate(
        """() => window.descentlab.paths().filter((t) => t.meta && t.meta.best)
          .map((t) => [t.dash, t.color])"""
    )
    assert len(styles) == 4 and len({d for d, _ in styles}) == 4
    loss = page.evaluate(
        """() => window.descentlab.losses()
          .filter((t) => t.meta && t.meta.kind === 'loss').map((t) => t.dash)"""
    )
    assert len(set(loss)) == 4
    # the rendered SVG carries the dashes (Plotly drew them), and the table shows each key
    dashed = page.locator("#surface-stage .pathlayer path[stroke-dasharray]")
    assert dashed.count() >= 3
    assert page.locator("#summary svg.key line[stroke-dasharray]").count() == 3
    page.screenshot(path=str(artifacts / "legibility.png"))
    assert page.console.errors == []


def test_labels_name_every_hyperparameter_that_differs(page: Any) -> None:
    open_app(page, f"{COMPARE}&{FAST}")
    names = page.locator("#summary tbody td:first-child").all_inner_texts()
    names = [n.strip() for n in names]
    assert names == [
        "Gradient descent lr=0.009",
        "Momentum lr=0.001 momentum=0.9",
        "Momentum lr=0.001 momentum=0.5",
        "Adam lr=0.05",
    ]
    legend = page.locator("#surface-legend .name").all_text_contents()
    assert "Momentum lr=0.001 momentum=0.5" in legend


# The loss layer's plot area and ranges against those of the axes Plotly drew: [layer, Plotly],
# each [left, top, width, height, x range, y range, log y].
LOSS_AXES = """() => {
  const v = window.descentlab.lossBox(), gd = document.querySelector('#lossbase');
  const rect = (e) => { const r = e.getBoundingClientRect();
    return [r.left, r.top, r.width, r.height]; };
  return [[...rect(document.querySelector('#loss-box .pathlayer .area')), v.x, v.y, v.log],
    [...rect(gd.querySelector('.bglayer .bg')), gd.layout.xaxis.range, gd.layout.yaxis.range,
      gd.layout.yaxis.type === 'log']];
}"""


def assert_loss_curves_on_the_axes(page: Any) -> None:
    layer, axes = page.evaluate(LOSS_AXES)
    assert layer[:4] == pytest.approx(axes[:4], abs=0.5)
    assert layer[4:6] == [pytest.approx(axes[4]), pytest.approx(axes[5])]
    assert layer[6] == axes[6]


def test_loss_plot_shows_the_gap_to_the_minimum_with_a_log_linear_toggle(page: Any) -> None:
    # the nightmare's minimum is negative (-1.0578): the raw loss could not go on a log axis
    open_app(page, f"surface=nightmare&opt=gd(lr:0.1)&start=-2.5,0.5&{FAST}")
    page.wait_for_function(YTITLE, arg="f − fmin (log)")
    gap = page.evaluate(
        """() => { const t = window.descentlab.losses()
            .find((t) => t.meta && t.meta.kind === 'loss');
          const loss = window.descentlab.runs.tracks[0].loss;
          return [t.y.at(-1), loss.at(-1)]; }"""
    )
    assert gap[0] > 0 and gap[1] < 0
    assert gap[0] == pytest.approx(gap[1] + 1.0577, abs=2e-3) or gap[0] < 1e-12
    assert page.get_attribute("#loss-log", "aria-pressed") == "true"
    assert_loss_curves_on_the_axes(page)
    # the toggles are clear of Plotly's tool bars, shown while the pointer is over a figure
    for toggle, figure in [("#loss-log", "#lossbase"), ("#equal-scale", "#contour")]:
        page.hover(figure)
        bar = page.locator(f"{figure} .modebar").bounding_box()
        box = page.locator(toggle).bounding_box()
        assert bar and box, toggle
        apart = box["y"] >= bar["y"] + bar["height"] or box["x"] + box["width"] <= bar["x"]
        assert apart, (toggle, box, bar)
    page.click("#loss-log")
    wait_hash(page, "loss=linear")
    page.wait_for_function(YTITLE, arg="f − fmin")
    assert page.get_attribute("#loss-log", "aria-pressed") == "false"
    assert_loss_curves_on_the_axes(page)
    page.reload()
    page.wait_for_selector("#app[data-status=done]")
    page.wait_for_function(YTITLE, arg="f − fmin")
    page.click("#loss-log")
    page.wait_for_function("() => !location.hash.includes('loss=linear')")
    page.wait_for_function(YTITLE, arg="f − fmin (log)")
    assert page.console.errors == []


def test_no_plotly_button_sends_a_figure_away(page: Any) -> None:
    open_app(page, f"{COMPARE}&{FAST}")
    page.hover("#contour")
    page.hover("#lossbase")
    titles = page.evaluate(
        """() => ['#contour', '#lossbase'].map((s) => [...document.querySelectorAll(
          `${s} .modebar-btn`)].map((b) => b.getAttribute('data-title') || ''))"""
    )
    for figure in titles:
        assert figure, "the figure has a tool bar (zoom, pan, reset)"
        for t in figure:
            assert not re.search(r"cloud|chart studio|share|edit in|plotly", t, re.I), t
    links = page.locator(".modebar a[href]")
    for k in range(links.count()):
        assert not re.search(r"plotly|chart-studio", links.nth(k).get_attribute("href") or "")


# The loss plot's tick labels: (text, left, top, right, bottom) of each, by axis.
LOSS_TICKS = """() => { const box = (e) => { const r = e.getBoundingClientRect();
    return [e.textContent, r.left, r.top, r.right, r.bottom]; };
  const ticks = (a) => [...document.querySelectorAll(`#lossbase .${a}tick text`)];
  return ['x', 'y'].map((a) => ticks(a).filter((e) => e.textContent).map(box)); }"""


@pytest.mark.parametrize("big", [False, True])
def test_the_lowest_loss_label_stands_apart_from_step_0(page: Any, big: bool) -> None:
    """A loss range that ends on a decade puts its label on the plot's corner, beside the step
    axis's 0: "0.01" and "0" read as "0.010" (and "1e−5", "0" as "1e−50")."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_app(page, f"{COMPARE}{'&big=1' if big else ''}&{FAST}")
    xs, ys = page.evaluate(LOSS_TICKS)
    assert xs and ys
    for _, l1, t1, r1, b1 in xs:
        for _, l2, t2, r2, b2 in ys:
            apart = max(l1 - r2, l2 - r1, t1 - b2, t2 - b1)  # the gap between the boxes
            assert apart >= 3, (xs, ys)


OSLO_SGD = (
    "surface=linear-regression&start=0,0&steps=500&seed=1&batch=5&sampling=replacement"
    "&epochs=50&gtol=off&opt=gd(lr:0.1)~inverse_time(t1:50)"
)


def test_a_short_loss_plot_labels_fewer_decades(page: Any) -> None:
    """At 1024x768 a minibatch run's key leaves the loss plot ~70 px for five decades: a label
    every decade overlapped the next; every other decade is labelled instead."""
    page.set_viewport_size({"width": 1024, "height": 768})
    open_app(page, f"{OSLO_SGD}&{FAST}")
    _, ys = page.evaluate(LOSS_TICKS)
    assert len(ys) >= 2
    ys.sort(key=lambda t: t[2])
    for upper, lower in pairwise(ys):
        assert lower[2] - upper[4] >= 1, ys  # a pixel or more between one label and the next
