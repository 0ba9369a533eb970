// The surface figure: contours of a 2-D surface (log-scaled levels when it asks, or at the
// heights a preset gives), or the curve of a 1-D one, with the known minima, a draggable start
// marker, the optimisers' paths up to the player's step and their legend. onStart(point),
// onView(range | null) and onInspect(point) report what the user did.
//
// One Plotly figure (`base`) draws the contours, axes and colour bar, and handles zoom and pan;
// it is drawn again only when the surface, its grid, the view, the box or the projector mode
// change (finding 28 contour levels and laying out tick labels cost far more than the paths).
// Everything else is the app's own: the paths, minima and start marker in a PathLayer over the
// plot area, the legend in HTML above it. The layer is placed from the layout this module gives
// Plotly (width, height and margins, all set here) and the axis ranges (set here, or the ones
// Plotly reports in its relayout events after a zoom or pan): nothing is read back from Plotly.
// The pointer is answered from the same: a readout of (x, y, f) from the grid, the path point
// nearest, clicks that move the start or inspect a point.

import { colour, dash, dashArray, symbol, SURFACE_FILL, CONFIG as TOOLBAR, zoomOutButton, powerOfTen,
  scrollPastOnTouch } from "./palette.js";
import { PathLayer, eventRange } from "./pathlayer.js";
import { renderLegend, drawLegend, loadSvg } from "./legend.js";

const EPS = 1e-3; // the log scale's offset, as contours.py's LOG_EPS
const LEVELS = 28; // contour heights between the lowest and highest value, as contours.py's
const MARKERS_UP_TO = 300; // a dot per step on shorter paths
// Restarts are a particle cloud (cloud.js); up to this many rows, each path is drawn light too.
const TRAILS_UP_TO = 50;
const WIDE = 440; // px: a figure narrower has no legend (the status table under it is one)
// A second click this soon after a first is a double-click (Plotly's, which resets the view).
const DOUBLE_CLICK_MS = 300;
const VIEW_SETTLE_MS = 120; // a new view's grid is asked for once the view rests this long
const CONFIG = { ...TOOLBAR, responsive: false, doubleClickDelay: DOUBLE_CLICK_MS };
const STAR = { symbol: "star", size: 15, color: "#ffffff", stroke: "#000", strokeWidth: 1.5 };

function transform(grid, log) {
  if (!log) return { z: grid.z, title: "f" };
  const zmin = grid.zmin;
  const z = grid.z.map((row) => row.map((v) => (v === null ? null : Math.log10(v - zmin + EPS))));
  const hi = Math.ceil(Math.log10(Math.max(grid.zmax - zmin, EPS) + EPS));
  const tickvals = [];
  for (let k = Math.log10(EPS); k <= hi; k++) tickvals.push(k);
  const ticktext = tickvals.map(powerOfTen);
  return { z, title: "f − f<sub>min</sub> (log)", tickvals, ticktext };
}

// The contour heights from the grid's `levels_from`, the lowest one it draws truthfully (lower
// ones would be beads along a valley narrower than a cell: contours.py), spaced as there; or
// null (Plotly's own heights) when it draws them all.
function levelsFrom(grid, z, log) {
  if (grid.levels_from === null || grid.levels_from === undefined) return null;
  let lo = Infinity, hi = -Infinity;
  for (const row of z) for (const v of row) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const start = log ? Math.log10(grid.levels_from - grid.zmin + EPS) : grid.levels_from;
  return { start, end: hi, size: (hi - lo) / (LEVELS + 1) };
}

// Linear interpolation of a 1-D grid: f at x, for the minima and the start marker.
function interp(grid, x) {
  const xs = grid.x;
  if (x <= xs[0]) return grid.z[0];
  for (let i = 1; i < xs.length; i++) {
    if (x <= xs[i]) {
      const a = grid.z[i - 1], b = grid.z[i];
      if (a === null || b === null) return a ?? b;
      return a + ((b - a) * (x - xs[i - 1])) / (xs[i] - xs[i - 1]);
    }
  }
  return grid.z[xs.length - 1];
}

