"""The engine: stopping rules, statuses, chunking, restarts, batches, schedules, bad input."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

import descentlab
from descentlab import engine
from descentlab.engine import Stop, loop
from descentlab.engine.spec import row_params, row_settings
from descentlab.errors import DescentLabError
from descentlab.optimizers import REGISTRY
from descentlab.schedules import SCHEDULES, make_schedule

RTOL = 1e-12
"""Relative, per step, between a run alone and the same run as a row of a batch where the
surface or the rule calls exp, log, cos and the like: the loop runs each instruction over a
block's columns, and a compiler may take a vector form of those functions for a block of
several columns (numba with Intel's SVML) and the C library's for one, a last bit apart. Only
IEEE arithmetic and sqrt (rounded exactly) are held to the bit."""
ATOL = 1e-12  # near zero, where a sum's cancellation makes a relative difference meaningless


def assert_rows_agree(row: dict, expected: dict, rtol: float) -> None:
    """Two rows (Trajectory.row): every float within ``rtol`` (or ATOL near zero; the same NaN
    and infinities), everything else (statuses, step and evaluation counts, settings) equal."""
    assert row.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, dict) and key == "info":
            assert_rows_agree(row[key], value, rtol)
        elif isinstance(value, float) or (
            isinstance(value, list) and np.asarray(value).dtype.kind == "f"
        ):
            np.testing.assert_allclose(row[key], value, rtol=rtol, atol=ATOL, err_msg=key)
        else:
            assert row[key] == value, key


def test_gd_on_the_parabola_follows_the_closed_form():
    # x_{t+1} = (1 - 2 lr) x_t, exactly.
    traj = descentlab.run("parabola", "gd", start=-10, lr=0.25, max_steps=10, grad_tol=None)
    expected = -10 * 0.5 ** np.arange(11)
    np.testing.assert_allclose(traj.path[0, :, 0], expected, rtol=0, atol=0)
    np.testing.assert_allclose(traj.loss[0], expected**2)
    np.testing.assert_allclose(traj.grad_norm[0], np.abs(2 * expected))
    assert traj.status == ["max_steps"] and traj.nit[0] == 10


@pytest.mark.parametrize(
    ("lr", "status"),
    [
        (0.001, "max_steps"),
        (0.25, "converged"),
        (0.5, "converged"),
        (0.98, "converged"),
        (1.5, "diverged"),
    ],
)
def test_lecture_step_sizes_on_the_parabola(lr, status):
    traj = descentlab.run(
        "parabola", "gd", start=-10, lr=lr, max_steps=1000, grad_tol=1e-6, grad_norm="l1"
    )
    assert traj.status[0] == status
    if status == "converged":
        assert abs(2 * traj.x[0]) <= 1e-6  # the lecture's sum |dL| <= tol
        assert abs(2 * traj.path[0, traj.nit[0] - 1, 0]) > 1e-6  # and not a step earlier
    if lr == 0.5:
        assert traj.nit[0] == 1  # one step lands on the minimum


def test_divergence_stops_cleanly_with_a_reason():
    traj = descentlab.run("parabola", "gd", start=-10, lr=1.5, max_steps=1000, bound=1e3)
    assert traj.status == ["diverged"]
    assert "bound" in traj.message[0]
    assert np.abs(traj.path[0, traj.nit[0]]).max() > 1e3
    assert np.abs(traj.path[0, traj.nit[0] - 1]).max() <= 1e3
    # Non-finite: overflow on a steep surface.
    traj = descentlab.run(
        "goldstein-price", "gd", start=(-1.0, 1.5), lr=5.0, max_steps=50, bound=1e12
    )
    assert traj.status == ["diverged"]


def test_loss_tolerance_and_norm_choice():
    traj = descentlab.run(
        "quadratic", "gd", lr=0.009, max_steps=5000, grad_tol=None, loss_tol=1e-10
    )
    assert traj.status == ["converged"] and "loss changed" in traj.message[0]
    final = traj.nit[0]
    assert abs(traj.loss[0, final] - traj.loss[0, final - 1]) <= 1e-10
    for norm in ("l1", "l2", "inf"):
        t = descentlab.run("booth", "adam", lr=0.5, max_steps=3000, grad_tol=1e-4, grad_norm=norm)
        assert t.status == ["converged"]
        g = descentlab.make_problem("booth").grad(t.x)[0]
        assert {"l1": np.abs(g).sum(), "l2": np.linalg.norm(g), "inf": np.abs(g).max()}[
            norm
        ] <= 1e-4


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_chunking_does_not_change_the_run(chunk):
    kwargs = dict(
        params={"lr": 0.05, "momentum": 0.9}, stop=Stop(max_steps=300), restarts=3, seed=4
    )
    reference = engine.run("himmelblau", "momentum", chunk=256, **kwargs)
    traj = engine.run("himmelblau", "momentum", chunk=chunk, **kwargs)
    np.testing.assert_array_equal(traj.path, reference.path)
    np.testing.assert_array_equal(traj.nit, reference.nit)
    assert traj.status == reference.status


def test_stream_chunks_concatenate_to_the_run():
    spec = engine.prepare("rosenbrock", "adam", params={"lr": 0.02}, stop=Stop(max_steps=500))
    chunks = list(engine.iterate(spec, chunk=100, first_chunk=10))
    assert chunks[0].start == 0 and chunks[0].path.shape[1] == 11  # start + 10 steps
    assert chunks[1].start == 11
    assert chunks[-1].done and not any(c.done for c in chunks[:-1])
    points = np.concatenate([c.path[0, : c.count[0]] for c in chunks])
    np.testing.assert_array_equal(points, engine.run(spec).row(0)["path"])


def test_restarts_are_seeded_rows_and_best_is_the_lowest():
    a = descentlab.run("nightmare", "momentum", lr=0.05, restarts=8, seed=1, max_steps=400)
    b = descentlab.run("nightmare", "momentum", lr=0.05, restarts=8, seed=1, max_steps=400)
    c = descentlab.run("nightmare", "momentum", lr=0.05, restarts=8, seed=2, max_steps=400)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.array_equal(a.path[1:, 0], c.path[1:, 0])
    np.testing.assert_array_equal(a.path[0, 0], descentlab.make_problem("nightmare").start)
    final = a.loss[np.arange(9), a.nit]
    assert final[a.best] == final.min()


def test_restarts_from_a_normal_distribution_are_seeded_draws_around_the_center():
    where = {"dist": "normal", "center": [0.0, 0.0], "sigma": 2.0}
    spec = engine.prepare("nightmare", "gd", restarts=256, seed=3, restart_from=where)
    draws = spec.starts[1:]
    assert draws.shape == (256, 2)
    expected = np.random.default_rng([3, 0xC0FFEE]).normal(0.0, 2.0, size=(256, 2))
    np.testing.assert_array_equal(draws, expected)
    np.testing.assert_allclose(draws.std(axis=0), [2, 2], rtol=0.15)
    around_start = engine.prepare(
        "rosenbrock", "gd", start=[5.0, -5.0], restarts=256, restart_from={"dist": "normal"}
    )
    np.testing.assert_allclose(around_start.starts[1:].mean(axis=0), [5, -5], atol=0.3)


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ({"dist": "cauchy"}, "restart_from.dist"),
        ({"dist": "normal", "sigma": 0}, "restart_from.sigma"),
        ({"dist": "normal", "center": [1.0]}, "restart_from.center"),
        ({"dist": "normal", "spread": 1}, "restart_from.spread"),
    ],
)
def test_bad_restart_distributions_are_refused_naming_the_field(where, field):
    with pytest.raises(DescentLabError) as err:
        engine.prepare("rosenbrock", "gd", restarts=2, restart_from=where)
    assert err.value.field == field


def test_a_batch_row_equals_the_same_run_alone():
    """To the bit: Rosenbrock's and Adam's arithmetic and sqrt are IEEE's, and the powers of
    beta that every column shares are taken once per block, not per column."""
    starts = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.2]])
    batch = engine.run(
        "rosenbrock", "adam", start=starts, params={"lr": 0.02}, stop=Stop(max_steps=400)
    )
    for b, s in enumerate(starts):
        alone = engine.run(
            "rosenbrock", "adam", start=s, params={"lr": 0.02}, stop=Stop(max_steps=400)
        )
        row, expected = batch.row(b), alone.row(0)
        assert row.keys() == expected.keys()
        for key in row:
            np.testing.assert_equal(row[key], expected[key])  # NaN equals NaN here


def test_each_row_of_a_batch_is_the_run_its_start_makes_alone():
    """Restarts run as columns of the loop: each row is the run its start makes alone (one
    column of the same loop), and final() ends where the recorded run ends. The nightmare's
    exp and cos: to RTOL per step, as columns leave a block when they stop."""
    spec = engine.prepare(
        "nightmare", "momentum", params={"lr": 0.01}, restarts=8, stop=Stop(max_steps=300)
    )
    assert loop.path(spec) == "loop"
    batch = engine.run(spec)
    for b, start in enumerate(spec.starts):
        alone = engine.run(
            "nightmare", "momentum", start=start, params={"lr": 0.01}, stop=Stop(max_steps=300)
        )
        assert_rows_agree(batch.row(b), alone.row(0), rtol=RTOL * 300)
    last = engine.final(spec)
    ends = batch.path[np.arange(9), batch.nit]
    np.testing.assert_allclose(last.path[:, -1], ends, rtol=RTOL * 300, atol=ATOL)
    assert last.status == batch.status and list(last.nit) == list(batch.nit)


def test_rows_stop_independently_and_are_padded():
    starts = np.array([[-10.0], [-0.001]])
    traj = engine.run(
        "parabola", "gd", start=starts, params={"lr": 0.1}, stop=Stop(max_steps=200, grad_tol=1e-3)
    )
    assert traj.status == ["converged", "converged"]
    assert traj.nit[1] < traj.nit[0]
    s = traj.nit[1]
    assert (traj.path[1, s:] == traj.path[1, s]).all()
    assert len(traj.row(1)["path"]) == s + 1


def test_schedules_scale_the_learning_rate():
    spec = make_schedule({"id": "step", "params": {"step_size": 3, "gamma": 0.5}})
    np.testing.assert_allclose(spec.rates(1.0, 7), [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    inv = make_schedule({"id": "inverse_time", "params": {"t1": 50}})
    # The lecture's t0 / (t + t1) with t0 = 5, t1 = 50 is lr = 0.1 with t1 = 50.
    np.testing.assert_allclose(inv.rates(0.1, 4), 5 / (np.arange(4) + 50))
    traj = descentlab.run(
        "parabola",
        "gd",
        start=-10,
        lr=0.1,
        max_steps=5,
        grad_tol=None,
        schedule={"id": "exponential", "params": {"gamma": 0.5}},
    )
    lrs = 0.1 * 0.5 ** np.arange(5)
    np.testing.assert_allclose(traj.lr[0, 1:], lrs)
    x = -10.0
    for lr in lrs:
        x = x - lr * 2 * x
    assert traj.x[0] == pytest.approx(x, rel=1e-15)
    assert set(SCHEDULES.by_id) == {"constant", "inverse_time", "step", "exponential", "cosine"}


def test_step_size_and_info_are_recorded():
    traj = descentlab.run("quadratic", "momentum", lr=0.005, max_steps=20, grad_tol=None)
    P = traj.path[0]
    np.testing.assert_allclose(traj.step_size[0, 1:], np.linalg.norm(np.diff(P, axis=0), axis=1))
    assert np.isnan(traj.step_size[0, 0])
    np.testing.assert_allclose(traj.info["velocity"][0, 1:], np.diff(P, axis=0), atol=1e-12)
    row = traj.row(0)
    assert row["info"]["velocity"][0] == [None, None] or np.isnan(row["info"]["velocity"][0]).all()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(surface="nope"), "surface"),
        (dict(optimizer="nope"), "optimizer"),
        (dict(params={"lr": -1}), "params.lr"),
        (dict(params={"lr": "big"}), "params.lr"),
        (dict(params={"learning_rate": 0.1}), "params.learning_rate"),
        (dict(params={"betas": [0.9]}), "params.betas"),
        (dict(start=[1.0, 2.0, 3.0]), "start"),
        (dict(start=[float("nan"), 1.0]), "start"),
        (dict(start="here"), "start"),
        (dict(schedule={"id": "sometimes"}), "schedule.id"),
        (dict(schedule={"id": "step", "params": {"gamma": 7}}), "schedule.params.gamma"),
        (dict(restarts=10_000), "restarts"),
        (dict(seed=-1), "seed"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, field):
    args = {"surface": "rosenbrock", "optimizer": "adam", **kwargs}
    with pytest.raises(DescentLabError) as err:
        engine.prepare(args.pop("surface"), args.pop("optimizer"), **args)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(max_steps=0), "max_steps"),
        (dict(max_steps=10**9), "max_steps"),
        (dict(grad_norm="l3"), "stop.grad_norm"),
        (dict(grad_tol=-1.0), "stop.grad_tol"),
        (dict(bound=float("inf")), "stop.bound"),
    ],
)
def test_bad_stopping_rules_name_the_field(kwargs, field):
    with pytest.raises(DescentLabError) as err:
        Stop(**kwargs)
    assert err.value.field == field


def test_a_sweep_row_equals_the_run_with_that_setting():
    sweep = {"lr": [0.001, 0.005, 0.01], "momentum": [0.0, 0.9]}
    traj = engine.run("quadratic", "momentum", sweep=sweep, stop=Stop(max_steps=200))
    assert traj.path.shape[0] == 6
    for b, (lr, mu) in enumerate([(a, m) for a in sweep["lr"] for m in sweep["momentum"]]):
        alone = engine.run(
            "quadratic", "momentum", params={"lr": lr, "momentum": mu}, stop=Stop(max_steps=200)
        )
        row = traj.row(b)
        assert row["params"]["lr"] == lr and row["params"]["momentum"] == mu
        # a sweep runs on arrays, a single run on floats: they agree to a tolerance, not a bit
        np.testing.assert_allclose(row["path"], alone.row(0)["path"], rtol=1e-12, atol=1e-15)
        assert row["status"] == alone.row(0)["status"]


def test_the_python_api_runs_every_row_of_a_sweep():
    """descentlab.run(..., sweep=...) as the README shows it: a row per combination, each with
    its setting, each the engine's sweep row."""
    sweep = {"lr": [1e-3, 5e-3, 1e-2], "momentum": [0.0, 0.9]}
    traj = descentlab.run("quadratic", "momentum", sweep=sweep, max_steps=100)
    settings = [row_params(traj.params, b) for b in range(6)]
    assert [(s["lr"], s["momentum"]) for s in settings] == list(itertools.product(*sweep.values()))
    spec = engine.prepare("quadratic", "momentum", sweep=sweep, stop=Stop(max_steps=100))
    np.testing.assert_array_equal(traj.path, engine.run(spec).path)


def test_sweeps_of_wrapped_methods_run_row_by_row():
    traj = engine.run(
        "rosenbrock", "nelder-mead", sweep={"xatol": [1e-2, 1e-6]}, stop=Stop(max_steps=300)
    )
    assert traj.nit[0] < traj.nit[1]  # a looser tolerance stops sooner


def test_sweep_limits():
    with pytest.raises(DescentLabError) as err:
        engine.prepare("quadratic", "adam", sweep={"lr": [1e-3] * 5000}, stop=Stop(max_steps=5000))
    assert err.value.field == "max_steps"
    with pytest.raises(DescentLabError) as err:
        engine.prepare("quadratic", "adam", sweep={"lr": [1e-3]}, restarts=2)
    assert err.value.field == "sweep"


ELEMENTWISE = [o.id for o in REGISTRY if o.elementwise]


@pytest.mark.parametrize("optimizer", ELEMENTWISE)
@pytest.mark.parametrize("surface", ["rosenbrock", "nightmare", "ackley"])
def test_a_row_alone_and_in_a_batch_agree(optimizer, surface):
    """A single trajectory is one column of the loop; row 0 of a batch of two is the same
    trajectory: to the bit on Rosenbrock (arithmetic only), to RTOL per step on the nightmare
    and Ackley (exp, cos)."""
    problem = descentlab.make_problem(surface)
    starts = np.array([problem.start, problem.start + 0.3])
    params = {"lr": 0.01}
    schedule = {"id": "cosine", "params": {"T_max": 100}}
    stop = Stop(max_steps=150, grad_tol=None)
    alone = engine.run(surface, optimizer, params=params, schedule=schedule, stop=stop)
    batch = engine.run(
        surface, optimizer, start=starts, params=params, schedule=schedule, stop=stop
    )
    if surface == "rosenbrock":
        same = np.testing.assert_array_equal
    else:
        same = functools.partial(np.testing.assert_allclose, rtol=RTOL * 150, atol=ATOL)
    same(alone.path[0], batch.path[0])
    same(alone.loss[0], batch.loss[0])
    for name in alone.info:
        same(alone.info[name][0], batch.info[name][0], err_msg=name)
    assert alone.status[0] == batch.status[0] and alone.nit[0] == batch.nit[0]
    assert alone.nfev[0] == batch.nfev[0] == alone.ngev[0] == alone.nit[0] + 1


def test_the_fast_path_diverges_cleanly():
    traj = descentlab.run({"expression": "exp(x^2)"}, "gd", start=3, lr=1.0, max_steps=20)
    assert traj.status == ["diverged"] and "not finite" in traj.message[0]
    assert traj.nit[0] == 1
    traj = descentlab.run(
        {"expression": "log(x) + y^2", "start": [0.5, 1.0]}, "adam", lr=1.0, max_steps=50
    )
    assert traj.status == ["diverged"]


@pytest.mark.parametrize("optimizer", [o.id for o in REGISTRY])
def test_every_sweepable_hyperparameter_sweeps(optimizer):
    """Each hyperparameter a sweep may vary runs with two values, one per row (a pair such as
    betas with two pairs); the others are refused by name (never an error from the run)."""
    opt = REGISTRY.get(optimizer)
    for h in opt.hypers:
        if not h.per_row:
            with pytest.raises(DescentLabError) as err:
                engine.prepare("rosenbrock", opt, sweep={h.name: [h.low]})
            assert err.value.field == f"sweep.{h.name}"
            continue
        other = h.low if h.low != h.default else h.high
        values = (
            [float(h.default), float(other)]
            if h.size == 1
            else [list(h.default), [float(other)] * h.size]
        )
        traj = engine.run("rosenbrock", opt, sweep={h.name: values}, stop=Stop(max_steps=5))
        assert traj.path.shape[0] == 2
        assert [row_params(traj.params, b)[h.name] for b in (0, 1)] == values


def test_final_keeps_each_rows_final_values():
    """engine.final (what a sweep reports) equals the last point of each row of engine.run,
    rows that converge, diverge and run out of steps alike."""
    spec = engine.prepare(
        "rosenbrock",
        "gd",
        sweep={"lr": [1e-4, 1e-3, 2e-3, 0.5]},
        stop=Stop(max_steps=300, grad_tol=1.0),
    )
    full = engine.run(spec)
    last = engine.final(spec, chunk=32)
    assert set(full.status) == {"converged", "diverged", "max_steps"}
    rows = np.arange(4)
    np.testing.assert_array_equal(last.path[:, -1], full.path[rows, full.nit])
    np.testing.assert_array_equal(last.loss[:, -1], full.loss[rows, full.nit])
    np.testing.assert_array_equal(last.grad_norm[:, -1], full.grad_norm[rows, full.nit])
    assert list(last.nit) == list(full.nit) and last.status == full.status


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "newton", "random-search", "bfgs"])
@pytest.mark.parametrize("starts", [1, 3])
def test_a_run_without_extras_is_the_same_run(optimizer, starts):
    """iterate(extras=False), as the WebSocket streams it: the same points and statuses, no
    per-step state or step sizes."""
    problem = descentlab.make_problem("rosenbrock")
    start = problem.start + 0.1 * np.arange(starts)[:, None]
    spec = engine.prepare(problem, optimizer, start=start, stop=Stop(max_steps=60), seed=3)
    full = engine.run(spec)
    chunks = list(engine.iterate(spec, chunk=16, extras=False))
    assert all(c.info == {} and c.step_size is None for c in chunks)
    path = np.concatenate([c.path for c in chunks], axis=1)[:, : full.path.shape[1]]
    np.testing.assert_array_equal(path, full.path)
    assert chunks[-1].status == full.status and list(chunks[-1].nit) == list(full.nit)


