"""Sharing: the link to what is on screen, and the figure alone as an embed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, open_app, wait_done

pytestmark = pytest.mark.browser

STATUS = "#share-dialog [role=status]"
HASH = f"surface=himmelblau&opt=gd(lr:0.01)&opt=adam(lr:0.1)&steps=80&{FAST}"


def test_share_gives_the_link_and_an_embed(page: Any, server_url: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    open_app(page, HASH)
    wait_done(page)
    page.click("#share")
    dialog = page.get_by_role("dialog", name="Share")
    link = dialog.get_by_label("link to this view").input_value()
    assert link == page.evaluate("() => location.href")
    embed = dialog.get_by_label("embed").input_value()
    assert embed.startswith('<iframe src="') and "embed=1" in embed
    assert 'title="DescentLab: Himmelblau' in embed
    assert "embed=1" not in link
    for button, text in (("Copy link", link), ("Copy embed code", embed)):
        page.evaluate("s => { document.querySelector(s).textContent = ''; }", STATUS)
        dialog.get_by_role("button", name=button).click()
        page.wait_for_function(
            "s => document.querySelector(s).textContent === 'Copied.'", arg=STATUS
        )
        assert page.evaluate("() => navigator.clipboard.readText()") == text
    dialog.get_by_role("button", name="Close").click()
    assert page.console.errors == []


def test_embed_shows_the_figure_alone(page: Any, artifacts: Path) -> None:
    page.set_viewport_size({"width": 960, "height": 600})
    open_app(page, f"{HASH}&embed=1")
    wait_done(page)
    for hidden in (".top", "#panel", "#summary", "#loss-box", "#inspect-toggle"):
        assert page.locator(hidden).is_hidden(), hidden
    box = page.locator("#surface-box").bounding_box()
    assert box is not None and box["width"] > 900 and box["height"] > 450
    assert len(page.evaluate("() => window.descentlab.paths()")) > 0
    full = page.get_by_role("link", name="Open in DescentLab")
    assert "embed=1" not in full.get_attribute("href")
    assert "surface=himmelblau" in full.get_attribute("href")
    page.screenshot(path=str(artifacts / "embed-960x600.png"))
    assert page.console.errors == []
