"""Thinning long paths for drawing: the figures' and the lab's rule is the page's thin.js (the
same indices, run by node), a 100,000-step path gives a figure of bounded size, and every point
of the path is within half a pixel of a drawn one."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import descentlab
from descentlab import thin

THIN_JS = Path(__file__).resolve().parents[1] / "frontend" / "js" / "thin.js"


def series(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A slow spiral with a zigzag, a few gaps and a jump: every case of both passes."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, n)
    x = np.exp(-3 * t) * np.cos(40 * t) + 1e-3 * (-1) ** np.arange(n)
    y = np.exp(-3 * t) * np.sin(40 * t) + 1e-4 * rng.standard_normal(n)
    x[n // 3] = np.nan
    y[n // 2] = np.inf
    x[2 * n // 3] = 50.0
    return x, y


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize(("n", "max_points"), [(1500, 4000), (30_000, 4000), (30_000, 600)])
def test_the_rule_is_thin_js(tmp_path: Path, n: int, max_points: int) -> None:
    x, y = series(n)
    sx, sy = thin.scale(-1, 1), thin.scale(-1, 1)
    data = tmp_path / "series.json"
    data.write_text(json.dumps([[v if np.isfinite(v) else None for v in a] for a in (x, y)]))
    script = (
        f"import {{ thinIndices }} from {json.dumps(THIN_JS.as_uri())};\n"
        f"import {{ readFileSync }} from 'node:fs';\n"
        f"const [xs, ys] = JSON.parse(readFileSync({json.dumps(str(data))}, 'utf8'));\n"
        f"const k = thinIndices(xs, ys, {sx}, {sy}, {max_points});\n"
        f"console.log(JSON.stringify(k ?? xs.map((_, i) => i)));\n"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True
    )
    expected = json.loads(out.stdout)
    assert thin.thin_indices(x, y, sx, sy, max_points).tolist() == expected
    if n > thin.DRAW_ALL_UP_TO:
        assert len(expected) < n  # (a series that thinned: the comparison is not trivial)


def test_a_long_path_draws_within_half_a_pixel() -> None:
    # (the valley's slow crawl: ~3,000 points half a pixel apart, so the first pass decides)
    traj = descentlab.run(
        "rosenbrock", "gd", lr=1e-3, start=[-1.5, 2], max_steps=100_000, grad_tol=0
    )
    assert int(traj.nit[0]) == 100_000
    fig = traj.figure()
    (path,) = [t for t in fig.data if t.type == "scatter" and t.name != "minimum"]
    drawn = np.column_stack([path.x, path.y])
    assert len(drawn) <= thin.MAX_DRAWN
    assert len(fig.to_json()) < 2_000_000  # bytes: the grid and ~4,000 points, not 100,001
    # every step of the path is within half a pixel (|dx| + |dy| at the reference scale) of
    # the last drawn point at or before it; the drawn points are steps of the path, in order
    (xr, yr) = fig.layout.xaxis.range, fig.layout.yaxis.range
    px = np.array([thin.scale(*xr), thin.scale(*yr)])
    steps = np.asarray(path.customdata)
    full = traj.path[0, : int(traj.nit[0]) + 1]
    assert steps[0] == 0 and steps[-1] == len(full) - 1 and (np.diff(steps) > 0).all()
    np.testing.assert_array_equal(drawn, full[steps])
    last = steps[np.searchsorted(steps, np.arange(len(full)), side="right") - 1]
    gap = (np.abs(full - full[last]) * px).sum(axis=1)
    assert gap.max() < thin.MIN_PX