def test_a_sweeps_settings_are_each_rows_parameters():
    """row_settings (what POST /api/sweeps reports, all rows at once) is row_params row by
    row: a swept number, a swept part of a pair, and a pair and a number held fixed."""
    spec = engine.prepare(
        "rosenbrock",
        "adam",
        params={"weight_decay": 0.1},
        sweep={"lr": [1e-3, 1e-2, 0.1], "betas": [[0.9, 0.999], [0.5, 0.999]]},
    )
    names = ["lr", "betas", "eps", "weight_decay"]
    got = row_settings(spec.params, names, 6)
    assert got == [[row_params(spec.params, b)[n] for n in names] for b in range(6)]
    assert got[1][:2] == [1e-3, [0.5, 0.999]] and len({str(row) for row in got}) == 6


# gd on booth in 300 steps: lr 1e-4 runs out of steps, 0.05 converges, 0.3 diverges (above
# 2 / the largest curvature, 2 / 20): every status in one batch
THREE_ENDS = {"lr": [1e-4, 0.05, 0.3]}


@pytest.mark.parametrize("on_loop", [True, False], ids=["loop", "numpy"])
def test_the_result_is_each_rows_last_point_in_scipys_names(on_loop, monkeypatch):
    monkeypatch.setattr(engine.vm, "enabled", on_loop)
    spec = engine.prepare("booth", "gd", sweep=THREE_ENDS, stop=Stop(max_steps=300))
    traj = engine.run(spec)
    assert traj.status == ["max_steps", "converged", "diverged"]
    last = engine.final(spec)
    for b in range(3):
        n = int(traj.nit[b])
        assert traj.x[b].tolist() == traj.path[b, n].tolist() == last.x[b].tolist()
        assert traj.fun[b] == traj.loss[b, n] == last.fun[b] or np.isnan(traj.fun[b])
        row = traj.row(b)
        assert row["x"] == row["path"][-1] and row["nit"] == n == len(row["loss"]) - 1
        assert row["fun"] == row["loss"][-1] or np.isnan(row["fun"])
        assert {k: row[k] for k in ("status", "success", "message")} == {
            "status": traj.status[b], "success": bool(traj.success[b]), "message": traj.message[b]
        }  # fmt: skip
    assert last.nit.tolist() == traj.nit.tolist() and last.status == traj.status