// Step numbers for 1-D iterates, skipping those too close to the last one numbered; steps[k]
// is the step of xs[k] (a thinned path's), or k.
function numbers(xs, range, steps = null) {
  const gap = Math.abs(range[1] - range[0]) * 0.03;
  let last = Infinity;
  return xs.map((x, k) => {
    if (Math.abs(x - last) < gap) return "";
    last = x;
    return String(steps ? steps[k] : k);
  });
}

// One contour line per height the figure asks for: a contour trace whose only level is L
// (start = end = L), drawn as a line over the filled contours underneath.
function levelTraces(grid, levels) {
  return levels.map((L) => ({
    type: "contour", x: grid.x, y: grid.y, z: grid.z, name: `f = ${L}`, showlegend: false,
    showscale: false, autocontour: false, connectgaps: false, hoverinfo: "skip",
    contours: { start: L, end: L, size: 1, coloring: "lines", showlabels: true,
      labelfont: { size: 10, color: "#3a3f46" } },
    colorscale: [[0, "#3a3f46"], [1, "#3a3f46"]],
    line: { width: 0.9 },
    meta: { level: L },
  }));
}

// The largest box of the view's aspect inside the plot area {l, t, w, h}, centred: one unit as
// long on y as on x. Whole pixels (the layout's margins are), so equal to within a pixel.
function equalBox(area, rx, ry) {
  const k = Math.min(area.w / (rx[1] - rx[0]), area.h / (ry[1] - ry[0]));
  const w = Math.max(1, Math.round((rx[1] - rx[0]) * k));
  const h = Math.max(1, Math.round((ry[1] - ry[0]) * k));
  return { l: area.l + Math.floor((area.w - w) / 2), t: area.t + Math.floor((area.h - h) / 2), w, h };
}

// Ranges v = [x0, x1, y0, y1] widened about their centre to the aspect of `box` (a zoom drawn
// to equal scale shows at least what was asked for).
function equalise(v, box) {
  const per = Math.max((v[1] - v[0]) / box.w, (v[3] - v[2]) / box.h); // units per pixel
  const cx = (v[0] + v[1]) / 2, cy = (v[2] + v[3]) / 2;
  return [cx - (per * box.w) / 2, cx + (per * box.w) / 2, cy - (per * box.h) / 2, cy + (per * box.h) / 2];
}

const close = (a, b) => a.every((v, k) => Math.abs(v - b[k]) <= 1e-9 * (1 + Math.abs(v)));

export class SurfacePlot {
  // stage: the positioned box the figure fills; base: the element Plotly draws in (in the
  // stage); legend: the legend's element.
  constructor({ stage, base, legend }, { onStart, onView, onInspect }) {
    this.stage = stage;
    this.base = base;
    this.legendEl = legend;
    this.layer = new PathLayer(stage);
    this.baseKey = null;
    this.onStart = onStart;
    this.onInspect = onInspect;
    this.inspecting = false; // a plain click inspects instead of moving the start
    this.touchZooms = false; // a finger's drag over the figure zooms instead of scrolling the page
    this.onView = onView;
    this.surface = null;
    this.grid = null;
    this.size = null; // the figure's {width, height}, as last given to Plotly
    this.geom = null; // {width, height, margin, box}: the layout given to Plotly last
    this.shown = null; // {x, y}: the axis ranges on screen
    this.last = null; // what draw() was given last
    this.dragAt = null; // the start marker while it is dragged
    this.series = new WeakMap(); // a path row -> its xs and ys
    this.equal = false; // one unit as long on y as on x (set by the caller before drawing)
    this.baseDraws = 0; // how often Plotly has drawn the figure
    this.zoomOut = zoomOutButton(stage.querySelector(":scope > .zoom-out"), base);
    new ResizeObserver((entries) => this.resized(entries.at(-1).contentRect)).observe(stage);
    this.listen();
  }

