"""Browser tests for 001's line fits: the data panel draws the line each surface's model
declares (slope first on line-fit) from a bounded sample of the data, the minibatch loss is
plotted on the full loss's scale, and the page's limits are the server's.

Predicates given to wait_for_function are functions: the page's Content-Security-Policy has
no 'unsafe-eval'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from uiutil import FAST, open_app, run_id, wait_done, wait_fitted, wait_hash

pytestmark = pytest.mark.browser

# the fitted line of the first optimiser, and what it was drawn from
LINE = """() => {
  const t = document.querySelector('#datapanel').data.find((t) => t.meta && 'model' in t.meta);
  return {x: Array.from(t.x), y: Array.from(t.y), theta: t.meta.theta,
          slope: t.meta.slope, intercept: t.meta.intercept};
}"""
FINAL = """() => { const r = window.descentlab.runs.tracks[0];
  return r.path[r.path.length - 1]; }"""


def _wait_panel(page: Any) -> None:
    page.wait_for_function(
        "() => { const el = document.querySelector('#datapanel');"
        " return el.dataset.step && el.data && el.data.some((t) => t.meta && 'model' in t.meta)"
        " && Number(el.dataset.step) === window.descentlab.runs.length; }"
    )


def _through(line: dict[str, Any], slope: float, intercept: float) -> None:
    (x0, x1), (y0, y1) = line["x"], line["y"]
    assert (y1 - y0) / (x1 - x0) == pytest.approx(slope, rel=1e-9)
    assert y0 - slope * x0 == pytest.approx(intercept, rel=1e-9, abs=1e-9)


def test_line_fit_draws_slope_first(page: Any, artifacts: Path) -> None:
    # all 20 points a step: the notes' gradient descent on the sum, θ = (m, c)
    open_app(page, f"surface=line-fit&steps=200&opt=gd(lr:0.01)&{FAST}")
    _wait_panel(page)
    panel = page.locator("#datapanel")
    assert panel.get_attribute("data-shown") == panel.get_attribute("data-size") == "20"
    final = page.evaluate(FINAL)
    line = page.evaluate(LINE)
    assert line["theta"] == final
    m, c = final
    assert m == pytest.approx(2, abs=0.4) and c == pytest.approx(1, abs=0.4)  # y ≈ 2x + 1
    _through(line, slope=m, intercept=c)  # y = θ₀x + θ₁, not θ₀ + θ₁x
    # every point is drawn
    assert "points" not in (page.locator("#datapanel .gtitle").text_content() or "")
    wait_fitted(page)
    page.screenshot(path=str(artifacts / "line-fit.png"))
    # linear-regression is intercept first: the same panel reads its model the other way
    first = run_id(page)
    page.select_option("#surface", "linear-regression")
    wait_done(page, after_run=first)
    _wait_panel(page)
    b, w = page.evaluate(FINAL)
    _through(page.evaluate(LINE), slope=w, intercept=b)
    assert page.console.errors == []


def test_line_fit_sgd_draws_a_sample_and_scales_the_minibatch_loss(
    page: Any, artifacts: Path
) -> None:
    # 001's SGD: one epoch of batches of 100 at step 0.05 from (-3.5, 2.5)
    open_app(page, f"surface=line-fit-sgd&batch=100&epochs=1&opt=gd(lr:0.05)&{FAST}")
    _wait_panel(page)
    panel = page.locator("#datapanel")
    assert panel.get_attribute("data-shown") == "2000"
    assert panel.get_attribute("data-size") == "100000"
    data = page.evaluate(
        "() => document.querySelector('#datapanel').data.find((t) => t.name === 'data').x.length"
    )
    assert data == 2000  # never 100,000 markers
    # how many points are drawn, in the title (a note in the plot's corner covered points)
    expect(page.locator("#datapanel .gtitle")).to_contain_text("2,000 of 100,000 points")
    expect(page.locator("#datapanel .annotation")).to_have_count(0)
    m, c = final = page.evaluate(FINAL)
    line = page.evaluate(LINE)
    assert line["theta"] == final
    assert m == pytest.approx(1, abs=0.1) and c == pytest.approx(2, abs=0.1)  # y = x + 2
    _through(line, slope=m, intercept=c)
    # the minibatch loss, × n, is on the full loss's scale: over the last 200 steps (near the
    # minimum) their means agree to within noise, not a factor of 100,000
    loss, batch, note = page.evaluate(
        """() => { const d = document.querySelector('#lossbase');
          const get = (k) => window.descentlab.losses().find((t) => t.meta.kind === k);
          const values = (t) => { const out = new Map();
            Array.from(t.x).forEach((x, i) => out.set(x, t.y[i])); return out; };
          return [Object.fromEntries(values(get('loss'))),
                  Object.fromEntries(values(get('batch'))),
                  d.layout.annotations[0].hovertext]; }"""
    )
    late = [k for k in batch if int(k) >= 800 and batch[k] is not None and k in loss]
    assert len(late) > 50
    ratio = sum(batch[k] for k in late) / sum(loss[k] for k in late)
    assert 0.7 < ratio < 1.4
    assert "minibatch loss × n (n = 100,000)" in note.replace("<br>", " ")
    # the step-size bound says what it bounds
    page.wait_for_selector("#app[data-analysis=ready]")
    hint = page.locator("[data-lr-bound]").first.inner_text()
    assert "full-batch GD step on the sum" in hint and "1/λmax" in hint
    wait_fitted(page)
    page.screenshot(path=str(artifacts / "line-fit-sgd.png"))
    assert page.console.errors == []


def test_the_limits_are_read_from_the_server(page: Any, artifacts: Path) -> None:
    limits = page.context.request.get("/api/limits").json()["limits"]
    open_app(page, f"surface=rosenbrock&steps=20&opt=gd(lr:0.001)&{FAST}")
    assert page.get_attribute("#restarts", "max") == str(limits["max_restarts"]) == "999"
    note = page.locator('[data-field="restarts"] > .clamp-note')
    first = run_id(page)
    page.fill("#restarts", "200")  # over the 32 the page used to allow
    page.press("#restarts", "Enter")
    wait_done(page, after_run=first)
    wait_hash(page, "restarts=200")
    assert note.is_hidden()
    assert page.evaluate("() => window.descentlab.runs.tracks[0].rows.length") == 201
    first = run_id(page)
    page.fill("#restarts", "1200")  # over the server's: clamped, and said so
    page.press("#restarts", "Enter")
    wait_done(page, after_run=first)
    wait_hash(page, "restarts=999")
    assert page.input_value("#restarts") == "999"
    assert note.is_visible() and "clamped to 999" in note.inner_text()
    page.screenshot(path=str(artifacts / "restarts-clamped.png"))
    # a link asking for more is clamped too
    page.goto("/#surface=rosenbrock&steps=20&restarts=9999&opt=gd(lr:0.001)&" + FAST)
    page.reload()
    wait_done(page)
    assert page.input_value("#restarts") == "999"
    # epochs: at most max_steps steps in all (1,000 steps an epoch of batches of 100)
    open_app(page, f"surface=line-fit-sgd&batch=100&epochs=1&opt=gd(lr:0.05)&{FAST}")
    most = limits["max_steps"] // 1000
    assert page.get_attribute("#epochs", "max") == str(most)
    page.fill("#epochs", str(most + 50))
    page.press("#epochs", "Enter")
    page.wait_for_function("n => window.descentlab?.store.state.epochs === n", arg=most)
    assert page.input_value("#epochs") == str(most)
    epochs_note = page.locator('[data-field="epochs"] > .clamp-note')
    assert epochs_note.is_visible() and f"clamped to {most}" in epochs_note.inner_text()
    assert page.console.errors == []


def test_the_data_panel_title_is_never_cut(browser: Any, server_url: str) -> None:
    """In projector mode at 1024x768 the data panel is ~250 px wide: its title ("fits at step
    1000 · ○ minibatch") goes on two lines rather than past the panel's edge."""
    ctx = browser.new_context(viewport={"width": 1024, "height": 768}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(
            "/#surface=linear-regression&start=0,0&steps=500&seed=1&batch=5"
            "&sampling=replacement&epochs=50&gtol=off&opt=gd(lr:0.1)&big=1&panel=0"
            "&speed=Infinity"
        )
        pg.wait_for_selector("#app[data-status=done]")
        pg.wait_for_function(
            "() => document.querySelector('#datapanel .gtitle')?.textContent.includes('minibatch')"
        )
        title = pg.locator("#datapanel .gtitle").bounding_box()
        panel = pg.locator("#datapanel").bounding_box()
        assert title is not None and panel is not None
        assert title["x"] + title["width"] <= panel["x"] + panel["width"] - 2, (title, panel)
        assert title["y"] >= panel["y"] + 2, (title, panel)  # nor past its top
        ticks = pg.locator("#datapanel .ytick text").all()
        top_tick = min(t.bounding_box()["y"] for t in ticks if t.text_content())
        assert title["y"] + title["height"] <= top_tick, (title, top_tick)  # nor over the plot
    finally:
        ctx.close()
