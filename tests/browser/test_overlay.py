"""The State and Field toggles (overlay.js): what each rule keeps drawn at its moving point,
moving with the player's step, kept in the URL's hash; the field of −∇f over the contours."""

from __future__ import annotations

from typing import Any

import pytest
from uiutil import open_app, wait_fitted, wait_hash

pytestmark = pytest.mark.browser

BOWL = (
    "surface=quadratic&sp=kappa:100,angle:0&start=-1,-1&steps=75&gtol=off"
    "&opt=ewa-momentum(lr:0.01)&opt=adam(lr:0.1)&view=-1.2,1.2,-1.2,1.2&speed=Infinity"
)
GLYPHS = "() => window.descentlab.paths().filter(i => i.kind === 'shape' && i.meta?.glyph)"


def glyphs(page: Any) -> list[dict]:
    return page.evaluate(GLYPHS)  # type: ignore[no-any-return]


def wait_glyph(page: Any, glyph: str, step: int | None = None) -> dict:
    page.wait_for_function(
        "([g, s]) => window.descentlab.paths().some(i => i.kind === 'shape'"
        " && i.meta?.glyph === g && (s === null || i.meta.step === s) && i.d && i.d !== 'M0,0')",
        arg=[glyph, step],
    )
    return next(g for g in glyphs(page) if g["meta"]["glyph"] == glyph)


def test_state_glyphs_appear_and_move_with_the_step(page: Any) -> None:
    open_app(page, BOWL + "&over=state")
    wait_glyph(page, "velocity")
    names = {g["meta"]["glyph"] for g in glyphs(page)}
    assert {"gradient", "velocity", "m_hat", "sqrt_v_hat", "effective_lr"} <= names
    assert "velocity" in page.inner_text("#overlay-key")
    page.evaluate("() => window.descentlab.player.scrub(5)")
    at5 = wait_glyph(page, "velocity", 5)
    page.evaluate("() => window.descentlab.player.scrub(20)")
    at20 = wait_glyph(page, "velocity", 20)
    assert at5["d"] != at20["d"]
    # the velocity arrow starts at the run's point at that step
    point = page.evaluate(
        "() => window.descentlab.paths().find(i => i.kind === 'marker' && i.key === 'c0.0')"
    )
    box = page.evaluate("() => window.descentlab.surfaceBox()")
    px = box["l"] + (point["x"] - box["x"][0]) / (box["x"][1] - box["x"][0]) * box["w"]
    py = box["t"] + (box["y"][1] - point["y"]) / (box["y"][1] - box["y"][0]) * box["h"]
    start = at20["d"][1:].split("L")[0].split(",")
    assert abs(float(start[0]) - px) < 0.02 and abs(float(start[1]) - py) < 0.02
    page.click("#over-state")  # one click: off
    page.wait_for_function(GLYPHS + ".length === 0")
    assert page.is_hidden("#overlay-key")
    page.wait_for_function("() => !location.hash.includes('over=')")
    page.click("#over-state")
    wait_hash(page, "over=state")
    wait_glyph(page, "velocity")


def test_simplex_trials_and_proposals(page: Any) -> None:
    open_app(
        page,
        "surface=rosenbrock&steps=60&opt=nelder-mead&opt=bfgs&opt=simulated-annealing"
        "&over=state&speed=Infinity",
    )
    wait_glyph(page, "simplex")
    wait_glyph(page, "proposals")
    page.evaluate("() => window.descentlab.player.scrub(3)")
    simplex = wait_glyph(page, "simplex", 3)
    wait_glyph(page, "trials", 3)  # BFGS's search from point 3 to 4
    hollow = [g for g in glyphs(page) if g["key"] == "st2.rej"]
    filled = [g for g in glyphs(page) if g["key"] == "st2.acc"]
    assert hollow and filled
    assert simplex["d"].count("L") == 2 and simplex["d"].endswith("z")  # a triangle


def test_the_field_is_drawn_over_the_view(page: Any) -> None:
    open_app(page, BOWL)
    assert not any(i["kind"] == "shape" for i in page.evaluate("window.descentlab.paths()"))
    page.click("#over-field")
    wait_hash(page, "over=field")
    page.wait_for_function(
        "() => window.descentlab.paths().some(i => i.key === 'field' && i.d.length > 1000)"
    )
    field = next(i for i in page.evaluate("window.descentlab.paths()") if i["key"] == "field")
    assert field["d"].count("M") > 3 * 100  # a lattice of arrows, three strokes each


@pytest.mark.parametrize("size", [(390, 844), (1280, 720), (1920, 1080)])
def test_screenshots(page: Any, artifacts: Any, size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_app(page, BOWL + "&over=state,field")
    page.evaluate("() => window.descentlab.player.scrub(8)")
    wait_glyph(page, "velocity", 8)
    wait_fitted(page)
    page.screenshot(path=str(artifacts / f"overlay-{size[0]}x{size[1]}.png"))


def test_the_preset_switches_both_on_and_another_preset_off(page: Any) -> None:
    open_app(page)
    page.click("button.preset[data-preset=duke-bowl-momentum-state]")
    wait_hash(page, "over=state,field", "surface=quadratic")
    assert page.get_attribute("#over-state", "aria-pressed") == "true"
    assert page.get_attribute("#over-field", "aria-pressed") == "true"
    wait_glyph(page, "velocity")
    page.click("button.preset[data-preset=duke-bowl-momentum]")
    page.wait_for_function("() => !location.hash.includes('over=')")
    page.wait_for_function(GLYPHS + ".length === 0")
