// Wiring: load the catalogs, then connect state -> controls, state -> surface + grid fetches,
// state -> streamed runs, runs + player -> figures. No logic of its own beyond the glue.

import { getJSON, postRaw, RunSocket, ApiError } from "./api.js";
import { Store, sanitise, CUSTOM } from "./state.js";
import { Runs } from "./runs.js";
import { Controls } from "./controls.js";
import { SurfacePlot } from "./plot.js";
import { drawLoss } from "./lossplot.js";
import { Player, SPEEDS } from "./player.js";
import { renderPresets } from "./presets.js";
import { exportRuns, exportPNG } from "./export.js";
import { renderSummary } from "./summary.js";
import { formatValue } from "./slider.js";
import { validate } from "./custom.js";
import { drawData } from "./datapanel.js";
import { LrBound, Inspector } from "./analysis.js";

const $ = (sel) => document.querySelector(sel);
const app = $("#app");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function banner(msg, kind = "error") {
  const b = $("#banner");
  b.hidden = !msg;
  b.textContent = msg || "";
  b.dataset.kind = kind;
}

async function loadCatalog() {
  for (let attempt = 0; ; attempt++) {
    try {
      const [s, o, sc, p] = await Promise.all([
        getJSON("/api/surfaces"), getJSON("/api/optimizers"),
        getJSON("/api/schedules"), getJSON("/api/presets"),
      ]);
      banner(null);
      const byId = (list) => new Map(list.map((x) => [x.id, x]));
      return {
        surfaces: byId(s.surfaces), optimizers: byId(o.optimizers),
        schedules: byId(sc.schedules), presets: p.presets,
      };
    } catch (err) {
      app.dataset.status = "offline";
      banner(`Cannot reach the DescentLab server (${err.message}) — retrying…`);
      await sleep(Math.min(500 * 2 ** attempt, 5000));
    }
  }
}

const catalog = await loadCatalog();
const store = new Store();
store.normalise(sanitise(store.state, catalog));
const runs = new Runs();
let surfaceToken = 0;
let surfacePending = false;
let online = false;

// A typed surface, as the views need it: from the validator's answer (or a guess until then).
function customBound(s, answer = null) {
  const dim = answer ? answer.dim : s.dom ? s.dom.length / 2 : (s.start?.length ?? 2);
  const domain = s.dom ? (dim === 1 ? [s.dom.slice(0, 2)] : [s.dom.slice(0, 2), s.dom.slice(2, 4)])
    : answer ? answer.domain : Array.from({ length: dim }, () => [-5, 5]);
  return {
    id: CUSTOM, name: "Your own", expression: s.expr, dim, domain,
    start: domain.map(([lo, hi]) => lo + 0.8 * (hi - lo)), // the server's default start
    minima: [], log_contours: false, params: [], data: null, description: "",
    latex: answer ? answer.latex : "",
  };
}
const boundFor = (s) => (s.surface === CUSTOM ? customBound(s) : catalog.surfaces.get(s.surface));
let bound = boundFor(store.state); // the surface with its params bound

// What the server is told the surface is: a catalog id with params, or a typed spec.
function surfaceSpec(s) {
  if (s.surface !== CUSTOM) return { id: s.surface, params: s.sp };
  const spec = { expression: s.expr, params: s.ep };
  if (s.dom) spec.domain = s.dom.length === 2 ? [s.dom] : [s.dom.slice(0, 2), s.dom.slice(2, 4)];
  return spec;
}
const startOf = (s) => (s.start && s.start.length === bound.dim ? s.start : bound.start);
const dataSize = () => (bound.data ? Object.values(bound.data)[0].length : 0);
const batchOf = (s) => Math.min(s.batch ?? dataSize(), dataSize());
let inspected = null;

