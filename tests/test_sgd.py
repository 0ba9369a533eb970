"""Stochastic gradient descent for real: minibatches of a data-fit loss (and, distinctly,
simulated gradient noise on any surface)."""

from __future__ import annotations

import numpy as np
import pytest

import descentlab
from descentlab import engine
from descentlab.engine import Stochastic, Stop
from descentlab.errors import DescentLabError
from descentlab.problems import make_problem

OLS = "linear-regression"


def test_the_notes_data_and_the_normal_equations():
    problem = make_problem(OLS)
    xi, yi = problem.data["xi"], problem.data["yi"]
    assert problem.n_data == 100 and xi.min() >= 0 and xi.max() <= 2
    slope, intercept = np.polyfit(xi, yi, 1)
    np.testing.assert_allclose(problem.minima[0], [intercept, slope], rtol=1e-10)
    assert abs(intercept - 4) < 0.5 and abs(slope - 3) < 0.5
    theta = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(problem.value(theta), np.mean((1 + 2 * xi - yi) ** 2))


@pytest.mark.parametrize("surface", [OLS, "logistic-regression"])
def test_minibatch_gradients_of_an_epoch_average_to_the_full_gradient(surface):
    problem = make_problem(surface)
    theta = np.array([[0.3, -1.2]])
    order = np.random.default_rng(0).permutation(problem.n_data)
    grads = [problem.grad(theta, np.sort(batch))[0] for batch in np.split(order, 10)]
    np.testing.assert_allclose(np.mean(grads, axis=0), problem.grad(theta)[0], rtol=1e-12)


def test_batch_size_n_is_plain_gradient_descent():
    # A batch of all n sums over the data; full-batch GD on least squares evaluates the loss's
    # exact expansion (Problem.expansion): the same steps to rounding.
    sgd = descentlab.run(OLS, "gd", lr=0.05, batch_size=100, max_steps=200, seed=3)
    gd = descentlab.run(OLS, "gd", lr=0.05, max_steps=200)
    assert sgd.path.shape == gd.path.shape
    np.testing.assert_allclose(sgd.path, gd.path, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sgd.batch_loss[0, 1:], gd.loss[0, :-1], rtol=1e-12)


def test_sgd_with_the_notes_schedule_reaches_least_squares():
    problem = make_problem(OLS)
    # The notes: t0 / (t + t1) with t0 = 5, t1 = 50, i.e. lr = 0.1 halving by t = 50 steps.
    traj = descentlab.run(
        OLS,
        "gd",
        lr=0.1,
        batch_size=1,
        epochs=50,
        seed=0,
        grad_tol=None,
        schedule={"id": "inverse_time", "params": {"t1": 50}},
    )
    assert traj.nit[0] == 50 * 100 and traj.epoch_size == 100
    np.testing.assert_allclose(traj.x[0], problem.minima[0], atol=0.05)
    # With a constant rate the path keeps jittering around the minimum instead.
    flat = descentlab.run(OLS, "gd", lr=0.1, batch_size=1, epochs=50, seed=0, grad_tol=None)
    spread = lambda t: np.std(t.path[0, -500:], axis=0).max()  # noqa: E731
    assert spread(flat) > 5 * spread(traj)


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "rmsprop"])
def test_other_rules_run_on_minibatches_too(optimizer):
    params = {"momentum": {"lr": 0.01}, "adam": {"lr": 0.05}, "rmsprop": {"lr": 0.01}}
    traj = descentlab.run(
        OLS, optimizer, batch_size=10, epochs=100, seed=1, grad_tol=None, **params[optimizer]
    )
    minimum = make_problem(OLS).minima[0]
    assert np.linalg.norm(traj.x[0] - minimum) < 0.5


def test_shuffled_epochs_partition_the_data_and_seeds_replay():
    traj = descentlab.run(OLS, "gd", lr=0.05, batch_size=30, epochs=3, seed=7, grad_tol=None)
    assert traj.epoch_size == 4  # 30 + 30 + 30 + 10
    batches = traj.batches[1:]  # index 0 is the start, reached by no step
    for epoch in range(3):
        rows = batches[4 * epoch : 4 * epoch + 4]
        seen = np.sort(rows[rows >= 0])
        np.testing.assert_array_equal(seen, np.arange(100))
    again = descentlab.run(OLS, "gd", lr=0.05, batch_size=30, epochs=3, seed=7, grad_tol=None)
    other = descentlab.run(OLS, "gd", lr=0.05, batch_size=30, epochs=3, seed=8, grad_tol=None)
    np.testing.assert_array_equal(traj.path, again.path)
    assert not np.array_equal(traj.path, other.path)


