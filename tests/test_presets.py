"""The lecture's figures: every preset is held to the numbers its notes print, or to the path
that our own transcription of the notes' code computes (1e-9), with the notes' slips corrected
where the preset says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
import numpy as np
import pytest
from numpy.polynomial import polynomial
from scipy import optimize

from descentlab.api.schemas import BasinBody, RunBody, StateBody, SweepBody
from descentlab.api.service import basin_result, run_result, state_result, sweep_result
from descentlab.presets import LECTURES, PRESETS, Preset
from descentlab.problems import make_problem
from test_lecture_surfaces import bad_function, difference_of_gaussians, sum_of_squares

BY_ID = {p.id: p for p in PRESETS}
TOL = {"rtol": 1e-9, "atol": 1e-12}


def _runs(preset: Preset) -> list[dict[str, Any]]:
    return run_result(RunBody.model_validate(preset.run))["runs"]


def _path(run: dict[str, Any]) -> np.ndarray:
    return np.array(run["path"], dtype=float)


# --- transcriptions of the notes' code (ours, written from the notes) ----------------------


def glasgow_gd(dL: Callable, theta0: Any, delta: float, tol: float = 1e-4) -> np.ndarray:
    """001's gradient_descent: step while sum |dL| > tol; every point, start included."""
    theta = np.array(theta0, dtype=float)
    points = [theta.copy()]
    with np.errstate(all="ignore"):
        while np.sum(np.abs(dL(theta))) > tol and len(points) < 10_000:
            theta = theta - delta * dL(theta)
            points.append(theta.copy())
    return np.array(points)


def duke_gd(x0: Any, grad: Callable, alpha: float, max_iter: int) -> np.ndarray:
    xs, x = [np.array(x0, dtype=float)], np.array(x0, dtype=float)
    for _ in range(max_iter):
        x = x - alpha * grad(x)
        xs.append(x)
    return np.array(xs)


def duke_momentum(x0: Any, grad: Callable, alpha: float, beta: float, max_iter: int):
    """004's gd_momentum with the bias correction's sign corrected (1 - beta^t)."""
    xs, x, v = [np.array(x0, dtype=float)], np.array(x0, dtype=float), 0.0
    for i in range(max_iter):
        v = beta * v + (1 - beta) * grad(x)
        x = x - alpha * v / (1 - beta ** (i + 1))
        xs.append(x)
    return np.array(xs)


def duke_rmsprop(x0: Any, grad: Callable, alpha: float, beta: float, eps: float, max_iter: int):
    xs, x, v = [np.array(x0, dtype=float)], np.array(x0, dtype=float), 0.0
    for _ in range(max_iter):
        v = beta * v + (1 - beta) * grad(x) ** 2
        x = x - alpha * grad(x) / (eps + np.sqrt(v))
        xs.append(x)
    return np.array(xs)


def duke_adam(x0: Any, grad: Callable, alpha: float, b1: float, b2: float, eps: float, n: int):
    """004's gd2_adam with its slips corrected: m-hat in the step, 1 - beta^t."""
    xs, x, m, v = [np.array(x0, dtype=float)], np.array(x0, dtype=float), 0.0, 0.0
    for i in range(n):
        m = b1 * m + (1 - b1) * grad(x)
        v = b2 * v + (1 - b2) * grad(x) ** 2
        mc, vc = m / (1 - b1 ** (i + 1)), v / (1 - b2 ** (i + 1))
        x = x - alpha * mc / (eps + np.sqrt(vc))
        xs.append(x)
    return np.array(xs)


def _parabola_grad(x: np.ndarray) -> np.ndarray:
    return 2 * x


def _bowl_grad(x: np.ndarray) -> np.ndarray:
    return np.array([2 * x[0], 200 * x[1]])


def _ols_data() -> tuple[np.ndarray, np.ndarray]:
    data = make_problem("linear-regression").data
    assert data is not None
    X = np.column_stack([np.ones_like(data["xi"]), data["xi"]])
    return X, data["yi"]


