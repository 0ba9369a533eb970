// The data behind a data-fit surface, beside the contour, and what each optimiser's θ at the
// player's step fits to it, read through the surface's `model` (GET /api/surfaces: which
// coordinate is the slope and which the intercept, or the boundary's weights), never from the
// surface's id: a line y = θ[slope]·x + θ[intercept] through the points (x, y); a boundary
// θ[w₀]·u + θ[w₁]·v = 0 between the points (u, v) labelled ±1.
// `sample` is GET /api/surfaces/{id}/data: the data, or a seeded subsample of it (the title says
// how many points of how many are shown). The minibatch that one optimiser's step used is ringed
// (`ring`: its index, default the first), those of its samples that are shown.

import { colour } from "./palette.js";

const PLUS = "#56B4E9"; // sky blue circles: t = +1
const MINUS = "#E69F00"; // orange crosses: t = −1

function pad([lo, hi], f = 0.08) {
  const d = (hi - lo) * f || 1;
  return [lo - d, hi + d];
}
function extent(v) {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}
const count = (n) => n.toLocaleString("en");

// The point of track `tr` shown at step t (its best row when restarts finished).
function thetaAt(tr, t) {
  const row = (tr.rows || [tr])[tr.best ?? 0] || tr;
  const n = row.path.length;
  return n ? row.path[Math.min(t, n - 1)] : null;
}

// Where each shown sample's row sits in the sample (minibatches name rows of the whole data).
const positions = new WeakMap();
function positionOf(sample) {
  let p = positions.get(sample);
  if (!p) positions.set(sample, (p = new Map(sample.index.map((row, k) => [row, k]))));
  return p;
}

// The fitted model of θ as a drawn line over the ranges [xr, yr], and its hover text.
function fitted(model, th, xr, yr) {
  if (model.kind === "line") {
    const m = th[model.slope], c = th[model.intercept];
    return { x: xr, y: xr.map((x) => m * x + c), slope: m, intercept: c,
      text: `y = ${m.toPrecision(3)}·x ${c < 0 ? "−" : "+"} ${Math.abs(c).toPrecision(3)}` };
  }
  const [a, b] = model.weights.map((k) => th[k]);
  const text = `${a.toPrecision(3)}·u + ${b.toPrecision(3)}·v = 0`;
  if (Math.abs(b) > Math.abs(a) * 1e-9) return { x: xr, y: xr.map((u) => (-a * u) / b), text }; // v = −au/b
  return { x: [0, 0], y: yr, text }; // vertical: u = 0
}

