// The surface figure: contours of a 2-D surface (log-scaled levels when it asks, or at the
// heights a preset gives), or the curve of a 1-D one, with the known minima, a draggable start
// marker and the optimisers' paths up to the player's step. onStart(point) and onView(range |
// null) report what the user did.
//
// Two Plotly figures stacked in one box, with the same size, margins and axis ranges:
// underneath (`base`, static) the filled contours and colour bar, redrawn only when the surface,
// its grid, the view or the projector mode change; on top (`el`, transparent, interactive) the
// paths, minima, start marker and legend. A path update redraws only the top: finding 28 contour
// levels on the grid, and laying out tick labels, cost far more than the paths (measured in
// bench/browser.py). Long paths are thinned for drawing (thin.js). The surface itself answers
// the pointer without Plotly: a readout of (x, y, f) from the grid under the pointer, and
// clicks on the plot area read from the axes.

import { colour, dash, symbol, CONFIG as TOOLBAR } from "./palette.js";
import { patchKey, planPatch, applyPatch } from "./svgpatch.js";
import { DRAW_ALL_UP_TO, thinIndices, prefix, scale } from "./thin.js";

const EPS = 1e-3;
const MARKERS_UP_TO = 300;
const WIDE = 440; // px: a figure narrower has no legend (the status table under it is one) // a dot per step on shorter paths (thousands of SVG dots are slow)
// A second click this soon after a first is a double-click (Plotly's, which resets the view).
const DOUBLE_CLICK_MS = 300;
const VIEW_SETTLE_MS = 120; // a new view's grid is asked for once the view rests this long
const CONFIG = { ...TOOLBAR, edits: { shapePosition: true }, doubleClickDelay: DOUBLE_CLICK_MS };

