"""The lecture's figures: every preset runs, and shows what its title says."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab.api.schemas import RunBody
from descentlab.api.service import run_result
from descentlab.presets import PRESETS

BY_ID = {p.id: p for p in PRESETS}


def _runs(preset_id):
    return run_result(RunBody.model_validate(BY_ID[preset_id].run))["runs"]


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_every_preset_is_a_valid_run_body(preset):
    runs = run_result(RunBody.model_validate(preset.run))["runs"]
    assert len(runs) == len(preset.run["optimizers"])
    assert preset.describe()["run"] == preset.run


def test_parabola_step_sizes_tell_the_lecture_story():
    (small,) = _runs("parabola-lr-0.01")
    (right,) = _runs("parabola-lr-0.25")
    (one,) = _runs("parabola-lr-0.5")
    (oscillating,) = _runs("parabola-lr-0.98")
    (diverging,) = _runs("parabola-lr-1.5")
    assert small["status"] == "max_steps" and small["path"][-1][0] < -1  # crawls
    assert right["status"] == "converged" and right["steps"] == 25
    assert one["status"] == "converged" and one["steps"] == 1
    signs = np.sign([p[0] for p in oscillating["path"][:10]])
    assert (signs[1:] == -signs[:-1]).all()  # jumps across the minimum every step
    assert abs(oscillating["path"][-1][0]) < 10
    assert diverging["status"] == "diverged"


def test_restarts_beat_the_single_momentum_run_on_the_nightmare():
    (run,) = _runs("nightmare-momentum-restarts")
    finals = [row["loss"][-1] for row in [run, *run["restarts"]]]
    assert len(finals) == 9
    assert finals[run["best"]] == min(finals) < finals[0]


def test_bowl_comparison_gd_crawls_where_the_others_arrive():
    gd, momentum, rmsprop, adam = _runs("bowl-gd-momentum-rmsprop-adam")
    assert gd["loss"][-1] > 100 * max(momentum["loss"][-1], rmsprop["loss"][-1], adam["loss"][-1])
    for run in (momentum, rmsprop, adam):
        assert run["loss"][-1] < 1e-6


def test_rosenbrock_scipy_methods_reach_the_minimum():
    for run in _runs("rosenbrock-nelder-mead-bfgs-newton-cg"):
        assert run["status"] == "converged"
        np.testing.assert_allclose(run["path"][-1], [1.0, 1.0], atol=1e-3)
        assert run["path"][0] == [4.0, -4.1]
