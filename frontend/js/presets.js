// The lecture's figures (GET /api/presets): buttons grouped under their lecture's title, each
// naming the section of the notes it reproduces; a click turns the preset's run body into app
// state. toState and lectureOrder serve lecture mode (lecture.js) too.

import { DEFAULT_GTOL, OVERLAYS } from "./state.js";

// A preset's run body and view as app state, on top of `base` (the UI's own settings: speed,
// projector mode, lecture mode). Fields the body leaves out take their defaults, so a preset
// is the same figure whatever was shown before it.
export function toState(preset, base) {
  const run = preset.run || {};
  const surface = typeof run.surface === "string" ? { id: run.surface, params: {} } : run.surface || {};
  const s = structuredClone(base);
  s.surface = surface.id || s.surface;
  s.sp = { ...(surface.params || {}) };
  s.start = run.start ?? null;
  s.steps = run.max_steps ?? s.steps;
  s.restarts = run.restarts ?? 0;
  s.seed = run.seed ?? 0;
  Object.assign(s, { expr: "", ep: {}, dom: null, ring: 0 });
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
    ...(o.start ? { start: [...o.start] } : {}),
  }));
  const rf = run.restart_from;
  s.rf = rf?.dist === "normal" ? { dist: "normal", ...(rf.center ? { center: [...rf.center] } : {}), sigma: rf.sigma ?? 1 }
    : rf?.dist === "grid" ? { dist: "grid" } : null;
  const view = preset.view || {};
  const d = view.domain;
  s.view = d ? (d.length === 1 ? [...d[0]] : [...d[0], ...d[1]]) : null;
  s.levels = Array.isArray(view.levels) && view.levels.length ? [...view.levels] : null;
  Object.assign(s, showState(preset.show));
  s.over = OVERLAYS.filter((o) => (preset.overlay ?? []).includes(o));
  s.ewa = Number.isFinite(preset.loss?.ewa) ? preset.loss.ewa : null; // the loss plot's EWA
  s.lecture = base.lecture ? preset.id : null; // in lecture mode, a preset is a step of it
  return s;
}

// A preset's `show` (a view beside the surface, see GET /api/presets) as the state's
// show, sw, bs and td (state.js).
function showState(show) {
  const out = { show: null, sw: {}, bs: {}, td: {} };
  if (show?.view === "sweep") {
    const axis = (k, a) => ({ [k]: a.name, [`${k}0`]: a.range[0], [`${k}1`]: a.range[1], [`${k}s`]: a.scale === "log" ? "log" : "lin" });
    out.sw = { run: show.optimizer ?? 0, ...axis("x", show.x), ...axis("y", show.y), n: show.n, m: show.metric };
  } else if (show?.view === "basins") out.bs = { run: show.optimizer ?? 0, n: show.n };
  else if (show?.view === "3d") out.td = show.z ? { z: show.z } : {};
  else return out;
  out.show = show.view;
  return out;
}

// The presets in teaching order: [{lecture, presets}] with the lectures as the server lists
// them and each one's presets in list order; presets of a lecture it does not list come last,
// under `lecture: null`.
export function lectureOrder(lectures, presets) {
  const groups = lectures.map((lecture) => ({ lecture, presets: [] }));
  const byId = new Map(groups.map((g) => [g.lecture.id, g]));
  const rest = { lecture: null, presets: [] };
  for (const p of presets) (byId.get(p.lecture) ?? rest).presets.push(p);
  if (rest.presets.length) groups.push(rest);
  return groups.filter((g) => g.presets.length);
}

// "2.6.1 Why step size matters" -> "§2.6.1 Why step size matters"; a section without a number
// is shown as it is.
export const sectionLabel = (section) => (!section ? "" : /^\d/.test(section) ? `§${section}` : section);

// root: the panel's presets box; groups: lectureOrder(...); commit is Store.commit.
export function renderPresets(root, groups, commit) {
  root.replaceChildren();
  groups.forEach((g, k) => {
    const head = document.createElement("h3");
    head.className = "lecture-title";
    head.id = `lecture-h-${k}`;
    head.textContent = g.lecture ? g.lecture.title : "More figures";
    const list = document.createElement("div");
    list.className = "preset-list";
    list.setAttribute("role", "group");
    list.setAttribute("aria-labelledby", head.id);
    for (const p of g.presets) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "preset";
      b.dataset.preset = p.id;
      const title = document.createElement("span");
      title.className = "preset-title";
      title.textContent = p.title;
      b.append(title);
      if (p.section) {
        const sec = document.createElement("span");
        sec.className = "preset-section";
        sec.textContent = sectionLabel(p.section);
        b.append(sec);
      }
      b.title = p.description || "";
      b.addEventListener("click", () =>
        commit((d) => Object.assign(d, toState(p, d)), { surface: true, structure: true, preset: p.id }));
      list.append(b);
    }
    root.append(head, list);
  });
  if (!groups.length) root.textContent = "No presets on this server.";
}
