"""The views beside the surface (issue 17): the hyperparameter sweep heatmap and the basin map.

Each opens from a button and from the URL, draws its grid at the size asked for, and a cell
picked (by a click or the keyboard) becomes the page's run: the sweep cell's setting runs to
the cell's final loss, the basin cell's start ends in the cell's basin. axe-core finds nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_a11y import violations
from uiutil import FAST, open_app, touch_drag, wait_done, wait_fitted

pytestmark = pytest.mark.browser

BOWL = "surface=quadratic&sp=kappa:100,angle:0&start=-1,-1&steps=300"
SWEEP = (
    f"{BOWL}&opt=momentum(lr:0.001,momentum:0.9)&show=sweep"
    "&sweep=run:0,x:lr,x0:0.0001,x1:0.05,xs:log,y:momentum,y0:0,y1:0.99,ys:lin,n:24,m:loss"
    f"&{FAST}"
)
BASINS = (
    f"surface=himmelblau&opt=adam(lr:0.05)&opt=gd(lr:0.01)&show=basins&basins=run:1,n:40&{FAST}"
)

# Text of a view's figure that something hides: legend entries under Plotly's tool bar (shown
# on hover; its box is there all the same), x tick labels running into each other.
CLASHES = """(kind) => {
  const fig = document.getElementById(kind + '-fig');
  const box = (e) => e.getBoundingClientRect();
  const meet = (a, b) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const bar = box(fig.querySelector('.modebar'));
  const entries = [...fig.querySelectorAll('.legend .traces')].map(box);
  const ticks = [...fig.querySelectorAll('.xtick text')].map(box).sort((a, b) => a.left - b.left);
  return {
    'legend under the tool bar': entries.filter((e) => meet(e, bar)).length,
    'x tick labels overlapping': ticks.filter((t, k) => k && t.left < ticks[k - 1].right).length,
  };
}"""
SWEEP_RESULT = "() => window.descentlab.views.views.sweep.view.result"
BASIN_RESULT = "() => window.descentlab.views.views.basins.view.result"


def wait_view(page: Any, kind: str, n: int) -> None:
    page.wait_for_function(
        "([kind, n]) => { const f = document.getElementById(kind + '-fig');"
        " return f && f.dataset.state === 'done' && f.dataset.n === String(n); }",
        arg=[kind, n],
    )


def heatmap_shape(page: Any, kind: str) -> list[int]:
    return page.evaluate(  # type: ignore[no-any-return]
        "(kind) => { const z = document.getElementById(kind + '-fig').data[0].z;"
        " return [z.length, z[0].length]; }",
        kind,
    )


def final_of(page: Any, run: int) -> dict[str, Any]:
    return page.evaluate(  # type: ignore[no-any-return]
        "(i) => { const t = window.descentlab.runs.tracks[i];"
        " return {loss: t.loss[t.loss.length - 1], point: t.path[t.path.length - 1]}; }",
        run,
    )


def pick_with_keys(page: Any, kind: str, keys: list[str]) -> None:
    run_id = page.evaluate("() => document.querySelector('#app').dataset.runId")
    page.focus(f"#{kind}-fig")
    for key in keys:
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    wait_done(page, after_run=run_id)


def test_sweep_heatmap_cell_is_the_run(page: Any) -> None:
    open_app(page, SWEEP)
    wait_view(page, "sweep", 24)
    assert page.get_attribute("#show-sweep", "aria-pressed") == "true"
    assert heatmap_shape(page, "sweep") == [24, 24]
    # the cursor starts mid-grid (12, 12): three right, two up is cell (15, 14)
    pick_with_keys(page, "sweep", ["ArrowRight"] * 3 + ["ArrowUp"] * 2)
    result = page.evaluate(SWEEP_RESULT)
    xs, ys, answer = result["xs"], result["ys"], result["answer"]
    lr, mu = xs[15], ys[14]
    assert page.evaluate("() => window.descentlab.store.state.opts[0].p") == {
        "lr": lr,
        "momentum": mu,
    }
    cell = answer["fun"][14 * 24 + 15]
    assert answer["status"][14 * 24 + 15] != "diverged"
    got = final_of(page, 0)["loss"]
    assert got == pytest.approx(cell, rel=1e-9, abs=1e-300)
    # the sweep is not asked for again: the swept values are the cell's
    assert page.evaluate("() => document.getElementById('sweep-fig').dataset.state") == "done"
    # a click on a cell sets that cell's values too
    box = page.locator("#sweep-fig .nsewdrag").bounding_box()
    run_id = page.evaluate("() => document.querySelector('#app').dataset.runId")
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7)
    wait_done(page, after_run=run_id)
    p = page.evaluate("() => window.descentlab.store.state.opts[0].p")
    i, j = xs.index(p["lr"]), ys.index(p["momentum"])
    assert 0.2 < i / 24 < 0.4 and 0.2 < j / 24 < 0.4
    cell = answer["fun"][j * 24 + i]
    assert final_of(page, 0)["loss"] == pytest.approx(cell, rel=1e-9, abs=1e-300)
    assert page.console.errors == []


def test_sweep_metric_and_url_round_trip(page: Any) -> None:
    open_app(page, SWEEP)
    wait_view(page, "sweep", 24)
    page.select_option("#sweep-fig >> xpath=.. >> select[data-key=m]", "status")
    page.wait_for_function("() => location.hash.includes('m:status')")
    assert "show=sweep" in page.evaluate("() => location.hash")
    # the status colours: diverged runs beyond the momentum stability edge lr·200 > 2(1 + μ)
    z = page.evaluate("() => document.getElementById('sweep-fig').data[0].z")
    result = page.evaluate(SWEEP_RESULT)
    for j, mu in enumerate(result["ys"]):
        for i, lr in enumerate(result["xs"]):
            edge = lr * 200 / (2 * (1 + mu))
            if edge > 1.1:
                assert z[j][i] == 2, (lr, mu)
            elif edge < 0.9:
                assert z[j][i] != 2, (lr, mu)
    hash_ = page.evaluate("() => location.hash")
    page.goto("/")
    page.goto("/" + hash_)
    wait_view(page, "sweep", 24)
    assert page.input_value("#sweep-fig >> xpath=.. >> select[data-key=m]") == "status"
    assert heatmap_shape(page, "sweep") == [24, 24]
    # closing the view takes it out of the URL; the button opens it again
    page.click("#view-close")
    page.wait_for_function("() => !location.hash.includes('show=')")
    assert page.is_hidden("#viewpanel")
    page.click("#show-sweep")
    page.wait_for_function("() => location.hash.includes('show=sweep')")
    assert page.is_visible("#sweep-fig")


def test_a_sweep_of_scipys_method_asks_for_20_by_20_at_most(page: Any) -> None:
    open_app(page, f"surface=rosenbrock&opt=bfgs&show=sweep&sweep=run:0,n:100&{FAST}")
    wait_view(page, "sweep", 20)  # a link asking for more gets the limit, not a refusal
    assert heatmap_shape(page, "sweep") == [20, 20]
    assert page.get_attribute("#sweep-fig >> xpath=.. >> input[data-key=n]", "max") == "20"


def test_sweep_exports_csv_and_png(page: Any) -> None:
    open_app(page, SWEEP)
    wait_view(page, "sweep", 24)
    with page.expect_download() as info:
        page.click("#view-csv")
    lines = open(info.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("# final loss of momentum")
    assert lines[1].split(",")[0] == "momentum \\ lr" and len(lines[1].split(",")) == 25
    assert len(lines) == 2 + 24 and float(lines[2].split(",")[0]) == 0
    with page.expect_download() as info:
        page.click("#view-png")
    assert info.value.suggested_filename == "descentlab-sweep-momentum.png"
    with open(info.value.path(), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_basin_map_cell_moves_the_start_into_its_basin(page: Any) -> None:
    open_app(page, BASINS)
    wait_view(page, "basins", 40)
    assert heatmap_shape(page, "basins") == [40, 40]
    result = page.evaluate(BASIN_RESULT)
    assert result["answer"]["listed"] == 4
    assert {v for row in result["answer"]["labels"] for v in row} == {0, 1, 2, 3}
    # from mid-grid (20, 20) to (28, 30), well inside a basin
    pick_with_keys(page, "basins", ["ArrowRight"] * 8 + ["ArrowUp"] * 10)
    answer = page.evaluate(BASIN_RESULT)["answer"]
    i, j = 28, 30
    assert page.evaluate("() => window.descentlab.store.state.start") == [
        answer["x"][i],
        answer["y"][j],
    ]
    label = answer["labels"][j][i]
    end = final_of(page, 1)["point"]
    assert end == pytest.approx(answer["minima"][label], abs=1e-3)
    # a click elsewhere: the run from there ends in that cell's basin too
    box = page.locator("#basins-fig .nsewdrag").bounding_box()
    run_id = page.evaluate("() => document.querySelector('#app').dataset.runId")
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.8)
    wait_done(page, after_run=run_id)
    x, y = page.evaluate("() => window.descentlab.store.state.start")
    i, j = answer["x"].index(x), answer["y"].index(y)
    end = final_of(page, 1)["point"]
    assert end == pytest.approx(answer["minima"][answer["labels"][j][i]], abs=1e-3)
    # the map does not depend on the start: it is not asked for again
    assert page.evaluate("() => document.getElementById('basins-fig').dataset.state") == "done"
    with page.expect_download() as info:
        page.click("#view-csv")
    assert info.value.suggested_filename == "descentlab-basins-gd.csv"
    lines = open(info.value.path(), encoding="utf-8").read().splitlines()
    grid = [line.split(",") for line in lines if not line.startswith("#")]
    assert grid[0][0] == "y \\ x" and [float(v) for v in grid[0][1:]] == answer["x"]
    assert [float(row[0]) for row in grid[1:]] == answer["y"]
    assert [[int(v) for v in row[1:]] for row in grid[1:]] == answer["labels"]
    assert page.console.errors == []


@pytest.mark.parametrize(
    ("name", "hash_", "kind", "n"),
    [("sweep", SWEEP, "sweep", 24), ("basins", BASINS, "basins", 40)],
)
@pytest.mark.parametrize("size", [(390, 844), (1280, 720), (1920, 1080)])
def test_views_axe_clean_and_screenshots(
    browser: Any,
    server_url: str,
    artifacts: Any,
    name: str,
    hash_: str,
    kind: str,
    n: int,
    size: tuple[int, int],
) -> None:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, base_url=server_url)
    try:
        pg = ctx.new_page()
        pg.goto("/#" + hash_)
        pg.wait_for_selector("#app[data-status=done]")
        wait_view(pg, kind, n)
        wait_fitted(pg)
        pg.screenshot(path=str(artifacts / f"view-{name}-{size[0]}x{size[1]}.png"))
        found = violations(pg)
        assert found == [], found
        clashes = pg.evaluate(CLASHES, kind)
        assert clashes == {"legend under the tool bar": 0, "x tick labels overlapping": 0}
    finally:
        ctx.close()


def test_view_presets_open_their_views(page: Any) -> None:
    page.goto("/#lecture=dog-basins")
    wait_view(page, "basins", 100)
    assert heatmap_shape(page, "basins") == [100, 100]
    labels = page.evaluate("() => document.getElementById('basins-fig').data[0].z")
    assert {v for row in labels for v in row} == {-1, 0}  # the centre's basin, and the plain
    page.click("button.preset[data-preset=duke-bowl-momentum-sweep]")
    wait_view(page, "sweep", 100)
    assert page.get_attribute("#show-sweep", "aria-pressed") == "true"
    hash_ = page.evaluate("() => location.hash")
    assert "show=sweep" in hash_ and "m:status" in hash_ and "x:lr" in hash_
    z = page.evaluate("() => document.getElementById('sweep-fig').data[0].z")
    assert len(z) == 100 and {v for row in z for v in row} == {0, 1, 2}
    # a preset without a view closes it
    page.click("button.preset[data-preset=duke-bowl-momentum]")
    page.wait_for_function("() => !location.hash.includes('show=')")
    assert page.is_hidden("#viewpanel")


@pytest.mark.parametrize(("kind", "route"), [("sweep", "/api/sweeps"), ("basins", "/api/basins")])
def test_a_view_of_an_epoch_counted_run_takes_the_page_s_steps(
    page: Any, kind: str, route: str
) -> None:
    """Minibatch SGD counts its run in epochs (3 epochs of 10 batches here): a view's grid of
    runs asks for the same 30 steps, and says so (it asked for none, and said "undefined")."""
    asked: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: asked.append(r.post_data_json) if r.url.endswith(route) else None,
    )
    open_app(
        page,
        f"surface=line-fit-sgd&sp=n:1000&batch=100&epochs=3&opt=gd(lr:0.05)&show={kind}"
        f"&{kind}=n:12&{FAST}",
    )
    wait_view(page, kind, 12)
    # (the grid asked before the surface's size came back from the server is asked again)
    assert asked and all("max_steps" in body for body in asked)
    assert asked[-1]["max_steps"] == 30
    status = page.locator(f"#{kind}-fig >> xpath=.. >> .view-status").inner_text()
    assert "undefined" not in status


def test_on_a_phone_a_drag_over_a_view_scrolls_and_a_tap_picks(
    browser: Any, server_url: str
) -> None:
    """A view on a phone fills most of the screen: a finger's drag over its figure scrolls the
    page (Plotly's zoom took it), and a tap on a cell still makes it the page's run."""
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=server_url, has_touch=True, is_mobile=True
    )
    try:
        pg = ctx.new_page()
        pg.goto("/#" + SWEEP)
        wait_view(pg, "sweep", 24)
        pg.eval_on_selector("#sweep-fig", "e => e.scrollIntoView({block: 'center'})")
        pg.wait_for_timeout(200)
        area = pg.locator("#sweep-fig .nsewdrag").bounding_box()
        assert area is not None
        centre = (area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
        before = pg.evaluate("() => scrollY")
        touch_drag(pg, centre, (20, -150))
        assert pg.evaluate("() => scrollY") - before > 80
        area = pg.locator("#sweep-fig .nsewdrag").bounding_box()
        assert area is not None
        was = pg.evaluate("() => window.descentlab.store.state.opts[0].p")
        run = pg.evaluate("() => document.querySelector('#app').dataset.runId")
        pg.touchscreen.tap(area["x"] + area["width"] * 0.3, area["y"] + area["height"] * 0.7)
        wait_done(pg, after_run=run)
        assert pg.evaluate("() => window.descentlab.store.state.opts[0].p") != was
    finally:
        ctx.close()


def test_a_view_s_grid_fits_the_limit_for_the_run_s_steps_counted_in_epochs(page: Any) -> None:
    """20 epochs of 100 batches: 2,000 steps, where the page's steps box says 500. The sweep's
    grid is sized for 2,000 summed over 1,000 points (3 x 3), not for 500 (6 x 6, refused)."""
    open_app(
        page,
        "surface=logistic-regression&sp=n:1000&batch=10&epochs=20&opt=gd(lr:0.1)&show=sweep"
        f"&{FAST}",
    )
    wait_view(page, "sweep", 3)
    status = page.locator("#sweep-fig >> xpath=.. >> .view-status")
    assert "3 × 3 runs" in status.inner_text()
    assert page.evaluate("() => window.descentlab.store.state.steps") != 2000
