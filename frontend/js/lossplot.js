// Loss against step for every optimiser, up to the player's step. When the surface's minimum
// value is known (and the runs are not minibatch runs, whose losses are on other scales), the
// curve is the gap f − f_min, on a log axis: every curve falls towards 0 at its own rate, where a
// negative minimum would have flattened them onto a linear axis. Otherwise the loss itself, on a
// log axis when every loss shown is positive. `log: false` asks for a linear axis.
// Minibatch runs add the minibatch loss each step saw, dotted and thinner, and epoch boundaries
// (simulated gradient noise leaves the loss exact, so it adds nothing here). The server records
// the minibatch loss on the full loss's scale: on a loss summed over n samples (`sumOf` = n)
// that is n times the batch's mean, and the figure says so.
// With restarts the curve is the best row's (row 0 while streaming). Long curves are thinned for
// drawing (thin.js).
//
// Like the surface figure, two stacked Plotly figures: the axes underneath (`base`, static),
// redrawn only when their ranges change, and the curves on top (`el`). The ranges are rounded
// (whole decades on a log axis) so that a slider drag seldom moves them, and the curves on top
// are then patched into the SVG Plotly drew (svgpatch.js) rather than drawn again.

import { colour, dash, CONFIG } from "./palette.js";
import { patchKey, planPatch, applyPatch } from "./svgpatch.js";
import { DRAW_ALL_UP_TO, thinIndices, scale } from "./thin.js";

