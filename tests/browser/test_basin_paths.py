"""The basin map with the page's paths over it, and without (issue 17): a toggle in the basin
view (`basins=…,paths:0`) that hides them without asking for the map again."""

from __future__ import annotations

from typing import Any

import pytest
from uiutil import FAST, open_app, wait_hash

pytestmark = pytest.mark.browser

BASINS = (
    f"surface=himmelblau&opt=adam(lr:0.05)&opt=gd(lr:0.01)&show=basins&basins=run:1,n:40&{FAST}"
)
PATHS = (
    "() => document.getElementById('basins-fig').data"
    ".filter((d) => d.meta && Number.isInteger(d.meta.run))"
    ".map((d) => ({run: d.meta.run, x: d.x, y: d.y, dash: d.line.dash}))"
)


def wait_map(page: Any) -> None:
    page.wait_for_function(
        "() => { const f = document.getElementById('basins-fig');"
        " return f && f.dataset.state === 'done' && f.dataset.n === '40'; }"
    )


def test_paths_over_the_basin_map_and_hidden(page: Any) -> None:
    open_app(page, BASINS)
    wait_map(page)
    page.wait_for_function(f"() => ({PATHS})().length === 2")
    drawn = page.evaluate(PATHS)
    paths = page.evaluate("() => window.descentlab.runs.tracks.map((t) => t.path)")
    for d, path in zip(drawn, paths, strict=True):
        assert d["x"] == [p[0] for p in path] and d["y"] == [p[1] for p in path]
    assert [d["dash"] for d in drawn] == ["solid", "8px,4px"]
    map_before = page.evaluate("() => document.getElementById('basins-fig').data[0].z")
    page.uncheck("#basin-paths")
    wait_hash(page, "paths:0")
    page.wait_for_function(f"() => ({PATHS})().length === 0")
    # the same map, not asked for again
    assert page.evaluate("() => document.getElementById('basins-fig').dataset.state") == "done"
    assert page.evaluate("() => document.getElementById('basins-fig').data[0].z") == map_before
    # a link keeps it hidden; checking it again draws them
    page.reload()
    wait_map(page)
    assert not page.is_checked("#basin-paths")
    assert page.evaluate(PATHS) == []
    page.check("#basin-paths")
    page.wait_for_function(f"() => ({PATHS})().length === 2")
    page.wait_for_function("() => !location.hash.includes('paths:')")
    assert page.console.errors == []
