"""The API docs work offline (Swagger UI and ReDoc from installed packages) and the page runs
under its Content-Security-Policy without a single violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, export, wait_done

pytestmark = pytest.mark.browser


def _only_loopback(page: Any) -> list[str]:
    """Refuse every request that leaves the server (a CDN, a font host) and list them."""
    outside: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    return outside


def test_swagger_ui_renders_offline(page: Any, artifacts: Path) -> None:
    outside = _only_loopback(page)
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "DescentLab" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-summary-path", has_text="/api/runs").first.wait_for()
    page.screenshot(path=str(artifacts / "docs-swagger.png"))
    assert outside == [] and page.console.errors == []


def test_redoc_renders_offline(page: Any, artifacts: Path) -> None:
    outside = _only_loopback(page)
    page.goto("/redoc")
    page.wait_for_selector("h1:has-text('DescentLab')", timeout=15_000)
    page.get_by_text("/api/runs").first.wait_for(state="attached")
    page.screenshot(path=str(artifacts / "docs-redoc.png"))
    # ReDoc's sidebar credit points at its CDN's logo: the policy blocks it before any request
    errors = [e for e in page.console.errors if "cdn.redoc.ly/redoc/logo" not in e]
    assert outside == [] and errors == []


def test_the_page_runs_under_its_content_security_policy(page: Any) -> None:
    violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    response = page.goto(f"/#surface=rosenbrock&opt=adam(lr:0.05)&{FAST}")
    assert response is not None
    assert "script-src 'self';" in response.headers["content-security-policy"]
    wait_done(page)
    with page.expect_download():  # Plotly's image export goes through data: URLs
        export(page, "png")
    assert violations == [] and page.console.errors == []
