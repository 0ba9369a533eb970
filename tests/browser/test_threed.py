"""The 3-D view (issue 17): the surface as Plotly draws it in WebGL, each path lifted onto it.

The heights drawn are the server's values of f at the path's points (held to the surface's own
Problem here, independently), transformed as the surface is (log, clip); the view opens from
its button and the URL, follows the player's step, exports a PNG, and a preset opens it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from test_a11y import violations
from uiutil import FAST, open_app, wait_fitted, wait_hash

from descentlab.problems import make_problem

pytestmark = pytest.mark.browser

HIMMELBLAU = "surface=himmelblau&start=-0.5,-3&steps=200&opt=gd(lr:0.01)&opt=adam(lr:0.1)"
STATE = "() => window.descentlab.views.views['3d'].view.state()"


def wait_3d(page: Any, t: int | None = None) -> None:
    page.wait_for_function(
        "(t) => { const f = document.getElementById('3d-fig');"
        " return f && f.dataset.state === 'drawn'"
        " && (t === null || f.dataset.t === String(t)); }",
        arg=t,
    )


def f_at(surface: str, points: np.ndarray) -> np.ndarray:
    problem = make_problem({"id": surface})
    return np.asarray(problem.value(points), dtype=float)


def test_paths_lie_on_the_surface(page: Any) -> None:
    open_app(page, f"{HIMMELBLAU}&show=3d&threed=z:lin&{FAST}")
    total = page.evaluate("() => window.descentlab.runs.length")
    wait_3d(page, total)
    state = page.evaluate(STATE)
    assert state["scale"] == "lin"
    assert [p["run"] for p in state["paths"]] == [0, 1]
    losses = page.evaluate("() => window.descentlab.runs.tracks.map((t) => t.loss)")
    for path, loss in zip(state["paths"], losses, strict=True):
        points = np.column_stack([path["x"], path["y"]])
        assert len(points) == len(loss) > 10
        # z drawn = the server's f at each point = f of the surface, computed here
        assert path["z"] == loss
        np.testing.assert_allclose(path["z"], f_at("himmelblau", points), rtol=1e-12, atol=1e-12)
    assert [p["color"] for p in state["paths"]] == ["#0072B2", "#D55E00"]
    assert [p["dash"] for p in state["paths"]] == ["solid", "dash"]


def test_log_height_and_the_player_clock(page: Any) -> None:
    open_app(page, f"surface=rosenbrock&steps=300&show=3d&{FAST}")
    total = page.evaluate("() => window.descentlab.runs.length")
    wait_3d(page, total)
    state = page.evaluate(STATE)
    assert state["scale"] == "log"  # the surface's contours are log-spaced: so is its height
    zmin = page.evaluate("() => document.getElementById('3d-fig').data[0].z")
    grid_min = min(v for row in zmin for v in row if v is not None)
    loss = page.evaluate("() => window.descentlab.runs.tracks[0].loss")
    fmin_grid = page.evaluate("() => window.descentlab.views.views['3d'].view.base.grid.zmin")
    want = [math.log10(max(v - fmin_grid, 0) + 1e-3) for v in loss]
    np.testing.assert_allclose(state["paths"][0]["z"], want, rtol=1e-12)
    assert grid_min >= math.log10(1e-3) - 1e-9
    # the player's step: the 3-D paths are cut where the contour's are
    page.click("#back")
    page.click("#back")
    wait_3d(page, total - 2)
    assert len(page.evaluate(STATE)["paths"][0]["x"]) == total - 1


def test_button_url_and_png(page: Any) -> None:
    open_app(page, f"{HIMMELBLAU}&{FAST}")
    page.click("#show-3d")
    wait_hash(page, "show=3d")
    wait_3d(page)
    assert page.get_attribute("#show-3d", "aria-pressed") == "true"
    page.select_option("#threed-z", "clip")
    wait_hash(page, "threed=z:clip")
    page.wait_for_function(f"() => ({STATE})().scale === 'clip'")
    with page.expect_download(timeout=30_000) as info:  # (WebGL read back in software)
        page.click("#view-png")
    assert info.value.suggested_filename == "descentlab-surface3d-himmelblau.png"
    assert info.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.click("#show-3d")
    page.wait_for_function("() => !location.hash.includes('show=')")
    assert page.is_hidden("#viewpanel")


def test_animation_follows_the_clock(page: Any) -> None:
    """While playing, the 3-D paths are redrawn frame after frame (the newest step each time,
    never a queue of old ones), and the last frame drawn is the player's last step."""
    open_app(page, f"{HIMMELBLAU}&show=3d&{FAST}")
    total = page.evaluate("() => window.descentlab.runs.length")
    wait_3d(page, total)
    page.select_option("#speed", "20")
    page.evaluate("() => window.descentlab.player.restart()")
    # drawn mid-way, as the clock runs (10 s of animation at 20 steps/s)
    page.wait_for_function(
        "(n) => { const t = Number(document.getElementById('3d-fig').dataset.t);"
        " return t > 0 && t < n; }",
        arg=total,
    )
    page.wait_for_selector("#app[data-player=done]", timeout=30_000)
    wait_3d(page, total)
    times = page.evaluate(STATE)["frameTimes"]
    print(f"3-D frame: median {sorted(times)[len(times) // 2]:.1f} ms over {len(times)} frames")
    assert len(times) >= 3


