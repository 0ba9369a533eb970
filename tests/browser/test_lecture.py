"""Lecture mode and the lecture's presets: grouped by lecture, stepped through like slides,
linked by step; a preset's own contour heights; long runs drawn thinned, exported whole."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from uiutil import FAST, export, open_app, run_id, wait_done, wait_hash

# The notes' levels for x² + 100y² (004) and a preset that asks for them, added to the server's
# list (with a `differs` sentence) where a test needs fields no preset sets yet.
BOWL_LEVELS = [0.1, 1, 2, 4, 9, 16, 25, 36, 49, 64, 81, 100]
DIFFERS = "The notes print 1+β^t; the bias correction is 1−β^t, which this run uses."


def catalog(server_url: str) -> dict[str, Any]:
    return httpx.get(f"{server_url}/api/presets").json()  # type: ignore[no-any-return]


def ordered(cat: dict[str, Any]) -> list[dict[str, Any]]:
    """Every preset in lecture mode's order: lectures as listed, presets in list order."""
    known = [lec["id"] for lec in cat["lectures"]]
    out = [p for lec in known for p in cat["presets"] if p["lecture"] == lec]
    return out + [p for p in cat["presets"] if p["lecture"] not in known]


def with_extra(cat: dict[str, Any]) -> dict[str, Any]:
    """The server's presets plus one with contour levels and a `differs` sentence."""
    extra = {
        "id": "test-bowl-levels",
        "title": "x² + 100y² from (-1, -1) at the notes' levels",
        "lecture": cat["lectures"][1]["id"],
        "section": "4.2 Momentum in 2-D",
        "description": "Gradient descent on the bowl, contours at the notes' heights.",
        "try_this": "Raise lr towards 0.01.",
        "differs": DIFFERS,
        "run": {
            "surface": {"id": "quadratic", "params": {"kappa": 100, "angle": 0}},
            "start": [-1.0, -1.0],
            "max_steps": 100,
            "optimizers": [{"id": "gd", "params": {"lr": 0.009}}],
        },
        "view": {"domain": [[-1.2, 1.2], [-1.2, 1.2]], "levels": BOWL_LEVELS},
    }
    return {**cat, "presets": [*cat["presets"], extra]}


def serve_presets(page: Any, cat: dict[str, Any]) -> None:
    page.route(
        "**/api/presets",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(cat)
        ),
    )


