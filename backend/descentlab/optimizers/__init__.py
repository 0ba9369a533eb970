"""Update rules and the registry of every optimiser, declared as data."""

from __future__ import annotations

from ..registry import Registry
from . import first_order, scipy_methods, second_order, zeroth_order
from .base import Optimizer

REGISTRY: Registry[Optimizer] = Registry(
    "optimizer",
    first_order.OPTIMIZERS
    + second_order.OPTIMIZERS
    + scipy_methods.OPTIMIZERS
    + zeroth_order.OPTIMIZERS,
)

__all__ = ["REGISTRY", "Optimizer"]
