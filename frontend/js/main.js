// Wiring: load the catalogs, then connect state -> controls, state -> surface + grid fetches,
// state -> streamed runs, runs + player -> figures. No logic of its own beyond the glue.

import { getJSON, RunSocket, ApiError } from "./api.js";
import { Store, sanitise } from "./state.js";
import { Runs } from "./runs.js";
import { Controls } from "./controls.js";
import { SurfacePlot } from "./plot.js";
import { drawLoss } from "./lossplot.js";
import { Player, SPEEDS } from "./player.js";
import { renderPresets } from "./presets.js";
import { exportRuns, exportPNG } from "./export.js";
import { renderSummary } from "./summary.js";
import { formatValue } from "./slider.js";

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
let bound = catalog.surfaces.get(store.state.surface); // the surface with its params bound
let surfaceToken = 0;
let online = false;

const plot = new SurfacePlot($("#contour"), {
  onStart: (p) => store.commit((d) => { d.start = p.map((v) => Number(v.toPrecision(4))); }),
  onView: (v) => store.commit((d) => { d.view = v; }, { history: "replace", view: true }),
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
    const start = s.start ?? bound.start;
    const tracks = runs.tracks.map((tr, i) => ({ ...tr, label: label(s.opts[i]) }));
    if (plot.surface) plot.draw(tracks, t, start, s.big);
    drawLoss($("#lossplot"), tracks, t, s.big);
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
    surface: { id: s.surface, params: s.sp },
    max_steps: s.steps,
    optimizers: s.opts.map((o) => ({
      id: o.id, params: o.p, schedule: o.s ? { id: o.s.id, params: o.s.p } : null,
    })),
  };
  if (s.start) body.start = s.start;
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
  const id = runs.begin(store.state.opts.length);
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
  const params = JSON.stringify(s.sp);
  const one = catalog.surfaces.get(s.surface).dim === 1;
  const q = one ? { nx: 400, params } : { nx: 150, ny: 150, params };
  if (s.view) {
    [q.xmin, q.xmax] = s.view;
    if (!one) [q.ymin, q.ymax] = s.view.slice(2);
  }
  try {
    const [b, g] = await Promise.all([
      rebind ? getJSON(`/api/surfaces/${s.surface}`, { params }) : Promise.resolve(bound),
      getJSON(`/api/surfaces/${s.surface}/grid`, q),
    ]);
    if (token !== surfaceToken) return;
    bound = b;
    plot.setSurface(b, g, s.view);
    controls.render(store.state, bound);
    draw();
  } catch (err) {
    if (token !== surfaceToken || !(err instanceof ApiError)) return;
    if (err.status === 0) banner(`Cannot reach the server: ${err.message}`);
    else controls.showError(err.field && !err.field.startsWith("surface") ? `surface.${err.field}` : err.field ?? "surface", err.message);
  }
}

store.onChange((s, info) => {
  if (info.external) store.normalise(sanitise(s, catalog));
  const state = store.state;
  if (state.surface !== bound.id) bound = catalog.surfaces.get(state.surface);
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
  for (const e of entries) if (e.target.data) Plotly.Plots.resize(e.target);
});
resizer.observe($("#contour"));
resizer.observe($("#lossplot"));

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

// ---- start ----
document.body.classList.toggle("projector", store.state.big);
$("#projector").setAttribute("aria-pressed", String(store.state.big));
controls.render(store.state, bound, true);
refreshSurface();
setStatus();
// For tests and the curious: the live objects (read them, do not rely on them as an API).
window.descentlab = { store, runs, player, catalog };
