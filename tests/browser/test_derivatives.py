"""The derivatives view (issue 17): f′ and f″ beside a 1-D curve, and the gradient's
components as panels beside a 2-D surface (001's DoG figure), from the server's symbolic
derivatives; from its button and the URL, with a CSV and a PNG."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_a11y import violations
from uiutil import FAST, open_app, wait_fitted, wait_hash

pytestmark = pytest.mark.browser

STATE = "() => window.descentlab.views.views.grad.view.state()"


def wait_grad(page: Any) -> None:
    page.wait_for_function(
        "() => document.getElementById('grad-fig')?.dataset.state === 'done'"
        " && document.getElementById('grad-fig').data"
    )


def test_f_prime_crosses_zero_at_the_minimum(page: Any) -> None:
    open_app(page, f"surface=quartic&{FAST}")
    page.click("#show-grad")
    wait_hash(page, "show=grad")
    wait_grad(page)
    state = page.evaluate(STATE)
    x = np.array(state["x"])
    d1 = np.array(state["gradient"][0], dtype=float)
    d2 = np.array(state["second"], dtype=float)
    minimum = page.evaluate("() => window.descentlab.catalog.surfaces.get('quartic').minima[0][0]")
    # f′ changes sign from − to + between the grid points around the minimum, and only there
    # or at the window's maximum (f″ < 0)
    crossings = np.nonzero(np.diff(np.sign(d1)))[0]
    up = [k for k in crossings if d1[k] < 0 < d1[k + 1]]
    assert len(up) == 1 and x[up[0]] <= minimum <= x[up[0] + 1]
    k = int(np.searchsorted(x, minimum))
    assert d2[k] > 0  # and f curves up there
    drawn = page.evaluate("() => document.getElementById('grad-fig').data.map((d) => d.name)")
    assert drawn == ["f′", "f″"]
    with page.expect_download() as info:
        page.click("#view-csv")
    head = info.value.path().read_text().splitlines()[0]
    assert head == "x,f,df/dx,d2f/dx2"
    assert page.console.errors == []


def test_gradient_component_panels(page: Any) -> None:
    open_app(page, f"surface=dog&show=grad&{FAST}")
    wait_grad(page)
    state = page.evaluate(STATE)
    gx, gy = (np.array(g, dtype=float) for g in state["gradient"])
    assert gx.shape == gy.shape == (100, 100)
    # dog is exp(-|uF|²/10) - exp(-|uF|²/2): its gradient, by the chain rule, at a few points
    F = np.array([[1, -0.2], [0.8, 1.5]])
    for j, i in [(10, 20), (50, 50), (70, 33)]:
        p = np.array([state["x"][i], state["y"][j]])
        u = p @ F
        r2 = u @ u
        want = (-np.exp(-r2 / 10) / 5 + np.exp(-r2 / 2)) * (F @ u)
        np.testing.assert_allclose([gx[j, i], gy[j, i]], want, rtol=1e-5, atol=1e-7)
    names = page.evaluate(
        "() => document.getElementById('grad-fig').data.filter((d) => d.type === 'heatmap')"
        ".map((d) => d.name)"
    )
    assert names == ["∂f/∂x", "∂f/∂y"]
    with page.expect_download() as info:
        page.click("#view-png")
    assert info.value.path().read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("size", [(390, 844), (1280, 720), (1920, 1080)])
@pytest.mark.parametrize("surface", ["dog", "quartic"])
def test_derivative_screenshots_and_axe(
    browser: Any, server_url: str, artifacts: Any, size: tuple[int, int], surface: str
) -> None:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto(f"/#surface={surface}&show=grad&{FAST}")
        pg.wait_for_selector("#app[data-status=done]")
        wait_grad(pg)
        wait_fitted(pg)
        pg.screenshot(path=str(artifacts / f"view-grad-{surface}-{size[0]}x{size[1]}.png"))
        found = violations(pg)
        assert found == [], found
    finally:
        ctx.close()
