"""Every rule with a torch.optim counterpart follows torch's float64 path, step for step.

The loss on the torch side is written out again from the catalog's formula (and checked against
the catalog's values first), torch differentiates it, and torch.optim steps it. Our engine runs
the same start, hyperparameters and schedule; the two 200-step paths agree to 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from descentlab import engine
from descentlab.engine import Stop
from descentlab.optimizers import REGISTRY
from descentlab.problems import make_problem

STEPS = 200
TOL = 1e-9

TorchLoss = Callable[[torch.Tensor], torch.Tensor]


def _quadratic(kappa: float, angle: float) -> TorchLoss:
    c, s = math.cos(angle * math.pi / 180), math.sin(angle * math.pi / 180)
    return lambda p: (c * p[0] + s * p[1]) ** 2 + kappa * (-s * p[0] + c * p[1]) ** 2


def _rosenbrock(a: float, b: float) -> TorchLoss:
    return lambda p: (a - p[0]) ** 2 + b * (p[1] - p[0] ** 2) ** 2


def _nightmare() -> TorchLoss:
    def loss(p: torch.Tensor) -> torch.Tensor:
        x, y = p[0], p[1]
        ring = torch.sqrt((x + 3) ** 2 + (y + 0.5) ** 2)
        return (
            -torch.exp(-((x + 2) ** 2 + (y - 3) ** 2) / 20)
            + torch.exp(-((x - 2) ** 2 + (y + 3) ** 2) / 20)
            + 0.08 * torch.cos(6 * ring)
            - 0.75 * torch.exp(-((x - 3) ** 2 + (y - 0.5) ** 2) / 5)
            - 0.75 * torch.exp(-((x + 3) ** 2 + (y + 0.5) ** 2) / 2)
            + torch.exp(-2 * (y + 1) ** 2)
        )

    return loss


# surface spec (as the engine takes it) -> the same loss in torch
SURFACES: dict[str, tuple[dict[str, Any], TorchLoss]] = {
    "quadratic": (
        {"id": "quadratic", "params": {"kappa": 10.0, "angle": 30.0}},
        _quadratic(10.0, 30.0),
    ),
    "rosenbrock": ({"id": "rosenbrock"}, _rosenbrock(1.0, 100.0)),
    "nightmare": ({"id": "nightmare"}, _nightmare()),
}

# Registry entries that are one torch class with a flag set: the flag, and the hyperparameters
# whose default deliberately differs from torch's because they define the variant.
VARIANTS: dict[str, dict[str, Any]] = {
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9, "nesterov": True},
    "amsgrad": {"amsgrad": True},
}

TORCH_BACKED = [o.id for o in REGISTRY if o.torch]

# Non-default hyperparameters and schedules, declared as data: (optimizer, params, surface,
# schedule). Every torch-backed rule also runs with its defaults on every surface.
CASES: list[tuple[str, dict[str, Any], str, dict[str, Any] | None]] = [
    ("gd", {"lr": 0.02, "weight_decay": 0.1}, "quadratic", None),
    (
        "momentum",
        {"lr": 1e-3, "momentum": 0.8, "dampening": 0.1, "weight_decay": 0.01},
        "rosenbrock",
        None,
    ),
    ("nesterov", {"lr": 5e-3, "momentum": 0.7, "weight_decay": 0.05}, "quadratic", None),
    ("nesterov", {"lr": 0.05, "momentum": 0.9}, "nightmare", None),
    (
        "adagrad",
        {
            "lr": 0.3,
            "lr_decay": 0.01,
            "weight_decay": 0.01,
            "initial_accumulator_value": 0.1,
            "eps": 1e-8,
        },
        "rosenbrock",
        None,
    ),
    (
        "rmsprop",
        {"lr": 1e-3, "alpha": 0.9, "momentum": 0.5, "weight_decay": 0.01},
        "rosenbrock",
        None,
    ),
    ("rmsprop", {"lr": 0.01, "centered": 1, "momentum": 0.3}, "nightmare", None),
    ("adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}, "quadratic", None),
    (
        "adam",
        {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1},
        "rosenbrock",
        None,
    ),
    ("amsgrad", {"lr": 0.05, "weight_decay": 0.01}, "nightmare", None),
    ("adamw", {"lr": 0.05, "weight_decay": 0.1}, "nightmare", None),
    ("adamw", {"lr": 0.01, "betas": [0.5, 0.9]}, "rosenbrock", None),
    ("nadam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.01}, "rosenbrock", None),
    # schedules: our closed forms against torch's chained schedulers
    ("gd", {"lr": 0.05}, "quadratic", {"id": "exponential", "params": {"gamma": 0.98}}),
    ("adam", {"lr": 0.1}, "quadratic", {"id": "step", "params": {"step_size": 50, "gamma": 0.5}}),
    (
        "momentum",
        {"lr": 2e-3, "momentum": 0.9},
        "rosenbrock",
        {"id": "cosine", "params": {"T_max": 150, "eta_min": 1e-4}},
    ),
    ("rmsprop", {"lr": 0.05}, "nightmare", {"id": "exponential", "params": {"gamma": 0.99}}),
]


@pytest.fixture(autouse=True, scope="module")
def _float64_scalars():
    """torch keeps NAdam's mu_product in the default dtype: float64, as our state is."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def _torch_kwargs(optimizer_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Our resolved hyperparameters as torch's constructor takes them."""
    hp = REGISTRY.get(optimizer_id).resolve(params)
    kwargs: dict[str, Any] = {**VARIANTS.get(optimizer_id, {}), **hp, "foreach": False}
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if "centered" in kwargs:
        kwargs["centered"] = bool(kwargs["centered"])
    return kwargs


def _torch_scheduler(opt: torch.optim.Optimizer, schedule: dict[str, Any] | None) -> Any:
    if schedule is None:
        return None
    p = schedule["params"]
    lr_scheduler = torch.optim.lr_scheduler
    if schedule["id"] == "step":
        return lr_scheduler.StepLR(opt, step_size=int(p["step_size"]), gamma=p["gamma"])
    if schedule["id"] == "exponential":
        return lr_scheduler.ExponentialLR(opt, gamma=p["gamma"])
    if schedule["id"] == "cosine":
        return lr_scheduler.CosineAnnealingLR(opt, T_max=int(p["T_max"]), eta_min=p["eta_min"])
    raise AssertionError(schedule["id"])


def torch_path(
    optimizer_id: str,
    params: dict[str, Any],
    loss: TorchLoss,
    start: np.ndarray,
    schedule: dict[str, Any] | None,
) -> np.ndarray:
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    cls = getattr(torch.optim, REGISTRY.get(optimizer_id).torch or "")
    opt = cls([p], **_torch_kwargs(optimizer_id, params))
    scheduler = _torch_scheduler(opt, schedule)
    path = [p.detach().numpy().copy()]
    for _ in range(STEPS):
        opt.zero_grad()
        loss(p).backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


def our_path(
    optimizer_id: str, params: dict[str, Any], surface: str, schedule: dict[str, Any] | None
) -> np.ndarray:
    spec, _ = SURFACES[surface]
    traj = engine.run(
        spec,
        optimizer_id,
        params=params,
        schedule=schedule,
        stop=Stop(max_steps=STEPS, grad_tol=None),
    )
    assert traj.status == ["max_steps"], traj.message  # a padded path would hide a mismatch
    return traj.path[0]


@pytest.mark.parametrize("surface", list(SURFACES))
def test_torch_losses_match_the_catalog(surface):
    spec, loss = SURFACES[surface]
    problem = make_problem(spec)
    X = np.random.default_rng(0).uniform(problem.domain[:, 0], problem.domain[:, 1], (20, 2))
    ours = problem.value(X)
    theirs = [loss(torch.tensor(x, dtype=torch.float64)).item() for x in X]
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("optimizer_id", TORCH_BACKED)
def test_default_hyperparameters_follow_torch_path(optimizer_id, surface):
    start = make_problem(SURFACES[surface][0]).start
    ours = our_path(optimizer_id, {}, surface, None)
    theirs = torch_path(optimizer_id, {}, SURFACES[surface][1], start, None)
    np.testing.assert_allclose(ours, theirs, rtol=TOL, atol=TOL)


@pytest.mark.parametrize(
    ("optimizer_id", "params", "surface", "schedule"),
    CASES,
    ids=[f"{c[0]}-{c[2]}-{(c[3] or {}).get('id', 'constant')}" for c in CASES],
)
def test_hyperparameters_and_schedules_follow_torch_path(optimizer_id, params, surface, schedule):
    start = make_problem(SURFACES[surface][0]).start
    ours = our_path(optimizer_id, params, surface, schedule)
    theirs = torch_path(optimizer_id, params, SURFACES[surface][1], start, schedule)
    assert np.abs(ours[-1] - ours[0]).max() > 1e-3  # the case moves: it tests something
    np.testing.assert_allclose(ours, theirs, rtol=TOL, atol=TOL)


def test_every_torch_backed_rule_has_a_non_default_case():
    assert {c[0] for c in CASES} == set(TORCH_BACKED)


@pytest.mark.parametrize("optimizer_id", TORCH_BACKED)
def test_defaults_and_names_equal_torch(optimizer_id):
    opt = REGISTRY.get(optimizer_id)
    variant = VARIANTS.get(optimizer_id, {})
    cls = getattr(torch.optim, opt.torch or "")
    torch_defaults = cls([torch.zeros(2, requires_grad=True)]).defaults
    for hyper in opt.hypers:
        assert hyper.name in torch_defaults, f"{hyper.name} is not a torch.optim.{opt.torch} name"
        if hyper.name not in variant:
            assert hyper.default == torch_defaults[hyper.name], hyper.name
        else:
            assert hyper.default == variant[hyper.name] != torch_defaults[hyper.name]
