"""Particle clouds (restarts drawn as moving dots, coloured by loss, the best run in full) and
the loss plot's EWA of a minibatch loss, against the notes' formula."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from uiutil import FAST, export, open_app, run_id, wait_done, wait_fitted, wait_hash

pytestmark = pytest.mark.browser

CLOUD_1000 = "surface=himmelblau&steps=200&restarts=999&rfrom=grid&opt=gd(lr:0.01)"
SIZES = [(390, 844), (1280, 720), (1920, 1080)]


def cloud(page: Any) -> dict:
    return page.evaluate("() => window.descentlab.paths().find((p) => p.kind === 'cloud') ?? null")  # type: ignore[no-any-return]


def show_step(page: Any, t: int) -> dict:
    page.evaluate("t => window.descentlab.player.scrub(t)", t)
    page.wait_for_function(
        "t => window.descentlab.paths().find((p) => p.kind === 'cloud')?.t === t", arg=t
    )
    return cloud(page)


def canvas_picture(page: Any) -> str:
    return str(page.eval_on_selector(".cloudlayer", "c => c.toDataURL()"))


def test_a_cloud_of_1000_particles_draws_them_all_and_moves_them(page: Any) -> None:
    open_app(page, f"{CLOUD_1000}&speed=100")
    rows = page.evaluate(
        "() => window.descentlab.runs.tracks[0].rows.map((r) => r.path.map((p) => p.slice()))"
    )
    assert len(rows) == 1000
    (start,) = show_step(page, 0)["sets"]
    assert start["count"] == start["drawn"] == 1000
    np.testing.assert_allclose(np.c_[start["x"], start["y"]], [r[0] for r in rows], rtol=1e-12)
    before = canvas_picture(page)
    (later,) = show_step(page, 20)["sets"]
    assert later["drawn"] == 1000
    at = [r[min(20, len(r) - 1)] for r in rows]
    np.testing.assert_allclose(np.c_[later["x"], later["y"]], at, rtol=1e-12)
    moved = np.hypot(np.subtract(later["x"], start["x"]), np.subtract(later["y"], start["y"]))
    assert (moved > 1e-3).sum() > 900  # (a start on a minimum stays put)
    assert canvas_picture(page) != before  # and the canvas shows it
    # the colour says the loss: its scale spans the losses the particles have
    losses = [
        r
        for r in page.evaluate(
            "() => window.descentlab.runs.tracks[0].rows.map((r) => r.loss.at(-1))"
        )
    ]
    assert cloud(page)["scale"]["lo"] == pytest.approx(min(losses), abs=1e-12)
    # the loss plot shows the cloud by its percentiles, not 1,000 lines
    kinds = page.evaluate("() => window.descentlab.losses().map((l) => l.meta && l.meta.kind)")
    assert kinds.count("band") == 3 and "restart" not in kinds
    assert page.console.errors == []


def test_the_best_particle_is_highlighted_and_is_the_lowest_final_loss(
    page: Any, artifacts: Path
) -> None:
    open_app(page, FAST)
    first = run_id(page)
    page.locator("#presets .preset", has_text="cloud of 401").click()
    wait_done(page, after_run=first)
    wait_hash(page, "restarts=400", "rfrom=grid")
    assert page.input_value("#cloud-dist") == "grid"
    best = page.evaluate("() => window.descentlab.paths().filter((p) => p.meta && p.meta.best)")
    assert len(best) == 1 and best[0]["kind"] == "line"
    row = best[0]["meta"]["row"]
    finals = page.evaluate("() => window.descentlab.runs.tracks[0].rows.map((r) => r.loss.at(-1))")
    assert len(finals) == 401 and finals[row] == min(finals)
    # the same body through the API: its best row, its final loss and its end point
    preset = next(
        p
        for p in page.context.request.get("/api/presets").json()["presets"]
        if p["id"] == "nightmare-momentum-cloud"
    )
    (run,) = page.context.request.post("/api/runs", data=preset["run"]).json()["runs"]
    rows = [run, *run["restarts"]]
    assert run["best"] == row
    assert rows[row]["loss"][-1] == pytest.approx(finals[row], rel=1e-9)
    np.testing.assert_allclose(
        [best[0]["x"][-1], best[0]["y"][-1]], rows[row]["path"][-1], rtol=1e-9
    )
    assert "best of 401" in page.locator("#summary").inner_text()
    assert "a cloud of 401 particles" in page.locator("#surface-desc").inner_text()
    assert cloud(page)["sets"][0]["drawn"] == 401
    for w, h in SIZES:
        page.set_viewport_size({"width": w, "height": h})
        show_step(page, 15)
        wait_fitted(page)
        page.screenshot(path=str(artifacts / f"cloud-{w}x{h}.png"))
    assert page.console.errors == []


def test_the_cloud_controls_live_in_the_link(page: Any) -> None:
    open_app(page, f"surface=himmelblau&steps=50&restarts=24&opt=gd(lr:0.01)&{FAST}")
    assert page.locator("#cloud-sigma-row").is_hidden()
    first = run_id(page)
    page.select_option("#cloud-dist", "grid")
    wait_done(page, after_run=first)
    wait_hash(page, "rfrom=grid")
    starts = page.evaluate(
        "() => window.descentlab.runs.tracks[0].rows.slice(1).map((r) => r.path[0])"
    )
    assert len({round(x, 9) for x, _ in starts}) == 5  # a 5 x 5 grid
    first = run_id(page)
    page.select_option("#cloud-dist", "normal")
    page.fill("#cloud-sigma", "0.25")
    page.press("#cloud-sigma", "Enter")
    wait_done(page, after_run=first)
    wait_hash(page, "rfrom=normal(sigma:0.25)")
    starts = np.array(
        page.evaluate("() => window.descentlab.runs.tracks[0].rows.map((r) => r.path[0])")
    )
    assert np.abs(starts[1:] - starts[0]).max() < 2  # around the start, σ = 0.25
    page.fill("#cloud-sigma", "-1")
    page.press("#cloud-sigma", "Enter")
    err = page.locator('[data-field="restart_from.sigma"] .err')
    assert err.is_visible() and "> 0" in err.inner_text()
    # a link with a grid over a view: the particles start in that view
    open_app(
        page,
        f"surface=himmelblau&steps=20&restarts=16&rfrom=grid&view=0,2,0,1&opt=gd(lr:0.01)&{FAST}",
    )
    starts = np.array(
        page.evaluate("() => window.descentlab.runs.tracks[0].rows.slice(1).map((r) => r.path[0])")
    )
    assert (starts[:, 0] > 0).all() and (starts[:, 0] < 2).all() and (starts[:, 1] < 1).all()
    assert page.console.errors == []


def notes_ewa(y: np.ndarray, beta: float) -> np.ndarray:
    """004's ewa(y, beta): z = beta*z + (1 - beta)*y[i] from z = 0, every z kept."""
    zs, z = np.zeros(len(y)), 0.0
    for i in range(len(y)):
        z = beta * z + (1 - beta) * y[i]
        zs[i] = z
    return zs


