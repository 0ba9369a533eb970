"""The notebook API: ``descentlab.run(surface, optimizer, start=..., lr=..., max_steps=...)``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import engine
from .optimizers import REGISTRY, Optimizer
from .problems import CATALOG, Surface
from .schedules import SCHEDULES, Schedule

_STOP_FIELDS = ("max_steps", "grad_tol", "grad_norm", "loss_tol", "bound")


def run(
    surface: str | dict[str, Any],
    optimizer: str,
    *,
    start: Any = None,
    schedule: Any = None,
    seed: int = 0,
    restarts: int = 0,
    restart_from: dict[str, Any] | None = None,
    batch_size: int | None = None,
    sampling: str = "shuffle",
    noise: float = 0.0,
    epochs: int | None = None,
    sweep: Mapping[str, Sequence[Any]] | None = None,
    **kwargs: Any,
) -> engine.Trajectory:
    """Run ``optimizer`` on ``surface``. Keyword arguments are the optimiser's hyperparameters
    (PyTorch's names: ``lr``, ``momentum``, ``betas``, ...) or stopping rules (``max_steps``,
    ``grad_tol``, ``grad_norm``, ``loss_tol``, ``bound``). ``batch_size``, ``sampling`` and
    ``epochs`` make it minibatch SGD on a data-fit surface; ``noise`` adds simulated gradient
    noise on any surface. ``restarts`` extra rows start uniformly over the domain, or with
    ``restart_from={"dist": "normal", "center": [0, 0], "sigma": 2}`` from N(center, σ²) as
    the notes draw them. ``sweep={"lr": [...], "momentum": [...]}`` runs every combination
    as one row of the batch (a pair such as ``betas``: a list of pairs); ``row(b)["params"]``
    holds row b's setting."""
    stop = engine.Stop(**{k: kwargs.pop(k) for k in _STOP_FIELDS if k in kwargs})
    stochastic = engine.Stochastic(batch_size, sampling, noise)
    return engine.run(
        surface,
        optimizer,
        start=start,
        params=kwargs,
        schedule=schedule,
        stop=stop,
        seed=seed,
        restarts=restarts,
        restart_from=restart_from,
        stochastic=stochastic,
        epochs=epochs,
        sweep=sweep,
    )


def surfaces() -> dict[str, Surface]:
    """The surface catalog, by id."""
    return dict(CATALOG.by_id)


def optimizers() -> dict[str, Optimizer]:
    """The optimiser registry, by id."""
    return dict(REGISTRY.by_id)


def schedules() -> dict[str, Schedule]:
    """The learning-rate schedules, by id."""
    return dict(SCHEDULES.by_id)
