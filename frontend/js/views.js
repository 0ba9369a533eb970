// The views beside the surface (the sweep heatmap, the basin map, the 3-D surface, the
// derivatives): one open at a time, named by the state's `show` (so a link opens it), each a
// module of its own extending View (below) with the same interface:
//   new View(ctx, {controls, status, fig})  build its controls into `controls`
//   .update(state)   show the state: settings, and a new request when what it asks for changed
//   .csv()           {name, text}: the grid it shows, with its axes; or null before one arrives
//   .fileName()      what its PNG is called
//   .frame(tracks, t, start)  optional: a view that draws the runs gets every animation frame
// This module switches them, owns the panel's buttons (open, close, PNG, CSV) and the grid
// cursor the figures share (arrow keys move it, Enter picks the cell, as a click does).

import { ApiError } from "./api.js";
import { exportFigurePNG, saveText } from "./export.js";
import { CONFIG, scrollPastOnTouch } from "./palette.js";

const el = (tag, cls) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return e;
};

export class Views {
  // root: the panel (#viewpanel); buttons: {sweep: <button>, basins: <button>} in the header;
  // kinds: {sweep: SweepView, basins: BasinView}; ctx: what the views read from the page
  // (catalog, commit, runBody, bound, ready); onLayout(): the panel opened or closed.
  constructor({ root, buttons, kinds, ctx, onLayout }) {
    this.root = root;
    this.buttons = buttons;
    this.onLayout = onLayout;
    this.shown = null;
    this.views = {};
    this.title = root.querySelector("#view-title");
    const bodies = root.querySelector("#view-bodies");
    for (const [kind, View] of Object.entries(kinds)) {
      const body = el("div", "view-body");
      body.dataset.view = kind;
      body.hidden = true;
      const controls = el("div", "view-controls");
      const status = el("p", "view-status");
      status.setAttribute("role", "status");
      const fig = el("div", "view-fig");
      fig.id = `${kind}-fig`;
      fig.tabIndex = 0;
      fig.setAttribute("role", "figure");
      body.append(controls, status, fig);
      bodies.append(body);
      this.views[kind] = { view: new View(ctx, { controls, status, fig }), body };
      buttons[kind].addEventListener("click", () => {
        const open = this.shown === kind ? null : kind;
        ctx.commit((d) => { d.show = open; }, { ui: true });
      });
    }
    root.querySelector("#view-close").addEventListener("click", () => {
      const opener = this.buttons[this.shown];
      ctx.commit((d) => { d.show = null; }, { ui: true });
      opener?.focus();
    });
    root.querySelector("#view-png").addEventListener("click", () => {
      const v = this.active;
      if (v && v.fig.data) exportFigurePNG(v.fig, v.fileName(), v.plotly);
    });
    root.querySelector("#view-csv").addEventListener("click", () => {
      const table = this.active?.csv();
      if (table) saveText(table.text, table.name, "text/csv");
    });
    const owner = new Map(Object.values(this.views).map(({ view }) => [view.fig, view]));
    const resizer = new ResizeObserver((entries) => {
      for (const { target } of entries) {
        const plotly = owner.get(target).plotly;
        if (plotly && target.data && target.offsetParent) plotly.Plots.resize(target);
      }
    });
    for (const fig of owner.keys()) resizer.observe(fig);
  }

  get active() {
    return this.shown ? this.views[this.shown].view : null;
  }

  // A frame of the page's animation: the runs and the player's step, for a view that draws them.
  frame(tracks, t, start) {
    this.active?.frame?.(tracks, t, start);
  }

  update(state) {
    const kind = this.views[state.show] ? state.show : null;
    for (const [k, b] of Object.entries(this.buttons)) b.setAttribute("aria-pressed", String(k === kind));
    if (kind !== this.shown) {
      for (const [k, { body }] of Object.entries(this.views)) body.hidden = k !== kind;
      this.root.hidden = !kind;
      this.shown = kind;
      if (kind) this.title.textContent = this.views[kind].view.title;
      this.onLayout();
    }
    if (kind) this.views[kind].view.update(state);
  }
}

// The figure of a view: its layout's common parts, and Plotly's tool bar as the page's.
// What every view is built with (by Views, above): the page's context, its figure and its
// status line, which say() writes (the same text is not written again: a screen reader would read
// it out again) and refused() fills with the server's refusal (anything else is a bug: thrown).
export class View {
  constructor(ctx, { status, fig }) {
    this.ctx = ctx;
    this.fig = fig;
    this.status = status;
    // a finger's drag over the figure scrolls the page (a tap still picks a cell)
    scrollPastOnTouch(fig, () => this.touchMoves());
  }

  // Whether a finger's drag moves the figure (zoom, pan, a camera) rather than the page.
  touchMoves() {
    return false;
  }

  // The Plotly that draws this view's figure (the page's, once loaded).
  get plotly() {
    return window.Plotly;
  }

  say(text, kind = "") {
    if (this.status.textContent !== text) this.status.textContent = text;
    this.status.dataset.kind = kind;
  }

  refused(err) {
    if (!(err instanceof ApiError)) throw err;
    this.fig.dataset.state = "error";
    this.say(err.message + (err.field ? ` (${err.field})` : ""), "error");
  }
}

// The data points every step of a sweep or basin map sums over on the bound surface: n for a
// data-fit loss that is not least squares (the server steps least squares by its exact
// quadratic expansion, at a cost that does not grow with n), else 0.
export const summedPerStep = (bound) => (bound && bound.data_size && !bound.quadratic ? bound.data_size : 0);