def caption(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const r = document.querySelector('#lecture');
        const text = (s) => {
          const e = r.querySelector(s);
          return e && !e.hidden ? e.textContent : null;
        };
        return { hidden: r.hidden, step: r.dataset.step, progress: text('.lecture-progress'),
          title: text('.lecture-step-title'), section: text('.lecture-section'),
          lecture: text('.lecture-name'), try_this: text('.lecture-try'),
          differs: text('.lecture-differs'),
          live: r.querySelector('[aria-live]')?.getAttribute('aria-live') }; }"""
    )


def wait_step(page: Any, preset_id: str) -> None:
    page.wait_for_function(
        "id => window.descentlab?.store.state.lecture === id"
        " && document.querySelector('#lecture').dataset.step === id",
        arg=preset_id,
    )


def test_presets_are_grouped_under_their_lecture(page: Any, server_url: str) -> None:
    cat = catalog(server_url)
    open_app(page)
    groups = page.evaluate(
        """[...document.querySelectorAll('#presets .lecture-title')].map((h) => ({
          title: h.textContent,
          ids: [...h.nextElementSibling.querySelectorAll('button.preset')]
            .map((b) => b.dataset.preset),
          sections: [...h.nextElementSibling.querySelectorAll('.preset-section')]
            .map((s) => s.textContent),
        }))"""
    )
    with_presets = [
        lec for lec in cat["lectures"] if any(p["lecture"] == lec["id"] for p in cat["presets"])
    ]
    assert [g["title"] for g in groups[: len(with_presets)]] == [
        lec["title"] for lec in with_presets
    ]
    for g, lec in zip(groups, with_presets, strict=False):
        assert g["ids"] == [p["id"] for p in cat["presets"] if p["lecture"] == lec["id"]]
    parabola = next(p for p in cat["presets"] if p["section"].startswith("2.6.1"))
    assert f"§{parabola['section']}" in [s for g in groups for s in g["sections"]]
    assert page.console.errors == []


def test_lecture_mode_steps_by_buttons_keys_and_history(page: Any, server_url: str) -> None:
    steps = ordered(catalog(server_url))
    assert len(steps) >= 3
    open_app(page)
    page.click("#lecture-open")
    wait_step(page, steps[0]["id"])
    c = caption(page)
    assert not c["hidden"] and c["progress"] == f"1 / {len(steps)}"
    assert c["title"] == steps[0]["title"] and c["live"] == "polite"
    assert page.locator("#lecture .lecture-prev").is_disabled()
    assert page.get_attribute("#lecture-open", "aria-pressed") == "true"
    wait_done(page)

    page.click("#lecture .lecture-next")
    wait_step(page, steps[1]["id"])
    assert caption(page)["progress"] == f"2 / {len(steps)}"
    wait_hash(page, f"lecture={steps[1]['id']}")
    page.keyboard.press("ArrowRight")
    wait_step(page, steps[2]["id"])
    assert page.evaluate("window.descentlab.store.state.surface") == _surface(steps[2])
    page.keyboard.press("PageUp")
    wait_step(page, steps[1]["id"])
    page.keyboard.press("PageDown")
    wait_step(page, steps[2]["id"])
    wait_hash(page, f"lecture={steps[2]['id']}")

    # Back and Forward move between steps
    page.go_back()
    wait_step(page, steps[1]["id"])
    page.go_forward()
    wait_step(page, steps[2]["id"])

    # keys typed into a box are the box's
    page.focus("#steps")
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(100)
    assert page.evaluate("window.descentlab.store.state.lecture") == steps[2]["id"]

    # the viewer changes the figure ("try this"); Next and Previous apply presets afresh
    wait_done(page)
    first = run_id(page)
    page.fill("#steps", "7")
    page.press("#steps", "Enter")
    wait_done(page, after_run=first)
    assert page.evaluate("window.descentlab.store.state.lecture") == steps[2]["id"]
    page.focus("#lecture .lecture-next")
    page.keyboard.press("ArrowRight")
    wait_step(page, steps[3 % len(steps)]["id"])
    page.keyboard.press("ArrowLeft")
    wait_step(page, steps[2]["id"])
    assert page.evaluate("window.descentlab.store.state.steps") == steps[2]["run"].get(
        "max_steps", 500
    )

    page.keyboard.press("Escape")
    page.wait_for_selector("#lecture", state="hidden")
    assert page.evaluate("window.descentlab.store.state.lecture") is None
    assert page.get_attribute("#lecture-open", "aria-pressed") == "false"
    # outside lecture mode the arrows step the player again
    assert page.evaluate("document.body.classList.contains('lecturing')") is False
    assert page.console.errors == []


def _surface(preset: dict[str, Any]) -> str:
    s = preset["run"]["surface"]
    return s if isinstance(s, str) else s["id"]


def test_link_to_a_step_opens_it_with_its_caption(page: Any, server_url: str) -> None:
    cat = with_extra(catalog(server_url))
    steps = ordered(cat)
    serve_presets(page, cat)
    k = next(i for i, p in enumerate(steps) if p["id"] == "test-bowl-levels")
    page.goto("/#lecture=test-bowl-levels")
    wait_step(page, "test-bowl-levels")
    wait_done(page)
    c = caption(page)
    assert c["progress"] == f"{k + 1} / {len(steps)}"
    assert c["title"] == steps[k]["title"]
    assert c["section"] == "§4.2 Momentum in 2-D"
    assert c["lecture"] == cat["lectures"][1]["title"]
    assert c["try_this"] == "Try this: Raise lr towards 0.01."
    assert c["differs"] == f"Differs from the notes: {DIFFERS}"
    # the link is rewritten to the whole state, and still names the step
    h = wait_hash(page, "surface=quadratic", "lecture=test-bowl-levels")
    assert "start=-1,-1" in h
    # a step without a differs sentence shows none
    page.click("#lecture .lecture-prev")
    wait_step(page, steps[k - 1]["id"])
    assert (caption(page)["differs"] is None) == (not steps[k - 1].get("differs"))
    assert page.console.errors == []


def test_a_presets_contour_levels_are_drawn(page: Any, server_url: str) -> None:
    cat = with_extra(catalog(server_url))
    serve_presets(page, cat)
    open_app(page)
    first = run_id(page)
    page.click("#presets .preset[data-preset=test-bowl-levels]")
    wait_done(page, after_run=first)
    state = page.evaluate("window.descentlab.store.state")
    assert state["levels"] == BOWL_LEVELS and state["view"] == [-1.2, 1.2, -1.2, 1.2]
    page.wait_for_function(
        "n => (document.querySelector('#contour').data || []).length === n",
        arg=1 + len(BOWL_LEVELS),
    )
    drawn = page.evaluate(
        """document.querySelector('#contour').data.filter((t) => t.meta && 'level' in t.meta)
          .map((t) => [t.contours.start, t.contours.end, t.contours.coloring])"""
    )
    assert drawn == [[v, v, "lines"] for v in BOWL_LEVELS]
    wait_hash(page, "levels=0.1,1,2,4")
    # a link carries the levels; choosing another surface drops them
    page.reload()
    wait_done(page)
    assert page.evaluate("window.descentlab?.store.state.levels") == BOWL_LEVELS
    page.select_option("#surface", "rosenbrock")
    page.wait_for_function("() => window.descentlab?.store.state.levels === null")
    page.wait_for_function("() => document.querySelector('#contour').data.length === 1")
    assert page.console.errors == []


def test_per_path_starts_and_restart_spread_reach_the_run(page: Any, server_url: str) -> None:
    # A preset's per-optimiser starts and normal restarts become state, the link and the run
    # message (whether this server takes them yet or not).
    cat = catalog(server_url)
    five = {
        "id": "test-five-starts",
        "title": "Five starts",
        "lecture": cat["lectures"][0]["id"],
        "section": "2.7 Two dimensions",
        "description": "Five paths of gradient descent from five starts.",
        "try_this": "",
        "differs": None,
        "run": {
            "surface": "rosenbrock",
            "max_steps": 50,
            "restarts": 2,
            "restart_from": {"dist": "normal", "center": [-1, 1], "sigma": 0.5},
            "optimizers": [
                {"id": "gd", "params": {"lr": 0.001}, "start": [-1.5, 2]},
                {"id": "gd", "params": {"lr": 0.001}, "start": [1.5, -0.5]},
            ],
        },
        "view": None,
    }
    serve_presets(page, {**cat, "presets": [*cat["presets"], five]})
    sent: list[dict[str, Any]] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framesent", lambda data: sent.append(json.loads(data))),
    )
    open_app(page)
    page.click("#presets .preset[data-preset=test-five-starts]")
    page.wait_for_function(
        "() => window.descentlab?.store.state.opts.length === 2"
        " && window.descentlab.store.state.rf !== null"
    )
    h = wait_hash(page, "opt=gd(lr:0.001)@-1.5,2", decoded=True)
    assert "opt=gd(lr:0.001)@1.5,-0.5" in h and "rfrom=normal(center:-1/1,sigma:0.5)" in h
    for _ in range(50):  # the run goes out in a microtask; the frame is seen a little later
        runs = [m for m in sent if m.get("type") == "run" and "restart_from" in m]
        if runs:
            break
        page.wait_for_timeout(100)
    run = runs[-1]
    assert [o.get("start") for o in run["optimizers"]] == [[-1.5, 2], [1.5, -0.5]]
    assert run["restart_from"] == {"dist": "normal", "center": [-1, 1], "sigma": 0.5}
    # the link alone rebuilds the same state (old links, without these, are unchanged)
    page.reload()
    page.wait_for_function("() => window.descentlab?.store.state.opts.length === 2")
    state = page.evaluate("window.descentlab.store.state")
    assert [o["start"] for o in state["opts"]] == [[-1.5, 2], [1.5, -0.5]]
    assert state["rf"] == {"dist": "normal", "center": [-1, 1], "sigma": 0.5}


def max_steps(server_url: str) -> int:
    """The most steps a run may have, as the API's schema states it (else 20,000)."""
    schema = httpx.get(f"{server_url}/openapi.json").json()
    prop = schema["components"]["schemas"]["RunBody"]["properties"]["max_steps"]
    return int(prop.get("maximum", 20_000))


