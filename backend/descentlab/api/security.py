"""Security headers on every HTTP response: a Content-Security-Policy that lets the page run
only the app's own scripts and talk only to its own server, and the usual hardening headers.

The API docs (``/docs``, ``/redoc``) are pages FastAPI writes with one inline script that
starts Swagger UI; only they may run an inline script, and nothing on them comes from a user.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Plotly writes its styles into the page (style elements and attributes), exports through
# data: and blob: URLs, and ReDoc renders in a blob: worker.
APP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'"
)
DOCS_POLICY = APP_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/docs", "/redoc")

COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    """ASGI middleware: adds the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(DOCS_PATHS)
        policy = (DOCS_POLICY if docs else APP_POLICY).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", policy), *COMMON]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
