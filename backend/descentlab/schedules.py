"""Learning-rate schedules: plain functions of the step count, declared as data.

``lr_t = schedule(lr, t, **params)`` for steps t = 0, 1, 2, ... (t = 0 is the first update, which
uses ``lr`` itself). Names and parameters follow ``torch.optim.lr_scheduler`` where it has the
schedule (StepLR, ExponentialLR, CosineAnnealingLR) and the engine's trajectories equal torch's
with ``scheduler.step()`` after every ``optimizer.step()``. Every rule that takes ``lr`` takes a
schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DescentLabError
from .params import Param, resolve
from .registry import Registry


def _constant(lr: Any, t: np.ndarray) -> Any:
    r"""$\eta_t = \eta$"""
    return lr + 0.0 * t


def _inverse_time(lr: Any, t: np.ndarray, t1: float) -> Any:
    r"""$\eta_t = \eta\,t_1/(t + t_1)$: the lecture's $t_0/(t+t_1)$ with $t_0 = \eta\,t_1$."""
    return lr * t1 / (t + t1)


def _step(lr: Any, t: np.ndarray, step_size: float, gamma: float) -> Any:
    r"""$\eta_t = \eta\,\gamma^{\lfloor t / k \rfloor}$ (torch's StepLR; the lecture's x0.1)."""
    return lr * gamma ** np.floor(t / step_size)


def _exponential(lr: Any, t: np.ndarray, gamma: float) -> Any:
    r"""$\eta_t = \eta\,\gamma^t$ (torch's ExponentialLR)."""
    return lr * gamma**t


def _cosine(lr: Any, t: np.ndarray, T_max: float, eta_min: float) -> Any:
    r"""$\eta_t = \eta_{min} + (\eta - \eta_{min})(1 + \cos(\pi t / T_{max}))/2$ (torch's
    CosineAnnealingLR, closed form)."""
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t / T_max)) / 2


@dataclass(frozen=True)
class Schedule:
    id: str
    name: str
    fn: Callable[..., Any]
    hypers: tuple[Param, ...] = ()
    torch: str | None = None

    @property
    def formula(self) -> str:
        return (self.fn.__doc__ or "").strip()

    def resolve(self, given: Mapping[str, Any] | None, prefix: str) -> dict[str, Any]:
        return resolve(self.hypers, given, prefix, f"schedule {self.id!r}")

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "formula": self.formula,
            "torch": self.torch,
            "params": [h.describe() for h in self.hypers],
        }


SCHEDULES: Registry[Schedule] = Registry(
    "schedule",
    (
        Schedule("constant", "Constant", _constant),
        Schedule(
            "inverse_time",
            "Inverse time (lecture)",
            _inverse_time,
            (Param("t1", 50.0, 1.0, 1e5, "log", "steps until the rate has halved"),),
        ),
        Schedule(
            "step",
            "Step decay",
            _step,
            (
                Param("step_size", 100.0, 1.0, 1e5, "log", "steps between decays", integer=True),
                Param("gamma", 0.1, 1e-4, 1.0, "log", "factor applied at each decay"),
            ),
            torch="StepLR",
        ),
        Schedule(
            "exponential",
            "Exponential decay",
            _exponential,
            (Param("gamma", 0.99, 0.5, 1.0, "linear", "factor applied every step"),),
            torch="ExponentialLR",
        ),
        Schedule(
            "cosine",
            "Cosine annealing",
            _cosine,
            (
                Param("T_max", 1000.0, 1.0, 1e5, "log", "steps of one half-period", integer=True),
                Param("eta_min", 0.0, 0.0, 10.0, "linear", "the rate at the trough"),
            ),
            torch="CosineAnnealingLR",
        ),
    ),
)


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule with its parameters resolved: ``rates(lr, n)`` -> the first n rates."""

    schedule: Schedule
    params: dict[str, Any]

    def rates(self, lr: Any, n: int) -> np.ndarray:
        t = np.arange(n, dtype=float)
        if np.ndim(lr):  # one rate per batch row: (B, 1) -> (n, B, 1)
            t = t[:, None, None]
        return np.asarray(self.schedule.fn(lr, t, **self.params), dtype=float)

    def describe(self) -> dict[str, Any]:
        return {"id": self.schedule.id, "params": self.params}


def make_schedule(spec: Any, field_path: str = "schedule") -> ScheduleSpec | None:
    """None (constant), a schedule id, or ``{"id": ..., "params": {...}}``."""
    if spec is None:
        return None
    if isinstance(spec, str):
        spec = {"id": spec}
    if not isinstance(spec, dict) or "id" not in spec:
        raise DescentLabError(field_path, "must be a schedule id or an object with an `id`")
    extra = sorted(set(spec) - {"id", "params"})
    if extra:
        raise DescentLabError(f"{field_path}.{extra[0]}", "unknown field")
    schedule = SCHEDULES.get(spec["id"], f"{field_path}.id")
    if schedule.id == "constant":
        return None
    return ScheduleSpec(schedule, schedule.resolve(spec.get("params"), f"{field_path}.params"))
