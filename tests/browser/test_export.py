"""The Export menu (one Tab stop for every export: a menu button with its keyboard) and the
exports it offers that the page composes itself."""

from __future__ import annotations

from typing import Any

import pytest
from test_a11y import violations
from uiutil import FAST, open_app

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
