// The legend under the plot: one row per optimiser with its colour, status (converged in N
// steps / diverged / still going) and final loss.

import { colour } from "./palette.js";
import { formatValue } from "./slider.js";

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function statusText(tr, streaming) {
  const s = tr.summary;
  if (!s) return streaming ? `running… ${Math.max(0, tr.path.length - 1)} steps` : "—";
  if (s.status === "converged") return `converged in ${s.steps} steps`;
  if (s.status === "diverged") return `diverged after ${s.steps} steps`;
  return `still going after ${s.steps} steps`;
}

export function renderSummary(root, tracks, t, streaming) {
  const rows = tracks.map((tr, i) => {
    const s = tr.summary;
    const finalLoss = s ? s.loss : tr.loss[tr.loss.length - 1];
    const shown = tr.loss[Math.min(t, tr.loss.length - 1)];
    return `<tr data-status="${s ? s.status : "running"}">
      <td><span class="swatch" style="--c:${colour(i)}"></span>${esc(tr.label)}</td>
      <td class="st">${statusText(tr, streaming)}</td>
      <td class="num">${formatValue(shown ?? NaN) || "—"}</td>
      <td class="num">${formatValue(finalLoss ?? NaN) || (s ? "overflow" : "—")}</td></tr>`;
  });
  root.innerHTML = `<table><thead><tr><th>optimiser</th><th>status</th>
    <th class="num">loss (step ${t})</th><th class="num">final loss</th></tr></thead>
    <tbody>${rows.join("")}</tbody></table>`;
}
