"""Property-based fuzzing of every route from the OpenAPI schema: nothing a client sends may
answer a 5xx (schemathesis generates valid and invalid bodies, queries and paths)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from descentlab.api import create_app
from descentlab.api.animations import AnimationJobs


def _no_render(source: Any, path: Path, **options: Any) -> Path:
    """An animation accepted and finished at once: a real one takes seconds of Chromium."""
    Path(path).write_bytes(b"")
    return Path(path)


app = create_app()
app.state.animations = AnimationJobs(Path(tempfile.mkdtemp()), render=_no_render)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_answers_5xx(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
