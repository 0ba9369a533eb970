"""A comma typed into a number box never changes a value without a word. Chromium drops it from
an <input type=number> ("1,5" read as 15), so these tests type real keystrokes: where the box
takes decimals and has no point yet the comma is the decimal point, shown as one; a whole-number
box (where "1,000" may mean a thousand) refuses the number, saying why, until it is edited.
"""

from __future__ import annotations

from typing import Any

import pytest
from uiutil import FAST, open_app, run_id, wait_done

pytestmark = pytest.mark.browser

SETUP = f"surface=rosenbrock&steps=200&opt=gd(lr:0.001)&opt=momentum(lr:0.001,momentum:0.9)&{FAST}"
LR = '[data-field="optimizers.0.params.lr"]'
MOMENTUM = '[data-field="optimizers.1.params.momentum"]'


def keys(page: Any, box: str, text: str) -> None:
    """Select the box's text and type ``text`` key by key, then Enter."""
    page.click(box)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def state(page: Any, js: str) -> Any:
    return page.evaluate(f"() => window.descentlab.store.state.{js}")


def test_a_comma_in_a_decimal_box_is_its_decimal_point(page: Any) -> None:
    open_app(page, SETUP)
    first = run_id(page)
    keys(page, f"{LR} input.num", "0,005")
    wait_done(page, after_run=first)
    assert state(page, "opts[0].p.lr") == 0.005
    assert page.input_value(f"{LR} input.num") == "0.005"
    second = run_id(page)
    keys(page, f"{MOMENTUM} input.num", "0,5")
    wait_done(page, after_run=second)
    assert state(page, "opts[1].p.momentum") == 0.5
    assert page.locator(".panel .err:not([hidden])").count() == 0
    assert page.console.errors == []


def test_a_second_decimal_mark_is_refused_naming_the_comma(page: Any) -> None:
    open_app(page, SETUP)
    keys(page, f"{MOMENTUM} input.num", "0.5,1")  # read by the box as 0.51
    err = page.locator(f"{MOMENTUM} .err")
    err.wait_for(state="visible")
    assert "comma" in err.inner_text() and "1.5" in err.inner_text()
    assert state(page, "opts[1].p.momentum") == 0.9  # unchanged
    assert page.get_attribute(f"{MOMENTUM} input.num", "aria-invalid") == "true"


def test_a_whole_number_box_refuses_a_comma_until_it_is_edited(page: Any) -> None:
    open_app(page, SETUP)
    first = run_id(page)
    keys(page, "#steps", "1,000")  # read by the box as 1000, a valid number of steps
    err = page.locator('[data-field="max_steps"] .err')
    err.wait_for(state="visible")
    assert "comma" in err.inner_text() and "1000" in err.inner_text()
    page.wait_for_timeout(300)
    assert state(page, "steps") == 200 and run_id(page) == first  # nothing run
    keys(page, "#steps", "1,5")  # (not 15)
    assert state(page, "steps") == 200
    # typed again without one, it is read
    keys(page, "#steps", "300")
    wait_done(page, after_run=first)
    assert state(page, "steps") == 300
    assert page.get_attribute("#steps", "aria-invalid") == "false"


def test_a_pasted_comma_is_the_decimal_point_where_a_typed_one_would_be(page: Any) -> None:
    open_app(page, SETUP)
    first = run_id(page)
    page.click("#start-x")
    page.keyboard.press("Control+A")
    page.evaluate(
        """() => { const dt = new DataTransfer(); dt.setData('text', '-0,25');
          document.querySelector('#start-x').dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})); }"""
    )
    page.keyboard.press("Enter")
    wait_done(page, after_run=first)
    assert state(page, "start[0]") == -0.25
