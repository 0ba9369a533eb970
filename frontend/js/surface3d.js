// The 3-D view: the surface figure's grid as a Plotly `surface`, each run's path lifted onto it
// (z = the loss the server recorded at each point), drawn up to the player's step in the run's
// colour and dash, its current point marked, the minima and the start. It follows the page's
// animation clock: frame(tracks, t) is called with every frame the contour draws, and draws the
// newest one as soon as the last has been drawn (WebGL is slower than the contour's SVG: frames
// are dropped, never queued). Rotate and zoom are Plotly's; the camera is kept across redraws.
//
// Height: `lin` the values; `log` log₁₀(f − f_min + 10⁻³) as the log contours (a valley such as
// Rosenbrock's, whose corners are 10⁴ times its floor); `clip` the values capped at the grid's
// 95th percentile, the cap drawn flat. A path is transformed as the surface is, so it lies on it.

import { colour } from "./palette.js";
import { FIGURE_CONFIG, field, gridCSV, View } from "./views.js";

export const Z_SCALES = ["lin", "log", "clip"];
const Z_NAMES = { lin: "linear", log: "log (f − f_min)", clip: "clipped at the 95th percentile" };
const EPS = 1e-3; // as the contours' log scale (plot.js)
const CLIP_QUANTILE = 0.95;
const HINT = "Drag to rotate, scroll to zoom; the paths move with the player.";
const YIELD = 1; // after a frame that cost c ms, c × YIELD ms for the rest of the page
const MAX_YIELD = 400; // ms
const SURFACE_SCALE = [[0, "#8d97a3"], [0.5, "#cfd5dc"], [1, "#f2f3f5"]];
// scatter3d knows these dashes only; in the order of palette.js's DASHES
const DASHES_3D = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "dash", "dot"];
const SYMBOLS_3D = ["circle", "square", "diamond", "cross", "x", "circle-open", "square-open", "diamond-open"];

// The scale the state asks for, else the surface's: log where its contours are log-spaced.
export function zScale(s, bound) {
  const z = s.td?.z;
  if (Z_SCALES.includes(z)) return z;
  return bound?.log_contours ? "log" : "lin";
}

// f → the height drawn, for one grid (its zmin and, to clip, its 95th percentile).
export function heightOf(scale, grid) {
  if (scale === "log") {
    const lo = grid.zmin;
    return (v) => (v === null || !Number.isFinite(v) ? null : Math.log10(Math.max(v - lo, 0) + EPS));
  }
  if (scale === "clip") {
    const cap = quantile(grid.z.flat(), CLIP_QUANTILE);
    return (v) => (v === null || !Number.isFinite(v) ? null : Math.min(v, cap));
  }
  return (v) => (v === null || !Number.isFinite(v) ? null : v);
}

function quantile(values, q) {
  const v = values.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return Infinity;
  return v[Math.min(v.length - 1, Math.floor(q * (v.length - 1)))];
}

// One run's rows up to step t as one line (rows apart: a null between), its height by `h`.
function lifted(track, t, h) {
  const x = [], y = [], z = [];
  for (const row of track.rows ?? [track]) {
    const n = Math.min(row.path.length, t + 1);
    if (!n) continue;
    if (x.length) { x.push(null); y.push(null); z.push(null); }
    for (let k = 0; k < n; k++) {
      const p = row.path[k];
      x.push(p[0]);
      y.push(p[1]);
      z.push(h(row.loss[k]));
    }
  }
  return { x, y, z };
}

export class Surface3DView extends View {
  title = "3-D surface";