// The steps of a curve's first n values to draw: null for all of them, else thinned (thin.js)
// on the plot's scales, step against loss (its log on a log axis).
function drawnSteps(values, n, log) {
  if (n <= DRAW_ALL_UP_TO) return null;
  const xs = new Array(n), ys = new Array(n);
  let lo = Infinity, hi = -Infinity;
  for (let k = 0; k < n; k++) {
    const v = values[k] ?? null;
    const y = v === null ? null : log ? (v > 0 ? Math.log10(v) : null) : v;
    xs[k] = k;
    ys[k] = y;
    if (Number.isFinite(y)) {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  }
  return thinIndices(xs, ys, scale(0, n - 1), scale(lo, hi));
}

// A curve's x (steps) and y for its first n values: every one, or the thinned ones.
function curve(values, n, log) {
  const steps = drawnSteps(values, n, log);
  if (!steps) return { x: Array.from({ length: n }, (_, k) => k), y: values.slice(0, n) };
  return { x: steps, y: steps.map((k) => values[k] ?? null) };
}

// f − f_min for each value (a gap at or below 0, a last bit under the minimum's own value, drawn
// at `floor`: the minimum reached to machine precision), kept per series while it is the same.
const gaps = new WeakMap();
function gap(values, fmin) {
  const c = gaps.get(values);
  if (c && c.fmin === fmin && c.n === values.length) return c.out;
  const floor = 1e-16 * Math.max(1, Math.abs(fmin));
  const out = values.map((v) => (v === null || !Number.isFinite(v) ? v : Math.max(v - fmin, floor)));
  gaps.set(values, { fmin, n: values.length, out });
  return out;
}

// The tracks with each row's loss as f − f_min.
function asGaps(tracks, fmin) {
  return tracks.map((tr) => {
    const rows = (tr.rows || [tr]).map((r) => ({ ...r, loss: gap(r.loss, fmin) }));
    return tr.rows ? { ...tr, rows } : { ...tr, loss: rows[0].loss };
  });
}

// Whether every value shown is positive (a log axis), over every point, drawn or not.
function allPositive(tracks, t) {
  for (const tr of tracks) {
    for (const row of tr.rows || [tr]) {
      for (const series of [row.loss, tr.stochastic ? row.batchLoss : null]) {
        if (!series) continue;
        const n = Math.min(series.length, t + 1);
        for (let k = 0; k < n; k++) if (series[k] !== null && series[k] <= 0) return false;
      }
    }
  }
  return true;
}

// Rounded bounds of [lo, hi]: whole decades (log axis, in log10 units) or a 1-2-5 step.
function niceRange(lo, hi, log) {
  if (!(lo <= hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) return log ? [-1, 1] : [0, 1];
  if (log) {
    const a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
    return a === b ? [a - 1, b + 1] : [a, b];
  }
  const span = hi - lo || Math.abs(hi) || 1;
  const mag = 10 ** Math.floor(Math.log10(span));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((k) => span / k <= 8) ?? 10 * mag;
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step + (hi === lo ? step : 0)];
}

const syncs = new WeakSet();
const keys = new WeakMap(); // figure -> patchKey of its last full draw

// The mean minibatch loss over each complete epoch shown, plotted at the epoch's last step
// (index 0 is the start, which no minibatch reached).
function epochMeans(batchLoss, epochSize, n) {
  const x = [], y = [];
  for (let end = epochSize; epochSize > 1 && end < n; end += epochSize) {
    let sum = 0, count = 0;
    for (let k = end - epochSize + 1; k <= end; k++) {
      if (batchLoss[k] !== null && Number.isFinite(batchLoss[k])) { sum += batchLoss[k]; count++; }
    }
    if (count) { x.push(end); y.push(sum / count); }
  }
  return { x, y };
}

// epochSize: steps per epoch (a vertical line every epochSize steps), or 0. patch: the curves
// may be patched in (only their points changed); false draws them with Plotly. fmin: the
// surface's minimum value, or null; log: a log axis where it can be; sumOf: n when the loss is
// a sum over n samples, else 0. Returns "patched" or "drawn".
export function drawLoss(el, base, tracks, t, big = false, epochSize = 0, patch = false,
  { fmin = null, log = true, sumOf = 0 } = {}) {
  const batchName = sumOf ? `minibatch loss × n (n = ${sumOf.toLocaleString("en")})` : "minibatch loss";
  const gapped = Number.isFinite(fmin) && !tracks.some((tr) => tr.stochastic);
  if (gapped) tracks = asGaps(tracks, fmin);
  const positive = log && allPositive(tracks, t);
  const traces = [];
  let total = 1;
  tracks.forEach((tr, i) => {
    const rows = tr.rows || [tr];
    const row = rows[tr.best ?? 0] || tr;
    rows.forEach((other, r) => { // restarts: thin and light, under the best
      total = Math.max(total, other.loss.length - 1);
      if (other === row) return;
      const m = Math.min(other.loss.length, t + 1);
      const { x, y } = curve(other.loss, m, positive);
      traces.push({
        type: "scatter", mode: "lines", x, y,
        name: `${tr.label}, restart ${r}`, legendgroup: `o${i}`, opacity: 0.4,
        line: { color: colour(i), width: big ? 1.6 : 1, dash: dash(i) },
        hovertemplate: `${tr.label}, ${r ? `restart ${r}` : "start given"}<br>step %{x}: %{y:.4g}<extra></extra>`,
        meta: { kind: "restart", run: i },
      });
    });
    const n = Math.min(row.loss.length, t + 1);
    const { x, y } = curve(row.loss, n, positive);
    traces.push({
      type: "scatter", mode: "lines", x, y, name: tr.label, legendgroup: `o${i}`,
      line: { color: colour(i), width: big ? 3.5 : 2, dash: dash(i) },
      hovertemplate: `${tr.label}<br>step %{x}: ${gapped ? "f − f_min = " : ""}%{y:.4g}${gapped ? "" : " (full loss)"}<extra></extra>`,
      meta: { kind: "loss", run: i },
    });
    if (tr.stochastic && row.batchLoss && row.batchLoss.length) {
      const b = curve(row.batchLoss, n, positive);
      traces.push({
        type: "scatter", mode: "lines", x: b.x, y: b.y, name: `${tr.label} (minibatch)`,
        legendgroup: `o${i}`, connectgaps: false, opacity: 0.55,
        line: { color: colour(i), width: big ? 1.4 : 0.8, dash: dash(i) },
        hovertemplate: `${tr.label}<br>step %{x}: %{y:.4g} (${batchName})<extra></extra>`,
        meta: { kind: "batch", run: i, sumOf },
      });
      const epochs = epochMeans(row.batchLoss, epochSize, n);
      if (epochs.x.length) {
        traces.push({ // the usual training curve: the mean minibatch loss of each epoch
          type: "scatter", mode: "lines+markers", x: epochs.x, y: epochs.y,
          name: `${tr.label} (epoch mean)`, legendgroup: `o${i}`, line: { color: colour(i),
            width: big ? 2.4 : 1.5 }, marker: { size: big ? 8 : 5, symbol: "square" },
          hovertemplate: `${tr.label}<br>epoch ending at step %{x}: mean ${batchName} %{y:.4g}<extra></extra>`,
          meta: { kind: "epoch", run: i },
        });
      }
    }
  });
  const shapes = [];
  if (epochSize > 1 && total / epochSize <= 200) {
    for (let e = epochSize; e < total; e += epochSize) {
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: e, x1: e, y0: 0, y1: 1,
        line: { color: "rgba(0,0,0,0.22)", width: 1, dash: "dash" }, layer: "below" });
    }
  }
  const stoch = traces.some((tr) => tr.meta.kind === "batch");
  let lo = Infinity, hi = -Infinity;
  for (const tr of traces) {
    for (const v of tr.y) {
      if (v === null || !Number.isFinite(v) || (positive && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const yrange = niceRange(lo, hi, positive);
  const font = { size: big ? 20 : 13, family: "system-ui, sans-serif" };
  const margin = { l: big ? 112 : 72, r: 10, t: stoch ? (big ? 34 : 26) : 10, b: big ? 60 : 45,
    autoexpand: false };
  const xaxis = { title: { text: epochSize > 1 ? `step (dashed lines: epochs of ${epochSize} steps)` : "step" },
    range: [0, total], zeroline: false };
  const what = gapped ? "f − f<sub>min</sub>" : "loss";
  const yaxis = { title: { text: positive ? `${what} (log)` : what, standoff: big ? 10 : 6 }, range: yrange,
    type: positive ? "log" : "linear", exponentformat: "e",
    dtick: positive && yrange[1] - yrange[0] <= 8 ? 1 : undefined }; // (whole decades only)
  const baseLayout = { font, margin, xaxis: { ...xaxis, fixedrange: true }, yaxis: { ...yaxis, fixedrange: true },
    showlegend: false, plot_bgcolor: "#fff", paper_bgcolor: "rgba(0,0,0,0)" };
  const baseKey = JSON.stringify(baseLayout);
  const baseStale = baseKey !== base.dataset.key || !base.data; // (a zoom on the curves too)
  if (baseStale) {
    base.dataset.key = baseKey;
    Plotly.react(base, [{ type: "scatter", x: [], y: [], hoverinfo: "skip" }], baseLayout,
      { staticPlot: true });
  }
  const layout = {
    font,
    margin,
    xaxis: { range: xaxis.range, visible: false },
    yaxis: { range: yrange, type: yaxis.type, visible: false },
    shapes,
    annotations: stoch ? [{ xref: "paper", yref: "paper", x: 0, y: 1, yanchor: "bottom", xanchor: "left",
      showarrow: false, text: `thick: full loss · thin: ${batchName}${sumOf ? ", the batch's mean on the sum's scale" : ""} · squares: epoch mean`, font: { size: big ? 16 : 11, color: "#5b6470" } }] : [],
    showlegend: false,
    hovermode: "closest",
    plot_bgcolor: "rgba(0,0,0,0)",
    paper_bgcolor: "rgba(0,0,0,0)",
  };
  const key = patchKey(traces, layout);
  if (patch && !baseStale && key === keys.get(el)) {
    const jobs = planPatch(el, traces);
    if (jobs) {
      applyPatch(jobs);
      el.data = traces; // as Plotly.react would set it (the tests read it)
      return "patched";
    }
  }
  keys.set(el, key);
  Plotly.react(el, traces, layout, CONFIG);
  if (!syncs.has(el)) { // a zoom on the curves moves the axes underneath
    syncs.add(el);
    el.on("plotly_relayout", () => {
      const { xaxis, yaxis } = el.layout; // Plotly writes the new ranges into the layout
      if (!xaxis?.range || !yaxis?.range || !base.data) return;
      base.dataset.key = "";
      Plotly.relayout(base, { "xaxis.range": [...xaxis.range], "yaxis.range": [...yaxis.range] });
    });
  }
  return "drawn";
}