  // levels: the contour heights to draw (a preset's, the notes' own), or null: Plotly's.
  setSurface(surface, grid, view, levels = null) {
    this.surface = surface;
    this.grid = grid;
    this.view = view;
    if (!view) this.yView = null; // a 1-D curve's y zoom lasts while the x view does
    this.zoomOut.show(Boolean(view));
    this.levels = levels;
    this.under = surface.dim === 1 ? this.curveTraces() : this.contourTraces();
    this.baseKey = null;
  }

  // Fixed margins (the legend is not Plotly's: nothing pushes them); the top one holds Plotly's
  // tool bar, the right one the colour bar.
  margin(big) {
    const cbar = this.surface && this.surface.dim === 2;
    return { l: big ? 70 : 55, r: cbar ? (big ? 128 : 86) : 10, t: big ? 34 : 28, b: big ? 60 : 45 };
  }

  // The layout's size and margins and the plot area they leave (to equal scale: the largest
  // box of the view's aspect, centred, its margins grown to the rest).
  geometry(big) {
    const { width, height } = this.size;
    const m = this.margin(big);
    let box = { l: m.l, t: m.t, w: Math.max(1, width - m.l - m.r), h: Math.max(1, height - m.t - m.b) };
    if (this.surface.dim === 2 && this.equal) {
      const r = this.range();
      box = equalBox(box, r.x, r.y);
      Object.assign(m, { l: box.l, t: box.t, r: width - box.l - box.w, b: height - box.t - box.h });
    }
    return { width, height, margin: m, box };
  }

  resized({ width, height }) {
    const size = { width: Math.round(width), height: Math.round(height) };
    if (!size.width || !size.height) return;
    if (this.size && size.width === this.size.width && size.height === this.size.height) return;
    this.size = size;
    this.baseKey = null;
    if (this.last && this.surface && window.Plotly) this.draw(...this.last);
  }

  // The figure: contours and colour bar (or the 1-D curve) with the axes. Drawn again only when
  // what it shows changes.
  drawBase(big) {
    // The legend first: shown, it makes the plot shorter, and Plotly draws once at the height
    // the plot keeps rather than again when the resize is observed.
    if (this.paintLegend(this.last?.[0] ?? []) || !this.size) this.measure();
    const geom = this.geometry(big);
    const key = JSON.stringify([geom, this.range(), this.yView, big, this.levels]);
    if (key === this.baseKey && this.base.data) return;
    this.baseKey = key;
    this.geom = geom;
    const { xaxis, yaxis } = this.axes();
    this.shown = { x: [...xaxis.range], y: [...yaxis.range] };
    const layout = {
      width: geom.width, height: geom.height, autosize: false,
      margin: { ...geom.margin, pad: 0, autoexpand: false },
      font: { size: big ? 20 : 13, family: "system-ui, sans-serif" },
      xaxis, yaxis,
      showlegend: false,
      hovermode: false,
      dragmode: "zoom",
      plot_bgcolor: "#fff",
      paper_bgcolor: "rgba(0,0,0,0)",
    };
    Plotly.react(this.base, this.under, layout, CONFIG);
    this.baseDraws++;
    this.listenToPlotly();
  }

  axes() {
    const one = this.surface.dim === 1;
    const rng = this.range();
    const [xLabel, yLabel] = this.surface.labels || ["x", "y"]; // θ₀, θ₁ for regression
    return {
      xaxis: { range: rng.x, title: { text: xLabel }, zeroline: false, showgrid: one },
      yaxis: one
        ? { title: { text: `f(${xLabel})` }, range: this.yView ? [...this.yView] : this.curveRange(), zeroline: false }
        : { range: rng.y, title: { text: yLabel }, zeroline: false, showgrid: false },
    };
  }

  // The axis ranges asked for: the view, else the surface's domain. Fresh arrays: Plotly writes a
  // zoom or an autoscale into the layout's range arrays, which must never be the domain's own.
  range() {
    const d = this.surface.domain;
    const v = this.view;
    if (this.surface.dim === 1) return { x: v ? [v[0], v[1]] : [...d[0]] };
    return { x: v ? [v[0], v[1]] : [...d[0]], y: v ? [v[2], v[3]] : [...d[1]] };
  }

