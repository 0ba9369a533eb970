"""Your own data in the page: CSV pasted or uploaded on a data-fit surface is parsed in the
browser, errors shown by line; the contour, the runs and the data panel then use it, and the
URL's hash never carries it.

Predicates given to wait_for_function are functions: the page's Content-Security-Policy has
no 'unsafe-eval'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_a11y import violations
from uiutil import FAST, open_app, run_id, wait_done, wait_fitted

pytestmark = pytest.mark.browser

# y = 1.5 - 0.8x plus noise, x not sorted; a header line
LINE_CSV = (
    "x,y\n0.5,1.21\n2.0,-0.02\n1.0,0.77\n3.5,-1.31\n2.7,-0.52\n0.1,1.48\n4.2,-1.94\n1.7,0.11\n"
)
FINAL = """() => { const r = window.descentlab.runs.tracks[0];
  return r.path[r.path.length - 1]; }"""
FIT = """() => document.querySelector('#datapanel').data.find((t) => t.meta && 'model' in t.meta)"""


def _panel_shows(page: Any, rows: int) -> None:
    """The data panel drew ``rows`` points and the current run's fit."""
    page.wait_for_function(
        "n => { const el = document.querySelector('#datapanel');"
        " return el.dataset.size === String(n) && el.data"
        " && el.data.some((t) => t.meta && 'model' in t.meta); }",
        arg=rows,
    )


def _open_editor(page: Any) -> None:
    page.click("#userdata-toggle")
    page.wait_for_selector("#userdata-text", state="visible")


def test_pasted_csv_is_fitted_and_run(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=linear-regression&steps=5000&opt=gd(lr:0.05)&{FAST}")
    assert page.is_visible("#userdata")
    _open_editor(page)
    # a mistake first: shown by line and column, nothing sent
    page.fill("#userdata-text", "x,y\n1,2\n3,abc\n4\n")
    first = run_id(page)
    page.click("#userdata-use")
    errors = page.locator("#userdata-status li").all_inner_texts()
    assert errors[0] == "line 3, y: “abc” is not a number"
    assert errors[1] == "line 4: 1 columns, the first line has 2"
    assert run_id(page) == first
    # what only the server sees: every x equal makes the normal equations singular
    page.fill("#userdata-text", "x,y\n1,2\n1,3\n")
    page.click("#userdata-use")
    page.wait_for_selector("#userdata-status[data-state=bad]")
    refusal = page.inner_text("#userdata-status")
    assert refusal.startswith("data.x: every x is 1") and "singular" in refusal, refusal
    assert run_id(page) == first
    page.fill("#userdata-text", LINE_CSV)
    page.click("#userdata-use")
    wait_done(page, after_run=first)
    _panel_shows(page, 8)
    assert page.inner_text("#userdata-status") == "Fitting your data: 8 rows from pasted text."
    rows = [[float(v) for v in line.split(",")] for line in LINE_CSV.splitlines()[1:]]
    x, y = np.array(rows).T
    best = np.linalg.lstsq(np.column_stack([np.ones(8), x]), y, rcond=None)[0]
    b, w = page.evaluate(FINAL)  # GD ran on these 8 points: it ends at their least squares
    assert (b, w) == pytest.approx(tuple(best), abs=1e-4)
    fit = page.evaluate(FIT)
    assert fit["meta"]["slope"] == w and fit["meta"]["intercept"] == b
    points = page.evaluate(
        "() => document.querySelector('#datapanel').data.find((t) => t.name === 'data').x"
    )
    assert sorted(points) == sorted(x)
    # the surface's n, noise and seed shape generated data only: their sliders are gone
    assert page.locator('#surface-params [data-field="surface.params.noise"]').count() == 0
    assert "data" not in page.evaluate("() => decodeURIComponent(location.hash)")
    assert "your data" in page.inner_text("#userdata")
    for w_, h_ in ((390, 844), (1280, 720), (1920, 1080)):
        page.set_viewport_size({"width": w_, "height": h_})
        wait_fitted(page)
        page.screenshot(path=str(artifacts / f"userdata-{w_}x{h_}.png"), full_page=w_ < 500)
    # another surface has its generated data; coming back, the data are still in the tab
    page.set_viewport_size({"width": 1280, "height": 720})
    other = run_id(page)
    page.select_option("#surface", "line-fit")
    wait_done(page, after_run=other)
    _panel_shows(page, 20)
    assert page.inner_text("#userdata-status") == "Fitting the generated data."
    other = run_id(page)
    page.select_option("#surface", "linear-regression")
    wait_done(page, after_run=other)
    _panel_shows(page, 8)
    assert page.evaluate(FINAL) == pytest.approx([b, w], abs=1e-4)
    # back to the generated data: 100 points again
    again = run_id(page)
    page.click("#userdata-generated")
    wait_done(page, after_run=again)
    _panel_shows(page, 100)
    # (the browser logs the refusal's 422 response as a console error; nothing else may be)
    assert [e for e in page.console.errors if "status of 422" not in e] == []
    assert len(page.console.errors) == 1


def test_uploaded_file_fits_logistic_regression(page: Any, artifacts: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = 400
    label = rng.integers(0, 2, n)
    features = (2 * label - 1)[:, None] * [1.0, 0.5] + rng.standard_normal((n, 2))
    path = tmp_path / "classes.csv"
    lines = [f"{u:.4f},{v:.4f},{t}" for (u, v), t in zip(features, label, strict=True)]
    path.write_text("u,v,label\n" + "\n".join(lines) + "\n")
    open_app(page, f"surface=logistic-regression&batch=20&epochs=3&opt=adam(lr:0.1)&{FAST}")
    _open_editor(page)
    first = run_id(page)
    page.set_input_files("#userdata-file", str(path))
    wait_done(page, after_run=first)
    _panel_shows(page, n)
    assert page.inner_text("#userdata-status") == (
        f"Fitting your data: {n} rows from classes.csv (two features)."
    )
    # minibatch SGD over the file's rows: 20 batches of 20 an epoch, 3 epochs
    steps = page.evaluate("() => window.descentlab.runs.tracks[0].path.length - 1")
    assert steps == 3 * n // 20
    classes = page.evaluate(
        "() => document.querySelector('#datapanel').data"
        ".filter((t) => t.meta && t.meta.kind === 'data').map((t) => t.x.length)"
    )
    assert sorted(classes) == sorted([int((label == 0).sum()), int((label == 1).sum())])
    page.set_viewport_size({"width": 1280, "height": 720})
    wait_fitted(page)
    page.screenshot(path=str(artifacts / "userdata-logistic-1280x720.png"))
    assert violations(page) == []  # the section open, the data in use
    assert page.console.errors == []
