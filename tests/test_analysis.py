"""analysis.analyse: the Hessian's verdict against points whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.analysis import analyse, classify, condition_number
from descentlab.errors import DescentLabError
from descentlab.problems import make_problem


def test_rosenbrock_minimum() -> None:
    a = analyse(make_problem("rosenbrock"), [1.0, 1.0])
    assert a["critical_point"] == "minimum"
    np.testing.assert_allclose(a["hessian"], [[802, -400], [-400, 200]])
    assert a["max_stable_lr"] == pytest.approx(2 / max(a["eigenvalues"]))
    assert a["condition_number"] == pytest.approx(max(a["eigenvalues"]) / min(a["eigenvalues"]))
    H, w = np.array(a["hessian"]), np.array(a["eigenvalues"])
    for lam, v in zip(w, a["eigenvectors"], strict=True):
        np.testing.assert_allclose(H @ v, lam * np.array(v), atol=1e-9)


def test_quadratic_bowl_step_bound() -> None:
    a = analyse(make_problem({"id": "quadratic", "params": {"kappa": 100, "angle": 0}}), [0, 0])
    assert a["max_stable_lr"] == pytest.approx(2 / 200)
    assert a["condition_number"] == pytest.approx(100)


def test_saddle_and_not_critical() -> None:
    assert analyse(make_problem("saddle"), [0.0, 0.0])["critical_point"] == "saddle"
    a = analyse(make_problem("rosenbrock"), [-1.5, 2.0])
    assert a["critical_point"] == "not critical" and a["gradient_check"]["ok"]


def test_classify_and_condition() -> None:
    assert classify(np.array([1.0, 2.0])) == "minimum"
    assert classify(np.array([-1.0, -2.0])) == "maximum"
    assert classify(np.array([-1.0, 2.0])) == "saddle"
    assert classify(np.array([0.0, 2.0])) == "degenerate"
    assert classify(np.array([0.0, 0.0])) == "degenerate"
    assert condition_number(np.array([0.0, 3.0])) == float("inf")
    assert condition_number(np.array([-4.0, 2.0])) == 2.0


def test_1d_surface() -> None:
    a = analyse(make_problem("parabola"), [3.0])
    assert a["critical_point"] == "not critical" and len(a["gradient"]) == 1


@pytest.mark.parametrize("point", [[1.0], [1.0, 2.0, 3.0], [np.nan, 1.0], "ab"])
def test_bad_points(point: object) -> None:
    with pytest.raises(DescentLabError) as err:
        analyse(make_problem("rosenbrock"), point)
    assert err.value.field == "point"


def test_newton_step_solves_the_local_quadratic() -> None:
    problem = make_problem("rosenbrock")
    a = analyse(problem, [-1.5, 2.0])
    H, g = np.array(a["hessian"]), np.array(a["gradient"])
    np.testing.assert_allclose(H @ np.array(a["newton_step"]), -g, rtol=1e-9)
    # on a quadratic the step lands on the minimum, from anywhere
    bowl = make_problem({"id": "quadratic", "params": {"kappa": 100, "angle": 30}})
    p = np.array([0.7, -0.4])
    step = np.array(analyse(bowl, p.tolist())["newton_step"])
    np.testing.assert_allclose(p + step, bowl.minima[0], atol=1e-12)
    # and on the saddle's quadratic model, it heads for the saddle point
    s = analyse(make_problem("saddle"), [0.5, -0.25])
    np.testing.assert_allclose(np.array([0.5, -0.25]) + s["newton_step"], [0, 0], atol=1e-12)


def test_newton_step_is_none_where_the_hessian_is_singular() -> None:
    a = analyse(make_problem("monkey-saddle"), [0.0, 0.0])
    assert a["eigenvalues"] == [0.0, 0.0] and a["newton_step"] is None


def test_gradient_check_catches_a_wrong_gradient() -> None:
    from descentlab import analysis

    problem = make_problem("rosenbrock")
    x = np.array([-1.5, 2.0])
    _, g = problem.value_and_grad(x[None])
    assert analysis._gradient_check(problem, x, g[0])["ok"]
    wrong = analysis._gradient_check(problem, x, g[0] * (1 + 1e-3))
    assert not wrong["ok"] and wrong["max_error"] > 1e-4
