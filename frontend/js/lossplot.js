// Loss against step for every optimiser, up to the player's step. When the surface's minimum
// value is known (and the runs are not minibatch runs, whose losses are on other scales), the
// curve is the gap f − f_min, on a log axis: every curve falls towards 0 at its own rate, where a
// negative minimum would have flattened them onto a linear axis. Otherwise the loss itself, on a
// log axis when every loss shown is positive. `log: false` asks for a linear axis.
// Minibatch runs add the minibatch loss each step saw, dotted and thinner, and epoch boundaries
// (simulated gradient noise leaves the loss exact, so it adds nothing here). The server records
// the minibatch loss on the full loss's scale: on a loss summed over n samples (`sumOf` = n)
// that is n times the batch's mean, and the figure says so.
// With restarts the curve is the best row's (row 0 while streaming), the others light under
// it; a cloud of more than CLOUD_LINES_UP_TO rows by its 10th, 50th and 90th percentiles per
// step instead (cloud.js). `ewa: β` adds a minibatch run's exponentially weighted average
// loss and its bias-corrected form (ewa.js), the minibatch loss fainter under them.
//
// Like the surface figure, one Plotly figure draws the axes (and handles zoom and pan), drawn
// again only when its ranges change; the curves are the app's own, in a PathLayer over it
// (pathlayer.js), placed from the layout given to Plotly and the ranges it reports. The ranges
// are rounded (whole decades on a log axis) so that a slider drag seldom moves them.

import { colour, dashArray, CONFIG as TOOLBAR, zoomOutButton, powerOfTen, scrollPastOnTouch } from "./palette.js";
import { PathLayer, eventRange } from "./pathlayer.js";
import { cloudBand, BAND } from "./cloud.js";
import { ewa as average } from "./ewa.js";

const CLOUD_LINES_UP_TO = 50;
const CONFIG = { ...TOOLBAR, responsive: false };

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


export class LossPlot {
  // base: the element Plotly draws the axes in; the curves' layer is laid over it, in its parent.
  constructor(base) {
    this.base = base;
    this.layer = new PathLayer(base.parentElement);
    this.size = null;
    this.zoom = null; // {x, y}: the ranges a zoom or pan set, until autoscale
    this.key = null;
    this.last = null;
    this.zoomOut = zoomOutButton(base.parentElement.querySelector(":scope > .zoom-out"), base);
    new ResizeObserver((entries) => this.resized(entries.at(-1).contentRect)).observe(base);
    base.parentElement.addEventListener("mousemove", (ev) => this.readout(ev));
    base.parentElement.addEventListener("mouseleave", () => this.readout(null));
    scrollPastOnTouch(base); // (on a phone the page scrolls past it: zoom with a mouse)
  }

  resized({ width, height }) {
    const size = { width: Math.round(width), height: Math.round(height) };
    if (!size.width || !size.height) return;
    if (this.size && size.width === this.size.width && size.height === this.size.height) return;
    this.size = size;
    if (this.last && window.Plotly) this.draw(...this.last);
  }

  // The key in full, for a screen reader (the figure's description) and as the drawn key's
  // hover text, a part a line: the drawn key keeps to one line, dropping the parts that do
  // not fit.
  showKey(parts) {
    this.keyText = parts.join("<br>");
    const el = this.base.parentElement.querySelector(":scope > .key-text");
    const plain = parts.join(" · ").replace(/<sup>(.*?)<\/sup>/g, "^$1");
    if (el && el.textContent !== plain) el.textContent = plain;
  }

