// Loss against step for every optimiser, up to the player's step. The y axis is logarithmic
// when every loss shown is positive (it is linear otherwise: log of a negative loss is no use).

import { colour } from "./palette.js";

export function drawLoss(el, tracks, t, big = false) {
  let positive = true;
  const traces = tracks.map((tr, i) => {
    const n = Math.min(tr.loss.length, t + 1);
    const y = tr.loss.slice(0, n);
    for (const v of y) if (v !== null && v <= 0) positive = false;
    return {
      type: "scatter",
      mode: "lines", x: Array.from({ length: n }, (_, k) => k), y, name: tr.label,
      line: { color: colour(i), width: big ? 3.5 : 2 },
      hovertemplate: `${tr.label}<br>step %{x}: %{y:.4g}<extra></extra>`,
    };
  });
  const total = Math.max(1, ...tracks.map((tr) => tr.loss.length - 1));
  const font = { size: big ? 20 : 13, family: "system-ui, sans-serif" };
  const layout = {
    font,
    margin: { l: big ? 80 : 60, r: 10, t: 10, b: big ? 60 : 45 },
    xaxis: { title: { text: "step" }, range: [0, total], zeroline: false },
    yaxis: {
      title: { text: positive ? "loss (log)" : "loss" },
      type: positive ? "log" : "linear", exponentformat: "e",
    },
    showlegend: false,
    hovermode: "closest",
    plot_bgcolor: "#fff",
    paper_bgcolor: "rgba(0,0,0,0)",
  };
  return Plotly.react(el, traces, layout, { responsive: true, displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"] });
}
