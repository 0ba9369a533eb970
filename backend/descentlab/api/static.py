"""The browser UI: index.html, content-hashed assets and the vendored Plotly.js.

Asset URLs carry a hash of every frontend file (computed once at startup), so they can be
cached for a year and a new release is never served stale; index.html itself is ``no-cache``.
Plotly.js: the page loads the cartesian bundle and the 3-D view the full one, both as
:mod:`.plotly_bundle` prepares them.
The page gets a modulepreload link per ES module, so they all download at once.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from .plotly_bundle import Bundle, plotly_gzipped, plotly_js_version, plotly_source

IMMUTABLE = "public, max-age=31536000, immutable"


def content_hash(assets: dict[str, tuple[bytes, str]]) -> str:
    """A short sha256 over every file's relative path and bytes."""
    digest = hashlib.sha256()
    for name in sorted(assets):
        digest.update(name.encode() + b"\0")
        digest.update(assets[name][0])
    return digest.hexdigest()[:12]


def read_assets(root: Path) -> dict[str, tuple[bytes, str]]:
    """Every file under ``root`` (a few hundred KB) by its relative path, with its media type:
    read once, so an asset costs the server a dictionary lookup rather than a file's reads in
    worker threads (the page asks for thirty modules at once)."""
    assets = {}
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            assets[path.relative_to(root).as_posix()] = (path.read_bytes(), media)
    return assets


@dataclass(frozen=True)
class Frontend:
    root: Path
    assets: dict[str, tuple[bytes, str]]
    digest: str

    @property
    def static_url(self) -> str:
        return f"/static/{self.digest}"

    @property
    def plotly_url(self) -> str:
        """The page's Plotly: the cartesian bundle."""
        return f"/vendor/plotly-cartesian-{plotly_js_version('cartesian')}.min.js"

    @property
    def plotly_full_url(self) -> str:
        """The 3-D view's Plotly: the installed package's full bundle."""
        return f"/vendor/plotly-{plotly_js_version('full')}.min.js"

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
        html = html.replace("{{PLOTLY_FULL}}", self.plotly_full_url)
        return html.replace("{{STATIC}}", self.static_url).replace("{{PLOTLY}}", self.plotly_url)


def mount_frontend(app: FastAPI, root: Path) -> Frontend:
    assets = read_assets(root)
    frontend = Frontend(root, assets, content_hash(assets))
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

    def serve_plotly(bundle: Bundle, url: str) -> None:
        @router.api_route(url, methods=["GET", "HEAD"], name=f"plotly_{bundle}")
        def plotly_js(request: Request) -> Response:
            headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
            if "gzip" in request.headers.get("accept-encoding", ""):
                headers["Content-Encoding"] = "gzip"
                return Response(
                    plotly_gzipped(bundle), media_type="text/javascript", headers=headers
                )
            return Response(plotly_source(bundle), media_type="text/javascript", headers=headers)

    serve_plotly("cartesian", frontend.plotly_url)
    serve_plotly("full", frontend.plotly_full_url)

    @router.api_route(frontend.static_url + "/{path:path}", methods=["GET", "HEAD"])
    async def asset(path: str) -> Response:
        # (the URL changes with the content, so an answer may be cached forever)
        found = frontend.assets.get(path)
        if found is None:
            return Response("Not Found", 404, headers={"Cache-Control": "no-cache"})
        body, media = found
        return Response(body, media_type=media, headers={"Cache-Control": IMMUTABLE})

    app.include_router(router)
    return frontend
