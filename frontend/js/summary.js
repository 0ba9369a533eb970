// The legend under the plot: one row per optimiser with its colour, status (converged in N
// steps / stopped at max_steps, or "still going" while it streams; a divergence in the server's
// own words: "diverged at step 17: the loss is not finite") and final loss ("—" where the
// server has no finite value to report).
// With random restarts the row reports the best of them ("best of 9"). On a data-fit surface
// (`ring` a number) each row's name is a toggle button: it picks whose minibatch the data panel
// rings.

import { keyLine } from "./palette.js";
import { formatValue } from "./slider.js";

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function statusText(s, steps, streaming) {
  if (!s) return streaming ? `still going… ${Math.max(0, steps)} steps` : "—";
  if (s.status === "converged") return `converged in ${s.nit} steps`;
  if (s.status === "diverged") return s.message || `diverged after ${s.nit} steps`;
  if (s.status === "max_steps") return `stopped at max_steps (${s.nit})`;
  return s.message || s.status;
}

const shown = new WeakMap(); // root -> the HTML it shows

export function renderSummary(root, tracks, t, streaming, ring = null) {
  const rows = tracks.map((tr, i) => {
    const many = (tr.rows || []).length > 1;
    const row = many && tr.summary ? tr.rows[tr.best] : tr;
    const s = tr.summary;
    const finalLoss = s ? s.fun : row.loss[row.loss.length - 1];
    const shown = row.loss[Math.min(t, row.loss.length - 1)];
    const steps = Math.max(...(tr.rows || [tr]).map((r) => r.path.length)) - 1;
    const best = many
      ? `<span class="best"> · best of ${tr.rows.length}${s ? ` (${tr.best === 0 ? "the start given" : `restart ${tr.best}`})` : ""}</span>`
      : "";
    const pick = ring !== null && tracks.length > 1;
    const ringed = pick && i === ring ? ` <span class="ringed" aria-hidden="true">○</span>` : "";
    const name = pick
      ? `<button type="button" class="ring-pick" aria-pressed="${i === ring}" title="ring this optimiser's minibatch in the data panel">${keyLine(i)}${esc(tr.label)}${ringed}</button>`
      : `${keyLine(i)}${esc(tr.label)}`;
    const status = esc(statusText(s, steps, streaming));
    return `<tr data-status="${s ? s.status : "running"}"${pick ? ` data-run="${i}" class="pick"` : ""}>
      <td>${name}</td>
      <td class="st" title="${status}">${status}${best}</td>
      <td class="num">${formatValue(shown ?? NaN) || "—"}</td>
      <td class="num">${formatValue(finalLoss ?? NaN) || "—"}</td></tr>`;
  });
  const html = `<table><thead><tr><th>optimiser</th><th>status</th>
    <th class="num">loss (step ${t})</th><th class="num">final loss</th></tr></thead>
    <tbody>${rows.join("")}</tbody></table>`;
  if (html === shown.get(root)) return; // unchanged: keep the DOM (and any focus) as it is
  shown.set(root, html);
  root.innerHTML = html;
}