def notes_ewabc(y: np.ndarray, beta: float) -> np.ndarray:
    """004's ewabc(y, beta): the same z divided by 1 - beta**(i + 1)."""
    zs, z = np.zeros(len(y)), 0.0
    for i in range(len(y)):
        z = beta * z + (1 - beta) * y[i]
        zs[i] = z / (1 - beta ** (i + 1))
    return zs


def ewa_lines(page: Any) -> dict:
    lines = page.evaluate("() => window.descentlab.losses()")
    return {line["meta"]["kind"]: line for line in lines if line.get("meta")}


@pytest.mark.parametrize("beta", [0.9, 0.5])
def test_the_ewa_of_a_minibatch_loss_is_the_notes_formula(
    page: Any, artifacts: Path, beta: float
) -> None:
    open_app(page, f"surface=line-fit-sgd&batch=100&epochs=1&seed=1&opt=gd(lr:0.05)&{FAST}")
    assert page.locator("#ewa-ctl").is_visible()
    assert "1 − β^t" in page.get_attribute("#ewa", "title")
    page.click("#ewa")
    wait_hash(page, "ewa=0.9")
    if beta != 0.9:
        page.fill("#ewa-beta", str(beta))
        page.press("#ewa-beta", "Enter")
        wait_hash(page, f"ewa={beta}")
    page.wait_for_function(
        "b => window.descentlab.losses()"
        ".some((l) => l.meta && l.meta.kind === 'ewa' && l.meta.beta === b)",
        arg=beta,
    )
    batch = page.evaluate("() => window.descentlab.runs.tracks[0].batchLoss.slice()")
    noisy = np.array(batch[1:], dtype=float)  # step 0, the start, saw no minibatch
    plain, corrected = notes_ewa(noisy, beta), notes_ewabc(noisy, beta)
    lines = ewa_lines(page)
    for kind, expected in (("ewa", plain), ("ewa-corrected", corrected)):
        line = lines[kind]
        steps = np.array(line["steps"])
        assert steps[0] == 0 and line["y"][0] is None and len(steps) > 100
        np.testing.assert_allclose(
            np.array(line["y"][1:], dtype=float), expected[steps[1:] - 1], rtol=1e-12
        )
    # the correction matters at the start (z_1 = (1 - β) ℓ_1) and fades
    assert corrected[0] == pytest.approx(noisy[0]) and plain[0] == pytest.approx(
        (1 - beta) * noisy[0]
    )
    # (the key drawn keeps to one line; its hover text is the whole key)
    caption = page.evaluate(
        "() => document.querySelector('#lossbase').layout.annotations[0].hovertext"
    )
    assert "1 − β<sup>t</sup>" in caption and "1 + β<sup>t</sup>" in caption
    if beta == 0.9:
        for w, h in SIZES:
            page.set_viewport_size({"width": w, "height": h})
            wait_fitted(page)
            page.screenshot(path=str(artifacts / f"ewa-{w}x{h}.png"))
            page.locator("#loss-box").screenshot(path=str(artifacts / f"ewa-loss-{w}x{h}.png"))
    page.click("#ewa")  # off again: no EWA lines
    page.wait_for_function("() => !location.hash.includes('ewa=')")
    assert "ewa" not in ewa_lines(page)
    assert page.console.errors == []


