"""JSON in and out through orjson.

Out: numpy arrays and NaN/Infinity become JSON (non-finite numbers as ``null``, as the API
promises). In: :class:`StrictJSONRoute` parses bodies with orjson, which refuses the
``NaN``/``Infinity`` literals Python's ``json`` module would let through.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=OPTIONS)


class JSON(JSONResponse):
    """The response class of every route (FastAPI's ORJSONResponse is deprecated); a
    JSONResponse, so the OpenAPI document says a route answers JSON, not a string."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


class _StrictRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())  # JSONDecodeError -> 422 json_invalid
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose body parser refuses NaN and Infinity."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictRequest(request.scope, request.receive))

        return strict
