"""Surfaces the user types: ``{"expression": "x^2 + a*y^2", "params": {"a": 3}, ...}``.

A typed surface becomes a :class:`~.base.Surface` like any catalog entry, so it goes through
the same parser, differentiator and evaluator (one mechanism, not two). What is typed is only
ever parsed (see :mod:`.parse`); the limits of :mod:`descentlab.limits` bound its size and the
time its derivatives may take.
"""

from __future__ import annotations

import math
from typing import Any

from .. import limits
from ..errors import DescentLabError
from ..params import Param
from .base import Problem, Surface
from .parse import parse

FIELDS = ("expression", "params", "domain", "start", "name")
DEFAULT_DOMAIN = (-5.0, 5.0)


def _number(value: Any, field_path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DescentLabError(field_path, "must be a number")
    value = float(value)
    if not math.isfinite(value) or abs(value) > limits.EXPRESSION_MAX_ABS:
        raise DescentLabError(
            field_path, f"must be finite and at most {limits.EXPRESSION_MAX_ABS:g} in size"
        )
    return value


def _params(given: Any, field_path: str) -> tuple[Param, ...]:
    if given is None:
        return ()
    if not isinstance(given, dict):
        raise DescentLabError(field_path, "must be an object of name: number")
    if len(given) > limits.MAX_PARAMETERS:
        raise DescentLabError(field_path, f"at most {limits.MAX_PARAMETERS} parameters")
    bound = limits.EXPRESSION_MAX_ABS
    return tuple(
        Param(
            str(name),
            _number(value, f"{field_path}.{name}"),
            -bound,
            bound,
            help="declared with the expression",
        )
        for name, value in given.items()
    )


def _domain(given: Any, dim: int, field_path: str) -> tuple[tuple[float, float], ...]:
    if given is None:
        return (DEFAULT_DOMAIN,) * dim
    if not isinstance(given, (list, tuple)) or len(given) != dim:
        raise DescentLabError(field_path, f"must be {dim} pair(s) [low, high]")
    out = []
    for i, pair in enumerate(given):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise DescentLabError(f"{field_path}.{i}", "must be a pair [low, high]")
        low, high = (_number(v, f"{field_path}.{i}.{k}") for k, v in enumerate(pair))
        if not low < high:
            raise DescentLabError(f"{field_path}.{i}", "low must be below high")
        out.append((low, high))
    return tuple(out)


def typed_surface(spec: dict[str, Any], field_path: str = "surface") -> Surface:
    extra = sorted(set(spec) - set(FIELDS))
    if extra:
        raise DescentLabError(f"{field_path}.{extra[0]}", "unknown field")
    params = _params(spec.get("params"), f"{field_path}.params")
    text = spec["expression"]
    try:
        parsed = parse(text, [p.name for p in params])
    except DescentLabError as err:
        raise (
            err.within(field_path)
            if err.field != "expression"
            else DescentLabError(f"{field_path}.expression", err.message, position=err.position)
        ) from None
    domain = _domain(spec.get("domain"), parsed.dim, f"{field_path}.domain")
    start = spec.get("start")
    if start is None:  # off-centre, so a bowl centred in the view still shows a path
        start_point = tuple(low + 0.8 * (high - low) for low, high in domain)
    else:
        if not isinstance(start, (list, tuple)) or len(start) != parsed.dim:
            raise DescentLabError(f"{field_path}.start", f"must have {parsed.dim} coordinate(s)")
        start_point = tuple(_number(v, f"{field_path}.start.{i}") for i, v in enumerate(start))
    name = spec.get("name") or (text if len(text) <= 80 else text[:79] + "…")
    if not isinstance(name, str) or len(name) > 200:
        raise DescentLabError(f"{field_path}.name", "must be a string of at most 200 characters")
    return Surface(
        id="expression",
        name=name,
        expression=text,
        domain=domain,
        start=start_point,
        params=params,
        description="A surface typed by the user.",
        compile_budget=limits.EXPRESSION_COMPILE_SECONDS,
    )


def typed_problem(spec: dict[str, Any], field_path: str = "surface") -> Problem:
    surface = typed_surface(spec, field_path)
    try:
        return surface.bind()
    except DescentLabError as err:
        raise DescentLabError(f"{field_path}.expression", err.message) from None
