"""Controls worth dragging (issue 16): number boxes that never clip, wide log sliders with
fine steps around their value, typed values kept, and the 2/λmax hint on the cards it fits."""

from __future__ import annotations

from typing import Any

import pytest
from uiutil import FAST, open_app, type_value, wait_hash

pytestmark = pytest.mark.browser

SMALL = f"surface=rosenbrock&opt=gd(lr:0.000001)&opt=adam(lr:0.000001,eps:0.00000001)&{FAST}"

# each visible number box: its field, its text, and whether its text fits
BOXES = """() => [...document.querySelectorAll('.ctl input.num')].filter((b) => b.offsetParent)
  .map((b) => [b.closest('.ctl').dataset.field, b.value, b.scrollWidth <= b.clientWidth])"""


@pytest.mark.parametrize("size", [(1280, 720), (390, 844)])
def test_number_boxes_never_clip(page: Any, size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_app(page, SMALL)
    page.locator("#cards details").first.evaluate("d => { d.open = true; }")
    boxes = page.evaluate(BOXES)
    shown = {f: v for f, v, _ in boxes}
    assert shown["optimizers.0.params.lr"] == "1.00e-6"
    assert shown["optimizers.1.params.eps"] == "1.00e-8"
    assert [b for b in boxes if not b[2]] == []
    # the longest text the formatter makes fits too
    for text in ["-1.23e-10", "0.0093712", "-0.001234"]:
        box = page.locator('[data-field="optimizers.0.params.lr"] input.num')
        box.fill(text)
        assert box.evaluate("b => b.scrollWidth <= b.clientWidth"), text
    assert page.console.errors == []


def test_lr_slider_is_wide_and_fine(page: Any) -> None:
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&{FAST}")
    rng = page.locator('[data-field="optimizers.0.params.lr"] input[type=range]')
    width, lo, hi, step = rng.evaluate("r => [r.clientWidth, +r.min, +r.max, +r.step]")
    card = page.locator("#cards .card").first.evaluate("c => c.clientWidth")
    assert width > 0.85 * card  # the track has the card's width
    assert width / (hi - lo) >= 100  # px per decade
    assert 10 ** ((hi - lo) / width) < 1.05  # 1 px: under 5%
    assert 10**step < 1.05  # one arrow key: under 5%
    # one arrow key press moves lr by a few percent, not 2x
    rng.focus()
    page.keyboard.press("ArrowRight")
    lr = float(page.locator('[data-field="optimizers.0.params.lr"] input.num').input_value())
    assert 1.0 < lr / 0.001 < 1.05
    wait_hash(page, f"lr:{lr:g}")
    # the window's ends are written under the track, and follow it when a typed value moves it
    ends = page.locator('[data-field="optimizers.0.params.lr"] .ends')

    def shown_ends() -> list[float]:
        return [float(v) for v in ends.inner_text().split()]

    assert shown_ends() == pytest.approx([10**lo, 10**hi], rel=0.01)
    assert shown_ends() == pytest.approx([1e-4, 1e-2], rel=0.01)
    type_value(page, '[data-field="optimizers.0.params.lr"]', "0.2")
    page.wait_for_function("() => window.descentlab.store.state.opts[0].p.lr === 0.2")
    lo, hi = rng.evaluate("r => [+r.min, +r.max]")
    assert shown_ends() == pytest.approx([10**lo, 10**hi], rel=0.01)
    assert shown_ends() == pytest.approx([0.02, 2], rel=0.01)


def test_typed_value_survives_rerender(page: Any) -> None:
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&{FAST}")
    err = type_value(page, '[data-field="optimizers.0.params.lr"]', "0.00937")
    assert err.is_hidden()
    wait_hash(page, "lr:0.00937")
    page.select_option("#add-opt", "adam")
    page.click("#add-btn")  # the cards are built afresh
    page.wait_for_selector("#cards .card:nth-child(2)")
    box = page.locator('[data-field="optimizers.0.params.lr"] input.num')
    assert box.input_value() == "0.00937"
    # the slider's window is re-centred on the typed value
    rng = page.locator('[data-field="optimizers.0.params.lr"] input[type=range]')
    lo, hi, pos = rng.evaluate("r => [+r.min, +r.max, +r.value]")
    assert lo < pos < hi
    assert page.evaluate("window.descentlab.store.state.opts[0].p.lr") == 0.00937


def test_lr_bound_on_gd_like_cards_only(page: Any) -> None:
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&opt=adam(lr:0.05)&{FAST}")
    page.wait_for_selector("#app[data-analysis=ready]")
    assert page.locator('[data-lr-bound="0"]').is_visible()
    assert page.locator('.card[data-index="1"] [data-lr-bound]').count() == 0
    for rule in ["gd", "momentum"]:
        page.select_option("#add-opt", rule)
        page.click("#add-btn")
    page.wait_for_selector('.card[data-index="3"]')
    gd = page.locator('[data-lr-bound="2"]')
    page.wait_for_function("() => !document.querySelector('[data-lr-bound=\"2\"]').hidden")
    assert "lr < 2/λmax = 0.001997" in gd.inner_text()
    assert "lr < 2/λmax = 0.001997" in page.locator('[data-lr-bound="0"]').inner_text()
    mom = page.locator('[data-lr-bound="3"]').inner_text()
    assert mom.startswith("For plain GD")
    assert page.locator('.card[data-index="1"] [data-lr-bound]').count() == 0  # Adam
    assert page.console.errors == []
