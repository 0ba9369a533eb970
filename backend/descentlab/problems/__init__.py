"""What is minimised: the surface catalog and typed expressions, as one kind of Problem."""

from __future__ import annotations

from typing import Any

from ..errors import DescentLabError
from ..registry import Registry
from .base import Problem, Surface
from .catalog import SURFACES
from .datafit import DATA_SURFACES
from .typed import typed_problem
from .userdata import problem_with_data

CATALOG: Registry[Surface] = Registry("surface", SURFACES + DATA_SURFACES)

__all__ = ["CATALOG", "Problem", "Surface", "make_problem"]


def make_problem(spec: str | dict[str, Any] | Problem, field_path: str = "surface") -> Problem:
    """A Problem from a catalog id, ``{"id": ..., "params": {...}}`` (with ``"data": {"x",
    "y"}`` on a data-fit surface: the user's own data, :mod:`.userdata`), a typed surface
    ``{"expression": ..., "params": {...}, "domain": ..., "start": ...}``, or a Problem."""
    if isinstance(spec, Problem):
        return spec
    if isinstance(spec, dict) and "expression" in spec:
        return typed_problem(spec, field_path)
    if isinstance(spec, str):
        return CATALOG.get(spec, field_path).bind()
    if isinstance(spec, dict) and "id" in spec:
        extra = sorted(set(spec) - {"id", "params", "data"})
        if extra:
            raise DescentLabError(f"{field_path}.{extra[0]}", "unknown field")
        surface = CATALOG.get(spec["id"], f"{field_path}.id")
        if spec.get("data") is not None:
            return problem_with_data(surface, spec["data"], spec.get("params"), field_path)
        try:
            return surface.bind(spec.get("params"))
        except DescentLabError as err:
            raise err.within(field_path) from None
    raise DescentLabError(
        field_path, "must be a surface id, an object with an `id`, or one with an `expression`"
    )
