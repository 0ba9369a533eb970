"""Browser tests for the second round: random restarts, typed surfaces, minibatch SGD with its
data panel, and the step-size analysis and point inspector.

As in test_ui.py, tests wait on attributes the app sets (`#app[data-status]`, `data-run-id`,
`#expr-status[data-state]`, `#app[data-analysis]`) instead of sleeping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from uiutil import FAST, open_app, run_id, traces, wait_done, wait_fitted, wait_hash

pytestmark = pytest.mark.browser


def test_restarts_preset_draws_twenty_paths(page: Any, artifacts: Path) -> None:
    open_app(page)
    first = run_id(page)
    page.locator("#presets .preset", has_text="random restarts").click()
    wait_done(page, after_run=first)
    rows = [t["meta"] for t in traces(page) if t["meta"] and "row" in t["meta"]]
    assert sorted(m["row"] for m in rows) == list(range(20))
    assert sum(m["best"] for m in rows) == 1
    assert page.input_value("#restarts") == "19"
    assert page.input_value("#seed") == "1"
    wait_hash(page, "restarts=19")
    summary = page.locator("#summary").inner_text()
    assert "best of 20" in summary
    assert "still going" not in summary
    # the best row's start is marked
    assert page.evaluate("window.descentlab.paths().filter(t => t.name === 'best start').length")
    wait_fitted(page)
    page.screenshot(path=str(artifacts / "restarts.png"))
    # back to no restarts from the control: one row again
    first = run_id(page)
    page.fill("#restarts", "0")
    page.press("#restarts", "Enter")
    wait_done(page, after_run=first)
    assert len([t for t in traces(page) if t["meta"] and "row" in t["meta"]]) == 1
    assert page.console.errors == []


def test_typed_surface_validates_runs_and_restores(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=quadratic&opt=adam(lr:0.05)&{FAST}")
    first = run_id(page)
    page.select_option("#surface", "custom")
    wait_done(page, after_run=first)
    status = page.locator("#expr-status")
    # a mistake: the message names its column and a caret marks it
    page.fill("#expr", "x^2 + * y")
    page.wait_for_selector("#expr-status[data-state=invalid]")
    assert status.get_attribute("data-column") == "7"
    assert "column 7" in status.inner_text()
    caret = page.locator("#expr-status .caret").inner_text().split("\n")
    assert caret[1].index("^") == 6 and caret[0][6] == "*"
    assert page.get_attribute("#expr", "aria-invalid") == "true"
    wait_fitted(page)
    page.screenshot(path=str(artifacts / "custom-error.png"))
    # a valid one with a declared parameter runs, and goes into the URL
    first = run_id(page)
    page.fill("#expr-params", "a=1")
    page.fill("#expr", "(a-x)^2 + 100*(y-x^2)^2")
    page.wait_for_selector("#expr-status[data-state=valid]")
    wait_done(page, after_run=first)
    assert "parsed" in status.inner_text()
    assert page.locator('[data-field="surface.params.a"] input.num').input_value() == "1"
    wait_hash(page, "surface=custom", "expr=" + quote("(a-x)^2", safe="()"))
    assert page.evaluate("document.querySelector('#contour').data[0].type") == "contour"
    path = page.evaluate("window.descentlab.runs.tracks[0].path")
    assert len(path) > 10
    wait_fitted(page)
    page.screenshot(path=str(artifacts / "custom.png"))
    # the link restores it
    page.reload()
    wait_done(page)
    page.wait_for_selector("#expr-status[data-state=valid]")
    assert page.input_value("#surface") == "custom"
    assert page.input_value("#expr") == "(a-x)^2 + 100*(y-x^2)^2"
    assert page.input_value("#expr-params") == "a=1"
    assert page.evaluate("window.descentlab.runs.tracks[0].path") == path
    # non-finite values are gaps (null) in the contour, drawn without errors
    first = run_id(page)
    page.fill("#expr-params", "")
    page.fill("#expr", "sqrt(x) + y^2")
    page.wait_for_selector("#expr-status[data-state=valid]")
    wait_done(page, after_run=first)
    nulls = page.evaluate(
        "document.querySelector('#contour').data[0].z.flat().filter(v => v === null).length"
    )
    assert nulls > 100
    assert page.locator("#contour g.contourlayer path").count() > 5
    # an example is one click away
    first = run_id(page)
    page.locator("#examples .example", has_text="abs(x) + abs(y)").click()
    wait_done(page, after_run=first)
    assert page.input_value("#expr") == "abs(x) + abs(y)"
    assert page.console.errors == []


def test_linear_regression_minibatches(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=linear-regression&batch=10&epochs=20&opt=gd(lr:0.1)&{FAST}")
    assert page.evaluate("window.descentlab.runs.length") == 200  # 20 epochs of 100/10 steps
    assert page.input_value('[data-field="stochastic.batch_size"] input.num') == "10"
    assert "10 steps per epoch" in page.locator("#batch-note").inner_text()
    panel = page.locator("#datapanel")
    page.wait_for_selector("#datapanel[data-step='200']")
    assert panel.get_attribute("data-batch") == "10"  # the minibatch is ringed

    def line_at(step: int) -> list[float]:
        page.locator("#scrub").fill(str(step))
        page.wait_for_selector(f"#datapanel[data-step='{step}']")
        return page.evaluate(  # type: ignore[no-any-return]
            "document.querySelector('#datapanel').data.find(t => t.meta && 'model' in t.meta)"
            ".meta.theta"
        )

    early, late = line_at(3), line_at(150)
    assert early != late  # the fitted line moves with the animation
    kinds = {t["meta"]["kind"] for t in traces(page, "#lossplot")}
    assert kinds == {"loss", "batch", "epoch"}  # full loss, minibatch loss, epoch means
    batch, epoch = page.evaluate(
        "['batch', 'epoch'].map(k => window.descentlab.losses()"
        ".find(t => t.meta.kind === k)).map(t => ({x: Array.from(t.x), y: Array.from(t.y)}))"
    )
    assert epoch["x"][:2] == [10, 20] and len(epoch["x"]) == 15  # complete epochs to step 150
    assert epoch["y"][0] == pytest.approx(sum(batch["y"][1:11]) / 10)
    # 19 epoch ends in 200 steps: a dashed line at every second one (at most 10 lines), said so
    lines = page.evaluate("document.querySelector('#lossbase').layout.shapes.map(s => s.x0)")
    assert lines == list(range(20, 200, 20))
    key = page.evaluate("document.querySelector('#lossbase').layout.annotations[0].hovertext")
    assert "dashes: every 2 epochs (an epoch: 10 steps)" in key
    wait_fitted(page)
    page.screenshot(path=str(artifacts / "linear-regression.png"))
    # M = n is plain gradient descent: counted in steps, no minibatches
    first = run_id(page)
    page.click('[data-field="stochastic.batch_size"] .reset')
    wait_done(page, after_run=first)
    assert "full batch: gradient descent" in page.locator("#batch-note").inner_text()
    assert page.locator("#steps-row").is_visible()
    assert page.locator('[data-field="epochs"]').is_hidden()
    page.wait_for_selector("#datapanel[data-batch='0']")
    assert page.console.errors == []


def test_logistic_regression_and_simulated_noise(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=logistic-regression&batch=5&epochs=5&opt=adam(lr:0.05)&{FAST}")
    page.wait_for_selector("#datapanel[data-step='100']")
    names = page.evaluate("document.querySelector('#datapanel').data.map(t => t.name)")
    assert "t = +1" in names and "t = −1" in names and "minibatch" in names
    wait_fitted(page)
    page.screenshot(path=str(artifacts / "logistic-regression.png"))
    first = run_id(page)
    page.select_option("#surface", "booth")
    wait_done(page, after_run=first)
    assert page.locator("#datapanel").is_hidden()
    assert page.locator("#stoch").is_hidden()
    assert "not minibatches" in page.locator("#noise").inner_text()
    first = run_id(page)
    losses = "window.descentlab.losses().map(t => Array.from(t.y))"
    exact = page.evaluate(losses)
    box = page.locator('[data-field="stochastic.noise"] input.num')
    box.fill("2")
    box.press("Enter")
    wait_done(page, after_run=first)
    wait_hash(page, "noise=2")
    # noise perturbs the gradient, not the loss: one (true) loss curve, on a different path
    assert {t["meta"]["kind"] for t in traces(page, "#lossplot")} == {"loss"}
    assert page.evaluate(losses) != exact
    assert page.console.errors == []


def test_step_size_analysis_and_inspector(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&opt=adam(lr:0.05)&{FAST}")
    page.wait_for_selector("#app[data-analysis=ready]")
    text = page.locator('[data-lr-bound="0"]').inner_text()
    assert "λmax = 1002" in text and "lr < 2/λmax = 0.001997" in text
    assert page.locator('.card[data-index="1"] [data-lr-bound]').count() == 0  # Adam
    # shift-click a point: its gradient, Hessian eigenvalues and type
    first = run_id(page)
    box = page.locator("#surface-stage .pathlayer .area").bounding_box()
    page.keyboard.down("Shift")
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.keyboard.up("Shift")
    page.wait_for_selector("#ins-out[data-state=ready]")
    assert run_id(page) == first  # inspecting does not move the start
    out = page.locator("#ins-out").inner_text()
    assert "gradient" in out and "eigenvalues" in out and "point type" in out
    # keyboard: type the point
    page.fill("#ins-x", "1")
    page.fill("#ins-y", "1")
    page.press("#ins-y", "Enter")
    page.wait_for_function("() => document.querySelector('#ins-out').dataset.type === 'minimum'")
    assert "minimum" in page.locator("#ins-out .cp").inner_text()
    # at the minimum the Newton step stays put; the analytic gradient agrees with differences
    assert page.locator("#ins-out .newton").inner_text().endswith("→ (1, 1)")
    assert page.locator("#ins-out .fd").inner_text().startswith("finite differences (")
    assert "agrees" in page.locator("#ins-out .fd").inner_text()
    # on the ridge at (0, 1) the Hessian is indefinite: Newton heads for a saddle
    page.fill("#ins-x", "0")
    page.press("#ins-y", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#ins-out').dataset.type === 'not critical'"
    )
    assert "toward a saddle" in page.locator("#ins-out .newton").inner_text()
    wait_fitted(page)
    page.screenshot(path=str(artifacts / "inspect.png"))
    # linear regression: the notes' advice 1/λmax
    first = run_id(page)
    page.select_option("#surface", "linear-regression")
    wait_done(page, after_run=first)
    page.wait_for_function(
        "() => document.querySelector('[data-lr-bound]').textContent.includes('1/λmax')"
    )
    page.click("#ins-close")
    assert page.locator("#inspect").is_hidden()
    assert page.console.errors == []


def test_new_views_on_phone_and_projector(browser: Any, server_url: str, artifacts: Path) -> None:
    for name, viewport, extra in [
        ("phone-sgd.png", {"width": 390, "height": 844}, ""),
        ("projector-sgd.png", {"width": 1280, "height": 800}, "&big=1"),
    ]:
        ctx = browser.new_context(viewport=viewport, base_url=server_url)
        try:
            pg = ctx.new_page()
            pg.goto(f"/#surface=linear-regression&batch=10&epochs=10&restarts=2{extra}&{FAST}")
            wait_done(pg)
            pg.wait_for_selector("#datapanel[data-step]")
            assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            wait_fitted(pg)
            pg.screenshot(path=str(artifacts / name), full_page=viewport["width"] < 500)
        finally:
            ctx.close()
