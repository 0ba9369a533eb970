"""``POST /api/states``: what each rule keeps along its path, held to each rule's formula
recomputed here from the recorded gradients, and the bodies it refuses."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from descentlab import limits
from descentlab.api import create_app
from descentlab.problems import make_problem

REL = 1e-12  # the machine-code loop's agreement with numpy, per step


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def states(client: TestClient, opt: dict, **body: object) -> dict:
    body = {"surface": "rosenbrock", "max_steps": 200, "optimizers": [opt], **body}
    r = client.post("/api/states", json=body)
    assert r.status_code == 200, r.text
    return r.json()["runs"][0]


def arr(values: list) -> np.ndarray:
    return np.array(values, dtype=float)


def close(a: np.ndarray, b: np.ndarray, rel: float = REL) -> None:
    np.testing.assert_allclose(a, b, rtol=rel, atol=rel * np.max(np.abs(b)))


def test_the_path_is_the_runs_path_and_the_step_leads_to_the_next_point(
    client: TestClient,
) -> None:
    opt = {"id": "momentum", "params": {"lr": 0.001, "momentum": 0.9}}
    run = states(client, opt)
    r = client.post(
        "/api/runs", json={"surface": "rosenbrock", "max_steps": 200, "optimizers": [opt]}
    )
    assert run["path"] == r.json()["runs"][0]["path"]  # the trajectory is untouched
    path, step = arr(run["path"]), arr(run["step"])
    assert len(run["grad"]) == len(step) == len(path) == run["nit"] + 1
    close(path[:-1] + step[:-1], path[1:])
    _, G = make_problem("rosenbrock").value_and_grad(path)
    close(arr(run["grad"]), G)


def test_momentum_keeps_the_buffer_of_its_recurrence(client: TestClient) -> None:
    lr, mu = 0.001, 0.9
    run = states(client, {"id": "momentum", "params": {"lr": lr, "momentum": mu}})
    g, kept = arr(run["grad"]), run["kept"]
    buf = np.zeros_like(g)
    buf[0] = g[0]
    for t in range(1, len(g)):
        buf[t] = mu * buf[t - 1] + g[t]
    close(arr(kept["buffer"]), buf)
    close(arr(kept["velocity"]), -lr * buf)
    close(arr(kept["velocity"])[:-1], arr(run["step"])[:-1])  # momentum moves by its velocity


def test_nesterov_velocity_is_the_buffer_not_the_step(client: TestClient) -> None:
    lr, mu = 0.001, 0.9
    run = states(client, {"id": "nesterov", "params": {"lr": lr, "momentum": mu}})
    g, buf = arr(run["grad"]), arr(run["kept"]["buffer"])
    close(buf[1:], mu * buf[:-1] + g[1:])
    close(arr(run["step"])[:-1], (-lr * (g + mu * buf))[:-1])


def test_velocity_momentum_under_a_schedule_keeps_each_rate(client: TestClient) -> None:
    gamma, lr = 0.8, 0.002
    schedule = {"id": "step", "params": {"step_size": 30, "gamma": 0.5}}
    opt = {"id": "velocity-momentum", "params": {"lr": lr, "momentum": gamma}, "schedule": schedule}
    run = states(client, opt)
    g = arr(run["grad"])
    rates = lr * 0.5 ** (np.arange(len(g)) // 30)
    v = np.zeros_like(g)
    prev = np.zeros(g.shape[1])
    for t in range(len(g)):
        v[t] = prev = gamma * prev + rates[t] * g[t]
    close(arr(run["kept"]["buffer"]), v)
    close(arr(run["kept"]["velocity"]), -v)


def test_ewa_momentum_velocity_is_the_bias_corrected_average(client: TestClient) -> None:
    lr, beta = 0.002, 0.9
    run = states(client, {"id": "ewa-momentum", "params": {"lr": lr, "beta": beta}})
    g = arr(run["grad"])
    v = np.zeros_like(g)
    prev = np.zeros(g.shape[1])
    for t in range(len(g)):
        v[t] = prev = beta * prev + (1 - beta) * g[t]
    t = np.arange(1, len(g) + 1)[:, None]
    close(arr(run["kept"]["buffer"]), v)
    close(arr(run["kept"]["velocity"]), -lr * v / (1 - beta**t))


@pytest.mark.parametrize("opt_id", ["adam", "amsgrad"])
def test_adam_effective_step_and_moments_follow_the_formula(
    client: TestClient, opt_id: str
) -> None:
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    run = states(client, {"id": opt_id, "params": {"lr": lr}})
    g, kept = arr(run["grad"]), run["kept"]
    m, v, vmax = np.zeros(g.shape[1]), np.zeros(g.shape[1]), np.zeros(g.shape[1])
    for k in range(len(g)):
        t = k + 1
        m = b1 * m + (1 - b1) * g[k]
        v = b2 * v + (1 - b2) * g[k] ** 2
        vmax = np.maximum(vmax, v)
        used = vmax if opt_id == "amsgrad" else v
        sqrt_v_hat = np.sqrt(used) / np.sqrt(1 - b2**t)
        close(arr(kept["m_hat"][k]), m / (1 - b1**t))
        close(arr(kept["sqrt_v_hat"][k]), sqrt_v_hat)
        close(arr(kept["effective_lr"][k]), lr / (1 - b1**t) / (sqrt_v_hat + eps))
    # the step is the effective step times the raw moment m_t = m_hat (1 - beta1^t)
    bc1 = 1 - b1 ** np.arange(1, len(g) + 1)[:, None]
    step = -arr(kept["effective_lr"]) * arr(kept["m_hat"]) * bc1
    close(step[:-1], arr(run["step"])[:-1], 1e-9)


def test_adagrad_effective_step_divides_by_the_root_sum_of_squares(client: TestClient) -> None:
    lr, eps = 0.05, 1e-10
    run = states(client, {"id": "adagrad", "params": {"lr": lr}})
    g = arr(run["grad"])
    close(arr(run["kept"]["effective_lr"]), lr / (np.sqrt(np.cumsum(g**2, axis=0)) + eps))


def test_the_state_follows_the_noisy_gradient_the_step_saw(client: TestClient) -> None:
    lr, mu = 0.001, 0.9
    opt = {"id": "momentum", "params": {"lr": lr, "momentum": mu}}
    run = states(client, opt, stochastic={"noise": 5.0}, seed=3)
    g, path = arr(run["grad"]), arr(run["path"])
    _, true = make_problem("rosenbrock").value_and_grad(path)
    assert np.abs(g - true).max() > 1.0  # the noise is in the recorded gradient
    close(path[:-1] + arr(run["step"])[:-1], path[1:])
    buf = arr(run["kept"]["buffer"])
    close(buf[1:], mu * buf[:-1] + g[1:])


def test_nelder_mead_simplex_has_the_path_as_its_best_vertex(client: TestClient) -> None:
    run = states(client, {"id": "nelder-mead", "params": {"simplex_size": 0.3}})
    problem = make_problem("rosenbrock")
    path, simplex = arr(run["path"]), run["simplex"]
    assert run["kind"] == "simplex" and len(simplex) == len(path)
    assert all(s is not None and len(s) == 3 for s in simplex)
    for i in range(1, len(path)):
        vertices = arr(simplex[i])
        assert vertices[0].tolist() == path[i].tolist()
        values = problem.value(vertices)
        assert (np.diff(values) >= 0).all()  # best first
    first = arr(simplex[0])  # the initial simplex: x0 and x0 + 0.3 e_i
    assert sorted(first.tolist()) == sorted([[-1.5, 2.0], [-1.2, 2.0], [-1.5, 2.3]])


@pytest.mark.parametrize("opt_id", ["bfgs", "lbfgs", "newton-cg"])
def test_line_search_trials_hold_the_accepted_point(client: TestClient, opt_id: str) -> None:
    run = states(client, {"id": opt_id})
    path, trials = arr(run["path"]), run["trials"]
    assert run["kind"] == "line-search" and len(trials) == len(path)
    for i in range(len(path) - 1):
        assert path[i + 1].tolist() in trials[i], i
    assert sum(len(t) for t in trials) >= len(path) - 1


def test_simulated_annealing_proposals_accepted_and_rejected(client: TestClient) -> None:
    opt = {"id": "simulated-annealing", "params": {"T0": 1.0, "sigma": 0.3}}
    run = states(client, opt, surface="himmelblau", max_steps=300, seed=2)
    path, proposal, accepted = arr(run["path"]), arr(run["proposal"]), run["accepted"]
    for i in range(len(path) - 1):
        moved_to_it = path[i + 1].tolist() == proposal[i].tolist()
        assert accepted[i] == moved_to_it
        assert accepted[i] or path[i + 1].tolist() == path[i].tolist()
    assert 0 < sum(accepted[:-1]) < len(path) - 1  # some of each


def test_restarts_are_refused_naming_the_field(client: TestClient) -> None:
    body = {"surface": "rosenbrock", "restarts": 2, "optimizers": [{"id": "gd"}]}
    r = client.post("/api/states", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "restarts"]


def test_more_points_than_the_limit_are_refused_naming_max_steps(client: TestClient) -> None:
    steps = limits.MAX_STATE_POINTS // 2
    body = {"surface": "rosenbrock", "max_steps": steps, "optimizers": [{"id": "gd"}] * 2}
    r = client.post("/api/states", json=body)
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "max_steps"] and "20,000" in detail["msg"]
    body["optimizers"] = [{"id": "gd"}]
    assert client.post("/api/states", json=body).status_code == 200
    limits_out = client.get("/api/limits").json()["limits"]
    assert limits_out["max_state_points"] == limits.MAX_STATE_POINTS
    assert limits_out["max_state_trials"] == limits.MAX_STATE_TRIALS


def test_a_bad_hyperparameter_names_its_optimizer(client: TestClient) -> None:
    body = {"surface": "rosenbrock", "optimizers": [{"id": "adam", "params": {"lr": -1}}]}
    r = client.post("/api/states", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:4] == ["body", "optimizers", 0, "params"]


def test_minibatch_sgd_state_follows_each_steps_minibatch(client: TestClient) -> None:
    opt = {"id": "momentum", "params": {"lr": 0.02, "momentum": 0.9}}
    body = {"surface": "linear-regression", "start": [0.0, 0.0], "epochs": 3, "seed": 4}
    body["stochastic"] = {"batch_size": 5, "sampling": "replacement"}
    run = states(client, opt, **body)
    path, g = arr(run["path"]), arr(run["grad"])
    _, full = make_problem("linear-regression").value_and_grad(path)
    assert np.abs(g - full).max() > 1e-3  # each step saw its minibatch's gradient
    close(path[:-1] + arr(run["step"])[:-1], path[1:])
    buf = arr(run["kept"]["buffer"])
    close(buf[1:], 0.9 * buf[:-1] + g[1:])
    assert run["nit"] == 3 * 20
