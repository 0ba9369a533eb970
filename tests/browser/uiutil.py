"""Helpers shared by the browser tests: open the app, wait on the attributes it sets
(`#app[data-status]`, `data-run-id`) instead of sleeping, and read what it shows.

Imported as a plain module (`from uiutil import ...`): pytest's default import mode puts this
directory on sys.path (there is no __init__.py here).
"""

from __future__ import annotations

from typing import Any

FAST = "speed=Infinity"  # a run shows its end at once where the animation is not the point


def open_app(page: Any, hash_: str = FAST) -> None:
    page.goto("/#" + hash_)
    wait_done(page)


def wait_done(page: Any, after_run: str | None = None) -> None:
    """Wait until the current run has streamed and the player shows its last step."""
    if after_run is not None:
        page.wait_for_function(
            "id => document.querySelector('#app').dataset.runId !== id", arg=after_run
        )
    page.wait_for_selector("#app[data-status=done]")


def wait_fitted(page: Any) -> None:
    """Wait until every figure has re-fitted its box (before a screenshot). Predicates are
    functions, never bare expressions: under the page's Content-Security-Policy Playwright
    cannot eval an expression."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.layer')]"
        ".filter(g => g.offsetParent && g.layout && g.layout.width)"
        ".every(g => Math.abs(g.layout.width - g.clientWidth) < 3"
        " && Math.abs(g.layout.height - g.clientHeight) < 3)"
    )


def wait_hash(page: Any, *parts: str, decoded: bool = False) -> str:
    """Wait until the URL's hash (URI-decoded if ``decoded``) holds every one of ``parts``: the
    app writes it once changes pause, not at each change. Returns the hash."""
    page.wait_for_function(
        "([parts, decoded]) => { const h = decoded ? decodeURIComponent(location.hash)"
        " : location.hash; return parts.every((p) => h.includes(p)); }",
        arg=[list(parts), decoded],
    )
    js = "decoded => decoded ? decodeURIComponent(location.hash) : location.hash"
    return str(page.evaluate(js, decoded))


def run_id(page: Any) -> str:
    return str(page.eval_on_selector("#app", "e => e.dataset.runId"))


def tracks(page: Any) -> list[list[list[float]]]:
    """Each optimiser's path (row 0), as the app holds it."""
    return page.evaluate("window.descentlab.runs.tracks.map(t => t.path)")  # type: ignore[no-any-return]


# What the app draws itself (its layers' state), by figure; other figures are Plotly's.
LAYERS = {"#paths": "window.descentlab.paths()", "#lossplot": "window.descentlab.losses()"}


def traces(page: Any, el: str = "#paths") -> list[dict[str, Any]]:
    """What a figure draws: each line's or marker's meta and kind (a Plotly trace's type)."""
    drawn = LAYERS.get(el, f"document.querySelector('{el}').data")
    js = f"{drawn}.map(t => ({{meta: t.meta || null, type: t.kind || t.type}}))"
    return page.evaluate(js)  # type: ignore[no-any-return]


def type_value(page: Any, field: str, value: str) -> Any:
    """Type ``value`` into the number box of the control for ``field`` (a selector of its
    `[data-field]` element) and press Enter; returns that control's error line."""
    box = page.locator(f"{field} input.num")
    box.fill(value)
    box.press("Enter")
    return page.locator(f"{field} .err")


def export(page: Any, item: str) -> None:
    """Choose ``item`` (csv, json, png, svg, html, video) in the page's Export menu."""
    page.click("#export")
    page.click(f"#export-{item}")


def touch_drag(
    page: Any, start: tuple[float, float], by: tuple[float, float], steps: int = 10
) -> None:
    """One finger dragged from ``start`` by ``by`` (CSS px), as a touch screen sends it (the
    browser scrolls what the touch is over unless a listener prevents it). The page's context
    must have ``has_touch=True``."""
    cdp = page.context.new_cdp_session(page)
    (x, y), (dx, dy) = start, by
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for k in range(1, steps + 1):
        point = {"x": x + dx * k / steps, "y": y + dy * k / steps}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()
    page.wait_for_timeout(300)  # the scroll's last frames
