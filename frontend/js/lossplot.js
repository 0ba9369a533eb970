// Loss against step for every optimiser, up to the player's step. The y axis is logarithmic
// when every loss shown is positive (it is linear otherwise: log of a negative loss is no use).
// Minibatch runs add the minibatch loss each step saw, dotted and thinner, and epoch boundaries
// (simulated gradient noise leaves the loss exact, so it adds nothing here).
// With restarts the curve is the best row's (row 0 while streaming).

import { colour } from "./palette.js";

// epochSize: steps per epoch (a vertical line every epochSize steps), or 0.
export function drawLoss(el, tracks, t, big = false, epochSize = 0) {
  let positive = true;
  const traces = [];
  let total = 1;
  tracks.forEach((tr, i) => {
    const rows = tr.rows || [tr];
    const row = rows[tr.best ?? 0] || tr;
    rows.forEach((other, r) => { // restarts: thin and light, under the best
      total = Math.max(total, other.loss.length - 1);
      if (other === row) return;
      const m = Math.min(other.loss.length, t + 1);
      const y = other.loss.slice(0, m);
      for (const v of y) if (v !== null && v <= 0) positive = false;
      traces.push({
        type: "scatter", mode: "lines", x: Array.from({ length: m }, (_, k) => k), y,
        name: `${tr.label}, restart ${r}`, legendgroup: `o${i}`, opacity: 0.4,
        line: { color: colour(i), width: big ? 1.6 : 1 },
        hovertemplate: `${tr.label}, ${r ? `restart ${r}` : "start given"}<br>step %{x}: %{y:.4g}<extra></extra>`,
        meta: { kind: "restart", run: i },
      });
    });
    const n = Math.min(row.loss.length, t + 1);
    const y = row.loss.slice(0, n);
    const x = Array.from({ length: n }, (_, k) => k);
    for (const v of y) if (v !== null && v <= 0) positive = false;
    traces.push({
      type: "scatter", mode: "lines", x, y, name: tr.label, legendgroup: `o${i}`,
      line: { color: colour(i), width: big ? 3.5 : 2 },
      hovertemplate: `${tr.label}<br>step %{x}: %{y:.4g} (full loss)<extra></extra>`,
      meta: { kind: "loss", run: i },
    });
    if (tr.stochastic && row.batchLoss && row.batchLoss.length) {
      const b = row.batchLoss.slice(0, n);
      for (const v of b) if (v !== null && v <= 0) positive = false;
      traces.push({
        type: "scatter", mode: "lines", x, y: b, name: `${tr.label} (minibatch)`,
        legendgroup: `o${i}`, connectgaps: false, opacity: 0.8,
        line: { color: colour(i), width: big ? 1.8 : 1, dash: "dot" },
        hovertemplate: `${tr.label}<br>step %{x}: %{y:.4g} (minibatch loss)<extra></extra>`,
        meta: { kind: "batch", run: i },
      });
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
  const font = { size: big ? 20 : 13, family: "system-ui, sans-serif" };
  const layout = {
    font,
    margin: { l: big ? 80 : 60, r: 10, t: stoch ? (big ? 34 : 26) : 10, b: big ? 60 : 45 },
    xaxis: { title: { text: epochSize > 1 ? `step (dashed lines: epochs of ${epochSize} steps)` : "step" },
      range: [0, total], zeroline: false },
    yaxis: {
      title: { text: positive ? "loss (log)" : "loss" },
      type: positive ? "log" : "linear", exponentformat: "e",
    },
    shapes,
    annotations: stoch ? [{ xref: "paper", yref: "paper", x: 0, y: 1, yanchor: "bottom", xanchor: "left",
      showarrow: false, text: "solid: full loss · dotted: minibatch loss", font: { size: big ? 16 : 11, color: "#5b6470" } }] : [],
    showlegend: false,
    hovermode: "closest",
    plot_bgcolor: "#fff",
    paper_bgcolor: "rgba(0,0,0,0)",
  };
  return Plotly.react(el, traces, layout, { responsive: true, displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"] });
}
