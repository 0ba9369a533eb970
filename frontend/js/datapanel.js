// The data behind a data-fit surface, beside the contour: for linear regression the points
// (xᵢ, yᵢ) and each optimiser's fitted line y = θ₀ + θ₁x at the player's step; for logistic
// regression the points (uᵢ, vᵢ) by label tᵢ = ±1 and each decision boundary w₁u + w₂v = 0.
// The minibatch that one optimiser's step used is ringed (`ring`: its index, default the first).

import { colour } from "./palette.js";

const PLUS = "#56B4E9"; // sky blue circles: t = +1
const MINUS = "#E69F00"; // orange crosses: t = −1

function pad([lo, hi], f = 0.08) {
  const d = (hi - lo) * f || 1;
  return [lo - d, hi + d];
}
const extent = (v) => [Math.min(...v), Math.max(...v)];

// The point of track `tr` shown at step t (its best row when restarts finished).
function thetaAt(tr, t) {
  const row = (tr.rows || [tr])[tr.best ?? 0] || tr;
  const n = row.path.length;
  return n ? row.path[Math.min(t, n - 1)] : null;
}

export function drawData(el, surface, tracks, t, big = false, ring = 0) {
  const d = surface.data;
  const linear = "xi" in d;
  const xs = linear ? d.xi : d.ui;
  const ys = linear ? d.yi : d.vi;
  const xr = pad(extent(xs));
  const yr = pad(extent(ys));
  const traces = [];
  const ms = big ? 9 : 6;
  if (linear) {
    traces.push({ type: "scatter", mode: "markers", x: xs, y: ys, name: "data",
      marker: { color: "#7a828c", size: ms, opacity: 0.75 },
      hovertemplate: "x=%{x:.3g}, y=%{y:.3g}<extra>point %{pointNumber}</extra>" });
  } else {
    for (const [lab, col, sym, name] of [[1, PLUS, "circle", "t = +1"], [-1, MINUS, "x", "t = −1"]]) {
      const idx = d.ti.map((v, k) => (v === lab ? k : -1)).filter((k) => k >= 0);
      traces.push({ type: "scatter", mode: "markers", x: idx.map((k) => xs[k]), y: idx.map((k) => ys[k]),
        name, marker: { color: col, symbol: sym, size: ms, line: { color: col, width: 1.5 } },
        hovertemplate: `u=%{x:.3g}, v=%{y:.3g} (${name})<extra></extra>` });
    }
  }
  // the minibatch of the chosen optimiser's step t (its last step, once it has stopped)
  const who = tracks[ring] ? ring : 0;
  const tr0 = tracks[who];
  const batch = tr0 && tr0.batches && tr0.batches.length ? tr0.batches[Math.min(t, tr0.batches.length - 1)] : null;
  const inBatch = batch ? batch.filter((k) => k >= 0 && k < xs.length) : [];
  traces.push({ type: "scatter", mode: "markers", name: "minibatch",
    x: inBatch.map((k) => xs[k]), y: inBatch.map((k) => ys[k]),
    marker: { symbol: "circle-open", size: ms + 8, color: colour(who), line: { width: big ? 3 : 2.2, color: colour(who) } },
    hovertemplate: `in this step's minibatch (${tr0 ? tr0.label : ""})<extra></extra>`,
    meta: { batch: inBatch.length, ring: who, indices: inBatch } });
  tracks.forEach((tr, i) => {
    const th = thetaAt(tr, t);
    if (!th || th.some((v) => v === null || !Number.isFinite(v))) return;
    let lx, ly;
    if (linear) {
      lx = xr;
      ly = xr.map((x) => th[0] + th[1] * x);
    } else if (Math.abs(th[1]) > Math.abs(th[0]) * 1e-9) { // v = −w₁u / w₂
      lx = xr;
      ly = xr.map((u) => (-th[0] * u) / th[1]);
    } else { // vertical: u = 0
      lx = [0, 0];
      ly = yr;
    }
    traces.push({ type: "scatter", mode: "lines", x: lx, y: ly, name: tr.label,
      line: { color: colour(i), width: big ? 4 : 2.5 }, meta: { model: i, theta: th },
      hovertemplate: linear
        ? `${tr.label}: y = ${th[0].toPrecision(3)} + ${th[1].toPrecision(3)}·x<extra></extra>`
        : `${tr.label}: ${th[0].toPrecision(3)}·u + ${th[1].toPrecision(3)}·v = 0<extra></extra>` });
  });
  const font = { size: big ? 18 : 12, family: "system-ui, sans-serif" };
  const layout = {
    font,
    margin: { l: big ? 60 : 45, r: 8, t: big ? 40 : 30, b: big ? 55 : 40 },
    title: { text: `${linear ? "fits" : "boundaries"} at step ${t}${inBatch.length && tracks.length > 1 ? ` · ○ minibatch of ${who + 1}` : inBatch.length ? " · ○ minibatch" : ""}`,
      font: { size: big ? 18 : 12 }, x: 0.02, xanchor: "left", y: 0.99, yanchor: "top" },
    xaxis: { range: xr, title: { text: linear ? "x" : "u" }, zeroline: false, fixedrange: true },
    yaxis: { range: yr, title: { text: linear ? "y" : "v" }, zeroline: false, fixedrange: true },
    showlegend: false,
    hovermode: "closest",
    plot_bgcolor: "#fff",
    paper_bgcolor: "rgba(0,0,0,0)",
  };
  el.dataset.batch = String(inBatch.length);
  el.dataset.ring = String(who);
  el.dataset.step = String(t);
  return Plotly.react(el, traces, layout, { responsive: true, displaylogo: false,
    displayModeBar: false });
}
