"""``GET /asyncapi.json``: the WebSocket protocol as an AsyncAPI 3.0 document, generated from
the same pydantic models that validate the client's messages and describe the server's; their
schemas are in the OpenAPI document too (:func:`publish_messages`), so /docs shows them."""

from __future__ import annotations

import functools
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import descentlab

from ..schemas import CancelMessage, DoneMessage, ErrorMessage, FramesMessage, RunMessage

router = APIRouter(tags=["protocol"])

WS_PATH = "/ws/runs"
# message name -> (model, who sends it)
MESSAGES: dict[str, tuple[type[BaseModel], str]] = {
    "run": (RunMessage, "client"),
    "cancel": (CancelMessage, "client"),
    "frames": (FramesMessage, "server"),
    "done": (DoneMessage, "server"),
    "error": (ErrorMessage, "server"),
}


@functools.cache
def asyncapi_document() -> dict[str, Any]:
    mode: Literal["validation"] = "validation"
    models = [(model, mode) for model, _ in MESSAGES.values()]
    refs, schema = models_json_schema(models, ref_template="#/components/schemas/{model}")
    payloads = {name: refs[(model, "validation")] for name, (model, _) in MESSAGES.items()}

    def refs_of(sender: str) -> list[dict[str, str]]:
        return [
            {"$ref": f"#/channels/runs/messages/{name}"}
            for name, (_, who) in MESSAGES.items()
            if who == sender
        ]

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "DescentLab run streams",
            "version": descentlab.__version__,
            "description": "Runs streamed over one WebSocket: see docs/api.md.",
        },
        "channels": {
            "runs": {
                "address": WS_PATH,
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in MESSAGES},
            }
        },
        "operations": {
            "send": {
                "action": "receive",  # from the server's side: what it receives
                "channel": {"$ref": "#/channels/runs"},
                "messages": refs_of("client"),
            },
            "stream": {
                "action": "send",
                "channel": {"$ref": "#/channels/runs"},
                "messages": refs_of("server"),
            },
        },
        "components": {
            "messages": {name: {"name": name, "payload": payloads[name]} for name in MESSAGES},
            "schemas": schema.get("$defs", {}),
        },
    }


def publish_messages(app: FastAPI) -> None:
    """Add every WebSocket message's schema to ``app``'s OpenAPI document (by model name),
    beside the REST bodies: no route returns them, so FastAPI alone would leave them out."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schemas = build().setdefault("components", {}).setdefault("schemas", {})
            for name, schema in asyncapi_document()["components"]["schemas"].items():
                schemas.setdefault(name, schema)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


@router.get("/asyncapi.json")
def asyncapi() -> dict[str, Any]:
    """The WebSocket protocol (``/ws/runs``): every message each side sends, as JSON Schema."""
    return asyncapi_document()
