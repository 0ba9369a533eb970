"""The notebook lab's JavaScript in a real browser: the anywidget module rendered against a model
that stands in for the notebook's, its state from a real Lab, its changes sent back to that Lab.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS

from descentlab.lab import Lab

pytestmark = pytest.mark.browser

ORIGIN = "http://lab.invalid"

# What a notebook front end gives an anywidget view: get/set/on/off/save_changes on a model.
HARNESS = """<!doctype html><html><head><meta charset="utf-8"><style>%(css)s</style></head>
<body><div id="cell" style="width: 720px"></div><script type="module">
import widget from "./lab.js";
const state = {}, handlers = {};
window.sent = [];
const model = {
  get: (k) => state[k],
  set: (k, v) => { state[k] = v; (window.dirty ??= {})[k] = v; },
  on: (e, f) => (handlers[e] ??= []).push(f),
  off: (e, f) => { handlers[e] = (handlers[e] || []).filter((g) => g !== f); },
  save_changes: () => { window.sent.push(window.dirty); window.dirty = {}; },
};
window.push = (changes) => {
  for (const [k, v] of Object.entries(changes)) {
    state[k] = v;
    for (const f of handlers[`change:${k}`] || []) f();
  }
};
window.start = (initial) => {
  Object.assign(state, initial);
  widget.render({ model, el: document.querySelector("#cell") });
};
</script></body></html>"""

SYNCED = ("surface", "optimizers", "start", "max_steps", "settings", "view", "caption",
          "figure", "paths", "sliders", "error")  # fmt: skip


def _state(lab: Lab) -> dict[str, Any]:
    return {k: getattr(lab, k) for k in SYNCED}


@pytest.fixture
def widget_page(browser: Any) -> Iterator[Any]:
    from descentlab import lab as module

    here = Path(module.__file__).parent
    files = {
        f"{ORIGIN}/": ("text/html", HARNESS % {"css": (here / "lab.css").read_text()}),
        f"{ORIGIN}/lab.js": ("text/javascript", (here / "lab.js").read_text()),
    }
    page = browser.new_page(viewport={"width": 900, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def serve(route: Any) -> None:
        kind, body = files.get(route.request.url, ("text/plain", None))
        if body is None:
            route.abort()
        else:
            route.fulfill(status=200, content_type=kind, body=body)

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("() => typeof window.start === 'function'")
    yield page
    page.close()
    assert errors == []


def _apply_sent(page: Any, lab: Lab) -> dict[str, Any]:
    """What the view sent, set on the kernel's Lab (as the notebook does), then the Lab's answer
    pushed back to the view."""
    sent = page.evaluate("() => { const s = window.sent; window.sent = []; return s; }")
    changes: dict[str, Any] = {}
    for message in sent:
        changes.update(message)
    lab.set_state(json.loads(json.dumps(changes)))
    page.evaluate("(s) => window.push(s)", _state(lab))
    return changes


def test_widget_draws_the_lab_and_sends_changes_back(widget_page: Any) -> None:
    page = widget_page
    lab = Lab("himmelblau", ["gd", {"id": "momentum", "params": {"lr": 1e-3, "momentum": 0.5}}])
    page.evaluate("(s) => window.start(s)", _state(lab))

    assert page.locator(".descentlab-lab .contour").count() == len(lab.figure["levels"])
    assert page.locator(".descentlab-lab .minimum").count() == 4
    assert page.locator(".descentlab-lab .path").count() == 2
    assert page.locator(".descentlab-lab .legend li").count() == 2
    # the canvas holds the heights: not one flat colour
    shades = page.evaluate("""() => {
        const c = document.querySelector('.descentlab-lab canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return new Set(Array.from({length: d.length / 4}, (_, i) => d[4 * i])).size; }""")
    assert shades > 10

    # a slider: momentum 0.5 → 0.9, sent to the kernel, the new path drawn
    before = page.locator(".descentlab-lab .path").nth(1).get_attribute("d")
    slider = page.get_by_label("momentum of optimiser 2")
    slider.fill("0.9")
    page.wait_for_function("() => window.sent.length > 0")
    changes = _apply_sent(page, lab)
    assert changes["optimizers"][1]["params"]["momentum"] == pytest.approx(0.9)
    assert lab.trajectories[1].params["momentum"] == pytest.approx(0.9)
    assert page.locator(".descentlab-lab .path").nth(1).get_attribute("d") != before

    # a click on the plot area moves the start there
    box = page.locator(".descentlab-lab .figure svg").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
    page.wait_for_function("() => window.sent.length > 0")
    changes = _apply_sent(page, lab)
    x, y = changes["start"]
    assert -1 < x < 1 and 1 < y < 3  # the centre column, the upper part of [-5, 5]²
    assert lab.paths[0]["x"][0] == pytest.approx(x) and lab.paths[0]["y"][0] == pytest.approx(y)

    # an error from the kernel is shown, and cleared
    page.evaluate("(s) => window.push(s)", {"error": "optimizers.0.params.lr: too big"})
    assert page.get_by_role("alert").inner_text() == "optimizers.0.params.lr: too big"
    page.evaluate("(s) => window.push(s)", {"error": ""})
    assert page.get_by_role("alert").is_hidden()

    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#cell").screenshot(path=str(ARTIFACTS / "lab-widget.png"))


def test_widget_draws_a_one_dimensional_preset(widget_page: Any) -> None:
    page = widget_page
    lab = Lab.from_preset("parabola-lr-0.98")
    page.evaluate("(s) => window.start(s)", _state(lab))
    assert page.locator(".descentlab-lab .curve").count() == 1
    assert page.locator(".descentlab-lab canvas").is_hidden()
    assert page.locator(".descentlab-lab .path").count() == 1
    assert "Differs from the notes: The notes print the number of points" in lab.caption
    assert page.locator(".descentlab-lab .caption").inner_text() == lab.caption
    # a click sets a 1-D start, which the kernel runs from
    box = page.locator(".descentlab-lab .figure svg").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.5)
    page.wait_for_function("() => window.sent.length > 0")
    changes = _apply_sent(page, lab)
    assert len(changes["start"]) == 1 and lab.error == ""
    assert lab.paths[0]["x"][0] == pytest.approx(changes["start"][0])
    page.locator("#cell").screenshot(path=str(ARTIFACTS / "lab-widget-1d.png"))
