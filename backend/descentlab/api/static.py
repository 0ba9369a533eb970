"""The browser UI: index.html, content-hashed assets and the vendored Plotly.js.

Asset URLs carry a hash of every frontend file (computed once at startup), so they can be
cached for a year and a new release is never served stale; index.html itself is ``no-cache``.
Plotly.js comes from the installed ``plotly`` package: no CDN, works offline.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import plotly
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def content_hash(root: Path) -> str:
    """A short sha256 over every file's relative path and bytes."""
    digest = hashlib.sha256()
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def plotly_js_version() -> str:
    """The version of the bundled plotly.js (its file header), not of the Python package."""
    try:
        with PLOTLY_JS.open("rb") as f:
            head = f.read(512).decode("ascii", "replace")
    except OSError:
        return "missing"
    found = re.search(r"plotly\.js v(\d+\.\d+\.\d+\S*)", head)
    return found.group(1) if found else "unknown"


@functools.cache
def _gzipped(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


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

    def index(self) -> str | None:
        try:
            html = (self.root / "index.html").read_text(encoding="utf-8")
        except OSError:
            return None
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
            # 4.8 MB -> 1.4 MB for a classroom's Wi-Fi; compressed once, then kept.
            body = _gzipped(PLOTLY_JS)
            headers["Content-Encoding"] = "gzip"
            return Response(body, media_type="text/javascript", headers=headers)
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers=headers)

    app.include_router(router)
    if root.is_dir():
        app.mount(frontend.static_url, ImmutableFiles(directory=root), name="static")
    return frontend