export function drawData(el, surface, sample, tracks, t, big = false, ring = 0) {
  const model = surface.model;
  const line = model.kind === "line";
  const cols = sample.columns;
  const xs = cols[line ? model.x : model.u];
  const ys = cols[line ? model.y : model.v];
  const xr = pad(extent(xs));
  const yr = pad(extent(ys));
  const traces = [];
  const ms = big ? 9 : 6;
  const dense = sample.shown > 500; // smaller, lighter markers for many points
  if (line) {
    traces.push({ type: "scatter", mode: "markers", x: xs, y: ys, name: "data",
      marker: { color: "#7a828c", size: dense ? ms - 2 : ms, opacity: dense ? 0.45 : 0.75 },
      hovertemplate: "x=%{x:.3g}, y=%{y:.3g}<extra></extra>",
      meta: { kind: "data", shown: sample.shown, size: sample.size } });
  } else {
    const labels = cols[model.label];
    for (const [lab, col, sym, name] of [[1, PLUS, "circle", "t = +1"], [-1, MINUS, "x", "t = −1"]]) {
      const idx = [];
      labels.forEach((v, k) => { if (v === lab) idx.push(k); });
      traces.push({ type: "scatter", mode: "markers", x: idx.map((k) => xs[k]), y: idx.map((k) => ys[k]),
        name, marker: { color: col, symbol: sym, size: ms, line: { color: col, width: 1.5 } },
        hovertemplate: `u=%{x:.3g}, v=%{y:.3g} (${name})<extra></extra>`,
        meta: { kind: "data", shown: sample.shown, size: sample.size } });
    }
  }
  // the minibatch of the chosen optimiser's step t (its last step, once it has stopped): its
  // samples that are among those shown
  const who = tracks[ring] ? ring : 0;
  const tr0 = tracks[who];
  const batch = tr0 && tr0.batches && tr0.batches.length ? tr0.batches[Math.min(t, tr0.batches.length - 1)] : null;
  const rows = batch ? batch.filter((k) => k >= 0) : [];
  const pos = positionOf(sample);
  const inBatch = rows.map((k) => pos.get(k)).filter((k) => k !== undefined);
  traces.push({ type: "scatter", mode: "markers", name: "minibatch",
    x: inBatch.map((k) => xs[k]), y: inBatch.map((k) => ys[k]),
    marker: { symbol: "circle-open", size: ms + 8, color: colour(who), line: { width: big ? 3 : 2.2, color: colour(who) } },
    hovertemplate: `in this step's minibatch (${tr0 ? tr0.label : ""})<extra></extra>`,
    meta: { batch: rows.length, shown: inBatch.length, ring: who, indices: inBatch.map((k) => sample.index[k]) } });
  tracks.forEach((tr, i) => {
    const th = thetaAt(tr, t);
    if (!th || th.some((v) => v === null || !Number.isFinite(v))) return;
    const f = fitted(model, th, xr, yr);
    traces.push({ type: "scatter", mode: "lines", x: f.x, y: f.y, name: tr.label,
      line: { color: colour(i), width: big ? 4 : 2.5 },
      meta: { model: i, theta: th, ...(line ? { slope: f.slope, intercept: f.intercept } : {}) },
      hovertemplate: `${tr.label}: ${f.text}<extra></extra>` });
  });
  // (a subsample: the title says how many points it shows, and how much of the minibatch)
  const partial = sample.shown < sample.size;
  const ringed = !rows.length ? ""
    : `○ minibatch${tracks.length > 1 ? ` of ${who + 1}` : ""}${partial ? `: ${inBatch.length} of ${rows.length} shown` : ""}`;
  const font = { size: big ? 18 : 12, family: "system-ui, sans-serif" };
  const titleSize = big ? 16 : 12;
  const shown = partial ? `${count(sample.shown)} of ${count(sample.size)} points` : "";
  const title = heading([`${line ? "fits" : "boundaries"} at step ${t}`, shown, ringed], titleSize,
    el.clientWidth, el.clientHeight < 360 ? 2 : 3);
  const layout = {
    font,
    // (the title's lines push the plot down: Plotly's automargin)
    margin: { l: big ? 60 : 45, r: 8, t: 8, b: big ? 55 : 40 },
    title: { text: title, font: { size: titleSize }, x: 0.02, xanchor: "left",
      yref: "paper", pad: { b: 6 }, automargin: true },
    xaxis: { range: xr, title: { text: line ? "x" : "u" }, zeroline: false, fixedrange: true },
    yaxis: { range: yr, title: { text: line ? "y" : "v" }, zeroline: false, fixedrange: true },
    showlegend: false,
    hovermode: "closest",
    plot_bgcolor: "#fff",
    paper_bgcolor: "rgba(0,0,0,0)",
  };
  el.dataset.batch = String(inBatch.length);
  el.dataset.ring = String(who);
  el.dataset.step = String(t);
  el.dataset.shown = String(sample.shown);
  el.dataset.size = String(sample.size);
  el.setAttribute("aria-label", `The data${partial ? `: ${count(sample.shown)} of ${count(sample.size)} points shown` : ""}, and each optimiser's ${line ? "fitted line" : "decision boundary"} at step ${t}${ringed ? `; ringed: the ${ringed.slice(2)}` : ""}`);
  return Plotly.react(el, traces, layout, { responsive: true, displaylogo: false,
    displayModeBar: false });
}

// The panel's title: its parts on as few lines as the panel's width holds (by a generous
// estimate of the type's width), a part too long for a line broken between words, and the last
// parts left out where they would take more than `most` lines (a short panel keeps its plot):
// a line cut at the panel's edge lost its end ("○ miniba" in projector mode at 1024 px).
function heading(parts, fontSize, width, most) {
  const fits = Math.max(12, Math.floor((width - 24) / (fontSize * 0.62)));
  let lines = [];
  for (const part of parts.filter(Boolean)) {
    const last = lines.length - 1;
    const more = last >= 0 && lines[last].length + 3 + part.length <= fits
      ? [...lines.slice(0, last), `${lines[last]} · ${part}`]
      : [...lines, ...wrapWords(part, fits)];
    if (lines.length && more.length > most) break;
    lines = more;
  }
  return lines.join("<br>");
}

function wrapWords(text, fits) {
  const lines = [];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= fits) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}
