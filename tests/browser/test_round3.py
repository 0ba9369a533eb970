"""Browser tests for stopping rules, the data panel's ringed minibatch and typed-surface
parameter errors, against the real server.

Like the other browser tests, these wait on attributes the app sets instead of sleeping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, open_app, run_id, type_value, wait_done, wait_hash

pytestmark = pytest.mark.browser


def test_stopping_rules_from_presets_controls_and_url(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&{FAST}")
    assert page.is_checked('[data-field="stop.grad_tol"] input.on')
    assert page.input_value("#grad-norm") == "l2"
    assert not page.is_checked('[data-field="stop.loss_tol"] input.on')
    # the lecture's parabola preset stops on sum |dL| <= 1e-4 (the l1 norm)
    first = run_id(page)
    page.locator("#presets .preset", has_text="step 0.25").click()
    wait_done(page, first)
    assert "converged in 18 steps" in page.locator("#summary").inner_text()
    assert page.input_value("#grad-norm") == "l1"
    wait_hash(page, "gnorm=l1")
    sent = page.evaluate("window.descentlab.store.state")
    assert (sent["gtol"], sent["gnorm"], sent["ltol"]) == (1e-4, "l1", None)
    page.screenshot(path=str(artifacts / "stopping.png"))
    # another norm re-runs, and is in the URL
    first = run_id(page)
    page.select_option("#grad-norm", "inf")
    wait_done(page, first)
    wait_hash(page, "gnorm=inf")
    # switching the gradient rule off runs to max_steps; a loss tolerance stops it again
    first = run_id(page)
    page.uncheck('[data-field="stop.grad_tol"] input.on')
    wait_done(page, first)
    wait_hash(page, "gtol=off")
    assert "stopped at max_steps" in page.locator("#summary").inner_text()
    assert page.is_disabled("#grad-norm")
    first = run_id(page)
    page.check('[data-field="stop.loss_tol"] input.on')
    wait_done(page, first)
    wait_hash(page, "ltol=1e-9")
    assert "converged in" in page.locator("#summary").inner_text()
    # the link restores the rules
    page.reload()
    page.wait_for_selector("#app[data-status=done]")
    assert not page.is_checked('[data-field="stop.grad_tol"] input.on')
    assert page.is_checked('[data-field="stop.loss_tol"] input.on')
    assert page.input_value("#grad-norm") == "inf"
    assert page.console.errors == []


def test_pick_whose_minibatch_is_ringed(page: Any, artifacts: Path) -> None:
    # the second optimiser diverges early, so at the last step its last minibatch differs
    open_app(
        page,
        "surface=linear-regression&batch=10&epochs=5&opt=gd(lr:0.01)&opt=gd(lr:5)&" + FAST,
    )
    panel = page.locator("#datapanel")
    page.wait_for_selector("#datapanel[data-ring='0']")
    ringed = "document.querySelector('#datapanel').data.find(t => t.name === 'minibatch').meta"
    first = page.evaluate(ringed)
    assert first["ring"] == 0 and first["batch"] == 10
    rows = page.locator("#summary tbody tr[data-run]")
    assert rows.count() == 2
    picks = page.locator("#summary tbody tr[data-run] button.ring-pick")
    assert picks.nth(0).get_attribute("aria-pressed") == "true"
    rows.nth(1).click()
    page.wait_for_selector("#datapanel[data-ring='1']")
    second = page.evaluate(ringed)
    assert second["ring"] == 1 and second["indices"] != first["indices"]
    assert picks.nth(1).get_attribute("aria-pressed") == "true"
    wait_hash(page, "ring=1")
    assert panel.is_visible()
    page.screenshot(path=str(artifacts / "ring.png"))
    # the keyboard picks too
    page.focus("#summary tbody tr[data-run='0'] button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#datapanel[data-ring='0']")
    assert page.console.errors == []


def test_typed_parameter_error_is_shown_by_its_slider(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=custom&expr=a*x%5E2%2By%5E2&ep=a:1&{FAST}")
    a = '#expr-sliders [data-field="surface.params.a"]'
    err = type_value(page, a, "5000000")
    err.wait_for(state="visible")
    assert "1e+06" in err.inner_text()
    assert page.locator("#panel-error").is_hidden()
    assert page.locator('#expr-status[data-state="invalid"]').count() == 0
    page.screenshot(path=str(artifacts / "typed-param-error.png"))
    first = run_id(page)
    type_value(page, a, "2")
    wait_done(page, first)
    assert err.is_hidden()