  curveRange() {
    const z = this.grid.z.filter((v) => v !== null);
    const lo = Math.min(...z), hi = Math.max(...z);
    const pad = (hi - lo) * 0.08 || 1;
    return [lo - pad, hi + pad];
  }

  contourTraces() {
    const g = this.grid;
    const t = transform(g, this.surface.log_contours);
    const contour = {
      type: "contour", x: g.x, y: g.y, z: t.z, name: "surface", showlegend: false,
      ncontours: LEVELS, connectgaps: false,
      colorscale: SURFACE_FILL,
      contours: { coloring: "fill", showlines: true },
      line: { color: "rgba(20,24,30,0.45)", width: 0.7 },
      colorbar: {
        title: { text: t.title, side: "right" }, thickness: 12, len: 0.9, x: 1, xpad: 8,
        tickvals: t.tickvals, ticktext: t.ticktext, outlinewidth: 0,
      },
      hoverinfo: "skip",
    };
    const from = levelsFrom(g, t.z, this.surface.log_contours);
    if (from) Object.assign(contour, { autocontour: false, contours: { ...contour.contours, ...from } });
    if (this.levels) { // the given heights are the lines; the fill only shades
      contour.contours.showlines = false;
      contour.line = { width: 0 };
    }
    return this.levels ? [contour, ...levelTraces(g, this.levels)] : [contour];
  }

  curveTraces() {
    const g = this.grid;
    return [{
      type: "scatter", mode: "lines", x: g.x, y: g.z, name: "f", showlegend: false,
      line: { color: "#555", width: 2 }, hoverinfo: "skip",
    }];
  }

  // tracks: [{rows: [{path, loss}], best, label}], t: the player's step, start: the start
  // point; extra.inspect: a point to mark; extra.under() and extra.over(t): items drawn under
  // and over the paths (overlay.js); extra.axes(shown, big): the inspector's eigen-axes, given
  // the axis ranges on screen.
  draw(tracks, t, start, big = false, extra = {}) {
    if (!this.surface) return;
    this.last = [tracks, t, start, big, extra];
    this.drawBase(big);
    this.paint();
  }

  // The stage's size now, rounded as resized() rounds what the ResizeObserver reports.
  measure() {
    const { width, height } = this.stage.getBoundingClientRect();
    if (width && height) this.size = { width: Math.round(width), height: Math.round(height) };
  }

  // The layer over the figure as it is now (its ranges may be a pan's).
  paint() {
    const [tracks, t, start, big, extra] = this.last;
    const one = this.surface.dim === 1;
    const items = this.surface.minima.map((m, k) => ({ kind: "marker", key: `min${k}`,
      name: "minimum", x: m[0], y: one ? interp(this.grid, m[0]) : m[1], ...STAR }));
    items.push(...(extra.under?.() ?? [])); // a field under the paths
    const cloud = this.cloudItem(tracks, t, big);
    if (cloud) items.push(cloud);
    tracks.forEach((tr, i) => items.push(...this.trackItems(tr, i, t, big)));
    items.push(...(extra.over?.(t) ?? [])); // what each rule keeps, at its current point
    if (extra.inspect) {
      const [ix, iy] = extra.inspect;
      items.push({ kind: "marker", key: "inspect", name: "inspected", x: ix,
        y: one ? interp(this.grid, ix) : iy, symbol: "x-thin", size: big ? 20 : 15,
        color: "#000", stroke: "#000", strokeWidth: 3 });
    }
    if (extra.axes) items.push(...extra.axes(this.shown, big));
    const at = this.dragAt ?? start;
    items.push(one
      ? { kind: "rule", key: "start", name: "start", x: at[0], color: "#000", width: 2, dash: "2,3", grab: true }
      : { kind: "marker", key: "start", name: "start", x: at[0], y: at[1], symbol: "circle", size: 18,
        color: "rgba(255,255,255,0.85)", stroke: "#000", strokeWidth: 2.5, grab: true });
    const { width, height, box } = this.geom;
    this.layer.draw({ width, height, box, x: { range: this.shown.x }, y: { range: this.shown.y }, items });
  }

