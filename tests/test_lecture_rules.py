"""The notes' own update rules, held to our transcriptions of the notes' code.

Where the notes slip (the Duke notes divide by 1 + β^t), the transcription carries the correct
sign, and a test shows the printed rule is a different path, so the presets' "differs" sentences
stay true.
"""

from __future__ import annotations

import numpy as np

from descentlab import engine
from descentlab.engine import Stop


def duke_ewa_momentum(x, grad, alpha, beta, max_iter, sign=-1.0):
    """The Duke notes' gd_momentum (sign=+1 is what they print, -1 the corrected rule)."""
    xs, v = [np.array(x, dtype=float)], 0.0
    x = np.array(x, dtype=float)
    for i in range(max_iter):
        v = beta * v + (1 - beta) * grad(x)
        vc = v / (1 + sign * beta ** (i + 1))
        x = x - alpha * vc
        xs.append(x)
    return np.array(xs)


def oslo_momentum(x, grad, rates, gamma):
    """The Oslo notes' eq. (1): v = γ v + η_t ∇L, x = x - v."""
    xs, v = [np.array(x, dtype=float)], 0.0
    x = np.array(x, dtype=float)
    for eta in rates:
        v = gamma * v + eta * grad(x)
        x = x - v
        xs.append(x)
    return np.array(xs)


def _path(surface, optimizer, start, steps, schedule=None, **params):
    traj = engine.run(
        surface,
        optimizer,
        start=start,
        params=params,
        schedule=schedule,
        stop=Stop(max_steps=steps, grad_tol=None),
    )
    return traj.path[0, : traj.nit[0] + 1]


def test_ewa_momentum_is_the_duke_notes_rule_in_1d():
    got = _path("parabola", "ewa-momentum", [1.0], 10, lr=0.95, beta=0.9)
    expected = duke_ewa_momentum([1.0], lambda x: 2 * x, 0.95, 0.9, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    printed = duke_ewa_momentum([1.0], lambda x: 2 * x, 0.95, 0.9, 10, sign=1.0)
    assert np.abs(printed - expected).max() > 0.1  # 1 + β^t is another path


def test_ewa_momentum_on_the_duke_bowl_from_minus_one():
    got = _path(
        {"id": "quadratic", "params": {"kappa": 100, "angle": 0}},
        "ewa-momentum",
        [-1.0, -1.0],
        75,
        lr=0.01,
        beta=0.9,
    )
    expected = duke_ewa_momentum(
        [-1.0, -1.0], lambda p: np.array([2 * p[0], 200 * p[1]]), 0.01, 0.9, 75
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_ewa_momentum_without_correction_is_torch_momentum_rescaled():
    bowl = {"id": "quadratic", "params": {"kappa": 10, "angle": 30}}
    ewa = _path(bowl, "ewa-momentum", [-9.0, 3.0], 50, lr=0.2, beta=0.8, bias_correction=0)
    heavy = _path(bowl, "velocity-momentum", [-9.0, 3.0], 50, lr=0.2 * (1 - 0.8), momentum=0.8)
    np.testing.assert_allclose(ewa, heavy, rtol=1e-12, atol=1e-12)


def test_velocity_momentum_keeps_each_gradients_own_rate_under_a_schedule():
    t0, t1, start = 0.1, 50.0, [-1.5, 2.0]
    schedule = {"id": "inverse_time", "params": {"t1": t1}}
    rates = t0 / (np.arange(40) + t1)  # the notes' t0/(t + t1), t from 0
    got = _path("rosenbrock", "velocity-momentum", start, 40, schedule, lr=t0 / t1, momentum=0.9)
    expected = oslo_momentum(start, _rosenbrock_grad, rates, 0.9)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    torch_form = _path("rosenbrock", "momentum", start, 40, schedule, lr=t0 / t1, momentum=0.9)
    assert np.abs(torch_form - got).max() > 1e-6  # torch rescales past gradients by today's η


def test_velocity_momentum_is_torch_momentum_at_a_constant_rate():
    got = _path("rosenbrock", "velocity-momentum", [-1.5, 2.0], 200, lr=1e-3, momentum=0.9)
    torch_form = _path("rosenbrock", "momentum", [-1.5, 2.0], 200, lr=1e-3, momentum=0.9)
    np.testing.assert_allclose(got, torch_form, rtol=1e-12, atol=1e-14)


def _rosenbrock_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
