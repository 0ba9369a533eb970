"""The browser UI: index.html, content-hashed assets and the vendored Plotly.js.

Asset URLs carry a hash of every frontend file (computed once at startup), so they can be
cached for a year and a new release is never served stale; index.html itself is ``no-cache``.
Plotly.js comes from the installed ``plotly`` package, as :mod:`.plotly_bundle` prepares it.
The page gets a modulepreload link per ES module, so they all download at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .plotly_bundle import plotly_gzipped, plotly_js_version, plotly_source

IMMUTABLE = "public, max-age=31536000, immutable"


def content_hash(root: Path) -> str:
    """A short sha256 over every file's relative path and bytes."""
    digest = hashlib.sha256()
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class ImmutableFiles(StaticFiles):
    """StaticFiles whose answers may be cached forever (the URL changes with the content)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        ok = response.status_code in (200, 304)
        response.headers["Cache-Control"] = IMMUTABLE if ok else "no-cache"
        return response


@dataclass(frozen=True)
class Frontend:
    root: Path
    digest: str
    plotly_version: str

    @property
    def static_url(self) -> str:
        return f"/static/{self.digest}"

    @property
    def plotly_url(self) -> str:
        return f"/vendor/plotly-{self.plotly_version}.min.js"

    def module_preloads(self) -> str:
        """A modulepreload link per ES module: the browser fetches them all at once, instead of
        finding each import only when the module importing it has arrived."""
        modules = sorted(p.name for p in (self.root / "js").glob("*.js"))
        return "\n  ".join(
            f'<link rel="modulepreload" href="{self.static_url}/js/{name}">' for name in modules
        )

    def index(self) -> str | None:
        try:
            html = (self.root / "index.html").read_text(encoding="utf-8")
        except OSError:
            return None
        html = html.replace("{{MODULES}}", self.module_preloads())
        return html.replace("{{STATIC}}", self.static_url).replace("{{PLOTLY}}", self.plotly_url)


def mount_frontend(app: FastAPI, root: Path) -> Frontend:
    frontend = Frontend(root, content_hash(root), plotly_js_version())
    router = APIRouter(tags=["frontend"], include_in_schema=False)

    @router.api_route("/", methods=["GET", "HEAD"])
    def index() -> HTMLResponse:
        html = frontend.index()
        if html is None:
            return HTMLResponse(
                "<h1>DescentLab</h1><p>The frontend is missing (no index.html in "
                f"{root}). The API is at <a href='/docs'>/docs</a>.</p>",
                status_code=404,
                headers={"Cache-Control": "no-cache"},
            )
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    @router.api_route(frontend.plotly_url, methods=["GET", "HEAD"])
    def plotly_js(request: Request) -> Response:
        headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(plotly_gzipped(), media_type="text/javascript", headers=headers)
        return Response(plotly_source(), media_type="text/javascript", headers=headers)

    app.include_router(router)
    if root.is_dir():
        app.mount(frontend.static_url, ImmutableFiles(directory=root), name="static")
    return frontend
