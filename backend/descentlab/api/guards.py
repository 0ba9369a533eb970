"""What stands between a client and the engine: the body-size limit and the error shapes.

Engine refusals (:class:`DescentLabError`) answer 422 in FastAPI's own validation shape, so a
client handles one kind of error whether pydantic or the engine caught it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import DescentLabError
from .responses import JSON


def field_loc(field: str) -> list[str | int]:
    """``"optimizers.0.params.lr"`` -> ``["optimizers", 0, "params", "lr"]``."""
    return [int(p) if p.isdigit() else p for p in field.split(".") if p]


def error_detail(err: DescentLabError, where: str) -> dict[str, Any]:
    return {"loc": [where, *field_loc(err.field)], "msg": err.message, "type": "value_error"}


async def _descentlab_error(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, DescentLabError)
    where = "body" if request.method in ("POST", "PUT", "PATCH") else "query"
    return JSON({"detail": [error_detail(exc, where)]}, status_code=422)


# How pydantic names a union's branches in an error's loc: a surface is a name (the string
# branch), a catalog reference or a typed expression.
_BRANCHES = {"SurfaceRef", "ExpressionSurface", "ScheduleRef"}
_STRING_BRANCH = "constrained-str"


def clean_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as the API answers them: locs without a union's branch names, the
    string branch's "should be a string" left out when another branch says more, and never the
    value given (``input``: a surface's data may be megabytes)."""
    wanted = [
        e for e in errors if not (_STRING_BRANCH in e["loc"] and isinstance(e.get("input"), dict))
    ] or errors
    return [
        {
            "loc": [p for p in e["loc"] if p not in _BRANCHES and p != _STRING_BRANCH],
            "msg": e["msg"],
            "type": e["type"],
        }
        for e in wanted
    ]


async def _validation_error(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, RequestValidationError)
    return JSON({"detail": clean_errors(list(exc.errors()))}, status_code=422)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DescentLabError, _descentlab_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


class BodyLimit:
    """ASGI middleware: an HTTP body over ``limit`` bytes answers 413 before anything parses
    it, whether it declares its length or streams it. Bodies are small, so it reads the whole
    body first and replays it to the app."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._reject(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await self._reject(send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send) -> None:
        body = b'{"detail":"request body too large (limit %d bytes)"}' % self.limit
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