// The largest n × n grid of runs whose grid × steps × data points is within the server's
// max_data_fit_work (GET /api/limits) on the bound surface, or Infinity where no such limit
// applies; below 2 the server refuses even the smallest grid, in words the view shows.
export function dataFitGrid(limits, steps, bound) {
  const n = summedPerStep(bound);
  return n ? Math.floor(Math.sqrt(limits.max_data_fit_work / (steps * n))) : Infinity;
}

// The status's note on a grid the data limit holds down, or "".
export const dataFitNote = (set, bound) => (set.dataCapped
  ? ` (${set.limit} × ${set.limit} at most here: every step sums over the ${summedPerStep(bound).toLocaleString("en")} data points)`
  : "");

export const FIGURE_CONFIG = { ...CONFIG, responsive: false, doubleClick: false, scrollZoom: false };
const TOOLBAR_PX = 30; // Plotly's tool bar's strip at the figure's top
// height: the figure's (px). The legend starts under the tool bar's strip, not beneath it.
// big: projector mode's larger type (read from the back of a room).
export function baseLayout(xaxis, yaxis, height, big = false) {
  return {
    margin: { l: big ? 72 : 58, r: 10, t: 10, b: big ? 52 : 40 },
    xaxis: { ...xaxis, automargin: true, showgrid: false, zeroline: false },
    yaxis: { ...yaxis, automargin: true, showgrid: false, zeroline: false },
    legend: { orientation: "h", yref: "container", y: height > TOOLBAR_PX ? 1 - TOOLBAR_PX / height : 1,
      yanchor: "top", x: 0, font: { size: big ? 15 : 11 } },
    font: { family: "system-ui, sans-serif", size: big ? 17 : 12 },
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff",
    hoverlabel: { namelength: -1 },
  };
}

// A legend entry for what a heatmap draws in one colour (a trace with no points).
export const legendSwatch = (name, colour) => ({
  type: "scatter", mode: "markers", x: [null], y: [null], name, showlegend: true,
  hoverinfo: "skip", marker: { symbol: "square", size: 12, color: colour, line: { color: "#555", width: 1 } },
});

// A discrete colour scale for the integers lo..hi of a heatmap (zmin lo - 0.5, zmax hi + 0.5).
export function bands(colours) {
  const n = colours.length;
  return colours.flatMap((c, k) => [[k / n, c], [(k + 1) / n, c]]);
}

// A view's control with its label before it.
export function field(label, input) {
  const wrap = document.createElement("label");
  wrap.className = "vc";
  const span = document.createElement("span");
  span.textContent = label;
  wrap.append(span, input);
  return wrap;
}

// Keyboard for a grid figure: arrows move a cursor cell (shift: 10 cells), Enter or space picks
// it. get(): {nx, ny} of the grid shown (or null); show(i, j): draw the cursor; pick(i, j).
export function gridKeys(fig, { get, show, pick }) {
  let at = null;
  fig.addEventListener("keydown", (e) => {
    const g = get();
    if (!g) return;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowDown: [0, -1], ArrowUp: [0, 1] };
    if (e.key in moves) {
      e.preventDefault();
      e.stopPropagation(); // (the page's arrows step the animation)
      at ??= [g.nx >> 1, g.ny >> 1];
      const k = e.shiftKey ? 10 : 1;
      at = [Math.min(g.nx - 1, Math.max(0, at[0] + k * moves[e.key][0])),
        Math.min(g.ny - 1, Math.max(0, at[1] + k * moves[e.key][1]))];
      show(...at);
    } else if ((e.key === "Enter" || e.key === " ") && at) {
      e.preventDefault();
      e.stopPropagation();
      pick(...at);
    }
  });
  return { reset: () => { at = null; } };
}

// The cell a Plotly click landed on: [i, j] (column, row) of the heatmap over `x` and `y`; a
// marker drawn over the heatmap (a minimum, the start) answers for the cell under it.
export function clickedCell(ev, x, y) {
  const p = ev.points.find((q) => Array.isArray(q.pointNumber));
  if (p) return [p.pointNumber[1], p.pointNumber[0]];
  const q = ev.points.find((r) => Number.isFinite(r.x) && Number.isFinite(r.y));
  if (!q) return null;
  const nearest = (values, v) => values.reduce((best, w, k) => (Math.abs(w - v) < Math.abs(values[best] - v) ? k : best), 0);
  return [nearest(x, q.x), nearest(y, q.y)];
}

// A grid as CSV: a header of x values (after `corner`), then one line per y value.
export function gridCSV(corner, x, y, cell) {
  const esc = (v) => (v === null || v === undefined ? "" : String(v));
  const lines = [[corner, ...x].map(esc).join(",")];
  for (let j = 0; j < y.length; j++) lines.push([y[j], ...x.map((_, i) => cell(i, j))].map(esc).join(","));
  return lines.join("\n") + "\n";
}

// Steps that take effect only while no newer run() has begun: run(steps) awaits each step in
// order, passing it live() (whether it is still the newest); answers whether it stayed so.
// (The sweep and basin views start every request of a change at once, the coarse grid's and
// the full one's, and draw each in order: the full grid computes while the coarse one is drawn.)
export class Latest {
  constructor() {
    this.token = 0;
  }

  async run(steps) {
    const token = ++this.token;
    const live = () => token === this.token;
    for (const step of steps) {
      if (!live()) return false;
      await step(live);
    }
    return live();
  }
}
