"""The page's video export: the dialog, the server's progress, the file that downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, export, open_app, wait_done

pytestmark = pytest.mark.browser


def test_video_of_the_runs_downloads_with_progress(page: Any, artifacts: Path) -> None:
    pytest.importorskip("imageio_ffmpeg")
    from PIL import Image

    open_app(page, f"surface=himmelblau&opt=gd(lr:0.01)&steps=60&{FAST}")
    wait_done(page)
    export(page, "video")
    dialog = page.get_by_role("dialog", name="Video of the runs")
    assert dialog.is_visible()
    dialog.get_by_label("format").select_option("gif")
    assert dialog.get_by_label("size").input_value() == "960x540"  # a GIF's default
    dialog.get_by_label("size").select_option("1280x720")
    dialog.get_by_label("seconds").fill("1")
    dialog.screenshot(path=str(artifacts / "video-dialog.png"))
    with page.expect_download(timeout=120_000) as download:
        dialog.get_by_role("button", name="Make video").click()
        page.wait_for_function(
            "() => !document.querySelector('#video progress').hidden", timeout=10_000
        )
    path = artifacts / "video.gif"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".gif")
    with Image.open(path) as gif:
        assert gif.size == (1280, 720)
        assert gif.n_frames > 10
    assert dialog.get_by_role("status").inner_text().startswith("Done: a GIF of ")
    assert page.locator("#video progress").evaluate("p => p.value") == 1
    dialog.get_by_role("button", name="Close").click()
    assert not dialog.is_visible()
    assert page.console.errors == []


def test_a_refused_video_names_the_field(page: Any) -> None:
    open_app(page, f"surface=himmelblau&opt=gd(lr:0.01)&steps=60&{FAST}")
    wait_done(page)
    export(page, "video")
    dialog = page.get_by_role("dialog", name="Video of the runs")
    # past the server's limit (the field's max is the limit: typed past it, the server says so)
    dialog.get_by_label("seconds").evaluate("el => { el.max = 1e6; el.value = 1000; }")
    dialog.get_by_role("button", name="Make video").click()
    status = dialog.get_by_role("status")
    page.wait_for_function(
        "() => document.querySelector('#video [role=status]').dataset.error === 'true'"
    )
    assert status.inner_text().startswith("seconds:")
    assert dialog.get_by_role("button", name="Make video").is_enabled()


def test_cancel_stops_the_video_and_the_server_deletes_it(page: Any) -> None:
    pytest.importorskip("imageio_ffmpeg")
    open_app(page, f"surface=himmelblau&opt=gd(lr:0.01)&steps=60&{FAST}")
    export(page, "video")
    dialog = page.get_by_role("dialog", name="Video of the runs")
    cancel = dialog.get_by_role("button", name="Cancel")
    assert not cancel.is_visible()
    dialog.get_by_label("seconds").fill("60")  # a minute at 1920 x 1080: long enough to stop
    with page.expect_response(lambda r: r.url.endswith("/api/animations")) as created:
        dialog.get_by_role("button", name="Make video").click()
    job = created.value.json()["id"]
    page.wait_for_function(
        "() => document.querySelector('#video [role=status]').textContent.startsWith('Rendering')",
        timeout=60_000,
    )
    cancel.click()
    assert dialog.get_by_role("status").inner_text() == "Cancelled."
    assert not cancel.is_visible() and dialog.get_by_role("button", name="Make video").is_enabled()
    assert page.evaluate("() => document.activeElement.dataset.video") == "make"
    # the server has stopped it and deleted it
    page.wait_for_function(
        "async (id) => (await fetch('/api/animations/' + id)).status === 404", arg=job
    )
    assert page.console.errors == [] or all("404" in e for e in page.console.errors)
