// The lecture's figures (GET /api/presets): one button each; a click turns the preset's run
// body into app state.

import { DEFAULT_GTOL } from "./state.js";

function toState(preset, base) {
  const run = preset.run || {};
  const surface = typeof run.surface === "string" ? { id: run.surface, params: {} } : run.surface || {};
  const s = structuredClone(base);
  s.surface = surface.id || s.surface;
  s.sp = { ...(surface.params || {}) };
  s.start = run.start ?? null;
  s.steps = run.max_steps ?? s.steps;
  s.restarts = run.restarts ?? 0;
  s.seed = run.seed ?? 0;
  Object.assign(s, { expr: "", ep: {}, dom: null });
  const st = run.stochastic || {};
  s.batch = st.batch_size ?? null;
  s.samp = st.sampling ?? "shuffle";
  s.noise = st.noise ?? 0;
  if (run.epochs) s.epochs = run.epochs;
  const stop = run.stop || {};
  s.gtol = "grad_tol" in stop ? stop.grad_tol : DEFAULT_GTOL;
  s.gnorm = stop.grad_norm ?? "l2";
  s.ltol = stop.loss_tol ?? null;
  s.opts = (run.optimizers || []).map((o) => ({
    id: o.id,
    p: { ...(o.params || {}) },
    s: o.schedule ? { id: o.schedule.id, p: { ...(o.schedule.params || {}) } } : null,
  }));
  const d = preset.view && preset.view.domain;
  s.view = d ? (d.length === 1 ? [...d[0]] : [...d[0], ...d[1]]) : null;
  return s;
}

export function renderPresets(root, presets, commit) {
  root.replaceChildren();
  for (const p of presets) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "preset";
    b.dataset.preset = p.id;
    b.textContent = p.title;
    b.title = p.description || "";
    b.addEventListener("click", () =>
      commit((d) => Object.assign(d, toState(p, d)), { surface: true, structure: true, preset: p.id }));
    root.append(b);
  }
  if (!presets.length) root.textContent = "No presets on this server.";
}