def test_preset_opens_the_3d_view(page: Any) -> None:
    page.goto("/#lecture=nightmare-3d", timeout=30_000)
    page.wait_for_function("() => window.descentlab?.runs.done", timeout=30_000)
    wait_3d(page)
    assert page.get_attribute("#show-3d", "aria-pressed") == "true"
    page.wait_for_function(f"() => ({STATE})().paths[0]?.z.length >= 2")  # the player moves
    state = page.evaluate(STATE)
    assert state["scale"] == "lin"  # the preset's
    drawn = state["paths"][0]["z"]
    loss = page.evaluate("() => window.descentlab.runs.tracks[0].loss")
    assert drawn == loss[: len(drawn)]  # as far as the player has got


@pytest.mark.parametrize("size", [(390, 844), (1280, 720), (1920, 1080)])
def test_3d_screenshots_and_axe(
    browser: Any, server_url: str, artifacts: Any, size: tuple[int, int]
) -> None:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#{HIMMELBLAU}&show=3d&{FAST}")
        pg.wait_for_selector("#app[data-status=done]")
        wait_3d(pg, pg.evaluate("() => window.descentlab.runs.length"))  # the last step drawn
        wait_fitted(pg)
        pg.screenshot(path=str(artifacts / f"view-3d-{size[0]}x{size[1]}.png"))
        found = violations(pg)
        assert found == [], found
    finally:
        ctx.close()


# The 3-D figure's tick and z-title sizes, as its layout gives them to Plotly.
TYPE_3D = """() => { const s = document.getElementById('3d-fig').layout.scene;
  return [s.xaxis.tickfont.size, s.zaxis.title.font.size]; }"""


def test_projector_mode_enlarges_the_3d_type(page: Any) -> None:
    """The 3-D axes' labels (drawn in WebGL, so read from the figure's layout) grow in
    projector mode as the page's type does, and shrink back when it is left."""
    open_app(page, f"{HIMMELBLAU}&show=3d&{FAST}")
    wait_3d(page)
    normal = page.evaluate(TYPE_3D)
    page.click("#projector")
    page.wait_for_function(f"() => ({TYPE_3D})()[0] > {normal[0]}")
    tick, title = page.evaluate(TYPE_3D)
    assert tick >= 16 and title >= 20
    page.click("#projector")
    page.wait_for_function(f"() => ({TYPE_3D})()[0] === {normal[0]}")