  constructor(ctx, { controls, status, fig }) {
    super(ctx, { status, fig });
    this.base = null; // {grid, scale, key}: what the surface trace shows
    this.pending = null; // the newest frame not yet drawn: {tracks, t, start}
    this.busy = false;
    this.frameTimes = []; // ms per drawn frame (the last 60), for the curious and the bench
    fig.setAttribute("aria-label", "the surface in 3-D with the optimisers' paths on it");
    this.scale = document.createElement("select");
    this.scale.id = "threed-z";
    for (const z of Z_SCALES) this.scale.append(new Option(Z_NAMES[z], z));
    this.scale.addEventListener("change", () => {
      ctx.commit((d) => { d.td = { ...d.td, z: this.scale.value }; }, { ui: true });
    });
    const row = document.createElement("div");
    row.className = "vc-row";
    row.append(field("height", this.scale));
    this.touchRotates = false;
    if (navigator.maxTouchPoints > 0) row.append(this.rotateToggle());
    controls.append(row);
  }

  // Plotly's 3-D camera takes every touch on the scene and cancels the page's scroll with any
  // dragmode, and with staticPlot too: a finger turns the figure only with "rotate" pressed.
  touchMoves() {
    return this.touchRotates;
  }

  // A touch screen's choice: a drag over the figure turns it (pressed) or scrolls the page.
  rotateToggle() {
    const button = document.createElement("button");
    button.type = "button";
    button.id = "threed-rotate";
    button.textContent = "rotate";
    button.title = "a finger's drag over the figure turns it (pressed) or scrolls the page";
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", () => {
      this.touchRotates = !this.touchRotates;
      button.setAttribute("aria-pressed", String(this.touchRotates));
      this.sayHow();
    });
    return button;
  }

  sayHow() {
    if (!navigator.maxTouchPoints) this.say(HINT);
    else if (this.touchRotates) this.say("Touch: a drag turns the figure; press rotate again to scroll the page. The paths move with the player.");
    else this.say("Touch: a drag scrolls the page; press rotate to turn the figure. The paths move with the player.");
  }

  update(s) {
    const bound = this.ctx.bound();
    this.scale.value = zScale(s, bound);
    if (!bound || bound.dim !== 2) {
      this.say("The 3-D view needs a 2-D surface.", "error");
      return;
    }
    this.sayHow();
    this.frame();
  }


  // A frame of the page's animation (none given: the last one again, e.g. a new height scale).
  frame(tracks, t, start) {
    if (tracks) this.pending = { tracks, t, start };
    else if (this.last) this.pending ??= this.last;
    if (!this.busy && this.pending) this.drawPending();
  }

  async drawPending() {
    this.busy = true;
    try {
      while (this.pending) {
        const f = this.pending;
        this.pending = null;
        this.last = f;
        const t0 = performance.now();
        await this.draw(f);
        await nextFrame(); // the scene renders within the next frame: measured once it is over
        await nextFrame();
        const cost = performance.now() - t0;
        this.frameTimes.push(cost);
        if (this.frameTimes.length > 60) this.frameTimes.shift();
        // software WebGL (no GPU) can take a frame's whole budget: leave the page (the
        // contour's own paths, the player) as much time again (a first draw's set-up excepted)
        await new Promise((r) => setTimeout(r, Math.min(YIELD * cost, MAX_YIELD)));
      }
    } finally {
      this.busy = false;
    }
  }

  // A frame: the whole figure when the surface, its scale or the runs' count changed, else only
  // the moving traces (restyle: about half the cost of react, which re-uploads the surface).
  async draw({ tracks, t, start }) {
    const grid = this.ctx.grid();
    const bound = this.ctx.bound();
    if (!grid || !bound || bound.dim !== 2 || !Array.isArray(grid.z[0])) return;
    if (!this.fig.offsetParent) return; // hidden: drawn when shown
    const Plotly = this.full ?? await this.loadPlotly();
    if (!Plotly) return;
    const scale = zScale(this.ctx.state(), bound);
    const big = this.ctx.state().big; // projector mode: type read from the back of a room
    if (!this.base || this.base.grid !== grid || this.base.scale !== scale || this.base.big !== big) {
      this.base = this.makeBase(grid, scale, bound, big);
    }
    const moving = [...tracks.map((tr, i) => this.pathTrace(tr, i, t)), this.headsTrace(tracks, t), this.startMarker(start)];
    const key = `${tracks.length}`;
    if (this.fig.data && this.drawn === this.base && this.drawnKey === key) {
      const at = moving.map((_, k) => k + 1);
      const attrs = ["x", "y", "z", "marker.color", "marker.symbol"];
      const update = Object.fromEntries(attrs.map((a) => [a, moving.map((tr) => pick(tr, a))]));
      await Plotly.restyle(this.fig, update, at);
    } else {
      const traces = [this.base.surface, ...moving, this.base.minima];
      await Plotly.react(this.fig, traces, this.base.layout, { ...FIGURE_CONFIG, scrollZoom: true });
      this.drawn = this.base;
      this.drawnKey = key;
    }
    this.fig.dataset.state = "drawn";
    this.fig.dataset.t = String(t);
  }

  pathTrace(track, i, t) {
    const { x, y, z } = lifted(track, t, this.base.h);
    return {
      type: "scatter3d", mode: "lines", x, y, z, name: track.label || `run ${i + 1}`,
      line: { color: colour(i), width: 6, dash: DASHES_3D[i % DASHES_3D.length] },
      connectgaps: false, hovertemplate: "(%{x:.4g}, %{y:.4g})<extra>%{fullData.name}</extra>",
      meta: { run: i },
    };
  }

  // Each run's current point (none before its first step: no marker).
  headsTrace(tracks, t) {
    const h = this.base.h;
    const heads = tracks.map((tr, i) => {
      const k = Math.min(tr.path.length - 1, t);
      return k >= 0 ? { p: tr.path[k], z: h(tr.loss[k]), i } : null;
    }).filter((q) => q && q.z !== null);
    return {
      type: "scatter3d", mode: "markers", name: "current step", showlegend: false, hoverinfo: "skip",
      x: heads.map((q) => q.p[0]), y: heads.map((q) => q.p[1]), z: heads.map((q) => q.z),
      marker: { size: 5, color: heads.map((q) => colour(q.i)), symbol: heads.map((q) => SYMBOLS_3D[q.i % SYMBOLS_3D.length]),
        line: { color: "#000", width: 1 } },
    };
  }

  makeBase(grid, scale, bound, big = false) {
    const h = heightOf(scale, grid);
    const z = grid.z.map((row) => row.map(h));
    const flat = z.flat().filter((v) => v !== null);
    const zlo = Math.min(...flat), zhi = Math.max(...flat);
    const fmin = (p) => h(valueAt(grid, p));
    const minima = (bound.minima || []).filter((m) => inside(grid, m));
    const surface = {
      type: "surface", x: grid.x, y: grid.y, z, name: "f", showscale: false, colorscale: SURFACE_SCALE,
      opacity: 0.9, hovertemplate: "(%{x:.4g}, %{y:.4g})<extra></extra>",
      contours: { z: { show: true, color: "#5b636d", width: 1, usecolormap: false, highlight: false } },
      lighting: { ambient: 0.75, diffuse: 0.6, specular: 0.05, roughness: 0.9 },
    };
    const ztitle = scale === "log" ? "log₁₀(f − f_min)" : scale === "clip" ? "f (clipped)" : "f";
    const pad = (zhi - zlo) * 0.02 || 1;
    const [titleSize, tickSize] = big ? [20, 16] : [12, 10];
    const axis = (title, range) => ({ title: { text: title, font: { size: titleSize } }, range, showspikes: false,
      backgroundcolor: "#fff", nticks: 6, tickfont: { size: tickSize } });
    const [xr, yr] = [[grid.x[0], grid.x.at(-1)], [grid.y[0], grid.y.at(-1)]];
    const aspect = (yr[1] - yr[0]) / (xr[1] - xr[0]);
    const layout = {
      margin: { l: 0, r: 0, t: 0, b: 0 },
      font: { family: "system-ui, sans-serif", size: titleSize },
      paper_bgcolor: "#fff",
      showlegend: false,
      uirevision: "camera", // the user's rotation and zoom survive every redraw
      scene: {
        xaxis: axis("x", xr), yaxis: axis("y", yr), zaxis: axis(ztitle, [zlo - pad, zhi + pad]),
        aspectmode: "manual",
        aspectratio: { x: 1, y: Math.min(3, Math.max(1 / 3, aspect)), z: 0.7 },
        camera: { eye: { x: -0.8, y: -1.4, z: 2.1 } }, // from high up: a valley's floor in sight
      },
    };
    return {
      grid, scale, big, h, layout, surface,
      minima: {
        type: "scatter3d", mode: "markers", name: "minima", hovertemplate: "minimum (%{x:.4g}, %{y:.4g})<extra></extra>",
        x: minima.map((m) => m[0]), y: minima.map((m) => m[1]), z: minima.map(fmin),
        marker: { size: 6, symbol: "diamond", color: "#fff", line: { color: "#000", width: 2 } },
      },
    };
  }

  startMarker(start) {
    const { grid, h } = this.base;
    const ok = start && inside(grid, start);
    return {
      type: "scatter3d", mode: "markers", name: "start", hoverinfo: "skip",
      x: ok ? [start[0]] : [], y: ok ? [start[1]] : [], z: ok ? [h(valueAt(grid, start))] : [],
      marker: { size: 6, symbol: "circle-open", color: "#000", line: { width: 3 } },
    };
  }

  get plotly() {
    return this.full;
  }

  // Plotly's full bundle (its 3-D traces), loaded when the view first draws; null if it fails.
  async loadPlotly() {
    try {
      this.say("Loading Plotly's 3-D renderer…");
      this.full = await this.ctx.plotly3d();
      this.sayHow();
      return this.full;
    } catch (err) {
      this.say(err.message, "error");
      return null;
    }
  }

  // What is drawn, for tests: each path's points as Plotly was given them, and the scale.
  state() {
    const data = this.fig.data || [];
    return {
      scale: this.base?.scale ?? null,
      paths: data.filter((d) => d.meta && Number.isInteger(d.meta.run))
        .map((d) => ({ run: d.meta.run, x: d.x, y: d.y, z: d.z, color: d.line.color, dash: d.line.dash })),
      frameTimes: [...this.frameTimes],
    };
  }

  csv() {
    const grid = this.base?.grid;
    if (!grid) return null;
    return { name: `descentlab-${this.fileName()}.csv`, text: `# f on the grid the 3-D view draws\n${gridCSV("y \\ x", grid.x, grid.y, (i, j) => grid.z[j][i])}` };
  }

  fileName() {
    return `surface3d-${this.ctx.bound()?.id ?? "surface"}`;
  }
}

// A trace's attribute by its path ("marker.color"), for restyle (single value: the same for all).
const pick = (trace, attr) => attr.split(".").reduce((o, k) => o?.[k], trace) ?? null;

const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));

const inside = (grid, p) => p[0] >= grid.x[0] && p[0] <= grid.x.at(-1) && p[1] >= grid.y[0] && p[1] <= grid.y.at(-1);

// f at p, bilinear on the grid (a marker's height; paths use the server's values).
function valueAt(grid, p) {
  const cell = (axis, v) => {
    const n = axis.length - 1;
    const u = ((v - axis[0]) / (axis[n] - axis[0])) * n;
    const k = Math.min(n - 1, Math.max(0, Math.floor(u)));
    return [k, u - k];
  };
  const [i, a] = cell(grid.x, p[0]);
  const [j, b] = cell(grid.y, p[1]);
  const z = (jj, ii) => grid.z[jj][ii];
  const corners = [z(j, i), z(j, i + 1), z(j + 1, i), z(j + 1, i + 1)];
  if (corners.some((v) => v === null)) return corners.find((v) => v !== null) ?? null;
  return (1 - b) * ((1 - a) * corners[0] + a * corners[1]) + b * ((1 - a) * corners[2] + a * corners[3]);
}