const plot = new SurfacePlot($("#contour"), {
  onStart: (p) => store.commit((d) => { d.start = p.map((v) => Number(v.toPrecision(4))); }),
  onView: (v) => store.commit((d) => { d.view = v; }, { history: "replace", view: true }),
  onInspect: (p) => inspector.inspect(p),
});
const lrBound = new LrBound();
const inspector = new Inspector({
  spec: () => surfaceSpec(store.state),
  dim: () => bound.dim,
  onPoint: (p) => { inspected = p; draw(); },
});
inspector.onToggle = (on) => { plot.inspecting = on; };
$("#inspect-toggle").addEventListener("click", () => {
  const on = $("#inspect-toggle").getAttribute("aria-pressed") !== "true";
  $("#inspect-toggle").setAttribute("aria-pressed", String(on));
  plot.inspecting = on;
  if (on) inspector.open();
  else inspector.close();
});
const controls = new Controls(catalog, (fn, opts) => store.commit(fn, opts));
renderPresets($("#presets"), catalog.presets, (fn, opts) => store.commit(fn, opts));

// ---- drawing (coalesced to one per animation frame) ----
let drawQueued = false;
function draw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    const s = store.state;
    const t = player.t;
    const start = startOf(s);
    const tracks = runs.tracks.map((tr, i) => ({ ...tr, label: label(s.opts[i]) }));
    const dp = $("#datapanel");
    const data = Boolean(plot.surface && plot.surface.data && plot.surface.id === s.surface);
    if (dp.hidden === data) { // the contour's box changes: re-fit it once the layout settles
      dp.hidden = !data;
      $("#views").classList.toggle("with-data", data);
      requestAnimationFrame(() => { if ($("#contour").data) Plotly.Plots.resize($("#contour")); });
    }
    if (plot.surface) plot.draw(tracks, t, start, s.big, { inspect: inspected });
    drawLoss($("#lossplot"), tracks, t, s.big, runs.meta.epochSize || 0);
    if (data) drawData(dp, plot.surface, tracks, t, s.big);
    renderSummary($("#summary"), tracks, t, !runs.done);
    const total = runs.length;
    $("#scrub").max = total;
    $("#scrub").value = t;
    $("#step-out").textContent = `${Math.min(t, total)} / ${total}`;
  });
}

function label(o) {
  if (!o) return "";
  const spec = catalog.optimizers.get(o.id);
  const lr = spec.uses_lr ? ` lr=${formatValue(o.p.lr ?? spec.hyperparameters.find((h) => h.name === "lr")?.default)}` : "";
  const sch = o.s ? ` (${catalog.schedules.get(o.s.id)?.name ?? o.s.id})` : "";
  return `${spec.name}${lr}${sch}`;
}

function setStatus(playerState = player.state()) {
  let status;
  if (!online) status = "offline";
  else if (runs.error) status = "error";
  else if (!runs.done) status = "running";
  else if (surfacePending) status = "loading"; // the figures wait for the surface's grid
  else status = playerState === "done" ? "done" : playerState;
  app.dataset.status = status;
  app.dataset.player = playerState;
  const playing = player.playing;
  $("#play").classList.toggle("playing", playing);
  $("#play").setAttribute("aria-label", playing ? "pause" : "play");
}

const player = new Player({
  onFrame: draw,
  onState: (st) => setStatus(st),
  total: () => runs.length,
  finished: () => runs.done,
});
player.setSpeed(store.state.speed);

// ---- runs over the WebSocket ----
function runBody(s) {
  const body = {
    surface: surfaceSpec(s),
    max_steps: s.steps,
    optimizers: s.opts.map((o) => ({
      id: o.id, params: o.p, schedule: o.s ? { id: o.s.id, params: o.s.p } : null,
    })),
  };
  if (s.start && s.start.length === bound.dim) body.start = s.start;
  if (s.restarts) body.restarts = s.restarts;
  if (s.seed) body.seed = s.seed;
  if (bound.data) {
    const m = batchOf(s);
    body.stochastic = { batch_size: m, sampling: m < dataSize() ? s.samp : "shuffle" };
    body.epochs = s.epochs;
    delete body.max_steps;
  } else if (s.noise > 0) {
    body.stochastic = { noise: s.noise };
  }
  return body;
}

