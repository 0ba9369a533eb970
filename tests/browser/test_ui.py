"""The browser UI against the real server: load, draw, animate, edit, compare, share, export.

Tests wait on attributes the app sets (`#app[data-status]`, `data-run-id`) instead of sleeping.
`speed=Infinity` in the URL makes a run show its end at once where the animation is not the
point of the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from uiutil import FAST, export, open_app, run_id, tracks, type_value, wait_done, wait_hash

pytestmark = pytest.mark.browser


def test_page_loads_draws_contour_without_console_errors(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=rosenbrock&{FAST}")
    data = page.evaluate("document.querySelector('#contour').data.map(t => t.type)")
    assert data[0] == "contour"
    assert page.locator("#contour g.contourlayer path").count() > 10
    colorbar = page.locator("#contour .cbtitle").text_content()
    assert "log" in colorbar
    assert page.locator("#summary tbody tr").count() == 3
    assert page.locator("#banner").is_hidden()
    page.screenshot(path=str(artifacts / "main.png"))
    assert page.console.errors == []


def test_run_animates_to_done(page: Any) -> None:
    page.goto("/#surface=quadratic&steps=80&opt=gd(lr:0.005)&speed=100")
    page.wait_for_selector("#app[data-player=playing]")
    shown = page.evaluate("window.descentlab.player.t")
    page.wait_for_selector("#app[data-status=done]")
    total = page.evaluate("window.descentlab.runs.length")
    assert shown < total == 80
    expect(page.locator("#scrub")).to_have_value("80")
    expect(page.locator("#step-out")).to_have_text("80 / 80")
    assert "stopped at max_steps (80)" in page.locator("#summary").inner_text()
    # restart plays again from step 0; the scrubber and the arrow keys move one step
    page.click("#back")
    expect(page.locator("#scrub")).to_have_value("79")
    page.locator("#scrub").fill("10")
    expect(page.locator("#step-out")).to_have_text("10 / 80")
    page.click("h1")  # keyboard shortcuts apply outside form controls
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.descentlab.player.t") == 11
    page.keyboard.press("Space")  # play on to the end
    page.wait_for_selector("#app[data-status=done]")
    page.click("#restart")
    assert page.evaluate("window.descentlab.player.t") < 80
    page.wait_for_selector("#app[data-status=done]")


# The dots of each path on screen and the step they stand for, read in an animation frame.
SHOWN = """() => new Promise((resolve) => requestAnimationFrame(() => {
  const lines = window.descentlab.paths().filter((t) => t.meta);
  const dots = lines.map((t) => t.dots);
  const data = lines.map((t) => t.x.length);
  resolve({dots, data, t: window.descentlab.player.t});
}))"""


def test_playing_moves_every_path_to_the_players_step(page: Any) -> None:
    # while playing, each frame draws every path up to the player's step; at the end, whole
    opts = "&".join(f"opt={o}(lr:0.001)" for o in ("gd", "momentum", "nesterov"))
    page.goto(f"/#surface=rosenbrock&steps=150&{opts}&speed=100")
    page.wait_for_function(
        "() => window.descentlab?.player.playing && window.descentlab.player.t > 40"
    )
    shown = page.evaluate(SHOWN)
    assert len(shown["dots"]) == 3
    for n in shown["dots"]:  # a dot per step shown (the clock may be a frame ahead)
        assert 0 <= shown["t"] + 1 - n <= 12
    page.wait_for_selector("#app[data-status=done]")
    page.wait_for_function(
        "() => window.descentlab.losses().filter(t => t.meta).every(t => t.x.length === 151)"
    )
    done = page.evaluate(SHOWN)
    assert done["dots"] == [151] * 3
    assert done["data"] == [151] * 3
    assert page.console.errors == []


def test_slider_drag_changes_path_and_url(page: Any) -> None:
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&{FAST}")
    before = tracks(page)[0]
    first = run_id(page)
    lr = page.locator('.card [data-field="optimizers.0.params.lr"] input[type=range]')
    lr.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    wait_done(page, after_run=first)
    after = tracks(page)[0]
    assert after[0] == before[0]
    assert after[-1] != before[-1]
    new_lr = float(page.input_value('[data-field="optimizers.0.params.lr"] input.num'))
    assert new_lr > 0.001
    wait_hash(page, f"gd(lr:{new_lr:g}", decoded=True)


def test_link_followed_before_the_url_is_written_wins(page: Any) -> None:
    # the URL is written once changes pause: a link followed (or the back button pressed)
    # while a change waits must not be overwritten by it
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&{FAST}")
    page.evaluate(
        """() => {
      const lr = document.querySelector('.card [data-field="optimizers.0.params.lr"] input');
      lr.value = String(Number(lr.value) + Number(lr.step));
      lr.dispatchEvent(new Event('input', {bubbles: true}));
      lr.dispatchEvent(new Event('change', {bubbles: true}));
      location.hash = 'surface=booth&opt=adam(lr:0.1)&speed=Infinity';
    }"""
    )
    page.wait_for_function("() => document.querySelector('#surface').value === 'booth'")
    wait_done(page)
    page.wait_for_timeout(600)  # past the change's write
    hash_ = page.evaluate("location.hash")  # (canonicalised by the app)
    assert "surface=booth" in hash_ and "opt=adam(lr:0.1)" in hash_ and "gd(" not in hash_
    assert page.input_value("#surface") == "booth"
    assert page.console.errors == []


def test_click_on_plot_moves_start(page: Any) -> None:
    open_app(page, f"surface=quadratic&opt=gd(lr:0.01)&{FAST}")
    first = run_id(page)
    box = page.locator("#surface-stage .pathlayer .area").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    wait_done(page, after_run=first)
    start = page.evaluate("window.descentlab.store.state.start")
    # the domain is [-1.2, 1.2]² (the notes' x² + 100y²): the click is near (0.6, 0.6)
    assert 0.24 < start[0] < 0.96 and 0.24 < start[1] < 0.96
    assert tracks(page)[0][0] == pytest.approx(start, rel=1e-9)
    assert float(page.input_value("#start-x")) == pytest.approx(start[0], rel=1e-3)
    # the start marker (a Plotly shape) can be dragged: left and down moves x down and y down
    first = run_id(page)
    marker = page.locator("#surface-stage .pathlayer .grab").first.bounding_box()
    cx, cy = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(cx - 20 * i, cy + 10 * i)
    page.mouse.up()
    wait_done(page, after_run=first)
    dragged = page.evaluate("window.descentlab.store.state.start")
    assert dragged[0] < start[0] - 0.12 and dragged[1] < start[1] - 0.05


def test_several_optimisers_compare(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=quadratic&opt=gd(lr:0.009)&{FAST}")
    for opt in ["momentum", "adam"]:
        first = run_id(page)
        page.select_option("#add-opt", opt)
        page.click("#add-btn")
        wait_done(page, after_run=first)
    assert page.locator("#cards .card").count() == 3
    paths = tracks(page)
    assert len(paths) == 3 and all(len(p) > 1 for p in paths)
    colours = page.evaluate(
        "window.descentlab.paths().filter(t => t.meta && t.meta.best).map(t => t.color)"
    )
    assert len(set(colours)) == 3
    assert page.locator("#summary tbody tr").count() == 3
    page.screenshot(path=str(artifacts / "compare.png"))
    page.click("#cards .card:nth-child(2) .remove")
    wait_done(page)
    assert page.locator("#cards .card").count() == 2


def test_url_restores_state_and_back_button(page: Any) -> None:
    hash_ = (
        "surface=quadratic&sp=kappa:10,angle:30&start=-5,2&steps=200"
        "&opt=adam(lr:0.2,betas:0.8/0.99)~step(step_size:50,gamma:0.5)&opt=nesterov&" + FAST
    )
    open_app(page, hash_)

    def check() -> None:
        assert page.input_value("#surface") == "quadratic"
        assert page.input_value('[data-field="surface.params.kappa"] input.num') == "10"
        assert page.input_value("#start-x") == "-5"
        assert page.input_value("#steps") == "200"
        assert page.locator("#cards .card").count() == 2
        assert page.input_value("#cards .card:first-child .card-head select") == "adam"
        assert page.input_value('[data-field="optimizers.0.params.betas.0"] input.num') == "0.8"
        assert page.input_value("#sched-0") == "step"
        assert tracks(page)[0][0] == [-5, 2]

    check()
    page.reload()
    wait_done(page)
    check()
    first = run_id(page)
    page.select_option("#surface", "himmelblau")
    wait_done(page, after_run=first)
    assert page.input_value("#surface") == "himmelblau"
    wait_hash(page, "surface=himmelblau")  # a back-button step once written
    page.go_back()
    page.wait_for_function("() => document.querySelector('#surface').value === 'quadratic'")
    wait_done(page)
    check()


def test_preset_loads_one_dimensional_figure(page: Any, artifacts: Path) -> None:
    open_app(page)
    first = run_id(page)
    preset = page.locator("#presets .preset", has_text="Parabola").first
    preset.click()
    wait_done(page, after_run=first)
    assert page.input_value("#surface") == "parabola"
    state = page.evaluate("window.descentlab.store.state")
    assert state["surface"] == "parabola" and state["opts"]
    # 1-D: a curve with the iterates numbered
    assert page.locator("#surface-stage .pathlayer text").count() > 2
    page.screenshot(path=str(artifacts / "preset-1d.png"))


def test_export_downloads_files(page: Any) -> None:
    open_app(page, f"surface=booth&steps=50&opt=gd(lr:0.05)&{FAST}")
    with page.expect_download() as info:
        export(page, "csv")
    text = Path(info.value.path()).read_text()
    assert text.startswith("run,optimizer,row,step,x,y,loss")
    with page.expect_download() as info:
        export(page, "json")
    assert '"runs"' in Path(info.value.path()).read_text()
    with page.expect_download() as info:
        export(page, "png")
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.console.errors == []


def test_refused_value_is_shown_next_to_its_control(page: Any) -> None:
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&{FAST}")
    lr = '[data-field="optimizers.0.params.lr"]'
    err = type_value(page, lr, "500")
    err.wait_for(state="visible")
    assert "10" in err.inner_text()
    assert page.locator("#app[data-status=error]").count() == 1
    type_value(page, lr, "0.002")
    wait_done(page)
    assert err.is_hidden()


def test_projector_and_phone_layouts(browser: Any, server_url: str, artifacts: Path) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#surface=himmelblau&{FAST}")
        wait_done(pg)
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        pg.screenshot(path=str(artifacts / "phone.png"), full_page=True)
    finally:
        ctx.close()
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#surface=quadratic&{FAST}")
        wait_done(pg)
        pg.click("#projector")
        assert pg.get_attribute("#projector", "aria-pressed") == "true"
        pg.wait_for_function(
            "() => location.hash.includes('big=1')"
        )  # written in a task of its own
        wait_done(pg)
        # both figures re-fit their boxes after the layout change
        pg.wait_for_function(
            "() => ['#contour', '#lossbase'].every(s => {"
            " const g = document.querySelector(s);"
            " return Math.abs(g.layout.width - g.clientWidth) < 3"
            " && Math.abs(g.layout.height - g.clientHeight) < 3; })"
        )
        pg.screenshot(path=str(artifacts / "projector.png"))
    finally:
        ctx.close()


def test_add_says_why_it_stops_at_the_limit(page: Any) -> None:
    """At the server's limit on optimisers Add is disabled, and the panel says why."""
    limit = page.request.get("/api/limits").json()["limits"]["max_optimizers"]
    opts = "&".join(f"opt=gd(lr:0.00{k + 1})" for k in range(limit - 1))
    open_app(page, f"surface=quadratic&{opts}&{FAST}")
    note = page.locator("#add-limit")
    assert page.locator("#add-btn").is_enabled() and note.is_hidden()
    first = run_id(page)
    page.click("#add-btn")
    wait_done(page, after_run=first)
    assert page.locator("#cards .card").count() == limit
    assert page.locator("#add-btn").is_disabled()
    expect(note).to_be_visible()
    expect(note).to_have_text(f"{limit} optimisers at most: remove one to add another.")
    page.click("#cards .card:nth-child(1) .remove")
    wait_done(page)
    assert page.locator("#add-btn").is_enabled() and note.is_hidden()