  // epochSize: steps per epoch (a vertical line every epochSize steps), or 0. fmin: the
  // surface's minimum value, or null; log: a log axis where it can be; sumOf: n when the loss
  // is a sum over n samples, else 0.
  draw(tracks, t, big = false, epochSize = 0, { fmin = null, log = true, sumOf = 0, ewa = null } = {}) {
    this.last = [tracks, t, big, epochSize, { fmin, log, sumOf, ewa }];
    this.size ??= { width: this.base.clientWidth, height: this.base.clientHeight };
    const n = sumOf ? sumOf.toLocaleString("en") : "";
    const batchName = sumOf ? `minibatch loss × n (n = ${n})` : "minibatch loss";
    const gapped = Number.isFinite(fmin) && !tracks.some((tr) => tr.stochastic);
    if (gapped) tracks = asGaps(tracks, fmin);
    const positive = log && allPositive(tracks, t);
    const { items, total } = curves(tracks, t, big, epochSize, ewa);
    const stoch = items.some((it) => it.meta.kind === "batch");
    const smooth = stoch && ewa !== null;
    const yrange = niceRange(...bounds(items, positive), positive);
    const font = { size: big ? 20 : 13, family: "system-ui, sans-serif" };
    const keySize = big ? 16 : 11;
    const l = big ? 112 : 72;
    const lines = epochLines(epochSize, total);
    const beta = smooth ? ewa : null;
    this.showKey(stoch ? keyParts(batchName, beta, lines.note, false) : []);
    // (a minibatch run's key: a line under the plot's tools, the EWA and its β, clear of the
    // top loss label, which is centred on the plot's corner)
    const top = stoch ? (big ? 44 : 36) + keySize * 1.25 + font.size * KEY_RAISE : 10;
    // the step labels sit below the lowest loss label, which is centred on the plot's corner
    // when the range ends on a decade: beside the step 0 it read as one number ("0.010")
    const stepStandoff = Math.ceil(font.size * 0.8);
    const margin = { l, r: 10, t: top, b: (big ? 60 : 45) + stepStandoff };
    const home = { x: [0, total], y: yrange };
    const shown = this.zoom ?? home;
    const what = gapped ? "f − f<sub>min</sub>" : "loss";
    const height = this.size.height;
    const plotHeight = height - margin.t - margin.b;
    // (on a plot too short for it, the title leaves "(log)" to the pressed "log y" toggle)
    const logTitle = `${what} (log)`;
    const yTitle = positive && textWidth(logTitle.replace(/<[^>]*>/g, ""), font.size) <= plotHeight
      ? logTitle : what;
    const keyShown = stoch ? keyParts(sumOf ? `minibatch loss × ${n}` : batchName, beta, lines.note, true) : [];
    const layout = {
      width: this.size.width, height, autosize: false,
      font, margin: { ...margin, pad: 0, autoexpand: false },
      xaxis: { title: { text: "step" }, range: [...shown.x], zeroline: false, ticklabelstandoff: stepStandoff },
      yaxis: { title: { text: yTitle, standoff: big ? 10 : 6 }, range: [...shown.y],
        type: positive ? "log" : "linear", exponentformat: "power",
        ...(positive ? logTicks(shown.y, plotHeight, font.size) : linearTicks(shown.y, plotHeight, font.size)) },
      shapes: lines.shapes,
      annotations: stoch ? [keyAnnotation(keyShown, this.keyText,
        { width: this.size.width, margin, plotHeight, yTitle, font, size: keySize })] : [],
      showlegend: false, hovermode: false, dragmode: "zoom",
      plot_bgcolor: "#fff", paper_bgcolor: "rgba(0,0,0,0)",
    };
    const drawn = JSON.stringify(layout);
    if (drawn !== this.key || !this.base.data) {
      this.key = drawn;
      this.home = home;
      this.shown = { x: [...shown.x], y: [...shown.y] };
      Plotly.react(this.base, [{ type: "scatter", x: [], y: [], hoverinfo: "skip" }], layout, CONFIG);
      this.listenToPlotly();
    }
    const box = { l: margin.l, t: margin.t, w: this.size.width - margin.l - margin.r,
      h: this.size.height - margin.t - margin.b };
    this.frame = { width: this.size.width, height: this.size.height, box, x: { range: this.shown.x },
      y: { range: this.shown.y, log: positive }, items, gapped, batchName };
    this.layer.draw(this.frame);
  }

