"""Browser tests: the figures never say more, or other, than the runs drawn and the server's
answers (issue 16): a refused value, a divergence, a typed surface's formula, the view.

Like the other browser tests, these wait on attributes the app sets instead of sleeping.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

import pytest
from uiutil import FAST, export, open_app, run_id, type_value, wait_done, wait_fitted, wait_hash

pytestmark = pytest.mark.browser


def test_refused_value_leaves_the_legend_and_table_on_the_run_drawn(
    page: Any, artifacts: Path
) -> None:
    open_app(page, f"surface=rosenbrock&opt=adam(lr:0.05)&{FAST}")
    table = page.locator("#summary tbody")
    assert "lr=0.05" in table.inner_text()
    err = type_value(page, '[data-field="optimizers.0.params.lr"]', "50")
    err.wait_for(state="visible")
    assert "optimizers.0.params.lr" not in err.inner_text()  # the message, by its control
    page.wait_for_selector("#app[data-status=error]")
    # the old run is still drawn: its label, not the refused value, names it
    assert "lr=0.05" in table.inner_text() and "lr=50" not in table.inner_text()
    page.wait_for_function("() => window.descentlab.paths().some(t => t.name === 'Adam lr=0.05')")
    names = page.evaluate("window.descentlab.paths().map(t => t.name)")
    assert not any("lr=50" in str(n) for n in names)
    assert "lr=50" not in page.inner_text("#surface-desc")
    page.screenshot(path=str(artifacts / "honest-refused.png"))


def test_divergence_shows_the_servers_message(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=rosenbrock&steps=200&opt=gd(lr:0.01)&{FAST}")
    row = page.locator("#summary tbody tr").first
    assert row.get_attribute("data-status") == "diverged"
    done = page.evaluate("window.descentlab.runs.tracks[0].summary")
    assert done["message"].startswith("diverged at step")
    text = row.inner_text()
    assert done["message"] in text
    assert "overflow" not in page.inner_text("#summary")
    assert done["message"] in page.inner_text("#surface-desc")
    page.screenshot(path=str(artifacts / "honest-diverged.png"))
    # a loss that is not finite: the server says so, and the table invents no word for it
    first = run_id(page)
    page.goto(f"/#surface=custom&expr=exp(x%5E2)%2By%5E2&start=3,1&opt=gd(lr:0.1)&{FAST}")
    wait_done(page, first)
    page.wait_for_function(
        "() => document.querySelector('#summary tbody tr')?.dataset.status === 'diverged'"
    )
    text = page.inner_text("#summary tbody")
    assert "diverged at step 1: the loss is not finite" in text
    assert "overflow" not in text


def test_typed_expression_is_echoed_as_readable_text(page: Any, artifacts: Path) -> None:
    cases = {
        "1/(x^2+y^2)": "f = 1/(x^2 + y^2)",
        "(x+1)/y*x": "f = ((x + 1)/y) x",
        "sqrt(x^2+y^2)^3": "f = (√(x^2 + y^2))^3",
        "exp(-(x^2+y^2))": "f = exp(-(x^2 + y^2))",
    }
    open_app(page)
    page.select_option("#surface", "custom")
    for typed, shown in cases.items():
        page.fill("#expr", typed)
        page.press("#expr", "Enter")
        # (the echo of the expression typed before may still be up: wait for this one's)
        page.wait_for_function(
            "want => document.querySelector('#expr-status .parsed')?.textContent === want",
            arg=shown,
        )
        assert page.inner_text("#expr-status .parsed") == shown, typed
    page.screenshot(path=str(artifacts / "honest-expression.png"))


def test_double_click_resets_the_view_and_leaves_the_start(page: Any) -> None:
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&view=-1,1,0,2&{FAST}")
    first = run_id(page)
    box = page.locator("#surface-stage .pathlayer .area").bounding_box()
    page.mouse.dblclick(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.wait_for_function("() => window.descentlab.store.state.view === null")
    page.wait_for_timeout(800)  # past any click that would still move the start
    assert page.evaluate("window.descentlab.store.state.start") is None
    assert run_id(page) == first
    # a single click still moves it
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.wait_for_function("() => window.descentlab.store.state.start !== null")
    wait_done(page, first)


# The contours' grid spans the ranges the figure shows, and the paths' layer has the same ones.
GRID_IS_VIEW = """() => {
  const c = document.querySelector('#contour'), p = window.descentlab.surfaceBox();
  if (!c.data || !p || document.querySelector('#app').dataset.status !== 'done') return false;
  const g = c.data[0], close = (a, b) => Math.abs(a - b) <= 1e-6 * (1 + Math.abs(b));
  const same = (xs, r) => close(xs[0], r[0]) && close(xs[xs.length - 1], r[1]);
  return same(g.x, p.x) && same(g.y, p.y)
    && same(g.x, c.layout.xaxis.range) && same(g.y, c.layout.yaxis.range);
}"""


def test_contours_are_the_views_own_after_zoom_and_autoscale(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&{FAST}")
    domain = page.evaluate("window.descentlab.catalog.surfaces.get('rosenbrock').domain")
    box = page.locator("#surface-stage .pathlayer .area").bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 150, y0 + 150, steps=5)
    page.mouse.up()
    page.wait_for_function("() => window.descentlab.store.state.view !== null")
    page.wait_for_function(GRID_IS_VIEW)  # the zoomed view's own grid
    page.hover("#contour")
    page.locator('#contour .modebar-btn[data-title="Autoscale"]').click()
    page.wait_for_function("() => window.descentlab.store.state.view === null")
    page.wait_for_function(GRID_IS_VIEW)
    shown = page.evaluate(
        "(() => { const c = document.querySelector('#contour').layout;"
        " return [c.xaxis.range, c.yaxis.range]; })()"
    )
    box = page.evaluate("window.descentlab.surfaceBox()")
    assert [box["x"], box["y"]] == shown
    assert shown == [domain[0], domain[1]]  # back home: the surface's own domain
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts / "honest-autoscale.png"))


READ_PNG = """async ([b64, points]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const img = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
  const canvas = new OffscreenCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const px = points.map(([x, y]) => [...ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data]);
  return { width: img.width, height: img.height, px };
}"""


# The export's picture: the surface figure's box inside its border (legend and plot).
FIGURE = """() => { const e = document.querySelector('#surface-box'), r = e.getBoundingClientRect();
  return {x: r.left + e.clientLeft, y: r.top + e.clientTop, width: e.clientWidth,
    height: e.clientHeight}; }"""

# Per colour: how many pixels of each picture (drawn at w x h) below `top` are near it, and
# their centroid.
CENTROIDS = """async ([pictures, w, h, top, colours]) => {
  const pixels = async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const img = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const ctx = new OffscreenCanvas(w, h).getContext('2d');
    ctx.drawImage(img, 0, 0, w, h);
    return ctx.getImageData(0, 0, w, h).data;
  };
  const out = [];
  for (const b64 of pictures) {
    const d = await pixels(b64);
    out.push(colours.map(([r, g, b]) => {
      let n = 0, sx = 0, sy = 0;
      for (let i = top * w * 4; i < d.length; i += 4) {
        if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) > 60) continue;
        const k = i / 4;
        n++; sx += k % w; sy += Math.floor(k / w);
      }
      return [n, sx / n, sy / n];
    }));
  }
  return out;
}"""


@pytest.mark.parametrize("big", [False, True])
def test_png_export_draws_the_figure_as_on_screen(page: Any, artifacts: Path, big: bool) -> None:
    # three optimisers: in projector mode their legend takes two rows
    open_app(page, f"surface=rosenbrock&start=-1,2{'&big=1' if big else ''}&{FAST}")
    wait_fitted(page)
    page.mouse.move(0, 0)  # (no readout, no tool bar)
    fig = page.evaluate(FIGURE)
    ring = page.locator("#surface-stage .pathlayer .grab").first.bounding_box()
    cx = ring["x"] + ring["width"] / 2 - fig["x"]
    cy = ring["y"] + ring["height"] / 2 - fig["y"]
    r = 9  # px: the ring's radius (plot.js), on its black line
    with page.expect_download() as info:
        export(page, "png")
    data = Path(info.value.path()).read_bytes()
    size = page.evaluate(READ_PNG, [base64.b64encode(data).decode(), []])
    k = size["width"] / fig["width"]  # the export's scale: the figure's own box, k times finer
    assert k >= 1 and size["height"] == pytest.approx(fig["height"] * k, abs=2)
    points = [[cx, cy], [cx - r, cy], [cx + r, cy], [cx, cy - r], [cx, cy + r]]
    png = page.evaluate(
        READ_PNG, [base64.b64encode(data).decode(), [[x * k, y * k] for x, y in points]]
    )
    centre, *edge = png["px"]
    assert min(centre[:3]) > 200, centre  # the ring's white fill
    for p in edge:
        assert max(p[:3]) < 110, (edge, "the ring's black line where the screen draws it")
    # each run's colour (paths, markers) where the screen has it, within 2 px; the figure's
    # toggle (a control, in the accent colour) is not part of the figure
    page.mouse.move(0, 0)
    page.evaluate("document.querySelector('#equal-scale').style.visibility = 'hidden'")
    shot = page.screenshot(clip=fig)
    stage = page.locator("#surface-stage").bounding_box()
    Path(artifacts / f"honest-screen{'-big' if big else ''}.png").write_bytes(shot)
    colours = [[0x00, 0x72, 0xB2], [0xD5, 0x5E, 0x00], [0x00, 0x9E, 0x73]]
    pictures = [base64.b64encode(b).decode() for b in (shot, data)]
    screen, exported = page.evaluate(
        CENTROIDS,
        [
            pictures,
            round(fig["width"]),
            round(fig["height"]),
            round(stage["y"] - fig["y"]),
            colours,
        ],
    )
    Path(artifacts / f"honest-export{'-big' if big else ''}.png").write_bytes(data)
    # (the third run's line is dotted: at 1x its dots blend into the contours, and which of
    # them stay within the colour's tolerance, unlike at k times the scale, moves its centroid
    # by up to ~3 px where the runs' markers agree to a pixel)
    within = [2, 2, 3.5]
    for (n_s, x_s, y_s), (n_e, x_e, y_e), px in zip(screen, exported, within, strict=True):
        assert n_s > 30 and n_e == pytest.approx(n_s, rel=0.35), (screen, exported)
        assert abs(x_s - x_e) < px and abs(y_s - y_e) < px, (screen, exported)


# [left, top, px per unit on x, on y] of the paths' layer and of the plot area Plotly drew.
UNITS = """() => {
  const units = (area, [x0, x1], [y0, y1]) => { const r = area.getBoundingClientRect();
    return [r.left, r.top, r.width / (x1 - x0), r.height / (y1 - y0)]; };
  const b = window.descentlab.surfaceBox(), gd = document.querySelector('#contour');
  return [units(document.querySelector('#surface-stage .pathlayer .area'), b.x, b.y),
    units(gd.querySelector('.bglayer .bg'), gd.layout.xaxis.range, gd.layout.yaxis.range)];
}"""
UNEQUAL = """() => { const b = window.descentlab.surfaceBox();
  return Math.abs(b.w / (b.x[1] - b.x[0]) - b.h / (b.y[1] - b.y[0])) > 1; }"""


def test_equal_axis_scale_by_default_for_a_bowl(page: Any, artifacts: Path) -> None:
    open_app(page, f"surface=quadratic&opt=gd(lr:0.01)&{FAST}")
    wait_fitted(page)
    toggle = page.locator("#equal-scale")
    assert toggle.get_attribute("aria-pressed") == "true"
    (px, py, ux, uy), base = page.evaluate(UNITS)
    assert ux == pytest.approx(uy, rel=0.01)  # px per unit: a circle is drawn round
    assert base == pytest.approx([px, py, ux, uy], abs=0.5)  # the contours under the paths
    page.screenshot(path=str(artifacts / "honest-equal.png"))
    toggle.click()
    wait_hash(page, "equal=0")
    page.wait_for_function(UNEQUAL)
    wait_fitted(page)
    (px, py, ux, uy), base = page.evaluate(UNITS)
    assert ux != pytest.approx(uy, rel=0.01)  # the figure's tall box, filled
    assert base == pytest.approx([px, py, ux, uy], abs=0.5)
    # a link keeps the choice; a typed surface is not drawn to one scale unless asked
    page.goto(f"/#surface=quadratic&equal=0&{FAST}")
    page.wait_for_function(
        "() => document.querySelector('#equal-scale').getAttribute('aria-pressed') === 'false'"
    )
    page.goto(f"/#surface=custom&expr=x%5E2%2By%5E2&{FAST}")
    page.wait_for_function(
        "() => document.querySelector('#app').dataset.surface === 'custom'"
        " && document.querySelector('#equal-scale').getAttribute('aria-pressed') === 'false'"
    )


def test_a_zoom_on_a_curve_keeps_its_y_range_when_the_view_is_redrawn(page: Any) -> None:
    open_app(page, f"surface=quartic&opt=gd(lr:0.01)&{FAST}")
    box = page.locator("#surface-stage .pathlayer .area").bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 120, y0 + 90, steps=5)
    page.mouse.up()
    page.wait_for_function("() => window.descentlab.store.state.view !== null")
    zoomed = page.evaluate("document.querySelector('#contour').layout.yaxis.range")
    # the view's own curve arrives and is drawn again, under the same y range
    page.wait_for_function(
        """() => { const c = document.querySelector('#contour');
          const v = window.descentlab.store.state.view;
          return c.data[0].x[0] === v[0] && c.data[0].x.at(-1) === v[1]; }"""
    )
    assert page.evaluate("document.querySelector('#contour').layout.yaxis.range") == zoomed
    assert page.evaluate("window.descentlab.surfaceBox().y") == zoomed
    page.hover("#contour")
    page.locator('#contour .modebar-btn[data-title="Autoscale"]').click()
    page.wait_for_function("() => window.descentlab.store.state.view === null")
    page.wait_for_function(
        "r => document.querySelector('#contour').layout.yaxis.range[1] !== r[1]", arg=zoomed
    )


def test_contours_start_at_the_lowest_height_the_grid_draws_truthfully(page: Any) -> None:
    """Rosenbrock's valley floor is narrower than a cell of the home view's grid: the figure's
    heights start where the server's check (contours.py) says the grid draws them as they are,
    rather than as a string of false minima; the quadratic bowl draws Plotly's own heights."""
    open_app(page, f"surface=rosenbrock&opt=gd(lr:0.001)&{FAST}")
    grid = page.evaluate(
        "fetch('/api/surfaces/rosenbrock/grid?nx=150&ny=150').then(r => r.json())"
        ".then(g => [g.levels_from, g.zmin])"
    )
    trace = page.evaluate(
        "(() => { const t = document.querySelector('#contour').data[0];"
        " return [t.autocontour, t.contours.start]; })()"
    )
    assert trace[0] is False
    assert trace[1] == pytest.approx(math.log10(grid[0] - grid[1] + 1e-3), abs=1e-6)
    open_app(page, f"surface=quadratic&opt=gd(lr:0.1)&{FAST}")
    assert page.evaluate("document.querySelector('#contour').data[0].autocontour") is not False
