"""The optimiser registry: every rule against its docstring formula written out by hand,
convergence (settings declared as data, as optax's tests do), the batch axis, seeds, bad
hyperparameters, and Newton where the Hessian misbehaves."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import autograd
import numpy as np
import pytest
from scipy.optimize import minimize

from descentlab import engine
from descentlab.engine import RunSpec, Stop
from descentlab.errors import DescentLabError
from descentlab.optimizers import REGISTRY
from descentlab.optimizers.base import ArrayOps, Oracle, StepContext
from descentlab.optimizers.second_order import solve_rows
from descentlab.problems import Problem, Surface, make_problem

STEPWISE = [o.id for o in REGISTRY if o.step is not None]
DRIVERS = [o.id for o in REGISTRY if o.driver is not None]
ZEROTH = [o.id for o in REGISTRY if o.family == "zeroth-order" and o.step]
WITH_LR = [i for i in STEPWISE if REGISTRY.get(i).uses_lr]


def test_registry_holds_the_canonical_ids_in_order():
    assert [o.id for o in REGISTRY] == [
        "gd",
        "momentum",
        "nesterov",
        "velocity-momentum",
        "ewa-momentum",
        "adagrad",
        "rmsprop",
        "adadelta",
        "adam",
        "adamw",
        "nadam",
        "amsgrad",
        "newton",
        "bfgs",
        "lbfgs",
        "newton-cg",
        "nelder-mead",
        "random-search",
        "hill-climbing",
        "simulated-annealing",
    ]


def surface(expression: str, start: tuple[float, float] = (1.0, 1.0)) -> Problem:
    return Surface(
        id="test",
        name="test",
        expression=expression,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=start,
    ).bind()


# --- 1. each rule against its formula, by hand ------------------------------------------------
#
# A reference takes (loss, gradient, Hessian) of one point from autograd (not the engine's own
# derivatives), the start, the resolved hyperparameters, the number of steps and the seed, and
# returns the path. Each is written straight from the rule's docstring.

Oracles = tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]
Reference = Callable[[Problem, Oracles, np.ndarray, dict[str, Any], int, int], list[np.ndarray]]


def ref_sgd(nesterov: bool = False) -> Reference:
    def ref(problem, fgh, x, hp, n, seed):
        _, grad, _ = fgh
        lr, wd = hp["lr"], hp["weight_decay"]
        mu, tau = hp.get("momentum", 0.0), hp.get("dampening", 0.0)
        path, b = [x], None
        for t in range(1, n + 1):
            g = grad(x) + wd * x
            b = g if t == 1 else mu * b + (1 - tau) * g
            d = g + mu * b if nesterov else b
            x = x - lr * d
            path.append(x)
        return path

    return ref


def ref_adagrad(problem, fgh, x, hp, n, seed):
    s, path = np.full(2, hp["initial_accumulator_value"]), [x]
    for t in range(1, n + 1):
        g = fgh[1](x) + hp["weight_decay"] * x
        lr_t = hp["lr"] / (1 + (t - 1) * hp["lr_decay"])
        s = s + g**2
        x = x - lr_t * g / (np.sqrt(s) + hp["eps"])
        path.append(x)
    return path


def ref_velocity_momentum(problem, fgh, x, hp, n, seed):
    v, path = np.zeros(2), [x]
    for _ in range(n):
        v = hp["momentum"] * v + hp["lr"] * fgh[1](x)
        x = x - v
        path.append(x)
    return path


def ref_ewa_momentum(problem, fgh, x, hp, n, seed):
    beta, v, path = hp["beta"], np.zeros(2), [x]
    for t in range(1, n + 1):
        v = beta * v + (1 - beta) * fgh[1](x)
        x = x - hp["lr"] * (v / (1 - beta**t) if hp["bias_correction"] else v)
        path.append(x)
    return path


def ref_rmsprop(problem, fgh, x, hp, n, seed):
    alpha, mu = hp["alpha"], hp["momentum"]
    v, gbar, b, path = np.zeros(2), np.zeros(2), np.zeros(2), [x]
    for _ in range(n):
        g = fgh[1](x) + hp["weight_decay"] * x
        v = alpha * v + (1 - alpha) * g**2
        gbar = alpha * gbar + (1 - alpha) * g
        a = np.sqrt(v - gbar**2) if hp["centered"] else np.sqrt(v)
        b = mu * b + g / (a + hp["eps"])
        x = x - hp["lr"] * b
        path.append(x)
    return path


def ref_adadelta(problem, fgh, x, hp, n, seed):
    rho, eps = hp["rho"], hp["eps"]
    v, u, path = np.zeros(2), np.zeros(2), [x]
    for _ in range(n):
        g = fgh[1](x) + hp["weight_decay"] * x
        v = rho * v + (1 - rho) * g**2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        x = x - hp["lr"] * delta
        path.append(x)
    return path


def ref_adam(amsgrad: bool = False, decoupled: bool = False) -> Reference:
    def ref(problem, fgh, x, hp, n, seed):
        (b1, b2), lr, wd = hp["betas"], hp["lr"], hp["weight_decay"]
        m, v, vmax, path = np.zeros(2), np.zeros(2), np.zeros(2), [x]
        for t in range(1, n + 1):
            g = fgh[1](x)
            if decoupled:
                x = (1 - lr * wd) * x
            else:
                g = g + wd * x
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            vmax = np.maximum(vmax, v)
            m_hat = m / (1 - b1**t)
            v_hat = (vmax if amsgrad else v) / (1 - b2**t)
            x = x - lr * m_hat / (np.sqrt(v_hat) + hp["eps"])
            path.append(x)
        return path

    return ref


def ref_nadam(problem, fgh, x, hp, n, seed):
    (b1, b2), psi = hp["betas"], hp["momentum_decay"]
    m, v, prod, path = np.zeros(2), np.zeros(2), 1.0, [x]
    for t in range(1, n + 1):
        g = fgh[1](x) + hp["weight_decay"] * x
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        prod = prod * mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        d = np.sqrt(v / (1 - b2**t)) + hp["eps"]
        x = x - hp["lr"] * ((1 - mu) / (1 - prod) * g + mu_next / (1 - prod * mu_next) * m) / d
        path.append(x)
    return path


def ref_newton(problem, fgh, x, hp, n, seed):
    path = [x]
    for _ in range(n):
        H = fgh[2](x) + hp["damping"] * np.eye(2)
        x = x - hp["lr"] * np.linalg.solve(H, fgh[1](x))
        path.append(x)
    return path


def ref_scipy(method: str, options: Callable[[dict[str, Any]], dict[str, Any]]) -> Reference:
    """scipy itself, called directly with autograd's derivatives and an old-style callback."""

    def ref(problem, fgh, x, hp, n, seed):
        f, grad, hess = fgh
        path = [x]
        minimize(
            f,
            x,
            method=method,
            callback=lambda xk: path.append(np.copy(xk)),
            jac=None if method == "Nelder-Mead" else grad,
            hess=hess if method == "Newton-CG" else None,
            options={**options(hp), "maxiter": n + 1},  # Nelder-Mead counts from 1
        )
        return path[: n + 1]

    return ref


