"""The inspector's curvature axes (issue 17): the Hessian's eigen-directions drawn through the
inspected point on the contour, along the eigenvectors POST /api/analysis gave, half-lengths
∝ 1/√|λ|, solid where λ > 0 and dashed where λ < 0."""

from __future__ import annotations

import math
from typing import Any

import httpx
import numpy as np
import pytest
from uiutil import FAST, open_app

pytestmark = pytest.mark.browser

AXES = "() => window.descentlab.paths().filter((p) => p.meta && Number.isInteger(p.meta.eigen))"


def inspect_at(page: Any, x: float, y: float) -> None:
    page.click("#inspect-toggle")
    page.fill("#ins-x", str(x))
    page.fill("#ins-y", str(y))
    page.press("#ins-y", "Enter")
    page.wait_for_selector("#ins-out[data-state=ready]")
    page.wait_for_function(f"() => ({AXES})().length === 2")


def test_eigen_axes_follow_the_hessian(page: Any, server_url: str) -> None:
    open_app(page, f"surface=himmelblau&{FAST}")
    inspect_at(page, 2, -1)  # H = [[2, 4], [4, -6]]: a saddle-like point, axes off the grid
    answer = httpx.post(
        f"{server_url}/api/analysis",
        json={"surface": {"id": "himmelblau"}, "point": [2, -1]},
        timeout=30,
    ).json()
    lams = answer["eigenvalues"]
    assert lams[0] < 0 < lams[1]
    axes = sorted(page.evaluate(AXES), key=lambda a: a["meta"]["eigen"])
    halves = []
    for axis, lam, vec in zip(axes, lams, answer["eigenvectors"], strict=True):
        (x0, x1), (y0, y1) = axis["x"], axis["y"]
        assert (x0 + x1) / 2 == pytest.approx(2) and (y0 + y1) / 2 == pytest.approx(-1)
        d = np.array([x1 - x0, y1 - y0])
        half = np.linalg.norm(d) / 2
        # drawn along the API's eigenvector (either sign)
        assert abs(abs(np.dot(d / (2 * half), vec)) - 1) < 1e-9
        assert axis["dash"] == ("" if lam > 0 else "7,4")
        halves.append(half)
    # 1/√|λ|: the ratio of the half-lengths is √(|λ1| / |λ0|)
    assert halves[0] / halves[1] == pytest.approx(math.sqrt(abs(lams[1]) / abs(lams[0])), rel=1e-9)
    # the longer is 20% of the view's shorter side (Himmelblau's window is 10 × 10)
    assert max(halves) == pytest.approx(0.2 * 10, rel=1e-6)
    assert "half-length ∝ 1/√|λ|" in page.locator("#ins-out .axes-note").inner_text()
    # the axes are drawn in the layer over the plot: a path each, in the SVG
    assert page.locator("#surface-stage .pathlayer path[stroke='#a3167f']").count() == 1
    page.click("#ins-close")
    page.wait_for_function(f"() => ({AXES})().length === 0")
    assert page.console.errors == []


def test_minimum_axes_are_solid_and_screenshot(page: Any, artifacts: Any) -> None:
    open_app(page, f"surface=rosenbrock&{FAST}")
    inspect_at(page, 1, 1)
    axes = page.evaluate(AXES)
    assert [a["dash"] for a in axes] == ["", ""]  # a minimum curves up every way
    page.screenshot(path=str(artifacts / "inspect-axes.png"))