def test_the_ewa_toggle_is_only_for_minibatch_runs(page: Any) -> None:
    open_app(page, f"surface=rosenbrock&steps=20&ewa=0.9&opt=gd(lr:0.001)&{FAST}")
    assert page.locator("#ewa-ctl").is_hidden()
    assert "ewa" not in ewa_lines(page)


def viridis_pixels(path: Path) -> int:
    """Pixels of a PNG near the loss scale's greens and yellows (no run colour is either)."""
    from PIL import Image

    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=float)
    stops = np.array(
        [[33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]]
    )
    near = np.linalg.norm(rgb[:, :, None, :] - stops[None, None], axis=-1).min(axis=-1) < 30
    return int(near.sum())


def test_the_png_export_carries_the_cloud(page: Any, tmp_path: Path) -> None:
    counts = []
    for restarts in (0, 99):
        open_app(page, f"surface=himmelblau&steps=30&restarts={restarts}&opt=gd(lr:0.01)&{FAST}")
        with page.expect_download() as info:
            export(page, "png")
        path = tmp_path / f"cloud-{restarts}.png"
        info.value.save_as(path)
        counts.append(viridis_pixels(path))
    assert counts[0] < 50 < 500 < counts[1]
    assert page.console.errors == []


def test_the_ewa_preset_turns_the_average_on(page: Any) -> None:
    open_app(page, FAST)
    first = run_id(page)
    page.locator("#presets .preset", has_text="smoothed").click()
    wait_done(page, after_run=first)
    wait_hash(page, "ewa=0.9", "batch=5")
    page.wait_for_function(
        "() => window.descentlab.losses().some((l) => l.meta && l.meta.kind === 'ewa-corrected')"
    )
    assert page.get_attribute("#ewa", "aria-pressed") == "true"
    # another preset leaves it off
    first = run_id(page)
    page.locator("#presets .preset", has_text="decaying rate").click()
    wait_done(page, after_run=first)
    page.wait_for_function("() => !location.hash.includes('ewa=')")
    assert "ewa" not in ewa_lines(page)
    assert page.console.errors == []
