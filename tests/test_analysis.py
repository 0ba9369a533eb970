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