  // Every run with restarts as one particle cloud (cloud.js): a dot per row at step t.
  cloudItem(tracks, t, big) {
    const one = this.surface.dim === 1;
    const sets = [];
    tracks.forEach((tr, i) => {
      const rows = tr.rows || [tr];
      if (rows.length < 2) return;
      sets.push({ run: i, color: colour(i), best: tr.best ?? 0,
        rows: rows.map((row, r) => ({ ...this.seriesOf(row, one), loss: row.loss, row: r })) });
    });
    return sets.length ? { kind: "cloud", key: "cloud", name: "particles", t, big, sets } : null;
  }

  // A run's lines and markers: restarts first (thin, light; only their particles when there
  // are many), the best row last, on top.
  trackItems(tr, i, t, big) {
    const one = this.surface.dim === 1;
    const rows = tr.rows || [tr];
    const best = tr.best ?? 0;
    const many = rows.length > 1;
    const trails = rows.length <= TRAILS_UP_TO;
    const order = trails ? rows.map((_, r) => r).filter((r) => r !== best) : [];
    if (rows[best]) order.push(best);
    const items = [];
    for (const r of order) {
      const row = rows[r];
      const emph = r === best;
      const n = Math.min(row.path.length, t + 1);
      const { xs, ys } = this.seriesOf(row, one);
      const name = emph ? tr.label : `${tr.label}, restart ${r}`;
      const dots = emph && (one || n <= MARKERS_UP_TO);
      items.push({
        kind: "line", key: `p${i}.${r}`, name, meta: { run: i, row: r, best: emph }, xs, ys, n,
        color: colour(i), width: emph ? (big ? 3.5 : 2.2) : big ? 1.8 : 1.1, dash: dashArray(i),
        opacity: emph ? 1 : 0.55,
        dots: dots ? { symbol: symbol(i), size: one ? (big ? 10 : 8) : big ? 5 : 3.5 } : null,
        labels: emph && one ? numbers(xs.slice(0, n), this.shown.x) : null, labelSize: big ? 16 : 11,
      });
      if (!n || (many && !emph)) continue; // (a restart's current point: its particle)
      items.push({ kind: "marker", key: `c${i}.${r}`, x: xs[n - 1], y: ys[n - 1], symbol: symbol(i),
        size: emph ? (big ? 16 : 12) : big ? 9 : 7, color: colour(i), stroke: "#fff",
        strokeWidth: emph ? 2 : 1, opacity: emph ? 1 : 0.7 });
      if (many && emph) { // where the best row started
        items.push({ kind: "marker", key: `b${i}`, name: "best start", meta: { run: i, startOf: r },
          x: xs[0], y: ys[0], symbol: "diamond", size: big ? 17 : 13, color: colour(i),
          stroke: "#000", strokeWidth: 1.5 });
      }
    }
    return items;
  }

  // A row's x and y series (on a curve: x and the loss), kept while the row keeps its length
  // and the figure its dimension.
  seriesOf(row, one) {
    let c = this.series.get(row);
    const len = row.path.length;
    if (!c || c.len !== len || c.one !== one) {
      const xs = new Array(len), ys = new Array(len);
      for (let k = 0; k < len; k++) {
        xs[k] = row.path[k][0];
        ys[k] = one ? row.loss[k] : row.path[k][1];
      }
      c = { len, one, xs, ys };
      this.series.set(row, c);
    }
    return c;
  }

  // On phones (a narrow figure) the table under the plot is the legend. True when it changed.
  paintLegend(tracks) {
    const entries = [];
    if ((this.size?.width ?? this.stage.clientWidth) > WIDE) {
      if (this.surface.minima.length) {
        entries.push({ name: "minimum", line: false, symbol: "star", fill: "#fff", stroke: "#000" });
      }
      tracks.forEach((tr, i) => entries.push({ name: tr.label, color: colour(i), dash: dashArray(i),
        symbol: symbol(i) }));
    }
    return renderLegend(this.legendEl, entries);
  }