let runQueued = null;
function queueRun(live) {
  const first = runQueued === null;
  runQueued = (runQueued ?? true) && live; // a discrete change wins over a drag
  if (first) requestAnimationFrame(() => { const l = runQueued; runQueued = null; sendRun(l); });
}

function sendRun(live) {
  if (runs.id && !runs.done) socket.send({ type: "cancel", id: runs.id });
  const s = store.state;
  const n = dataSize();
  const id = runs.begin(s.opts.length, { epochSize: n ? Math.ceil(n / batchOf(s)) : 0 });
  runs.unsent = !socket.send({ type: "run", id, ...runBody(store.state), frame_points: 64 });
  if (live) player.follow();
  else player.restart();
  app.dataset.runId = id;
  setStatus();
  draw();
}

function onMessage(msg) {
  if (msg.type === "error" && (msg.id === null || msg.id === runs.id)) {
    controls.clearErrors();
    controls.showError(msg.field, msg.message);
    if (msg.id === null) banner(`The server refused a message: ${msg.message}`);
  }
  if (!runs.apply(msg)) return;
  if (msg.type === "error") runs.restorePrevious();
  else if (msg.type === "done" || runs.tracks.some((t) => t.path.length)) controls.clearErrors();
  player.dataChanged();
  setStatus();
  draw();
}

const socket = new RunSocket({
  onMessage,
  onStatus: (st) => {
    online = st === "open";
    if (st === "open") {
      banner(null);
      if (runs.unsent || !runs.id || !runs.done) sendRun(false);
    } else if (st === "closed") {
      banner("Lost the connection to the server — reconnecting…");
    }
    setStatus();
  },
});

// ---- surface and grid ----
async function refreshSurface({ rebind = true } = {}) {
  const s = store.state;
  const token = ++surfaceToken;
  surfacePending = true;
  const custom = s.surface === CUSTOM;
  const params = JSON.stringify(s.sp);
  try {
    let b = bound;
    if (custom && rebind) {
      const answer = await validate(s.expr, s.ep);
      if (token !== surfaceToken) return;
      if (!answer.valid) throw new ApiError(answer.message, { status: 422, field: answer.field });
      b = customBound(s, answer);
    }
    const one = (custom ? b : catalog.surfaces.get(s.surface)).dim === 1;
    const q = one ? { nx: 400 } : { nx: 150, ny: 150 };
    if (s.view) {
      [q.xmin, q.xmax] = s.view;
      if (!one) [q.ymin, q.ymax] = s.view.slice(2);
    }
    const [b2, g] = await Promise.all([
      custom || !rebind ? Promise.resolve(b) : getJSON(`/api/surfaces/${s.surface}`, { params }),
      custom
        ? postRaw("/api/grid", { surface: surfaceSpec(s), ...q }).then((r) => r.json())
        : getJSON(`/api/surfaces/${s.surface}/grid`, { ...q, params }),
    ]);
    if (token !== surfaceToken) return;
    if (custom) b2.log_contours = wantsLog(g);
    bound = b2;
    plot.setSurface(b2, g, s.view);
    controls.render(store.state, bound);
    lrBound.update(JSON.stringify(surfaceSpec(s)), surfaceSpec(s), bound);
    if (inspector.point && inspector.point.length !== bound.dim) inspector.close();
    app.dataset.surface = s.surface;
    surfacePending = false;
    setStatus();
    draw();
  } catch (err) {
    if (token !== surfaceToken) return;
    surfacePending = false;
    setStatus();
    if (!(err instanceof ApiError)) return;
    if (err.status === 0) banner(`Cannot reach the server: ${err.message}`);
    else controls.showError(err.field && !err.field.startsWith("surface") ? `surface.${err.field}` : err.field ?? "surface", err.message);
  }
}