function transform(grid, log) {
  if (!log) return { z: grid.z, title: "f" };
  const zmin = grid.zmin;
  const z = grid.z.map((row) => row.map((v) => (v === null ? null : Math.log10(v - zmin + EPS))));
  const hi = Math.ceil(Math.log10(Math.max(grid.zmax - zmin, EPS) + EPS));
  const tickvals = [];
  for (let k = Math.log10(EPS); k <= hi; k++) tickvals.push(k);
  const ticktext = tickvals.map((k) => `1e${k}`);
  return { z, title: "f − f<sub>min</sub> (log)", tickvals, ticktext };
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

export class SurfacePlot {
  constructor(base, el, { onStart, onView, onInspect }) {
    this.base = base;
    this.el = el;
    this.baseKey = null;
    this.onStart = onStart;
    this.onInspect = onInspect;
    this.inspecting = false; // a plain click inspects instead of moving the start
    this.onView = onView;
    this.surface = null;
    this.grid = null;
    this.ready = false;
    this.thinned = new WeakMap(); // a path row -> the points of it drawn (see rowPoints)
    this.equal = false; // one unit as long on y as on x (set by the caller before drawing)
  }

  // levels: the contour heights to draw (a preset's, the notes' own), or null: Plotly's.
  setSurface(surface, grid, view, levels = null) {
    this.surface = surface;
    this.grid = grid;
    this.view = view;
    this.levels = levels;
    this.yRange = null;
    this.under = surface.dim === 1 ? this.curveTraces() : this.contourTraces();
    this.baseKey = null;
  }

  // The same box on both figures: fixed margins, the top one with room for one row of the top
  // figure's legend (41 / 46 px: what Plotly asks for a row at font 12 / 16), so the contours
  // are drawn once. A second legend row pushes the top figure's margin, and the figure
  // underneath then copies it (`pushed`) — a second draw of the contours.
  margin(big, pushed = null) {
    const cbar = this.surface && this.surface.dim === 2;
    const t = this.legend() ? (big ? 46 : 41) : big ? 44 : 32;
    return { l: big ? 70 : 55, r: cbar ? (big ? 128 : 86) : 10, t: pushed ?? t,
      b: big ? 60 : 45, autoexpand: false };
  }

  // On phones the table under the plot is the legend.
  legend() {
    if (this.wide === undefined) this.wide = this.el.clientWidth > WIDE;
    return this.wide;
  }

  // The figure underneath: contours and colour bar (or the 1-D curve), axes hidden (the top
  // figure draws them). Redrawn only when what it shows changes.
  drawBase(big) {
    const key = JSON.stringify([this.range(), big, this.pushed, this.legend(), this.levels,
      this.equal]);
    if (key === this.baseKey && this.base.data) return;
    this.baseKey = key;
    const { xaxis, yaxis } = this.axes();
    const layout = {
      font: { size: big ? 20 : 13, family: "system-ui, sans-serif" },
      margin: this.margin(big, this.pushed),
      xaxis: { ...xaxis, fixedrange: true },
      yaxis: { ...yaxis, fixedrange: true },
      showlegend: false,
      plot_bgcolor: "#fff",
      paper_bgcolor: "rgba(0,0,0,0)",
    };
    Plotly.react(this.base, this.under, layout, { staticPlot: true, responsive: false });
  }

  // The axes, drawn underneath (tick labels are costly to lay out on every path update).
  axes() {
    const one = this.surface.dim === 1;
    const rng = this.range();
    const [xLabel, yLabel] = this.surface.labels || ["x", "y"]; // θ₀, θ₁ for regression
    // equal scale: the plot area shrinks to fit (constrain: "domain"), the ranges stay the view's
    const equal = !one && this.equal;
    return {
      xaxis: { range: rng.x, title: { text: xLabel }, zeroline: false, showgrid: one,
        ...(equal ? { constrain: "domain" } : {}) },
      yaxis: one
        ? { title: { text: `f(${xLabel})` }, range: this.curveRange(), zeroline: false }
        : { range: rng.y, title: { text: yLabel }, zeroline: false, showgrid: false,
          ...(equal ? { scaleanchor: "x", scaleratio: 1, constrain: "domain" } : {}) },
    };
  }

  // An axis's scale constraints alone (the top figure's axes draw nothing else).
  static scaleOf({ scaleanchor, scaleratio, constrain }) {
    const all = { scaleanchor, scaleratio, constrain };
    return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
  }

  resize() {
    this.baseKey = null;
    this.wide = this.el.clientWidth > WIDE;
    if (this.base.data) Plotly.Plots.resize(this.base);
    if (this.el.data) Plotly.Plots.resize(this.el);
  }

  // The axis ranges shown: the view, else the surface's domain. Fresh arrays: Plotly writes a
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
      ncontours: 28, connectgaps: false,
      colorscale: [[0, "#b8bcc2"], [0.5, "#e3e5e8"], [1, "#ffffff"]],
      contours: { coloring: "fill", showlines: true },
      line: { color: "rgba(20,24,30,0.45)", width: 0.7 },
      colorbar: {
        title: { text: t.title, side: "right" }, thickness: 12, len: 0.9, x: 1, xpad: 8,
        tickvals: t.tickvals, ticktext: t.ticktext, outlinewidth: 0,
      },
      hoverinfo: "skip",
    };
    if (this.levels) { // the given heights are the lines; the fill only shades
      contour.contours.showlines = false;
      contour.line = { width: 0 };
    }
    this.minima = {
      type: "scatter", mode: "markers", name: "minimum",
      x: this.surface.minima.map((m) => m[0]), y: this.surface.minima.map((m) => m[1]),
      marker: { symbol: "star", size: 15, color: "#ffffff", line: { color: "#000", width: 1.5 } },
      hovertemplate: "minimum (%{x:.3g}, %{y:.3g})<extra></extra>",
    };
    return this.levels ? [contour, ...levelTraces(g, this.levels)] : [contour];
  }

  curveTraces() {
    const g = this.grid;
    const curve = {
      type: "scatter", mode: "lines", x: g.x, y: g.z, name: "f", showlegend: false,
      line: { color: "#555", width: 2 }, hoverinfo: "skip",
    };
    this.minima = {
      type: "scatter", mode: "markers", name: "minimum",
      x: this.surface.minima.map((m) => m[0]),
      y: this.surface.minima.map((m) => interp(g, m[0])),
      marker: { symbol: "star", size: 15, color: "#ffffff", line: { color: "#000", width: 1.5 } },
      hovertemplate: "minimum x=%{x:.3g}<extra></extra>",
    };
    return [curve];
  }

  // tracks: [{rows: [{path, loss}], best, label}], t: the player's step, start: the start
  // point; extra.inspect: a point to mark.
  draw(tracks, t, start, big = false, extra = {}) {
    if (!this.surface) return;
    this.drawBase(big);
    const one = this.surface.dim === 1;
    const traces = [this.minima];
    const rng = this.range();
    tracks.forEach((tr, i) => {
      const rows = tr.rows || [tr];
      const best = tr.best ?? 0;
      const many = rows.length > 1;
      // restarts first (thin, light), the best row last so it lies on top
      const order = rows.map((_, r) => r).filter((r) => r !== best);
      if (rows[best]) order.push(best);
      for (const r of order) {
        const row = rows[r];
        const emph = r === best;
        const n = Math.min(row.path.length, t + 1);
        const steps = this.rowPoints(row, n, one, rng); // (null: every point)
        const m = steps ? steps.length : n;
        const xs = new Array(m), ys = new Array(m);
        for (let j = 0; j < m; j++) {
          const k = steps ? steps[j] : j;
          xs[j] = row.path[k][0];
          ys[j] = one ? row.loss[k] : row.path[k][1];
        }
        const name = emph ? tr.label : `${tr.label}, restart ${r}`;
        const dots = one || n <= MARKERS_UP_TO;
        const what = many ? (r === 0 ? " (start given)" : ` (restart ${r})`) + (emph ? " best" : "") : "";
        traces.push({
          type: "scatter", mode: emph ? (one ? "lines+markers+text" : dots ? "lines+markers" : "lines") : "lines",
          x: xs, y: ys, name, legendgroup: `o${i}`, showlegend: emph,
          opacity: emph ? 1 : 0.55,
          line: { color: colour(i), width: emph ? (big ? 3.5 : 2.2) : big ? 1.8 : 1.1, dash: dash(i) },
          marker: { color: colour(i), symbol: symbol(i), size: one ? (big ? 10 : 8) : big ? 5 : 3.5 },
          text: emph && one ? numbers(xs, rng.x, steps) : undefined, textposition: "top center",
          textfont: { color: colour(i), size: big ? 16 : 11 },
          customdata: steps ?? undefined, // a thinned path's step numbers
          hovertemplate: `${tr.label}${what}<br>step %{${steps ? "customdata" : "pointNumber"}}<br>(%{x:.4g}${one ? "" : ", %{y:.4g}"})<extra></extra>`,
          cliponaxis: true,
          meta: { run: i, row: r, best: emph },
        });
        if (n) {
          traces.push({
            type: "scatter", mode: "markers", x: [xs[m - 1]], y: [ys[m - 1]], showlegend: false,
            legendgroup: `o${i}`, hoverinfo: "skip", opacity: emph ? 1 : 0.7,
            marker: { color: colour(i), symbol: symbol(i), size: emph ? (big ? 16 : 12) : big ? 9 : 7,
              line: { color: "#fff", width: emph ? 2 : 1 } },
          });
        }
        if (n && many && emph) { // where the best row started
          traces.push({
            type: "scatter", mode: "markers", x: [xs[0]], y: [ys[0]], showlegend: false,
            legendgroup: `o${i}`, name: "best start",
            marker: { symbol: "diamond", color: colour(i), size: big ? 17 : 13, line: { color: "#000", width: 1.5 } },
            hovertemplate: `${tr.label}: start of the best row (${r === 0 ? "the start given" : `restart ${r}`})<extra></extra>`,
          });
        }
      }
    });
    if (extra.inspect) {
      const [ix, iy] = extra.inspect;
      traces.push({
        type: "scatter", mode: "markers", x: [ix], y: [one ? interp(this.grid, ix) : iy],
        showlegend: false, name: "inspected", hoverinfo: "skip",
        marker: { symbol: "x-thin", size: big ? 20 : 15, line: { color: "#000", width: 3 } },
      });
    }
    const font = { size: big ? 20 : 13, family: "system-ui, sans-serif" };
    const startShape = one
      ? { type: "line", xref: "x", yref: "paper", x0: start[0], x1: start[0], y0: 0, y1: 1,
          line: { color: "#000", width: 2, dash: "dot" }, editable: true, name: "start" }
      : { type: "circle", xref: "x", yref: "y", xsizemode: "pixel", ysizemode: "pixel",
          xanchor: start[0], yanchor: start[1], x0: -9, x1: 9, y0: -9, y1: 9,
          line: { color: "#000", width: 2.5 }, fillcolor: "rgba(255,255,255,0.85)",
          editable: true, name: "start" };
    const { xaxis, yaxis } = this.axes();
    const layout = {
      font,
      margin: { ...this.margin(big), autoexpand: true },
      xaxis: { range: xaxis.range, visible: false, ...SurfacePlot.scaleOf(xaxis) },
      yaxis: { range: yaxis.range, visible: false, ...SurfacePlot.scaleOf(yaxis) },
      showlegend: this.legend(),
      legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom", font: { size: big ? 16 : 12 } },
      hovermode: "closest",
      shapes: [startShape],
      dragmode: "zoom",
      plot_bgcolor: "rgba(0,0,0,0)",
      paper_bgcolor: "rgba(0,0,0,0)",
    };
    // A draw that only moves or replaces the paths patches the SVG Plotly drew (see patch())
    // instead of a Plotly.react, which plots the whole figure again: ~15-20 ms for one path on
    // the bench machine, ~60 ms a frame for five while playing. extra.patch: null (a full draw),
    // "grow" (playing: the run drawn last, one step on, so the dots already drawn stay) or "any"
    // (new paths, e.g. a slider's new run). gd.data is set as Plotly.react would set it (the
    // export and the tests read it); Plotly's own derived state (hover, the legend's layout)
    // waits for the next full draw, which the caller makes once nothing newer waits.
    const key = patchKey(traces, layout);
    const run = extra.run ?? null;
    const mode = extra.patch ?? null;
    if (mode && key === this.key && (mode === "any" || run === this.run)
      && this.patch(traces, mode === "grow")) {
      this.run = run;
      this.el.data = traces;
      return "patched";
    }
    this.run = run;
    this.key = key;
    Plotly.react(this.el, traces, layout, CONFIG);
    // (rounded: Plotly's pushed margin can be a fraction of a pixel off from one draw to the next)
    const top = this.el._fullLayout && Math.round(this.el._fullLayout._size.t);
    if (top && top !== (this.pushed ?? layout.margin.t)) {
      this.pushed = top === layout.margin.t ? null : top;
      this.drawBase(big);
    }
    if (!this.ready) {
      this.ready = true;
      this.listen();
    }
    return "drawn";
  }

  // Which of a row's first n points to draw (thin.js), or null for all of them. A row is
  // thinned whole once per length and view; while playing, a frame draws a prefix of that
  // with its current point.
  rowPoints(row, n, one, rng) {
    if (n <= DRAW_ALL_UP_TO) return null;
    const len = row.path.length;
    const yr = one ? (this.yRange ??= this.curveRange()) : rng.y;
    const key = `${len} ${rng.x} ${yr}`;
    let c = this.thinned.get(row);
    if (!c || c.key !== key) {
      const xs = new Array(len), ys = new Array(len);
      for (let k = 0; k < len; k++) {
        xs[k] = row.path[k][0];
        ys[k] = one ? row.loss[k] : row.path[k][1];
      }
      c = { key, full: thinIndices(xs, ys, scale(...rng.x), scale(...yr)) };
      this.thinned.set(row, c);
    }
    return c.full ? prefix(c.full, n) : null;
  }

  // Move the drawn paths to `traces` (the same traces as the last full draw but for their
  // points and names) by editing Plotly's SVG (svgpatch.js), the legend's labels included.
  // False, untouched, when Plotly would draw something else (see planPatch; legend entries
  // whose widths change beside others, or a legend that would no longer fit): the caller then
  // draws with Plotly.
  patch(traces, grow) {
    const jobs = planPatch(this.el, traces);
    if (!jobs) return false;
    const labels = this.relabel(traces);
    const width = labels && this.legendWidth(labels);
    if (!labels || width === null) return false;
    for (const [text, name] of labels) {
      text.textContent = name;
      text.setAttribute("data-unformatted", name);
    }
    // the legend's box and the clip of its entries, as wide as its labels now are
    if (width) for (const rect of this.legendBoxes()) rect.setAttribute("width", width);
    applyPatch(jobs, grow);
    return true;
  }

  // The legend labels that change with `traces`, as [text element, new label, the label Plotly
  // laid out]; null when Plotly has to lay the legend out again: a label that is not plain text,
  // or one with entries after it in the row (they would have to move).
  relabel(traces) {
    const items = [...this.el.querySelectorAll(".legend .traces")];
    const changes = [];
    for (const [i, item] of items.entries()) {
      const tr = item.__data__ && item.__data__[0] && item.__data__[0].trace;
      const text = item.querySelector("text.legendtext");
      const name = tr && traces[tr.index] ? traces[tr.index].name : undefined;
      if (!text || typeof name !== "string") return null;
      if (text.getAttribute("data-unformatted") === name) continue;
      if (i < items.length - 1 || /[<>&]/.test(name) || text.childElementCount) return null;
      changes.push([text, name, tr.name]);
    }
    return changes;
  }

  // The legend's width once `labels` are shown (0: no label changes), or null when the legend
  // would no longer end inside the figure: its width as Plotly laid it out, grown by how much
  // wider the new labels are than the ones it laid out, measured on a canvas in the legend's
  // font. (Reading the drawn SVG's size instead makes the browser lay the page out there and
  // then, 1-2.5 ms of each slider step, and again once patched.)
  legendWidth(labels) {
    const legend = this.el.querySelector(".legend");
    const fl = this.el._fullLayout;
    if (!labels.length || !legend) return 0;
    const left = /^translate\(\s*([-\d.e]+)/.exec(legend.getAttribute("transform") || "");
    if (!left || !fl.legend || !(fl.legend._width > 0) || this.legendBoxes().length !== 2) return null;
    this.ruler ??= document.createElement("canvas").getContext("2d");
    let grow = 0;
    for (const [text, name, drawn] of labels) {
      this.ruler.font = `${text.style.fontSize} ${text.style.fontFamily}`;
      grow += this.ruler.measureText(name).width - this.ruler.measureText(drawn).width;
    }
    const width = Math.ceil(fl.legend._width + Math.max(0, grow));
    return Number(left[1]) + width <= fl.width ? width : null;
  }

  // The legend's background and the rectangle its entries are clipped to.
  legendBoxes() {
    const bg = this.el.querySelector(".legend rect.bg");
    const clip = /url\("?#([^")]+)"?\)/.exec(this.el.querySelector(".legend .scrollbox")?.getAttribute("clip-path") || "");
    const rect = clip && this.el.querySelector(`clipPath[id="${clip[1]}"] rect`);
    return [bg, rect].filter(Boolean);
  }

  // The data point under a pointer event on the plot area, or null outside it.
  pointAt(ev) {
    const fl = this.el._fullLayout;
    const drag = this.el.querySelector(".nsewdrag");
    if (!fl || !drag) return null;
    const box = drag.getBoundingClientRect();
    const px = ev.clientX - box.left, py = ev.clientY - box.top;
    if (px < 0 || py < 0 || px > box.width || py > box.height) return null;
    const x = fl.xaxis.p2d(px);
    return this.surface.dim === 1 ? [x] : [x, fl.yaxis.p2d(py)];
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

  readout(p) {
    let r = this.el.parentElement.querySelector(".readout");
    if (!r) {
      r = document.createElement("div");
      r.className = "readout";
      r.setAttribute("aria-hidden", "true");
      this.el.parentElement.append(r);
    }
    r.hidden = !p;
    if (!p) return;
    const m = this.margin(document.body.classList.contains("projector"), this.pushed);
    r.style.left = `${m.l + 6}px`;
    r.style.top = `${m.t + 4}px`;
    const f = this.valueAt(p);
    const fmt = (v) => (v === null || v === undefined ? "—" : Number(v.toPrecision(4)));
    r.textContent = p.length === 1 ? `x = ${fmt(p[0])}, f = ${fmt(f)}`
      : `x = ${fmt(p[0])}, y = ${fmt(p[1])}, f = ${fmt(f)}`;
  }

  listen() {
    const el = this.el;
    // A click on the plot area (no drag) moves the start, or inspects the point, once no second
    // click has followed it: a double-click only resets the view (Plotly does that).
    let down = null;
    let pending = null; // {timer, x, y}: a click waiting to see whether it is the first of two
    el.addEventListener("pointerdown", (ev) => {
      const onArea = ev.button === 0 && ev.target.classList && ev.target.classList.contains("nsewdrag");
      down = onArea ? { x: ev.clientX, y: ev.clientY, t: performance.now() } : null;
    }, true);
    window.addEventListener("pointerup", (ev) => {
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
    el.addEventListener("mousemove", (ev) => this.readout(this.pointAt(ev)));
    el.addEventListener("mouseleave", () => this.readout(null));
    el.on("plotly_relayout", (ev) => {
      const keys = Object.keys(ev || {});
      const shape = keys.find((k) => k.startsWith("shapes[0]"));
      if (shape) {
        const s = el.layout.shapes[0];
        if (this.surface.dim === 1) this.onStart([Number(s.x0)]);
        else this.onStart([Number(s.xanchor), Number(s.yanchor)]);
        return;
      }
      if (keys.some((k) => k.startsWith("xaxis") || k.startsWith("yaxis"))) {
        if (ev["xaxis.autorange"] || ev["yaxis.autorange"]) {
          // Autoscale (or a double-click) goes home: the surface's domain, whose grid is its
          // own, rather than Plotly's fit to the paths over a grid made for another view.
          this.view = null;
          this.baseKey = null;
          this.key = null; // the next draw sets the ranges again
        } else {
          const { xaxis, yaxis } = el.layout; // Plotly writes the new ranges into the layout
          const v = this.surface.dim === 1 ? [...xaxis.range] : [...xaxis.range, ...yaxis.range];
          this.view = v.map(Number);
          this.followView();
        }
        // the contours for what is now in view: asked for once the view stops changing
        clearTimeout(this.viewTimer);
        this.viewTimer = setTimeout(() => this.onView(this.view && [...this.view]), VIEW_SETTLE_MS);
      }
    });
    // While panning or zooming, the contours underneath follow (once a frame).
    el.on("plotly_relayouting", () => {
      if (this.following) return;
      this.following = requestAnimationFrame(() => {
        this.following = null;
        this.followView();
      });
    });
  }

  // Move the figure underneath to the top figure's axis ranges (before the new grid arrives).
  followView() {
    const fl = this.el._fullLayout;
    if (!fl || !this.base.data) return;
    const upd = { "xaxis.range": [...fl.xaxis.range] };
    if (this.surface.dim === 2) upd["yaxis.range"] = [...fl.yaxis.range];
    this.baseKey = null;
    Plotly.relayout(this.base, upd);
  }
}