  // Paints the figure as the screen shows it onto ctx (a canvas `scale` times finer than the
  // page, whose corner is at `origin`, a DOMRect): Plotly's picture of the contours at the size
  // and margins of the screen's, the legend, and the layer.
  async paintInto(ctx, origin, scale) {
    if (!this.geom || !this.base.data) return;
    const { width, height } = this.geom;
    const stage = this.stage.getBoundingClientRect();
    const x = (stage.left - origin.left) * scale, y = (stage.top - origin.top) * scale;
    const url = await Plotly.toImage(this.base, { format: "png", width, height, scale });
    const img = new Image();
    img.src = url;
    await img.decode();
    ctx.drawImage(img, x, y, width * scale, height * scale);
    await drawLegend(ctx, this.legendEl, origin, scale);
    ctx.drawImage(await loadSvg(this.layer.markup()), x, y, width * scale, height * scale);
  }

  // The data point under a pointer event on the plot area, or null outside it.
  pointAt(ev) {
    if (!this.geom || !this.shown) return null;
    const { box } = this.geom;
    const rect = this.stage.getBoundingClientRect();
    const px = ev.clientX - rect.left - box.l, py = ev.clientY - rect.top - box.t;
    if (px < 0 || py < 0 || px > box.w || py > box.h) return null;
    const [x0, x1] = this.shown.x, [y0, y1] = this.shown.y;
    const x = x0 + (px / box.w) * (x1 - x0);
    return this.surface.dim === 1 ? [x] : [x, y1 - (py / box.h) * (y1 - y0)];
  }

  // f at a point, from the grid (the nearest node; a curve is interpolated).
  valueAt(p) {
    const g = this.grid;
    if (this.surface.dim === 1) return interp(g, p[0]);
    const near = (xs, v) => {
      const k = Math.round(((v - xs[0]) / (xs[xs.length - 1] - xs[0])) * (xs.length - 1));
      return k < 0 || k >= xs.length ? -1 : k;
    };
    const i = near(g.x, p[0]), j = near(g.y, p[1]);
    return i < 0 || j < 0 ? null : g.z[j][i];
  }

  // The readout at the plot area's corner: (x, y, f) under the pointer, and the step of the
  // path point nearest it.
  readout(p, ev) {
    let r = this.stage.querySelector(".readout");
    if (!r) {
      r = document.createElement("div");
      r.className = "readout";
      r.setAttribute("aria-hidden", "true");
      this.stage.append(r);
    }
    r.hidden = !p;
    if (!p) return;
    const { box } = this.geom;
    r.style.left = `${box.l + 6}px`;
    r.style.top = `${box.t + 4}px`;
    const f = this.valueAt(p);
    const fmt = (v) => (v === null || v === undefined ? "—" : Number(v.toPrecision(4)));
    const rect = this.stage.getBoundingClientRect();
    const near = this.layer.nearest(ev.clientX - rect.left, ev.clientY - rect.top);
    const at = near ? ` · ${near.item.name}, step ${near.step}` : "";
    r.textContent = (p.length === 1 ? `x = ${fmt(p[0])}, f = ${fmt(f)}`
      : `x = ${fmt(p[0])}, y = ${fmt(p[1])}, f = ${fmt(f)}`) + at;
  }