// Log-spaced contours when most of a typed surface lies in a sliver near its minimum (a
// narrow valley): the median height above the minimum is under 10% of the range.
function wantsLog(g) {
  if (!Array.isArray(g.z[0])) return false;
  const v = g.z.flat().filter((x) => x !== null).sort((a, b) => a - b);
  if (v.length < 10 || !(g.zmax > g.zmin)) return false;
  return v[v.length >> 1] - g.zmin < 0.1 * (g.zmax - g.zmin);
}

store.onChange((s, info) => {
  if (info.external) store.normalise(sanitise(s, catalog));
  const state = store.state;
  if (state.surface !== bound.id) bound = boundFor(state);
  document.body.classList.toggle("projector", state.big);
  $("#projector").setAttribute("aria-pressed", String(state.big));
  $("#speed").value = String(state.speed);
  player.setSpeed(state.speed);
  controls.render(state, bound, info.external);
  if (info.external || info.surface) refreshSurface();
  else if (info.view) refreshSurface({ rebind: false });
  if (info.external || !(info.view || info.ui)) queueRun(Boolean(info.live));
  else draw();
});

// ---- player controls, keyboard, tools ----
for (const v of SPEEDS) {
  const o = document.createElement("option");
  o.value = String(v);
  o.textContent = v === Infinity ? "instant" : `${v} steps/s`;
  $("#speed").append(o);
}
$("#speed").value = String(store.state.speed);
$("#speed").addEventListener("change", (e) =>
  store.commit((d) => { d.speed = Number(e.target.value); }, { history: "replace", ui: true }));
$("#play").addEventListener("click", () => player.toggle());
$("#restart").addEventListener("click", () => player.restart());
$("#back").addEventListener("click", () => player.step(-1));
$("#fwd").addEventListener("click", () => player.step(1));
$("#scrub").addEventListener("input", (e) => player.scrub(Number(e.target.value)));
$("#projector").addEventListener("click", () => {
  store.commit((d) => { d.big = !d.big; }, { history: "replace", ui: true });
});
// Plotly's `responsive` follows the window only; the grid also changes with projector mode.
const resizer = new ResizeObserver((entries) => {
  for (const e of entries) if (e.target.data && e.target.offsetParent) Plotly.Plots.resize(e.target);
});
resizer.observe($("#contour"));
resizer.observe($("#lossplot"));
resizer.observe($("#datapanel"));

document.addEventListener("keydown", (e) => {
  const tag = e.target.tagName;
  if (["INPUT", "SELECT", "TEXTAREA"].includes(tag) || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === " " && tag !== "BUTTON") {
    e.preventDefault();
    player.toggle();
  } else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
    e.preventDefault();
    player.step((e.key === "ArrowRight" ? 1 : -1) * (e.shiftKey ? 10 : 1));
  } else if (e.key === "Home") player.scrub(0);
  else if (e.key === "End") player.scrub(Infinity);
});

async function guarded(fn) {
  try {
    banner(null);
    await fn();
  } catch (err) {
    if (err.field) controls.showError(err.field, err.message);
    banner(`Export failed: ${err.message}`);
  }
}
$("#export-csv").addEventListener("click", () => guarded(() => exportRuns(runBody(store.state), "csv")));
$("#export-json").addEventListener("click", () => guarded(() => exportRuns(runBody(store.state), "json")));
$("#export-png").addEventListener("click", () => guarded(() => exportPNG($("#contour"), store.state.surface)));
$("#contour").addEventListener("keydown", (e) => { if (e.key === "Escape") inspector.close(); });

// ---- start ----
document.body.classList.toggle("projector", store.state.big);
$("#projector").setAttribute("aria-pressed", String(store.state.big));
controls.render(store.state, bound, true);
refreshSurface();
setStatus();
// For tests and the curious: the live objects (read them, do not rely on them as an API).
window.descentlab = { store, runs, player, catalog };