def _ols_grad(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The Oslo notes' (2/M) Xᵀ(Xθ − y) over the rows given."""
    return (2.0 / len(y)) * X.T @ (X @ theta - y)


# --- one oracle per preset -------------------------------------------------------------------

PRINTED_PARABOLA_POINTS = {0.25: 19, 0.01: 606, 0.5: 2, 0.98: 301}


def _check_parabola(preset: Preset) -> None:
    (run,) = _runs(preset)
    lr = preset.run["optimizers"][0]["params"]["lr"]
    expected = glasgow_gd(_parabola_grad, [-10.0], lr)
    if lr in PRINTED_PARABOLA_POINTS:
        assert run["status"] == "converged"
        assert len(expected) == PRINTED_PARABOLA_POINTS[lr] == run["nit"] + 1
        np.testing.assert_allclose(_path(run), expected, **TOL)
    else:  # 1.5: the notes' loop runs until theta overflows ("Converged in 1023 steps")
        assert run["status"] == "diverged"
        assert len(expected) == 1023  # the notes' printed count
        np.testing.assert_allclose(_path(run), expected[: run["nit"] + 1], **TOL)


def _check_quartic(preset: Preset) -> None:
    df = lambda x: 4 * x**3 - 80 * x - 100  # noqa: E731
    ddf = lambda x: 12 * x**2 - 80  # noqa: E731
    assert df(5.0) == 0.0 and ddf(5.0) == 220.0  # the notes' printed check
    (run,) = _runs(preset)
    expected = glasgow_gd(df, preset.run["start"], preset.run["optimizers"][0]["params"]["lr"])
    np.testing.assert_allclose(_path(run), expected, **TOL)
    assert run["path"][-1][0] == pytest.approx(5.0, abs=1e-5)


def _check_polynomial(preset: Preset) -> None:
    poly = np.array([[0, 0, 1, -0.02], [5, 0, 0, 0], [1, 0, 0, 0], [0.04, 0, 0, 0]])
    der_x, der_y = polynomial.polyder(poly, axis=0), polynomial.polyder(poly, axis=1)

    def dL(x: np.ndarray) -> np.ndarray:
        return np.array(
            [polynomial.polyval2d(x[0], x[1], der_x), polynomial.polyval2d(x[0], x[1], der_y)]
        )

    runs = _runs(preset)
    assert len(runs) == 5
    for run, ref in zip(runs, preset.run["optimizers"], strict=True):
        expected = glasgow_gd(dL, ref["start"], ref["params"]["lr"], tol=1e-6)
        np.testing.assert_allclose(_path(run), expected, **TOL)
        np.testing.assert_allclose(run["path"][-1], [(-2 + np.sqrt(1.6)) / 0.24, 0], atol=1e-5)


def glasgow_restart_run(L: Callable, dL: Callable, theta0: Any, delta: float, alpha: float):
    """One restart of 001's gradient_descent_restart_momentum (velocity from rest, see the
    preset's note): step while the loss changes by more than 1e-4."""
    theta, vel, loss = np.array(theta0, dtype=float), 0.0, L(np.array(theta0, dtype=float))
    points, change = [theta], np.inf
    while abs(change) > 1e-4 and len(points) <= 2000:
        vel = alpha * vel + delta * dL(theta)
        theta = theta - vel
        change, loss = loss - L(theta), L(theta)
        points.append(theta)
    return np.array(points)


def _check_nightmare_restarts(preset: Preset) -> None:
    (run,) = _runs(preset)
    f = make_problem("nightmare").autograd_function()
    rows = [run, *run["restarts"]]
    assert len(rows) == 20
    for row in rows:
        expected = glasgow_restart_run(f, autograd.grad(f), row["path"][0], 0.2, 0.9)
        np.testing.assert_allclose(_path(row), expected, **TOL)
    finals = [row["loss"][-1] for row in rows]
    assert finals[run["best"]] == min(finals)


def _check_nightmare_cloud(preset: Preset) -> None:
    """Every particle is 001's restart loop from its own start; the starts are the centre and
    the 400 cell centres of a 20 x 20 grid over [-5, 5]²; the best is the lowest final loss,
    and few particles reach the global minimum, as the description says."""
    (run,) = _runs(preset)
    f = make_problem("nightmare").autograd_function()
    rows = [run, *run["restarts"]]
    assert len(rows) == 401
    centres = np.linspace(-4.75, 4.75, 20)
    grid = np.stack(np.meshgrid(centres, centres), axis=-1).reshape(-1, 2)  # x fastest
    np.testing.assert_allclose([row["path"][0] for row in rows], [[0, 0], *grid], atol=1e-12)
    for row in rows:
        expected = glasgow_restart_run(f, autograd.grad(f), row["path"][0], 0.2, 0.9)
        np.testing.assert_allclose(_path(row), expected, **TOL)
    finals = np.array([row["loss"][-1] for row in rows])
    assert finals[run["best"]] == finals.min()
    ends = np.array([row["path"][-1] for row in rows])
    at_global = np.hypot(ends[:, 0] + 3.0224, ends[:, 1] - 0.1087) < 0.05
    assert at_global[run["best"]] and 0 < at_global.sum() <= 10


def _scalar(f: Callable) -> Callable:
    """One of test_lecture_surfaces' transcriptions, on a single point."""
    return lambda theta: f(theta[None, :])[0]


def _check_glasgow_paths(preset: Preset, f: Callable) -> list[dict[str, Any]]:
    """Every path of ``preset`` equals 001's gradient_descent on the notes' function ``f``."""
    runs = _runs(preset)
    dL = autograd.grad(_scalar(f))
    for run, ref in zip(runs, preset.run["optimizers"], strict=True):
        start = ref.get("start", preset.run.get("start"))
        expected = glasgow_gd(dL, start, ref["params"]["lr"])
        assert run["status"] == "converged"
        np.testing.assert_allclose(_path(run), expected, **TOL)
    return runs


def _check_dog(preset: Preset) -> None:
    inside, outside = _check_glasgow_paths(preset, difference_of_gaussians)
    assert np.abs(inside["path"][-1]).max() < 1e-3  # the centre
    assert np.hypot(*outside["path"][-1]) > 4  # out on the plain


def _check_nightmare_gd(preset: Preset) -> None:
    (run,) = _check_glasgow_paths(preset, bad_function)
    assert run["loss"][-1] > -0.5  # a shallow dent, far above the global -1.0578


def _check_nightmare_3d(preset: Preset) -> None:
    """The figure before's path, and the heights the 3-D view lifts it to: f at each point of
    the path (the notes' bad_function), with the surface drawn on a linear height."""
    assert preset.show == {"view": "3d", "z": "lin"}
    (run,) = _check_glasgow_paths(preset, bad_function)
    np.testing.assert_allclose(run["loss"], bad_function(_path(run)), **TOL)
    assert run["loss"][0] > run["loss"][-1] > -0.5  # downhill, into a shallow dent


def _line_fit_data(surface: str) -> tuple[np.ndarray, np.ndarray]:
    data = make_problem(surface).data
    assert data is not None
    return data["xi"], data["yi"]


def _check_line_fit_gd(preset: Preset) -> None:
    xi, yi = _line_fit_data("line-fit")
    (run,) = _check_glasgow_paths(preset, lambda p: sum_of_squares(p, xi, yi))
    assert run["nit"] == 41
    m, c = np.polyfit(xi, yi, 1)
    np.testing.assert_allclose(run["path"][-1], [m, c], atol=1e-4)


def _check_line_fit_sgd(preset: Preset) -> None:
    (run,) = _runs(preset)
    xi, yi = _line_fit_data("line-fit-sgd")
    assert run["nit"] == 100_000 // 100
    theta, expected = np.array(preset.run["start"]), [np.array(preset.run["start"])]
    for t in range(1, run["nit"] + 1):
        rows = np.array(run["batches"][t])
        residual = theta[0] * xi[rows] + theta[1] - yi[rows]
        batch_grad = np.array([2 * residual @ xi[rows], 2 * residual.sum()])
        theta = theta - 0.05 * batch_grad / len(rows)  # the notes divide by the batch's size
        expected.append(theta)
    np.testing.assert_allclose(_path(run), np.array(expected), **TOL)
    np.testing.assert_allclose(run["path"][-1], [1.0, 2.0], atol=0.05)


def _check_duke_1d(preset: Preset) -> None:
    (run,) = _runs(preset)
    ref = preset.run["optimizers"][0]
    if ref["id"] == "gd":
        expected = duke_gd([1.0], _parabola_grad, ref["params"]["lr"], 10)
    else:
        expected = duke_momentum([1.0], _parabola_grad, 0.95, 0.9, 10)
    np.testing.assert_allclose(_path(run), expected, **TOL)


def _check_duke_bowl(preset: Preset) -> None:
    (run,) = _runs(preset)
    ref, x0 = preset.run["optimizers"][0], [-1.0, -1.0]
    expected = {
        "gd": lambda: duke_gd(x0, _bowl_grad, 0.01, 75),
        "ewa-momentum": lambda: duke_momentum(x0, _bowl_grad, 0.01, 0.9, 75),
        "rmsprop": lambda: duke_rmsprop(x0, _bowl_grad, 0.1, 0.9, 1e-8, 10),
        "adam": lambda: duke_adam(x0, _bowl_grad, 0.1, 0.9, 0.9, 1e-8, 10),
    }[ref["id"]]()
    np.testing.assert_allclose(_path(run), expected, **TOL)
    if ref["id"] == "gd":  # y flips sign every step and never shrinks
        np.testing.assert_allclose(np.abs(_path(run)[:, 1]), 1.0, rtol=1e-12)


def _check_momentum_state(preset: Preset) -> None:
    """The state drawn is the notes' momentum transcribed: the gradient at each point, the
    average v_t = βv + (1 − β)∇f and the velocity −lr·v_t/(1 − β^t) that moves the point."""
    assert preset.overlay == ("state", "field")
    (run,) = state_result(StateBody.model_validate(preset.run))["runs"]
    lr, beta = 0.01, 0.9
    x, v = np.array([-1.0, -1.0]), np.zeros(2)
    for t in range(1, run["nit"] + 2):
        g = np.asarray(_bowl_grad(x), dtype=float)
        v = beta * v + (1 - beta) * g
        velocity = -lr * v / (1 - beta**t)
        np.testing.assert_allclose(run["path"][t - 1], x, **TOL)
        np.testing.assert_allclose(run["grad"][t - 1], g, **TOL)
        np.testing.assert_allclose(run["kept"]["buffer"][t - 1], v, **TOL)
        np.testing.assert_allclose(run["kept"]["velocity"][t - 1], velocity, **TOL)
        x = x + velocity
    assert run["nit"] == 75


def _check_duke_gd_100k(preset: Preset) -> None:
    (run,) = _runs(preset)
    assert run["nit"] == 100_000
    assert run["loss"][-1] == pytest.approx(1.060466347344834e-08, rel=1e-6)
    np.testing.assert_allclose(run["path"][-1], [0.9998971, 0.99979381], atol=1e-7)


def _check_nelder_mead(preset: Preset) -> None:
    (run,) = _runs(preset)
    assert run["loss"][-1] == pytest.approx(5.262756878429089e-10, rel=1e-6)
    assert run["nfev"] == 162 and run["nit"] == 85 - 1
    np.testing.assert_allclose(run["path"][-1], [0.99998846, 0.99997494], atol=1e-8)


def _check_bfgs(preset: Preset) -> None:
    (run,) = _runs(preset)
    points: list[np.ndarray] = []
    direct = optimize.minimize(
        optimize.rosen,
        np.array([4.0, -4.1]),
        jac=optimize.rosen_der,
        method="BFGS",
        callback=lambda xk: points.append(np.copy(xk)),
    )
    assert run["status"] == "converged" and run["nit"] == direct.nit
    np.testing.assert_allclose(run["path"][-1], direct.x, atol=1e-6)


def _check_newton_cg(preset: Preset) -> None:
    (run,) = _runs(preset)
    assert run["nit"] == 26
    assert run["loss"][-1] == pytest.approx(1.3642782750354208e-13, rel=1e-5)
    np.testing.assert_allclose(run["path"][-1], [0.99999963, 0.99999926], atol=1e-8)


def _check_oslo_gd(preset: Preset) -> None:
    (run,) = _runs(preset)
    X, y = _ols_data()
    H = (2.0 / len(y)) * X.T @ X
    eta = preset.run["optimizers"][0]["params"]["lr"]
    assert eta == pytest.approx(1.0 / np.linalg.eigvalsh(H).max(), rel=1e-12)
    theta, expected = np.array(preset.run["start"]), [np.array(preset.run["start"])]
    for _ in range(1000):
        theta = theta - eta * _ols_grad(X, y, theta)
        expected.append(theta)
    np.testing.assert_allclose(_path(run), np.array(expected), **TOL)
    np.testing.assert_allclose(run["path"][-1], np.linalg.solve(X.T @ X, X.T @ y), atol=1e-8)


def _oslo_rates(steps: int) -> np.ndarray:
    return 5.0 / (np.arange(steps) + 50.0)  # t0/(t + t1), t = epoch*m + i from 0


def _check_oslo_sgd(preset: Preset) -> None:
    (run,) = _runs(preset)
    X, y = _ols_data()
    assert run["nit"] == 50 * 20
    theta, expected = np.array(preset.run["start"]), [np.array(preset.run["start"])]
    for t, eta in enumerate(_oslo_rates(run["nit"]), start=1):
        rows = np.array(run["batches"][t])
        theta = theta - eta * _ols_grad(X[rows], y[rows], theta)
        expected.append(theta)
    np.testing.assert_allclose(_path(run), np.array(expected), **TOL)


def _check_oslo_momentum(preset: Preset) -> None:
    notes, torch_form = _runs(preset)
    X, y = _ols_data()
    start = np.array(preset.run["start"])
    rates = 0.02 / 0.1 * _oslo_rates(notes["nit"])  # lr 0.02 under t1/(t + t1)
    theta, v, b = start, np.zeros(2), np.zeros(2)
    theta_torch, ours, theirs = start, [start], [start]
    for t, eta in enumerate(rates, start=1):
        rows = np.array(notes["batches"][t])
        v = 0.9 * v + eta * _ols_grad(X[rows], y[rows], theta)  # the notes' eq. (1)
        theta = theta - v
        ours.append(theta)
        g = _ols_grad(X[rows], y[rows], theta_torch)
        b = g if t == 1 else 0.9 * b + g  # torch.optim.SGD
        theta_torch = theta_torch - eta * b
        theirs.append(theta_torch)
    assert notes["batches"] == torch_form["batches"]  # the same minibatches, seeded alike
    np.testing.assert_allclose(_path(notes), np.array(ours), **TOL)
    np.testing.assert_allclose(_path(torch_form), np.array(theirs), **TOL)
    assert np.abs(_path(notes) - _path(torch_form)).max() > 1e-3


def _sweep_axis(axis: dict[str, Any], n: int) -> list[float]:
    lo, hi = axis["range"]
    grid = np.geomspace(lo, hi, n) if axis["scale"] == "log" else np.linspace(lo, hi, n)
    return [float(v) for v in grid]


def _check_momentum_sweep(preset: Preset) -> None:
    """The sweep's diverged cells are those beyond heavy-ball momentum's stability edge on a
    quadratic, lr·λmax < 2(1 + μ) (λmax = 200), away from the edge itself (where 500 steps
    are too few to decide); and the preset's own setting is a stable one."""
    show = preset.show
    assert show is not None and show["view"] == "sweep" and show["metric"] == "status"
    n = show["n"]
    x, y = _sweep_axis(show["x"], n), _sweep_axis(show["y"], n)
    opt = preset.run["optimizers"][show["optimizer"]]
    body = {k: v for k, v in preset.run.items() if k != "optimizers"}
    sweep = {show["y"]["name"]: y, show["x"]["name"]: x}  # y slowest: row j * n + i
    answer = sweep_result(SweepBody.model_validate({**body, "optimizer": opt, "sweep": sweep}))
    status = np.array(answer["status"]).reshape(n, n)
    lr, mu = np.array(x)[None, :], np.array(y)[:, None]
    edge = lr * 200 / (2 * (1 + mu))
    assert (status[edge > 1.05] == "diverged").all()
    assert (status[edge < 0.95] != "diverged").all()
    assert 0.2 < (status == "diverged").mean() < 0.5  # the edge runs through the picture
    (run,) = _runs(preset)
    assert run["status"] == "converged"


def _check_dog_basins(preset: Preset) -> None:
    """Every start inside the ring (r² < 2.5 ln 5, with a margin) is labelled by the centre,
    every start outside it by −1 (it slides away), as the description says."""
    show = preset.show
    assert show is not None and show["view"] == "basins"
    (opt,) = preset.run["optimizers"]
    n = show["n"]
    answer = basin_result(
        BasinBody.model_validate(
            {
                "surface": "dog",
                "optimizer": opt,
                "max_steps": preset.run["max_steps"],
                "nx": n,
                "ny": n,
            }
        )
    )
    labels = np.array(answer["labels"])
    assert answer["listed"] == 1 and len(answer["minima"]) == 1  # no other end point
    X, Y = np.meshgrid(answer["x"], answer["y"])
    r2 = (X + 0.8 * Y) ** 2 + (1.5 * Y - 0.2 * X) ** 2
    ring = 2.5 * np.log(5)
    assert (labels[r2 < 0.95 * ring] == 0).all()
    assert (labels[r2 > 1.05 * ring] == -1).all()


ORACLES: dict[str, Callable[[Preset], None]] = {
    "quartic-analytic": _check_quartic,
    **{f"parabola-lr-{lr:g}": _check_parabola for lr in (0.25, 0.01, 0.5, 0.98, 1.5)},
    "polynomial-five-paths": _check_polynomial,
    "dog-inside-outside": _check_dog,
    "dog-basins": _check_dog_basins,
    "line-fit-gd": _check_line_fit_gd,
    "line-fit-sgd": _check_line_fit_sgd,
    "nightmare-gd": _check_nightmare_gd,
    "nightmare-3d": _check_nightmare_3d,
    "nightmare-momentum-restarts": _check_nightmare_restarts,
    "nightmare-momentum-cloud": _check_nightmare_cloud,
    "duke-gd-1d-moderate": _check_duke_1d,
    "duke-gd-1d-large": _check_duke_1d,
    "duke-ewa-momentum-1d": _check_duke_1d,
    "duke-bowl-gd": _check_duke_bowl,
    "duke-bowl-momentum": _check_duke_bowl,
    "duke-bowl-momentum-state": _check_momentum_state,
    "duke-bowl-momentum-sweep": _check_momentum_sweep,
    "duke-bowl-rmsprop": _check_duke_bowl,
    "duke-bowl-adam": _check_duke_bowl,
    "duke-rosenbrock-gd-100k": _check_duke_gd_100k,
    "duke-rosenbrock-nelder-mead": _check_nelder_mead,
    "duke-rosenbrock-bfgs": _check_bfgs,
    "duke-rosenbrock-newton-cg": _check_newton_cg,
    "oslo-ols-gd": _check_oslo_gd,
    "oslo-ols-sgd": _check_oslo_sgd,
    "oslo-ols-sgd-ewa": _check_oslo_sgd,
    "oslo-momentum-forms": _check_oslo_momentum,
}


def test_every_preset_has_an_oracle():
    assert set(ORACLES) == set(BY_ID)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_preset_reproduces_its_figure(preset):
    ORACLES[preset.id](preset)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_preset_is_a_valid_body_in_its_lecture(preset):
    assert preset.describe()["run"] == preset.run
    assert preset.lecture in {lecture.id for lecture in LECTURES}
    assert preset.section and preset.try_this and preset.description
    RunBody.model_validate(preset.run)


def test_presets_are_grouped_by_lecture_in_teaching_order():
    order = [lecture.id for lecture in LECTURES]
    positions = [order.index(p.lecture) for p in PRESETS]
    assert positions == sorted(positions)
    assert len(BY_ID) == len(PRESETS)