  listen() {
    const stage = this.stage;
    // A click on the plot area (no drag) moves the start, or inspects the point, once no second
    // click has followed it: a double-click only resets the view (Plotly does that).
    let down = null;
    let drag = null; // the start marker's drag: {id}
    let pending = null; // {timer, x, y}: a click waiting to see whether it is the first of two
    stage.addEventListener("pointerdown", (ev) => {
      down = null;
      if (ev.button !== 0 || !this.geom) return;
      if (ev.target.closest(".grab")) {
        ev.preventDefault();
        ev.stopPropagation();
        drag = { id: ev.pointerId };
        return;
      }
      if (ev.target.closest("a, button")) return; // Plotly's tool bar
      if (this.pointAt(ev)) down = { x: ev.clientX, y: ev.clientY, t: performance.now() };
    }, true);
    window.addEventListener("pointermove", (ev) => {
      if (!drag || ev.pointerId !== drag.id) return;
      const p = this.pointAt(ev);
      if (p) {
        this.dragAt = this.surface.dim === 1 ? [p[0]] : p;
        this.paint();
      }
    });
    window.addEventListener("pointerup", (ev) => {
      if (drag) {
        const p = this.dragAt;
        drag = null;
        this.dragAt = null;
        if (p) this.onStart(p);
        return;
      }
      const d = down;
      down = null;
      if (!d || Math.hypot(ev.clientX - d.x, ev.clientY - d.y) > 4 || performance.now() - d.t > 800) return;
      const p = this.pointAt(ev);
      if (!p) return;
      if (pending && Math.hypot(ev.clientX - pending.x, ev.clientY - pending.y) <= 8) {
        clearTimeout(pending.timer);
        pending = null;
        return;
      }
      if (pending) clearTimeout(pending.timer);
      const inspect = ev.shiftKey || this.inspecting;
      pending = { x: ev.clientX, y: ev.clientY, timer: setTimeout(() => {
        pending = null;
        if (inspect) this.onInspect(p);
        else this.onStart(p);
      }, DOUBLE_CLICK_MS) };
    }, true);
    // a finger's drag scrolls the page unless touchZooms (a tap still clicks: pointer events above)
    scrollPastOnTouch(this.base, () => this.touchZooms);
    // A finger on the start marker drags it, not the page (touch-action is not honoured on an
    // SVG element).
    stage.addEventListener("touchstart", (ev) => { if (ev.target.closest(".grab")) ev.preventDefault(); },
      { passive: false });
    stage.addEventListener("mousemove", (ev) => this.readout(this.pointAt(ev), ev));
    stage.addEventListener("mouseleave", () => this.readout(null));
  }

  // Plotly's zoom and pan events, heard once the figure exists.
  listenToPlotly() {
    if (this.heard) return;
    this.heard = true;
    this.base.on("plotly_relayout", (ev) => this.relayout(ev || {}));
    // While panning, the paths follow (once a frame).
    this.base.on("plotly_relayouting", (ev) => {
      const x = eventRange(ev || {}, "xaxis"), y = eventRange(ev || {}, "yaxis");
      if (x) this.shown.x = x;
      if (y) this.shown.y = y;
      if (this.following) return;
      this.following = requestAnimationFrame(() => {
        this.following = null;
        if (this.last) this.paint();
      });
    });
  }

  relayout(ev) {
    const keys = Object.keys(ev);
    if (!keys.some((k) => k.startsWith("xaxis") || k.startsWith("yaxis"))) return;
    if (ev["xaxis.autorange"] || ev["yaxis.autorange"]) {
      // Autoscale (or a double-click) goes home: the surface's domain, whose grid is its own,
      // rather than Plotly's fit to the contours over a grid made for another view.
      this.view = null;
      this.yView = null;
      this.baseKey = null;
      if (this.last) this.draw(...this.last);
    } else {
      const { xaxis, yaxis } = this.base.layout; // Plotly writes the new ranges into the layout
      let v = (this.surface.dim === 1 ? [...xaxis.range] : [...xaxis.range, ...yaxis.range]).map(Number);
      if (this.surface.dim === 2 && this.equal) { // re-equalised in the same box
        const eq = equalise(v, this.geom.box);
        if (!close(eq, v)) {
          Plotly.relayout(this.base, { "xaxis.range": eq.slice(0, 2), "yaxis.range": eq.slice(2) });
          v = eq;
        }
      }
      this.view = v;
      if (this.surface.dim === 1) this.yView = [...yaxis.range].map(Number);
      this.shown = { x: v.slice(0, 2), y: this.surface.dim === 1 ? this.yView : v.slice(2) };
      if (this.last) this.paint();
    }
    // the contours for what is now in view: asked for once the view stops changing
    clearTimeout(this.viewTimer);
    this.viewTimer = setTimeout(() => this.onView(this.view && [...this.view]), VIEW_SETTLE_MS);
    this.zoomOut.show(Boolean(this.view || this.yView));
  }
}