  listenToPlotly() {
    if (this.heard) return;
    this.heard = true;
    this.base.on("plotly_relayout", (ev = {}) => {
      if (ev["xaxis.autorange"] || ev["yaxis.autorange"]) {
        this.zoom = null;
        this.key = null;
      } else {
        const { xaxis, yaxis } = this.base.layout; // Plotly writes the new ranges into the layout
        if (!xaxis?.range || !yaxis?.range) return;
        this.zoom = { x: xaxis.range.map(Number), y: yaxis.range.map(Number) };
        this.shown = { x: [...this.zoom.x], y: [...this.zoom.y] };
      }
      this.zoomOut.show(this.zoom !== null);
      if (this.last) this.draw(...this.last);
    });
    this.base.on("plotly_relayouting", (ev = {}) => { // the curves follow a pan
      const x = eventRange(ev, "xaxis"), y = eventRange(ev, "yaxis");
      if (x) this.shown.x = x;
      if (y) this.shown.y = y;
      if (this.following) return;
      this.following = requestAnimationFrame(() => {
        this.following = null;
        this.frame.x.range = this.shown.x;
        this.frame.y.range = this.shown.y;
        this.layer.draw(this.frame);
      });
    });
  }

  // The curve point nearest the pointer, at the plot area's corner.
  readout(ev) {
    const parent = this.base.parentElement;
    let r = parent.querySelector(":scope > .readout");
    if (!r) {
      r = document.createElement("div");
      r.className = "readout";
      r.setAttribute("aria-hidden", "true");
      parent.append(r);
    }
    const rect = this.base.getBoundingClientRect();
    const near = ev && this.frame && this.layer.nearest(ev.clientX - rect.left, ev.clientY - rect.top);
    r.hidden = !near;
    if (!near) return;
    const { box, gapped, batchName } = this.frame;
    r.style.left = `${box.l + 6}px`;
    r.style.top = `${box.t + 4}px`;
    const kind = near.item.meta.kind;
    const what = kind === "batch" ? ` (${batchName})` : kind === "epoch" ? ` (epoch mean)` : gapped ? " (f − f_min)" : "";
    r.textContent = `${near.item.name}, step ${near.x}: ${Number(near.y.toPrecision(4))}${what}`;
  }
}

// A log axis's labels (lo, hi: the view, in decades), every one a power of ten written 10ⁿ:
// every k-th decade, k the least of 1, 2, 3, 5, 10, 20... that keeps labels LABEL_GAP font
// sizes apart however short the plot, or a single label where not even two fit. They are
// listed a view's span either side of it, so that a pan finds them. A view with fewer than two
// whole decades in it (a zoom) has Plotly's own ticks, in the same notation.
const LABEL_GAP = 1.8;
const MAX_TICKS = 400;
const DECADE_STEPS = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000]; // (doubles span 632 decades)
function logTicks([lo, hi], plotHeight, fontSize) {
  const first = Math.ceil(lo - 1e-9), last = Math.floor(hi + 1e-9);
  if (!(last > first)) return { tickmode: "auto", minexponent: 0 };
  const perDecade = Math.max(plotHeight, 0) / (hi - lo);
  const k = DECADE_STEPS.find((s) => s * perDecade >= LABEL_GAP * fontSize || s > last - first) ?? 1000;
  const ticks = [];
  const span = hi - lo;
  const from = Math.ceil((lo - span) / k) * k;
  for (let d = from; d <= hi + span && ticks.length < MAX_TICKS; d += k) ticks.push(d);
  if (!ticks.some((d) => d >= first && d <= last)) { // no multiple of k in view: its middle
    ticks.splice(0, ticks.length, Math.round((first + last) / 2));
  }
  return { tickmode: "array", tickvals: ticks.map((d) => 10 ** d), ticktext: ticks.map(powerOfTen) };
}

// A linear axis's labels: Plotly's, at most as many as fit LABEL_GAP font sizes apart, or a
// single one (a round value in view) where not even that fits.
function linearTicks([lo, hi], plotHeight, fontSize) {
  const fit = Math.floor(plotHeight / (LABEL_GAP * fontSize));
  if (fit >= 1) return { tickmode: "auto", nticks: fit };
  const unit = 10 ** Math.floor(Math.log10(Math.abs(hi - lo) || Math.abs(hi) || 1));
  const round = Math.ceil(lo / unit) * unit;
  return { tickmode: "array", tickvals: [round <= hi ? round : lo] };
}