# The draws' scheme (descentlab.optimizers.draws), written out again on Python's ints and math:
# splitmix64's finaliser keyed on (seed, row, t, draw); uniforms from the top 53 bits; normals
# in pairs by Box-Muller, normals 2p and 2p + 1 from uniforms 2p and 2p + 1.
_M64 = (1 << 64) - 1


def _mix(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def ref_uniform(seed: int, t: int, i: int, row: int = 0) -> float:
    key = _mix(_mix(_mix(seed) ^ row) ^ t)
    return (_mix(key ^ i) >> 11) / 2.0**53


def ref_normal(seed: int, t: int, j: int, row: int = 0) -> float:
    p = j // 2
    u0, u1 = ref_uniform(seed, t, 2 * p, row), ref_uniform(seed, t, 2 * p + 1, row)
    trig = math.cos if j % 2 == 0 else math.sin
    return math.sqrt(-2.0 * math.log(1.0 - u0)) * trig(2.0 * math.pi * u1)


def ref_random_search(problem, fgh, x, hp, n, seed):
    f, S, path = fgh[0], int(hp["samples"]), [x]
    (lo0, hi0), (lo1, hi1) = problem.domain
    for t in range(1, n + 1):
        ys = [
            np.array(
                [
                    lo0 + (hi0 - lo0) * ref_uniform(seed, t, 2 * s),
                    lo1 + (hi1 - lo1) * ref_uniform(seed, t, 2 * s + 1),
                ]
            )
            for s in range(S)
        ]
        best = min(ys, key=f)
        x = best if f(best) < f(x) else x
        path.append(x)
    return path


def ref_hill_climbing(problem, fgh, x, hp, n, seed):
    f, S, path = fgh[0], int(hp["samples"]), [x]
    for t in range(1, n + 1):
        ys = [
            x + hp["sigma"] * np.array([ref_normal(seed, t, 2 * s), ref_normal(seed, t, 2 * s + 1)])
            for s in range(S)
        ]
        best = min(ys, key=f)
        x = best if f(best) < f(x) else x
        path.append(x)
    return path


def ref_simulated_annealing(problem, fgh, x, hp, n, seed):
    f, path = fgh[0], [x]
    for t in range(1, n + 1):
        y = x + hp["sigma"] * np.array([ref_normal(seed, t, 0), ref_normal(seed, t, 1)])
        u = ref_uniform(seed, t, 2)  # after the normals' pair
        delta = f(y) - f(x)
        temperature = hp["T0"] * hp["cooling"] ** t
        if delta <= 0 or u < np.exp(-delta / temperature):
            x = y
        path.append(x)
    return path


# id -> (reference, non-default hyperparameters that exercise every term)
FORMULAS: dict[str, tuple[Reference, dict[str, Any]]] = {
    "gd": (ref_sgd(), {"lr": 2e-3, "weight_decay": 0.1}),
    "momentum": (ref_sgd(), {"lr": 1e-3, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    "nesterov": (ref_sgd(nesterov=True), {"lr": 1e-3, "momentum": 0.7, "weight_decay": 0.1}),
    "velocity-momentum": (ref_velocity_momentum, {"lr": 1e-3, "momentum": 0.7}),
    "ewa-momentum": (ref_ewa_momentum, {"lr": 2e-3, "beta": 0.7}),
    "adagrad": (
        ref_adagrad,
        {"lr": 0.1, "lr_decay": 0.2, "weight_decay": 0.1, "initial_accumulator_value": 0.5},
    ),
    "rmsprop": (
        ref_rmsprop,
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": 1, "weight_decay": 0.1},
    ),
    "adadelta": (ref_adadelta, {"lr": 0.5, "rho": 0.8, "eps": 1e-3, "weight_decay": 0.1}),
    "adam": (ref_adam(), {"lr": 0.05, "betas": [0.8, 0.9], "eps": 1e-3, "weight_decay": 0.1}),
    "adamw": (ref_adam(decoupled=True), {"lr": 0.05, "betas": [0.8, 0.9], "weight_decay": 0.3}),
    "nadam": (
        ref_nadam,
        {"lr": 0.05, "betas": [0.8, 0.9], "momentum_decay": 0.05, "weight_decay": 0.1},
    ),
    "amsgrad": (ref_adam(amsgrad=True), {"lr": 0.05, "betas": [0.8, 0.5], "weight_decay": 0.1}),
    "newton": (ref_newton, {"lr": 0.7, "damping": 3.0}),
    "bfgs": (ref_scipy("BFGS", lambda hp: {"gtol": hp["gtol"]}), {"gtol": 1e-3}),
    "lbfgs": (ref_scipy("L-BFGS-B", lambda hp: {"maxcor": 2}), {"maxcor": 2}),
    "newton-cg": (ref_scipy("Newton-CG", lambda hp: {"xtol": 1e-3}), {"xtol": 1e-3}),
    "nelder-mead": (
        ref_scipy(
            "Nelder-Mead",
            lambda hp: {"initial_simplex": np.array([[-1.5, 2.0], [-1.2, 2.0], [-1.5, 2.3]])},
        ),
        {"simplex_size": 0.3},
    ),
    "random-search": (ref_random_search, {"samples": 7}),
    "hill-climbing": (ref_hill_climbing, {"samples": 5, "sigma": 0.3}),
    "simulated-annealing": (ref_simulated_annealing, {"T0": 500.0, "cooling": 0.9, "sigma": 0.5}),
}


def test_every_optimizer_has_a_hand_written_reference():
    assert set(FORMULAS) == set(REGISTRY.by_id)


@pytest.mark.parametrize("optimizer_id", list(REGISTRY.by_id))
def test_rule_follows_its_formula_by_hand(optimizer_id):
    reference, params = FORMULAS[optimizer_id]
    problem = make_problem("rosenbrock")
    f = problem.autograd_function()
    fgh = (f, autograd.grad(f), autograd.hessian(f))
    opt = REGISTRY.get(optimizer_id)
    steps, seed = 3, 11
    traj = engine.run(
        problem, opt, params=params, seed=seed, stop=Stop(max_steps=steps, grad_tol=None)
    )
    expected = np.array(reference(problem, fgh, problem.start, opt.resolve(params), steps, seed))
    got = traj.path[0, : traj.nit[0] + 1]
    assert len(got) == len(expected) and len(got) > 1
    assert np.abs(got[-1] - got[0]).max() > 1e-6  # it moved: the comparison means something
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("optimizer_id", STEPWISE)
def test_step_is_pure_and_reports_its_info(optimizer_id):
    opt = REGISTRY.get(optimizer_id)
    assert opt.init is not None and opt.step is not None
    problem = make_problem("rosenbrock")
    hp = opt.resolve(FORMULAS[optimizer_id][1])
    x = np.array([[-1.5, 2.0], [0.3, -0.4]])
    f, g = problem.value_and_grad(x)
    state = opt.init(x, hp)

    def context() -> StepContext:
        ctx = StepContext(Oracle(problem), 5, problem.domain)
        ctx.advance()
        ctx.advance()  # t = 2: past any first-step special case
        return ctx

    inputs = [np.copy(a) for a in (x, f, g, *state)]
    x1, state1, info1 = opt.step(hp, state, x, f, g, context())
    for before, after in zip(inputs, (x, f, g, *state), strict=True):
        np.testing.assert_array_equal(before, after)  # nothing was mutated
    x2, state2, _ = opt.step(hp, state, x, f, g, context())
    np.testing.assert_array_equal(x1, x2)  # same inputs and (seed, t), same step
    for a, b in zip(state1, state2, strict=True):
        np.testing.assert_array_equal(a, b)
    assert set(info1) == set(opt.info)
    for name, value in info1.items():
        assert value.shape == x.shape, name
    if "velocity" in info1:
        np.testing.assert_allclose(info1["velocity"], x1 - x, rtol=1e-12, atol=1e-15)


# --- 2. convergence, declared as data ---------------------------------------------------------

QUADRATIC = {"id": "quadratic", "params": {"kappa": 10.0}}
ROSENBROCK = "rosenbrock"

# id -> [(surface, params, max_steps, distance to the minimiser at the end)]
CONVERGENCE: dict[str, list[tuple[Any, dict[str, Any], int, float]]] = {
    "gd": [(QUADRATIC, {"lr": 0.05}, 500, 1e-6), (ROSENBROCK, {"lr": 2e-3}, 5000, 1e-2)],
    "momentum": [(QUADRATIC, {"lr": 0.02}, 500, 1e-6), (ROSENBROCK, {"lr": 1e-3}, 5000, 1e-6)],
    "nesterov": [(QUADRATIC, {"lr": 0.02}, 500, 1e-6), (ROSENBROCK, {"lr": 1e-3}, 5000, 1e-6)],
    "velocity-momentum": [
        (QUADRATIC, {"lr": 0.005, "momentum": 0.9}, 1000, 1e-6),
        (ROSENBROCK, {"lr": 1e-3, "momentum": 0.9}, 5000, 1e-6),
    ],
    "ewa-momentum": [
        (QUADRATIC, {"lr": 0.05, "beta": 0.9}, 1000, 1e-6),
        (ROSENBROCK, {"lr": 1e-2, "beta": 0.9}, 5000, 1e-6),
    ],
    "adagrad": [(QUADRATIC, {"lr": 1.0}, 1000, 1e-6), (ROSENBROCK, {"lr": 1.0}, 5000, 0.15)],
    "rmsprop": [
        (QUADRATIC, {"lr": 0.01}, 2000, 1e-6),
        (ROSENBROCK, {"lr": 1e-4, "momentum": 0.9}, 5000, 1e-4),
    ],
    "adadelta": [
        (QUADRATIC, {"rho": 0.99, "eps": 1e-4}, 2000, 1e-6),
        (ROSENBROCK, {"lr": 0.1}, 10000, 0.1),  # Adadelta is slow in the banana's valley
    ],
    "adam": [(QUADRATIC, {"lr": 0.1}, 1000, 1e-6), (ROSENBROCK, {"lr": 0.02}, 5000, 1e-6)],
    "adamw": [
        (QUADRATIC, {"lr": 0.1, "weight_decay": 0.0}, 1000, 1e-6),
        (ROSENBROCK, {"lr": 0.02, "weight_decay": 0.0}, 5000, 1e-6),
    ],
    "nadam": [(QUADRATIC, {"lr": 0.1}, 1000, 1e-6), (ROSENBROCK, {"lr": 0.01}, 10000, 1e-2)],
    "amsgrad": [(QUADRATIC, {"lr": 0.1}, 1000, 1e-6), (ROSENBROCK, {"lr": 0.05}, 5000, 1e-6)],
    "newton": [(QUADRATIC, {}, 1, 1e-12), (ROSENBROCK, {}, 20, 1e-10)],
    "bfgs": [(QUADRATIC, {}, 100, 1e-6), (ROSENBROCK, {}, 100, 1e-6)],
    "lbfgs": [(QUADRATIC, {}, 100, 1e-5), (ROSENBROCK, {}, 100, 1e-6)],
    "newton-cg": [(QUADRATIC, {}, 100, 1e-8), (ROSENBROCK, {}, 500, 1e-4)],
    "nelder-mead": [
        (QUADRATIC, {"xatol": 1e-8, "fatol": 1e-12}, 500, 1e-6),
        (ROSENBROCK, {"xatol": 1e-8, "fatol": 1e-12}, 500, 1e-6),
    ],
    "random-search": [
        (QUADRATIC, {"samples": 100}, 500, 0.2),
        (ROSENBROCK, {"samples": 100}, 500, 0.5),  # the valley floor is long and flat
    ],
    "hill-climbing": [
        (QUADRATIC, {"sigma": 0.05}, 2000, 1e-2),
        (ROSENBROCK, {"sigma": 0.02}, 5000, 1e-2),
    ],
    "simulated-annealing": [
        (QUADRATIC, {"sigma": 0.05}, 5000, 1e-2),
        (ROSENBROCK, {"sigma": 0.02, "T0": 0.1, "cooling": 0.995}, 10000, 1e-2),
    ],
}
CONVERGENCE_CASES = [(oid, *case) for oid, cases in CONVERGENCE.items() for case in cases]


def test_every_optimizer_has_convergence_cases():
    assert set(CONVERGENCE) == set(REGISTRY.by_id)


@pytest.mark.parametrize(
    ("optimizer_id", "surface_spec", "params", "max_steps", "tol"),
    CONVERGENCE_CASES,
    ids=[f"{c[0]}-{'quadratic' if c[1] is QUADRATIC else c[1]}" for c in CONVERGENCE_CASES],
)
def test_converges(optimizer_id, surface_spec, params, max_steps, tol):
    traj = engine.run(
        surface_spec, optimizer_id, params=params, stop=Stop(max_steps=max_steps, grad_tol=1e-8)
    )
    minimum = make_problem(surface_spec).minima[0]
    assert traj.status[0] != "diverged", traj.message
    assert np.linalg.norm(traj.x[0] - minimum) <= tol, (traj.x, traj.message)


# --- 3. the batch axis and seeds ------------------------------------------------------------

STARTS = np.array([[-9.0, 3.0], [4.0, -2.0], [1.0, 1.0]])


@pytest.mark.parametrize("optimizer_id", WITH_LR)
def test_a_batch_with_per_row_lr_equals_single_runs(optimizer_id):
    opt = REGISTRY.get(optimizer_id)
    problem = make_problem(QUADRATIC)
    hp = opt.resolve(FORMULAS[optimizer_id][1])
    lrs = hp["lr"] * np.array([[0.5], [1.0], [2.0]])  # (B, 1): one rate per row, as a sweep
    stop = Stop(max_steps=30, grad_tol=None, bound=1e12)
    batch = engine.run(RunSpec(problem, opt, {**hp, "lr": lrs}, None, STARTS, stop))
    for b, (x0, lr) in enumerate(zip(STARTS, lrs[:, 0], strict=True)):
        single = engine.run(RunSpec(problem, opt, {**hp, "lr": float(lr)}, None, x0[None], stop))
        np.testing.assert_allclose(batch.path[b], single.path[0], rtol=1e-14, atol=1e-300)
        np.testing.assert_allclose(batch.lr[b, 1:], lr)
        for name in opt.info:
            np.testing.assert_allclose(batch.info[name][b], single.info[name][0], rtol=1e-14)


@pytest.mark.parametrize("optimizer_id", DRIVERS)
def test_a_batch_of_starts_equals_single_runs_for_wrapped_methods(optimizer_id):
    stop = Stop(max_steps=50)
    batch = engine.run(QUADRATIC, optimizer_id, start=STARTS.tolist(), stop=stop)
    for b, x0 in enumerate(STARTS):
        single = engine.run(QUADRATIC, optimizer_id, start=x0.tolist(), stop=stop)
        assert batch.row(b)["path"] == single.row(0)["path"]
        assert batch.nfev[b] == single.nfev[0] and batch.ngev[b] == single.ngev[0]


@pytest.mark.parametrize("optimizer_id", ZEROTH)
def test_zeroth_order_runs_replay_from_their_seed(optimizer_id):
    def run(seed):
        return engine.run(
            "nightmare",
            optimizer_id,
            start=STARTS[1:].tolist(),
            seed=seed,
            stop=Stop(max_steps=100),
        ).path

    np.testing.assert_array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))


@pytest.mark.parametrize("optimizer_id", ZEROTH)
def test_zeroth_order_losses_and_counts(optimizer_id):
    opt = REGISTRY.get(optimizer_id)
    hp = opt.resolve(None)
    steps = 50
    traj = engine.run("rosenbrock", opt, stop=Stop(max_steps=steps))
    per_step = int(hp.get("samples", 1))  # simulated annealing proposes one point
    # + the engine's own evaluation of each x_t, the start included
    assert traj.nfev[0] == steps * (per_step + 1) + 1
    assert traj.ngev[0] == 0
    if optimizer_id != "simulated-annealing":  # the greedy ones never go uphill
        assert np.all(np.diff(traj.loss[0]) <= 0)
    if optimizer_id == "random-search":  # each point is a sample of the domain (or the start)
        lo, hi = make_problem("rosenbrock").domain.T
        moved = np.any(traj.path[0, 1:] != traj.path[0, :1], axis=1)
        assert np.all((traj.path[0, 1:][moved] >= lo) & (traj.path[0, 1:][moved] <= hi))


def test_simulated_annealing_climbs_when_hot_and_not_when_cold():
    def moves(T0):
        traj = engine.run(
            "quadratic",
            "simulated-annealing",
            params={"T0": T0, "cooling": 1.0, "sigma": 0.5},
            start=[0.0, 0.0],
            stop=Stop(max_steps=200),
        )
        accepted = int(np.sum(np.any(np.diff(traj.path[0], axis=0) != 0, axis=1)))
        return accepted, int(np.sum(np.diff(traj.loss[0]) > 0))

    accepted, uphill = moves(1e4)
    assert accepted >= 195 and uphill > 60  # hot: nearly every proposal is accepted
    assert moves(1e-4)[1] == 0  # cold: from the minimum, nothing uphill is


# --- 4. bad hyperparameters ---------------------------------------------------------------


def _refusal(optimizer_id: str, params: dict[str, Any]) -> DescentLabError:
    with pytest.raises(DescentLabError) as info:
        engine.prepare("quadratic", optimizer_id, params=params)
    return info.value


@pytest.mark.parametrize("optimizer_id", list(REGISTRY.by_id))
def test_bad_hyperparameters_are_refused_naming_the_field(optimizer_id):
    opt = REGISTRY.get(optimizer_id)
    err = _refusal(optimizer_id, {"learning_rate": 0.1})
    assert err.field == "params.learning_rate" and "unknown" in err.message
    for h in opt.hypers:
        if h.size > 1:
            err = _refusal(optimizer_id, {h.name: [0.9] * (h.size - 1)})
            assert err.field == f"params.{h.name}" and f"list of {h.size}" in err.message
            err = _refusal(optimizer_id, {h.name: [h.high + 1.0] * h.size})
            assert err.field == f"params.{h.name}.0"
            err = _refusal(optimizer_id, {h.name: 0.9})
            assert err.field == f"params.{h.name}"
            continue
        for bad in (
            h.high + abs(h.high) + 1.0,
            h.low - abs(h.low) - 1.0,
            "fast",
            None,
            True,
            float("nan"),
        ):
            assert _refusal(optimizer_id, {h.name: bad}).field == f"params.{h.name}", bad
        if h.integer:
            assert "whole" in _refusal(optimizer_id, {h.name: h.low + 0.5}).message


@pytest.mark.parametrize("optimizer_id", list(REGISTRY.by_id))
def test_hyperparameter_specs_are_consistent(optimizer_id):
    for h in REGISTRY.get(optimizer_id).hypers:
        for value in h.default if isinstance(h.default, tuple) else (h.default,):
            assert h.low <= value <= h.high, h.name
        assert h.scale in ("linear", "log") and (h.scale == "linear" or h.low > 0), h.name
        assert h.help, h.name


# --- 5. Newton where the Hessian misbehaves --------------------------------------------------


def test_newton_is_drawn_to_a_saddle_and_a_maximum():
    # The documented failure mode: the step solves for a zero gradient, whatever its kind.
    saddle = engine.run("saddle", "newton")
    assert saddle.status[0] == "converged" and saddle.nit[0] == 1
    np.testing.assert_allclose(saddle.x[0], [0.0, 0.0], atol=1e-15)
    hill = engine.run(surface("-(x^2 + y^2)"), "newton")
    np.testing.assert_allclose(hill.x[0], [0.0, 0.0], atol=1e-15)  # the top of the hill


def test_newton_with_a_singular_hessian_takes_the_pseudo_inverse_step():
    # x^3 + y^2 at x = 0: H = diag(0, 2), g = (0, 2y). Row 0 is singular, row 1 is not.
    traj = engine.run(
        surface("x^3 + y^2"),
        "newton",
        start=[[0.0, 1.0], [1.0, 1.0]],
        stop=Stop(max_steps=20, grad_tol=None),
    )
    assert np.isfinite(traj.path).all()
    np.testing.assert_allclose(traj.path[0, 1], [0.0, 0.0], atol=1e-15)  # pinv: y only
    np.testing.assert_allclose(traj.path[1, 1], [0.5, 0.0], atol=1e-15)  # x - x^2 / (2x)


def test_newton_on_a_zero_hessian_stays_put_and_damping_turns_it_into_gd():
    plane = surface("x + 2*y")
    still = engine.run(plane, "newton", stop=Stop(max_steps=3, grad_tol=None))
    np.testing.assert_array_equal(still.path[0], np.ones((4, 2)))  # pinv(0) g = 0
    damped = engine.run(
        plane, "newton", params={"damping": 10.0}, stop=Stop(max_steps=1, grad_tol=None)
    )
    np.testing.assert_allclose(damped.path[0, 1], [1.0 - 0.1, 1.0 - 0.2])  # x - g / λ


def test_solve_rows_never_raises():
    A = np.array([[[2.0, 0.0], [0.0, 4.0]], [[np.nan, 0.0], [0.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]])
    g = np.array([[2.0, 4.0], [1.0, 1.0], [2.0, 2.0]])
    d = solve_rows(A, g)
    np.testing.assert_allclose(d[0], [1.0, 1.0])
    assert np.isnan(d[1]).all()
    np.testing.assert_allclose(d[2], [1.0, 1.0])  # the minimum-norm solution of x + y = 2


# --- 6. wrapped scipy methods at the edges ---------------------------------------------------


@pytest.mark.parametrize("optimizer_id", DRIVERS)
def test_wrapped_methods_stop_at_max_steps_and_count(optimizer_id):
    opt = REGISTRY.get(optimizer_id)
    traj = engine.run("rosenbrock", opt, stop=Stop(max_steps=5))
    assert traj.nit[0] == 5 and traj.status[0] == "max_steps"
    np.testing.assert_array_equal(traj.path[0, 0], make_problem("rosenbrock").start)
    assert traj.nfev[0] >= 5
    assert (traj.ngev[0] > 0) == opt.uses_gradient
    assert (traj.nhev[0] > 0) == (optimizer_id == "newton-cg")


@pytest.mark.parametrize("optimizer_id", DRIVERS)
def test_wrapped_methods_survive_a_nan_objective(optimizer_id):
    # sqrt(1 - x) is NaN for x > 1 and the loss keeps falling towards it.
    problem = surface("sqrt(1 - x) - 2*x + y^2", start=(0.0, 0.5))
    traj = engine.run(problem, optimizer_id, stop=Stop(max_steps=200))
    path = traj.path[0, : traj.nit[0] + 1]
    assert np.isfinite(path[:-1]).all() and np.isfinite(traj.loss[0, : traj.nit[0]]).all()
    if not np.isfinite(traj.loss[0, traj.nit[0]]):
        assert traj.status[0] == "diverged"


def test_array_power_is_a_to_the_b_bit_for_bit():
    """ArrayOps.power takes a sweep column's power once per distinct value: the same numbers
    as a ** b, zeros of either sign kept apart."""
    ops = ArrayOps()
    rng = np.random.default_rng(0)
    column = rng.choice([0.0, -0.0, 0.5, 0.9, 0.99, 1e-300], size=(1000, 1))
    distinct = rng.uniform(0, 1, size=(1000, 1))
    for a in (column, distinct, column[:10], 0.9):
        for b in (1, 7, 250, 0.5):
            expected, got = a**b, ops.power(a, b)
            assert np.array_equal(np.signbit(got), np.signbit(expected))
            np.testing.assert_array_equal(got, expected)
    exponents = np.arange(1000.0).reshape(-1, 1)  # an array exponent: plain a ** b
    np.testing.assert_array_equal(ops.power(column, exponents), column**exponents)


def test_a_large_sweep_is_the_same_with_plain_powers(monkeypatch):
    """A 300-row Adam sweep over (lr, betas), where ArrayOps factors the beta columns, equals
    the same sweep with plain a ** b; and its rows are the single runs with those settings."""
    lrs = list(np.linspace(1e-3, 0.1, 20))
    betas = [[b1, 0.99] for b1 in np.linspace(0.0, 0.95, 15)]
    spec = engine.prepare(
        "rosenbrock", "adam", sweep={"lr": lrs, "betas": betas}, stop=engine.Stop(max_steps=60)
    )
    assert spec.starts.shape[0] == 300 and spec.params["betas"][0].shape == (300, 1)
    factored = engine.run(spec)
    for b in (0, 17, 299):
        lr, (b1, b2) = lrs[b // 15], betas[b % 15]
        alone = engine.run(
            "rosenbrock",
            "adam",
            params={"lr": lr, "betas": (b1, b2)},
            stop=engine.Stop(max_steps=60),
        )
        np.testing.assert_allclose(factored.path[b], alone.path[0], rtol=1e-12, atol=1e-15)
    monkeypatch.setattr(ArrayOps, "power", lambda self, a, b: a**b)
    plain = engine.run(spec)
    np.testing.assert_array_equal(factored.path, plain.path)