def test_success_is_true_exactly_for_the_converged_status():
    assert [name for name, s in engine.STATUSES.items() if s.success] == ["converged"]
    traj = engine.run("booth", "gd", sweep=THREE_ENDS, stop=Stop(max_steps=300))
    assert traj.success.tolist() == [s == "converged" for s in traj.status] == [0, 1, 0]
    wrapped = descentlab.run("rosenbrock", "bfgs", max_steps=3)  # a method's own stop
    assert wrapped.status == ["max_steps"] and wrapped.success.tolist() == [False]
    assert descentlab.run("rosenbrock", "bfgs").success.tolist() == [True]


def test_the_wire_declares_the_statuses_of_the_table():
    from typing import get_args

    from descentlab.api.schemas import RowSummary

    assert get_args(RowSummary.model_fields["status"].annotation) == tuple(engine.STATUSES)


def test_a_rows_result_has_one_set_of_names():
    """``OUTCOME`` names a row's result in a run's rows, the stream's summaries and the
    per-row columns a sweep answers; a name outside it is refused, not answered."""
    from descentlab.api.schemas import RowColumns, RowSummary

    traj = engine.run("booth", "gd", sweep={"lr": [0.01, 0.1]}, stop=Stop(max_steps=30))
    assert tuple(traj.outcome(1)) == engine.OUTCOME == tuple(RowSummary.model_fields)
    assert set(RowColumns.model_fields) <= {*engine.OUTCOME, "grad_norm"}
    columns = traj.columns(*engine.OUTCOME, "grad_norm")
    for name in engine.OUTCOME:
        assert [traj.outcome(b)[name] for b in range(2)] == np.asarray(columns[name]).tolist()
    assert columns["grad_norm"].tolist() == traj.grad_norm[:, -1].tolist()
    with pytest.raises(KeyError, match="steps"):
        traj.columns("steps")