// The lines of every run: restarts thin and light under the best row; a minibatch run's
// minibatch losses and epoch means. total: the longest run's last step.
function curves(tracks, t, big, epochSize, beta) {
  const items = [];
  let total = 1;
  tracks.forEach((tr, i) => {
    const rows = tr.rows || [tr];
    const row = rows[tr.best ?? 0] || tr;
    const style = { color: colour(i), dash: dashArray(i) };
    for (const other of rows) total = Math.max(total, other.loss.length - 1);
    if (rows.length > CLOUD_LINES_UP_TO) items.push(...bandLines(tr, i, rows, t, big, style));
    else rows.forEach((other, r) => {
      if (other === row) return;
      items.push({ kind: "line", key: `r${i}.${r}`, name: `${tr.label}, ${r ? `restart ${r}` : "start given"}`,
        meta: { kind: "restart", run: i }, xs: null, ys: other.loss,
        n: Math.min(other.loss.length, t + 1), ...style, width: big ? 1.6 : 1, opacity: 0.4 });
    });
    const n = Math.min(row.loss.length, t + 1);
    const smoothed = beta !== null && tr.stochastic; // (the EWA's lines go over it, in its colour)
    items.push({ kind: "line", key: `l${i}`, name: tr.label, meta: { kind: "loss", run: i }, xs: null,
      ys: row.loss, n, ...style, width: big ? 3.5 : 2, opacity: smoothed ? 0.4 : undefined });
    if (tr.stochastic && row.batchLoss && row.batchLoss.length) {
      items.push({ kind: "line", key: `m${i}`, name: `${tr.label} (minibatch)`, meta: { kind: "batch", run: i },
        xs: null, ys: row.batchLoss, n: Math.min(row.batchLoss.length, n), ...style, width: big ? 1.4 : 0.8,
        opacity: beta === null ? 0.55 : 0.25 });
      if (beta !== null) items.push(...ewaLines(tr, i, row.batchLoss, beta, n, big));
      const epochs = epochMeans(row.batchLoss, epochSize, n);
      if (epochs.x.length) { // the usual training curve: the mean minibatch loss of each epoch
        items.push({ kind: "line", key: `e${i}`, name: `${tr.label} (epoch mean)`, meta: { kind: "epoch", run: i },
          xs: epochs.x, ys: epochs.y, n: epochs.x.length, color: colour(i), width: big ? 2.4 : 1.5,
          dots: { symbol: "square", size: big ? 8 : 5 } });
      }
    }
  });
  return { items, total };
}

// What a minibatch run's key says, in parts, most needed first (keyLine drops the last ones
// where they do not fit): the lines, the EWA's where it is drawn (`beta`), and which epoch ends
// are dashed; `short`: the drawn key's wording, else the full one.
function keyParts(batchName, beta, epochNote, short) {
  if (beta === null) return ["thick: full loss", `thin: ${batchName}`, "squares: epoch mean", epochNote].filter(Boolean);
  const corrected = short ? "dotted: bias-corrected"
    : ["dotted: ÷ (1 − β<sup>t</sup>), bias-corrected", "(the notes' 1 + β<sup>t</sup> is a slip)"];
  return ["thick, faint: full loss", `thin: ${batchName}`, `dashed: its EWA, β = ${beta}`, corrected,
    "squares: epoch mean", epochNote].flat().filter(Boolean);
}

// A cloud's loss: the best row's curve over its particles' 10th, 50th and 90th percentiles.
function bandLines(tr, i, rows, t, big, style) {
  const curves = cloudBand(rows);
  return curves.map((ys, q) => ({ kind: "line", key: `q${i}.${q}`,
    name: `${tr.label}, particles' ${Math.round(BAND[q] * 100)}th percentile`,
    meta: { kind: "band", run: i, quantile: BAND[q] }, xs: null, ys, n: Math.min(ys.length, t + 1),
    ...style, dash: BAND[q] === 0.5 ? "4,3" : "", width: big ? 1.6 : 1, opacity: 0.45 }));
}