def test_a_long_run_is_drawn_thinned_and_exported_whole(
    page: Any, server_url: str, artifacts: Path
) -> None:
    n = min(100_000, max_steps(server_url))
    open_app(page, f"surface=rosenbrock&start=4,-4.1&steps={n}&gtol=off&opt=gd(lr:0.0002)&{FAST}")
    assert page.evaluate("window.descentlab.runs.tracks[0].path.length") == n + 1
    drawn = page.evaluate(
        """(() => { const path = window.descentlab.runs.tracks[0].path;
        const t = window.descentlab.paths().find((t) => t.meta && t.meta.best);
        const l = window.descentlab.losses()
          .find((t) => t.meta && t.meta.kind === 'loss');
        return { n: t.x.length, first: [t.x[0], t.y[0]], last: [t.x.at(-1), t.y.at(-1)],
          want: [path[0], path.at(-1)], steps: t.steps.at(-1), loss: l.x.length,
          lossLast: l.x.at(-1) }; })()"""
    )
    assert 10 < drawn["n"] <= 4000 and drawn["loss"] <= 4000
    assert drawn["first"] == drawn["want"][0] and drawn["last"] == drawn["want"][1]
    assert drawn["steps"] == n and drawn["lossLast"] == n
    page.screenshot(path=str(artifacts / "long-run.png"))

    # it plays: each frame draws up to the player's step, that step included
    page.select_option("#speed", "1000")
    page.click("#restart")
    page.wait_for_function(
        "() => window.descentlab.player.playing && window.descentlab.player.t > 2500"
    )
    page.click("#play")  # pause
    page.wait_for_function(
        """() => {
        const t = window.descentlab.paths().find((t) => t.meta && t.meta.best);
        const p = window.descentlab.player.t, path = window.descentlab.runs.tracks[0].path;
        return p > 2500 && p < path.length - 1 && t.x.at(-1) === path[p][0]
          && t.y.at(-1) === path[p][1] && t.steps.at(-1) === p; }"""
    )

    # a slider step still answers with a new run drawn (shown at once, not played again)
    page.select_option("#speed", "Infinity")
    first = run_id(page)
    lr = page.locator('.card [data-field="optimizers.0.params.lr"] input[type=range]')
    lr.focus()
    page.keyboard.press("ArrowRight")
    wait_done(page, after_run=first)
    page.wait_for_function(
        "n => window.descentlab.paths().find((t) => t.meta && t.meta.best).steps.at(-1) === n",
        arg=n,
    )

    # the export keeps every point
    with page.expect_download(timeout=60_000) as info:
        export(page, "json")
    runs = json.loads(Path(info.value.path()).read_text())["runs"]
    assert len(runs[0]["path"]) == n + 1 and len(runs[0]["loss"]) == n + 1
    assert page.console.errors == []


