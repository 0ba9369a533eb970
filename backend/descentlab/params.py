"""Parameters as data: one declaration serves validation, the API schema and the UI's slider.

Optimiser hyperparameters, surface parameters and schedule parameters are all :class:`Param`,
and :func:`resolve` is the one way a dict of given values becomes a checked, complete one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DescentLabError

ParamValue = float | tuple[float, ...]


@dataclass(frozen=True)
class Param:
    """One named number (or tuple of numbers, like Adam's ``betas``) with its range."""

    name: str
    default: ParamValue
    low: float
    high: float
    scale: str = "linear"  # "log" for learning rates, epsilons, sizes spanning decades
    help: str = ""
    integer: bool = False
    per_row: bool = True  # False: it shapes every row's step alike (a count), so no sweep

    @property
    def size(self) -> int:
        """1 for a number; the length of a tuple-valued one such as Adam's ``betas``."""
        return len(self.default) if isinstance(self.default, tuple) else 1

    def check(self, value: Any, field_path: str) -> ParamValue:
        if self.size > 1:
            if not isinstance(value, (list, tuple)) or len(value) != self.size:
                raise DescentLabError(field_path, f"must be a list of {self.size} numbers")
            return tuple(self._check_one(v, f"{field_path}.{i}") for i, v in enumerate(value))
        return self._check_one(value, field_path)

    def _check_one(self, value: Any, field_path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise DescentLabError(field_path, "must be a number")
        value = float(value)
        if not np.isfinite(value):
            raise DescentLabError(field_path, "must be finite")
        if not self.low <= value <= self.high:
            raise DescentLabError(
                field_path, f"must be between {self.low:g} and {self.high:g}, got {value:g}"
            )
        if self.integer and not value.is_integer():
            raise DescentLabError(field_path, "must be a whole number")
        return value

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": list(self.default) if isinstance(self.default, tuple) else self.default,
            "low": self.low,
            "high": self.high,
            "scale": self.scale,
            "help": self.help,
            "integer": self.integer,
            "size": self.size,
            "sweepable": self.per_row,
        }


def resolve(
    params: Iterable[Param], given: Mapping[str, Any] | None, prefix: str, owner: str
) -> dict[str, Any]:
    """``given`` checked against ``params``, defaults filled in. Errors name ``prefix.<name>``;
    ``owner`` says whose parameters they are (``optimizer 'adam'``)."""
    known = {p.name: p for p in params}
    given = dict(given or {})
    unknown = sorted(set(given) - set(known))
    if unknown:
        names = ", ".join(known) or "none"
        raise DescentLabError(
            f"{prefix}.{unknown[0]}", f"unknown parameter of {owner} (known: {names})"
        )
    return {
        name: p.check(given[name], f"{prefix}.{name}") if name in given else p.default
        for name, p in known.items()
    }