def test_sampling_with_replacement_draws_each_step_afresh():
    traj = descentlab.run(
        OLS,
        "gd",
        lr=0.05,
        batch_size=20,
        sampling="replacement",
        max_steps=50,
        seed=2,
        grad_tol=None,
    )
    batches = traj.batches[1:]
    assert batches.shape == (50, 20) and (batches >= 0).all() and (batches < 100).all()
    # With replacement, some batch repeats a sample (almost surely over 50 draws of 20).
    assert any(len(set(b)) < 20 for b in batches)


def test_the_recorded_batch_loss_is_the_minibatch_loss_at_the_previous_point():
    problem = make_problem(OLS)
    traj = descentlab.run(OLS, "gd", lr=0.05, batch_size=10, max_steps=20, seed=5, grad_tol=None)
    for i in (1, 7, 20):
        batch = traj.batches[i]
        expected = problem.value(traj.path[0, i - 1][None], batch)[0]
        assert traj.batch_loss[0, i] == pytest.approx(expected, rel=1e-14)
        np.testing.assert_allclose(traj.loss[0, i], problem.value(traj.path[0, i][None])[0])


def test_simulated_noise_is_distinct_from_minibatches_and_seeded():
    plain = descentlab.run("nightmare", "gd", lr=0.05, max_steps=100, grad_tol=None)
    noisy = descentlab.run(
        "nightmare", "gd", lr=0.05, max_steps=100, noise=1.0, seed=1, grad_tol=None
    )
    again = descentlab.run(
        "nightmare", "gd", lr=0.05, max_steps=100, noise=1.0, seed=1, grad_tol=None
    )
    assert noisy.batches is None and noisy.batch_loss is None  # the loss itself is exact
    assert not np.array_equal(plain.path, noisy.path)
    np.testing.assert_array_equal(noisy.path, again.path)
    # The first step is GD's step plus lr * sigma * N(0, I) drawn from (seed, t).
    z = np.random.default_rng([1, 0x0015E, 0]).standard_normal((1, 2))
    np.testing.assert_allclose(noisy.path[0, 1], plain.path[0, 1] - 0.05 * z[0], rtol=1e-12)


@pytest.mark.parametrize(
    ("surface", "kwargs", "field"),
    [
        ("nightmare", dict(stochastic={"batch_size": 10}), "stochastic.batch_size"),
        (OLS, dict(stochastic={"batch_size": 101}), "stochastic.batch_size"),
        (OLS, dict(stochastic={"batch_size": 0}), "stochastic.batch_size"),
        (OLS, dict(stochastic={"batch_size": 10, "sampling": "sometimes"}), "stochastic.sampling"),
        (OLS, dict(stochastic={"noise": -1.0}), "stochastic.noise"),
        (OLS, dict(stochastic={"size": 3}), "stochastic.size"),
        (OLS, dict(epochs=3), "epochs"),
        (OLS, dict(stochastic={"batch_size": 1}, epochs=10_000), "epochs"),
    ],
)
def test_bad_stochastic_settings_name_the_field(surface, kwargs, field):
    with pytest.raises(DescentLabError) as err:
        engine.prepare(surface, "gd", **kwargs)
    assert err.value.field == field


def test_scipy_methods_refuse_minibatches():
    with pytest.raises(DescentLabError) as err:
        engine.prepare(OLS, "bfgs", stochastic=Stochastic(batch_size=10))
    assert err.value.field == "stochastic"


def test_stream_chunks_carry_the_batches():
    spec = engine.prepare(
        OLS,
        "gd",
        params={"lr": 0.05},
        stochastic={"batch_size": 25},
        stop=Stop(max_steps=40, grad_tol=None),
    )
    chunks = list(engine.iterate(spec, chunk=16, first_chunk=8))
    assert chunks[0].batches.shape == (9, 25) and (chunks[0].batches[0] == -1).all()
    assert all(c.batches.shape[0] == c.path.shape[1] for c in chunks)


def test_epoch_summaries_average_what_the_steps_saw():
    traj = descentlab.run(OLS, "gd", lr=0.05, batch_size=25, epochs=3, seed=1, grad_tol=None)
    epochs = traj.row(0)["epochs"]
    assert len(epochs["loss"]) == len(epochs["batch_loss_mean"]) == 3
    np.testing.assert_allclose(epochs["batch_loss_mean"][1], traj.batch_loss[0, 5:9].mean())
    assert epochs["loss"][2] == traj.loss[0, 12]
    assert descentlab.run(OLS, "gd", lr=0.05, max_steps=5).row(0)["epochs"] is None