// A minibatch loss's EWA and bias-corrected EWA (ewa.js), kept while the series and β are.
const averages = new WeakMap();
function ewaLines(tr, i, batchLoss, beta, n, big) {
  let c = averages.get(batchLoss);
  if (!c || c.beta !== beta || c.len !== batchLoss.length) {
    c = { beta, len: batchLoss.length, plain: average(batchLoss, beta), corrected: average(batchLoss, beta, true) };
    averages.set(batchLoss, c);
  }
  const m = Math.min(batchLoss.length, n);
  return [
    { kind: "line", key: `a${i}`, name: `${tr.label} (EWA, β = ${beta})`, meta: { kind: "ewa", run: i, beta },
      xs: null, ys: c.plain, n: m, color: colour(i), dash: "6,3", width: big ? 2.4 : 1.5 },
    { kind: "line", key: `z${i}`, name: `${tr.label} (bias-corrected EWA, β = ${beta})`,
      meta: { kind: "ewa-corrected", run: i, beta }, xs: null, ys: c.corrected, n: m, color: colour(i),
      dash: "1.5,2.5", width: big ? 3 : 2 },
  ];
}

// The smallest and largest value the lines show (positive ones only on a log axis).
function bounds(items, positive) {
  let lo = Infinity, hi = -Infinity;
  for (const it of items) {
    for (let k = 0; k < it.n; k++) {
      const v = it.ys[k];
      if (v === null || v === undefined || !Number.isFinite(v) || (positive && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

// The most epoch lines a plot draws: beyond that they would hatch it.
const MAX_EPOCH_LINES = 10;

// A dashed line at the end of every epoch, or of every k-th epoch where there are more than
// MAX_EPOCH_LINES; `note` says which, for the figure's key.
export function epochLines(epochSize, total) {
  if (!(epochSize > 1) || total <= epochSize) return { shapes: [], note: null };
  const every = Math.ceil(Math.floor((total - 1) / epochSize) / MAX_EPOCH_LINES);
  const shapes = [];
  for (let e = every * epochSize; e < total; e += every * epochSize) {
    shapes.push({ type: "line", xref: "x", yref: "paper", x0: e, x1: e, y0: 0, y1: 1,
      line: { color: "rgba(0,0,0,0.22)", width: 1, dash: "dash" }, layer: "below" });
  }
  const size = `${epochSize} steps`;
  const note = every === 1 ? `dashes: epochs (${size})` : `dashes: every ${every} epochs (an epoch: ${size})`;
  return { shapes, note };
}

// How far the key sits above the plot area, in font sizes: clear of the top loss label.
const KEY_RAISE = 0.75;

// A minibatch run's key (`parts`; `full`: its full text, shown on hover) as an annotation: one
// line above the plot area, from the figure's left edge, or from the plot area's where the
// loss axis' title (centred on the plot area's height) reaches up to it.
function keyAnnotation(parts, full, { width, margin, plotHeight, yTitle, font, size }) {
  const titleHalf = textWidth(yTitle.replace(/<[^>]*>/g, ""), font.size) / 2;
  const left = titleHalf <= plotHeight / 2 ? 6 : margin.l;
  return { xref: "paper", yref: "paper", x: -(margin.l - left) / (width - margin.l - margin.r), y: 1,
    yanchor: "bottom", yshift: font.size * KEY_RAISE, xanchor: "left", align: "left", showarrow: false,
    text: keyLine(parts, width - left - margin.r, size), hovertext: full,
    font: { size, color: "#5b6470" } };
}

// The key on one line of `width` px: its parts joined with " · ", in order while they fit (as
// the canvas measures them in the key's font, with a margin for the SVG's own rendering),
// ending in "…" where some are left out.
function keyLine(parts, width, size) {
  const fits = (text) => textWidth(text.replace(/<[^>]*>/g, ""), size) * 1.02 <= width;
  let shown = 0;
  while (shown < parts.length) {
    const more = shown + 1 < parts.length ? " · …" : "";
    if (!fits(parts.slice(0, shown + 1).join(" · ") + more)) break;
    shown++;
  }
  if (shown === parts.length) return parts.join(" · ");
  return shown ? `${parts.slice(0, shown).join(" · ")} · …` : "…";
}

let measure = null;
function textWidth(text, size) {
  measure ??= document.createElement("canvas").getContext("2d");
  measure.font = `${size}px system-ui, sans-serif`;
  return measure.measureText(text).width;
}