@pytest.mark.parametrize("size", [(390, 844), (1280, 720), (1920, 1080)])
def test_lecture_mode_screenshots(
    browser: Any, server_url: str, artifacts: Path, size: tuple[int, int]
) -> None:
    cat = with_extra(catalog(server_url))
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, base_url=server_url
    )
    page = context.new_page()
    serve_presets(page, cat)
    page.goto("/#lecture=test-bowl-levels")
    wait_step(page, "test-bowl-levels")
    wait_done(page)
    page.wait_for_timeout(300)  # the figures re-fit the box lecture mode gave them
    page.screenshot(path=str(artifacts / f"lecture-{size[0]}x{size[1]}.png"))
    context.close()


@pytest.mark.parametrize(
    ("size", "extra"),
    [((390, 844), ""), ((1280, 720), ""), ((1280, 720), "&big=1"), ((1920, 1080), "")],
    ids=["phone", "laptop", "projector", "wide"],
)
def test_lecture_mode_has_one_full_screen_button(
    browser: Any, server_url: str, size: tuple[int, int], extra: str
) -> None:
    """One way to go full screen in lecture mode (the header's), at every size; Escape leaves
    full screen and lecture mode as before."""
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, base_url=server_url
    )
    try:
        page = context.new_page()
        page.goto(f"/#lecture=duke-bowl-momentum{extra}")
        wait_step(page, "duke-bowl-momentum")
        full = page.get_by_role("button", name=re.compile("full screen", re.IGNORECASE))
        shown = [b for b in full.all() if b.is_visible()]
        if not page.evaluate("() => document.fullscreenEnabled"):
            assert shown == []
            return
        assert len(shown) == 1, [b.evaluate("e => e.outerHTML") for b in shown]
        shown[0].click()
        page.wait_for_function("() => document.fullscreenElement === document.documentElement")
        expect(shown[0]).to_have_attribute("aria-pressed", "true")  # (at fullscreenchange)
        page.keyboard.press("Escape")
        page.wait_for_function("() => document.fullscreenElement === null")
        page.wait_for_selector("#lecture", state="hidden")
        assert page.evaluate("window.descentlab.store.state.lecture") is None
    finally:
        context.close()


# Presets whose page state is the least direct image of their run body: a summed data-fit
# loss at full batch, minibatches, per-path starts, restarts from N(0, 2²), a schedule, 1-D.
FAITHFUL = [
    "line-fit-gd",
    "line-fit-sgd",
    "polynomial-five-paths",
    "nightmare-momentum-restarts",
    "oslo-momentum-forms",
    "duke-ewa-momentum-1d",
]


@pytest.mark.parametrize("preset_id", FAITHFUL)
def test_a_preset_in_the_page_is_the_run_the_api_gives(
    page: Any, server_url: str, preset_id: str
) -> None:
    preset = next(p for p in catalog(server_url)["presets"] if p["id"] == preset_id)
    api = httpx.post(f"{server_url}/api/runs", json=preset["run"], timeout=60).json()["runs"]
    page.goto(f"/#lecture={preset_id}")
    wait_step(page, preset_id)
    page.wait_for_function("() => window.descentlab?.runs.done", timeout=30_000)
    shown = page.evaluate(
        "() => window.descentlab.runs.tracks"
        ".map(t => t.rows.map(r => [r.summary.nit, r.summary.fun]))"
    )
    expected = [[[r["nit"], r["fun"]] for r in [run, *run["restarts"]]] for run in api]
    assert len(shown) == len(expected)
    for got, want in zip(shown, expected, strict=True):
        assert [s for s, _ in got] == [s for s, _ in want]
        assert [loss for _, loss in got] == pytest.approx([loss for _, loss in want], rel=1e-9)
    assert page.console.errors == []
