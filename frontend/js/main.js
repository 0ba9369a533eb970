// Wiring: load the catalogs, then connect state -> controls, state -> surface + grid fetches,
// state -> streamed runs, runs + player -> figures. No logic of its own beyond the glue.

import { getJSON, postRaw, RunSocket, ApiError } from "./api.js";
import { Store, sanitise, fromHash, toHash, freshLecture, equalScale, viewRanges, CUSTOM, OVERLAYS } from "./state.js";
import { Runs, emptyTrack } from "./runs.js";
import { Controls } from "./controls.js";
import { SurfacePlot } from "./plot.js";
import { LossPlot } from "./lossplot.js";
import { Frames } from "./frames.js";
import { fullPlotly } from "./plotlyfull.js";
import { Player, SPEEDS } from "./player.js";
import { renderPresets, toState, lectureOrder } from "./presets.js";
import { LectureMode } from "./lecture.js";
import { exportRuns, exportPNG, exportSVG, exportHTML } from "./export.js";
import { VideoExport } from "./video.js";
import { Share } from "./share.js";
import { MenuButton } from "./menu.js";
import { renderSummary, statusText } from "./summary.js";
import { setSelect, formatValue } from "./slider.js";
import { runLabels } from "./labels.js";
import { lineName } from "./palette.js";
import { validate } from "./custom.js";
import { drawData } from "./datapanel.js";
import { LrBound, Inspector } from "./analysis.js";
import { eigenAxes } from "./curvature.js";
import { GRID_ENCODING, decodeGrid } from "./grid.js";
import { UserData } from "./userdata.js";
import { Views } from "./views.js";
import { SweepView } from "./sweepview.js";
import { BasinView } from "./basinview.js";
import { Overlay } from "./overlay.js";
import { EwaControl } from "./ewa.js";
import { Surface3DView } from "./surface3d.js";
import { DerivView } from "./derivview.js";
import { markHiddenEnds } from "./scrollrow.js";
import { guardCommas } from "./numbox.js";

const $ = (sel) => document.querySelector(sel);
const app = $("#app");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Plotly.js loads `async` beside this module: everything but drawing starts without it.
const plotlyReady = window.Plotly ? Promise.resolve() : new Promise((resolve) => {
  $("#plotly-js").addEventListener("load", resolve);
  $("#plotly-js").addEventListener("error", () => banner("Could not load Plotly.js: no figures can be drawn."));
});

// The grid query for a surface: 400 points for a curve, 150 × 150 for contours, in the view.
function gridQuery(s, one) {
  const q = { ...(one ? { nx: 400 } : { nx: 150, ny: 150 }), encoding: GRID_ENCODING };
  if (s.view) {
    [q.xmin, q.xmax] = s.view;
    if (!one && s.view.length === 4) [q.ymin, q.ymax] = s.view.slice(2);
  }
  return q;
}

// First load: ask for the linked surface and its grid at once, beside the catalogs (a guess
// from the URL, checked against the catalog before use: a 2-D catalog surface).
const early = new Map();
function fetchOnce(path, params) {
  const key = path + "?" + new URLSearchParams(params).toString();
  const p = early.get(key);
  early.delete(key);
  return p || getJSON(path, params);
}
{
  const s0 = fromHash(location.hash);
  if (!freshLecture(location.hash) && s0.surface !== CUSTOM && /^[\w-]+$/.test(s0.surface)) {
    const params = JSON.stringify(s0.sp);
    for (const [path, q] of [[`/api/surfaces/${s0.surface}`, { params }],
      [`/api/surfaces/${s0.surface}/grid`, { ...gridQuery(s0, false), params }]]) {
      const p = getJSON(path, q);
      p.catch(() => {});
      early.set(path + "?" + new URLSearchParams(q).toString(), p);
    }
  }
}

function banner(msg, kind = "error") {
  const b = $("#banner");
  b.hidden = !msg;
  b.textContent = msg || "";
  b.dataset.kind = kind;
}

async function loadCatalog() {
  for (let attempt = 0; ; attempt++) {
    try {
      const [s, o, sc, p, l] = await Promise.all([
        getJSON("/api/surfaces"), getJSON("/api/optimizers"),
        getJSON("/api/schedules"), getJSON("/api/presets"), getJSON("/api/limits"),
      ]);
      banner(null);
      const byId = (list) => new Map(list.map((x) => [x.id, x]));
      return {
        surfaces: byId(s.surfaces), optimizers: byId(o.optimizers),
        schedules: byId(sc.schedules), presets: p.presets, lectures: p.lectures ?? [],
        limits: l.limits,
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
// A preset as the step lecture mode shows, over the state `d` (its UI settings kept).
const asStep = (p, d) => toState(p, { ...d, lecture: p.id });
const presetById = (id) => catalog.presets.find((p) => p.id === id);
{
  const fresh = presetById(freshLecture(location.hash)); // #lecture=<id>: that preset afresh
  store.normalise(sanitise(fresh ? asStep(fresh, store.state) : store.state, catalog));
}
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
    minima: [], log_contours: false, params: [], data_size: null, model: null, description: "",
    latex: answer ? answer.latex : "",
  };
}
// The user's data, kept in memory: described first (n sets the run's epochs), then drawn and run.
const userData = new UserData($("#userdata"), catalog, async () => {
  bound = await userData.describe(surfaceSpec(store.state), DATA_POINTS);
  store.commit((d) => Object.assign(d, { view: null, levels: null }), { surface: true, structure: true });
});
const boundFor = (s) => (s.surface === CUSTOM ? customBound(s)
  : userData.described(s.surface) ?? catalog.surfaces.get(s.surface));
let bound = boundFor(store.state); // the surface with its params bound

// What the server is told the surface is: a catalog id with params, or a typed spec.
function surfaceSpec(s) {
  if (s.surface !== CUSTOM) return userData.spec({ id: s.surface, params: s.sp });
  const spec = { expression: s.expr, params: s.ep };
  if (s.dom) spec.domain = s.dom.length === 2 ? [s.dom] : [s.dom.slice(0, 2), s.dom.slice(2, 4)];
  return spec;
}
// The spec as a short key: the user's data by their version (asked for every frame drawn).
const specKey = (s) => JSON.stringify(surfaceSpec(s), (k, v) => (k === "data" ? userData.key(s.surface) : v));
const startOf = (s) => (s.start && s.start.length === bound.dim ? s.start : bound.start);
const dataSize = () => bound.data_size ?? 0;
const batchOf = (s) => Math.min(s.batch ?? dataSize(), dataSize());
let inspected = null;

const plot = new SurfacePlot({ stage: $("#surface-stage"), base: $("#contour"), legend: $("#surface-legend") }, {
  onStart: (p) => store.commit((d) => { d.start = p.map((v) => Number(v.toPrecision(4))); }),
  onView: (v) => store.commit((d) => { d.view = v; }, { history: "replace", view: true }),
  onInspect: (p) => inspector.inspect(p),
});
const loss = new LossPlot($("#lossbase"));
const overlay = new Overlay({ host: $("#surface-legend"), limits: catalog.limits, onData: () => draw() });
const ewaControl = new EwaControl($("#ewa-ctl"), { get: () => store.state.ewa,
  set: (beta) => store.commit((d) => { d.ewa = beta; }, { history: "replace", ui: true }) });
const lrBound = new LrBound();
// What the step-size bound is read against: minibatches of a summed loss step n times shorter.
const lrContext = (s) => ({ n: dataSize(), minibatch: dataSize() > 0 && batchOf(s) < dataSize(),
  reduction: bound.reduction });
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
// A comma typed into a number box: refused beside the panel's control, else by the box itself.
guardCommas(document, { onRefuse: (box, message) => {
  const field = box.closest(".panel [data-field]")?.dataset.field;
  if (field) controls.showError(field, message);
  else box.reportValidity();
} });
const lectureGroups = lectureOrder(catalog.lectures, catalog.presets);
renderPresets($("#presets"), lectureGroups, (fn, opts) => store.commit(fn, opts));
let lastPreset = null; // lecture mode opens at the preset applied last
const lecture = new LectureMode({
  root: $("#lecture"),
  opener: $("#lecture-open"),
  groups: lectureGroups,
  onGo: (p) => store.commit((d) => Object.assign(d, asStep(p, d)),
    { surface: true, structure: true, preset: p.id }),
  onLeave: () => store.commit((d) => { d.lecture = null; }, { ui: true }),
  startAt: () => lastPreset,
});

// ---- drawing: the paths in the frame, the loss plot and the data panel after (frames.js) ----
let sentAt = 0; // when the run on screen was asked for
const GRACE = 100; // ms: a new run's partial paths are not drawn before (the old ones stay up)
const frames = new Frames({
  first: () => drawFirst(),
  second: () => drawSecond(),
  hold: () => (runs.done ? 0 : sentAt + GRACE - performance.now()),
  playing: () => player.playing,
});
const draw = () => frames.request();

const showsData = (s) => Boolean(plot.surface && plot.surface.data_size && plot.surface.id === s.surface);

// A data-fit surface's data as the data panel draws it: at most DATA_POINTS samples (a seeded
// subsample of larger data: the panel says how many it shows), fetched apart from the surface
// (GET /api/surfaces/{id}/data) once its contour is on its way. The panel stays up, drawn from
// the data it has, until the new data arrives.
const DATA_POINTS = 2000;
let sample = null; // the answer, and `key`: the surface and parameters it is for
async function loadSample(s, b) {
  if (!b.data_size) return;
  const params = JSON.stringify(s.sp);
  const key = `${b.id}?${params}${userData.key(b.id)}`;
  if (sample && sample.key === key) return;
  try {
    const answer = userData.active(b.id) ? await userData.sample(surfaceSpec(s), DATA_POINTS)
      : await getJSON(`/api/surfaces/${b.id}/data`, { params, max_points: DATA_POINTS });
    if (b !== bound) return; // a newer surface since
    sample = { ...answer, key };
    app.dataset.sample = key;
    draw();
  } catch {
    /* the panel keeps what it has; the contour's request reports a server that is gone */
  }
}

function drawFirst() {
  const s = store.state;
  const t = player.t;
  const tracks = drawPage(s, t);
  if (!plot.surface || !window.Plotly) return;
  const two = bound.dim === 2;
  if (!(two && s.over.includes("state"))) overlay.sync(false);
  else if (runs.done && !runs.error) overlay.sync(true, runs.id, () => runBody(s));
  plot.draw(tracks, t, startOf(s), s.big, { inspect: inspected,
    under: () => (two && s.over.includes("field") ? overlay.fieldItems(plot.grid, s.big) : []),
    over: (at) => overlay.items(at, s.big),
    axes: (shown, big) => eigenAxes(inspector.answer, shown, big) });
  views.frame(tracks, t, startOf(s));
}

// The plain DOM around the figures: the data panel shown or not, the status table, the step
// counter. Done before any figure is drawn (and without waiting for Plotly), so the figures are
// drawn at their final size: a box that changes size later redraws them in full.
function drawPage(s = store.state, t = player.t) {
  const names = labelsOf(s);
  plot.equal = equalScale(s, catalog.surfaces.get(s.surface) ?? null);
  const tracks = runs.tracks.map((tr, i) => ({ ...tr, label: names[i] ?? "" }));
  const dp = $("#datapanel");
  const data = showsData(s);
  if (dp.hidden === data) { // (the surface figure follows its box's new size itself)
    dp.hidden = !data;
    $("#views").classList.toggle("with-data", data);
  }
  // before the first run is sent, a row per optimiser all the same
  const rows = runs.id ? tracks : s.opts.map((o, i) => ({ ...emptyTrack(), label: names[i] }));
  renderSummary($("#summary"), rows, t, !runs.done, data ? s.ring : null);
  describe(s, rows);
  const total = runs.length;
  const scrub = $("#scrub");
  if (scrub.max !== String(total)) scrub.max = total;
  if (scrub.value !== String(t)) scrub.value = t;
  const out = `${Math.min(t, total)} / ${total}`;
  if ($("#step-out").textContent !== out) $("#step-out").textContent = out;
  return tracks;
}

// Each run's label: as the runs on screen were asked for (a refused run leaves the last good
// runs drawn, and its values never name them), or the state's before the first run.
const labelsOf = (s) => runs.meta.labels ?? runLabels(s.opts, catalog);

// The figures described for a screen reader (each figure's aria-describedby): the surface,
// its view and each run's line style and status; the loss plot's axis.
const setText = (el, text) => { if (el.textContent !== text) el.textContent = text; };
function describe(s, rows) {
  if (!bound) return;
  const rng = plot.surface === bound ? plot.range() : null;
  const span = (r) => (r ? `from ${r.map((v) => formatValue(v)).join(" to ")}` : "");
  const where = rng ? ` over x ${span(rng.x)}${rng.y ? `, y ${span(rng.y)}` : ""}` : "";
  const what = bound.dim === 1 ? "the curve of f" : `contours of f${bound.log_contours ? " (log scale)" : ""}`;
  const cloud = (r) => (r.rows?.length > 1 ? `, a cloud of ${r.rows.length} particles coloured by their loss (the best drawn in full)` : "");
  const runsText = rows.map((r, i) => `${i + 1}: ${r.label}, ${lineName(i)} line${cloud(r)}, ${statusText(r.summary, r.path.length - 1, !runs.done)}`);
  setText($("#surface-desc"), `${bound.name}: ${what}${where}; known minima as stars, the start as a ring. `
    + `Paths: ${runsText.join("; ")}.`);
  const gapped = minValue(s) !== null && !rows.some((r) => r.stochastic);
  setText($("#loss-desc"), `${gapped ? "f − f_min" : "The loss"} against step for each path, `
    + `${s.lossLin ? "on a linear" : "on a logarithmic"} axis, in the same line styles.`);
}

function drawSecond() {
  if (!window.Plotly) return;
  const s = store.state;
  const t = player.t;
  const names = labelsOf(s);
  const tracks = runs.tracks.map((tr, i) => ({ ...tr, label: names[i] ?? "" }));
  const epochSize = runs.meta.epochSize || 0;
  ewaControl.show(s.ewa, tracks.some((tr) => tr.stochastic));
  loss.draw(tracks, t, s.big, epochSize, { fmin: minValue(s), log: !s.lossLin, sumOf: runs.meta.sumOf || 0, ewa: s.ewa });
  // (offsetParent: not hidden, by the attribute or by the CSS that gives an open view its place)
  if (showsData(s) && $("#datapanel").offsetParent && sample && sample.id === s.surface) {
    drawData($("#datapanel"), plot.surface, sample, tracks, t, s.big, s.ring);
  }
}

// The surface's minimum value (f at its first listed minimum, from the step-size analysis), or
// null while it is unknown.
function minValue(s) {
  const v = lrBound.answer?.value;
  return lrBound.key === specKey(s) && Number.isFinite(v) ? v : null;
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
      ...(o.start ? { start: o.start } : {}), // (its own start, else the run's)
    })),
  };
  if (s.start && s.start.length === bound.dim) body.start = s.start;
  if (s.restarts) body.restart_from = restartFrom(s);
  body.stop = { grad_tol: s.gtol, grad_norm: s.gnorm, loss_tol: s.ltol };
  if (s.restarts) body.restarts = s.restarts;
  if (s.seed) body.seed = s.seed;
  if (bound.data_size && batchOf(s) < dataSize()) {
    // minibatches: the run is counted in epochs; M = n is plain gradient descent (on a summed
    // loss too, where a minibatch step would follow the mean gradient: lr / n)
    body.stochastic = { batch_size: batchOf(s), sampling: s.samp };
    body.epochs = s.epochs;
    delete body.max_steps;
  } else if (!bound.data_size && s.noise > 0) {
    body.stochastic = { noise: s.noise };
  }
  return body;
}

// Where a cloud's particles start: around a point, or uniformly or on a grid over the view.
function restartFrom(s) {
  if (s.rf?.dist === "normal") return { dist: "normal", center: s.rf.center ?? undefined, sigma: s.rf.sigma };
  const box = viewRanges(s);
  return { dist: s.rf?.dist === "grid" ? "grid" : "uniform", ...(box && box.length === bound.dim ? { box } : {}) };
}

// Changes made in one task go out as one run, at once (a microtask, not a frame later).
let runQueued = null;
function queueRun(live) {
  const first = runQueued === null;
  runQueued = (runQueued ?? true) && live; // a discrete change wins over a drag
  if (first) queueMicrotask(() => { const l = runQueued; runQueued = null; sendRun(l); });
}

function sendRun(live) {
  if (runs.id && !runs.done) socket.send({ type: "cancel", id: runs.id });
  const s = store.state;
  const n = dataSize();
  // (sumOf: n when the loss is a sum over n samples, whose minibatch loss is recorded × n)
  const minibatch = n > 0 && batchOf(s) < n;
  const id = runs.begin(s.opts.length, { epochSize: minibatch ? Math.ceil(n / batchOf(s)) : 0,
    sumOf: bound.reduction === "sum" ? n : 0, labels: runLabels(s.opts, catalog) });
  runs.unsent = !socket.send({ type: "run", id, ...runBody(store.state), frame_points: 512 });
  sentAt = performance.now();
  if (live) player.follow(); // the old paths stay up until the new ones arrive (or GRACE)
  else if (window.Plotly) player.restart();
  else { // the first run can arrive before Plotly has run: it plays once it can be seen
    player.seek(0);
    plotlyReady.then(() => { if (runs.id === id) player.restart(); });
  }
  app.dataset.runId = id;
  setStatus();
}

function onMessage(msg) {
  if (msg.type === "error" && (msg.id === null || msg.id === runs.id)) {
    controls.clearErrors();
    controls.showError(msg.field, msg.message);
    if (!store.state.panel) store.commit((d) => { d.panel = true; }, { history: "replace", ui: true });
    if (msg.id === null) banner(`The server refused a message: ${msg.message}`);
  }
  if (!runs.apply(msg)) return;
  if (msg.type === "error") runs.restorePrevious();
  else if (msg.type === "done" || runs.tracks.some((t) => t.path.length)) controls.clearErrors();
  player.dataChanged();
  setStatus();
  if (msg.type === "done" && !player.playing) frames.now();
  else draw();
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
  const mine = userData.active(s.surface); // the user's data: POST bodies carry them
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
    const q = gridQuery(s, one);
    const [b2, packed] = await Promise.all([
      custom || !rebind ? Promise.resolve(b)
        : mine ? userData.describe(surfaceSpec(s), DATA_POINTS) : fetchOnce(`/api/surfaces/${s.surface}`, { params }),
      custom || mine
        ? postRaw("/api/grid", { surface: surfaceSpec(s), ...q }).then((r) => r.json())
        : fetchOnce(`/api/surfaces/${s.surface}/grid`, { ...q, params }),
    ]);
    const g = decodeGrid(packed);
    if (token !== surfaceToken) return;
    if (custom) b2.log_contours = wantsLog(g);
    bound = b2;
    showViewToggles(store.state); // (a typed surface's dimension is known now)
    views.update(store.state);
    plot.setSurface(b2, g, s.view, s.levels);
    if (window.Plotly) { // the contours first; paths and loss next frame
      drawPage();
      plot.drawBase(s.big);
    }
    controls.render(store.state, bound);
    loadSample(s, b2);
    const fmin = minValue(s);
    lrBound.update(specKey(s), surfaceSpec(s), bound, lrContext(store.state)).then(() => {
      if (minValue(store.state) !== fmin) drawSecond(); // the loss plot as f − f_min
    });
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
  const fresh = info.external && presetById(freshLecture(location.hash));
  if (fresh) { // a link to a lecture step, followed: its preset afresh (this hears that change)
    store.commit((d) => Object.assign(d, asStep(fresh, d)), { history: "replace", surface: true, structure: true });
    return;
  }
  if (info.external) store.normalise(sanitise(s, catalog));
  const state = store.state;
  if (info.preset) lastPreset = info.preset;
  lecture.render(state.lecture);
  document.body.classList.toggle("lecturing", lecture.active);
  if (state.surface !== bound.id) bound = boundFor(state);
  showViewToggles(state);
  setSelect($("#speed"), String(state.speed));
  player.setSpeed(state.speed);
  controls.render(state, bound, info.external);
  userData.render(state.surface);
  lrBound.render(bound, lrContext(state));
  views.update(state);
  if (info.external || info.surface) refreshSurface();
  else if (info.view) refreshSurface({ rebind: false });
  const cloudMoved = info.view && state.restarts && state.rf?.dist !== "normal"; // (starts in the view)
  if (info.external || cloudMoved || !(info.view || info.ui)) queueRun(Boolean(info.live));
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
// On a data-fit surface a status row (its name, a button) picks whose minibatch is ringed.
function pickRing(e) {
  const row = e.target.closest("tr[data-run]");
  if (!row) return;
  const i = Number(row.dataset.run);
  const focused = Boolean(e.target.closest("button"));
  store.commit((d) => { d.ring = i; }, { history: "replace", ui: true });
  if (focused) requestAnimationFrame(() => $(`#summary tr[data-run="${i}"] button`)?.focus());
}
$("#summary").addEventListener("click", pickRing);
$("#restart").addEventListener("click", () => player.restart());
$("#back").addEventListener("click", () => player.step(-1));
$("#fwd").addEventListener("click", () => player.step(1));
$("#scrub").addEventListener("input", (e) => player.scrub(Number(e.target.value)));
// Projector mode folds the controls away (the figure takes the screen); leaving it opens them.
$("#projector").addEventListener("click", () => {
  store.commit((d) => { d.big = !d.big; d.panel = !d.big; }, { history: "replace", ui: true });
});
// The skip link focuses the figure without touching the URL's hash (the app's state).
$(".skip").addEventListener("click", (e) => {
  e.preventDefault();
  $("#surface-box").focus();
});
$("#loss-log").addEventListener("click", () => {
  store.commit((d) => { d.lossLin = !d.lossLin; }, { history: "replace", ui: true });
});
$("#equal-scale").addEventListener("click", () => {
  const on = equalScale(store.state, catalog.surfaces.get(store.state.surface) ?? null);
  store.commit((d) => { d.eq = !on; }, { history: "replace", ui: true });
});
for (const name of OVERLAYS) { // State, Field: drawn over the surface (overlay.js)
  $(`#over-${name}`).addEventListener("click", () => store.commit((d) => {
    const on = new Set(d.over);
    if (!on.delete(name)) on.add(name);
    d.over = OVERLAYS.filter((o) => on.has(o));
  }, { history: "replace", ui: true }));
}
// A touch screen's choice: a finger's drag over the surface zooms (pressed) or scrolls the page.
$("#touch-zoom").hidden = !(navigator.maxTouchPoints > 0);
$("#touch-zoom").addEventListener("click", () => {
  plot.touchZooms = !plot.touchZooms;
  $("#touch-zoom").setAttribute("aria-pressed", String(plot.touchZooms));
});
$("#panel-toggle").addEventListener("click", () => {
  store.commit((d) => { d.panel = !d.panel; }, { history: "replace", ui: true });
});
$("#fullscreen").hidden = !document.fullscreenEnabled;
$("#fullscreen").addEventListener("click", () => {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  else document.documentElement.requestFullscreen().catch(() => {});
});
document.addEventListener("fullscreenchange", () =>
  $("#fullscreen").setAttribute("aria-pressed", String(Boolean(document.fullscreenElement))));

// The view toggles the state holds: projector mode, the controls' drawer, the loss axis, equal
// axis scale on the surface (2-D only).
function showViewToggles(state) {
  document.body.classList.toggle("embed", state.embed);
  if (state.embed) $("#embed-open").href = pageLink(false);
  document.body.classList.toggle("projector", state.big);
  $("#projector").setAttribute("aria-pressed", String(state.big));
  document.body.classList.toggle("drawer-closed", !state.panel);
  $("#panel").hidden = !state.panel;
  $("#panel-toggle").setAttribute("aria-expanded", String(state.panel));
  $("#loss-log").setAttribute("aria-pressed", String(!state.lossLin));
  const surface = catalog.surfaces.get(state.surface) ?? null;
  $("#equal-scale").hidden = (surface ?? bound).dim !== 2;
  $("#equal-scale").setAttribute("aria-pressed", String(equalScale(state, surface)));
  for (const name of OVERLAYS) {
    $(`#over-${name}`).hidden = (surface ?? bound).dim !== 2;
    $(`#over-${name}`).setAttribute("aria-pressed", String(state.over.includes(name)));
  }
}
// Plotly's `responsive` follows the window only; the data panel's box also changes with
// projector mode and the drawer. (The surface and loss figures follow their own boxes.)
const seenSize = new WeakMap();
const resizer = new ResizeObserver((entries) => {
  for (const e of entries) {
    const size = `${Math.round(e.contentRect.width)}x${Math.round(e.contentRect.height)}`;
    const before = seenSize.get(e.target);
    seenSize.set(e.target, size);
    if (before && before !== size && window.Plotly && e.target.data && e.target.offsetParent) {
      Plotly.Plots.resize(e.target);
    }
  }
});
resizer.observe($("#datapanel"));

document.addEventListener("keydown", (e) => {
  const tag = e.target.tagName;
  if (["INPUT", "SELECT", "TEXTAREA"].includes(tag) || e.altKey || e.ctrlKey || e.metaKey) return;
  if (lecture.handleKey(e)) return; // lecture mode's keys: →/← move between figures
  if (e.key === " " && tag !== "BUTTON") {
    e.preventDefault();
    player.toggle();
  } else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
    e.preventDefault();
    player.step((e.key === "ArrowRight" ? 1 : -1) * (e.shiftKey ? 10 : 1));
  } else if (e.key === "Home" || e.key === "End") {
    e.preventDefault(); // the player's first or last step, not the top or foot of a long page
    player.scrub(e.key === "Home" ? 0 : Infinity);
  }
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
const video = new VideoExport($("#video"), {
  limits: catalog.limits,
  request: () => (runs.length ? { run: runBody(store.state), view: viewRanges(store.state) } : null),
});
$("#export-video").addEventListener("click", () => video.open());
new MenuButton($("#export"), $("#export-menu"));
markHiddenEnds($(".player-tools"));
// The page's URL now, as itself or as an embed (the figure alone).
function pageLink(embed) {
  const url = new URL(location.href);
  url.hash = toHash({ ...store.state, embed });
  return url.href;
}
const share = new Share($("#share-dialog"), {
  link: pageLink,
  title: () => `DescentLab: ${catalog.surfaces.get(store.state.surface)?.name ?? "a surface"}`,
});
$("#share").addEventListener("click", () => share.open());
$("#export-csv").addEventListener("click", () => guarded(() => exportRuns(runBody(store.state), "csv")));
$("#export-json").addEventListener("click", () => guarded(() => exportRuns(runBody(store.state), "json")));
$("#export-png").addEventListener("click", () => guarded(() =>
  exportPNG($("#surface-box"), (ctx, origin, scale) => plot.paintInto(ctx, origin, scale),
    store.state.surface)));
// The whole view for slides: the surface and the loss plot as on screen, under a heading.
const heading = () => ({ title: bound.name,
  formula: store.state.surface === CUSTOM ? `f = ${store.state.expr}` : bound.display ?? "" });
const viewFigures = () => [
  { name: "surface", box: $("#surface-box"), plotly: $("#contour"), legend: $("#surface-legend"), layers: [plot.layer] },
  { name: "loss", box: $("#loss-box"), plotly: $("#lossbase"), legend: null, layers: [loss.layer] },
];
$("#export-svg").addEventListener("click", () => guarded(() =>
  exportSVG(viewFigures(), heading(), store.state.surface)));
$("#export-html").addEventListener("click", () => guarded(() =>
  exportHTML(runBody(store.state), { view: viewRanges(store.state), title: bound.name,
    labels: runLabels(store.state.opts, catalog) })));
$("#surface-box").addEventListener("keydown", (e) => { if (e.key === "Escape") inspector.close(); });

// The page's run for a view's grid of runs: as many steps as the page's, where the page counts
// them in epochs of minibatches (the server's rule: epochs × ⌈n / batch⌉).
function viewBody(s) {
  const body = runBody(s);
  if (body.epochs) body.max_steps = body.epochs * Math.ceil(dataSize() / batchOf(s));
  return body;
}

// The views beside the surface (a sweep heatmap, a basin map), each from the page's runs.
const views = new Views({
  root: $("#viewpanel"), buttons: { sweep: $("#show-sweep"), basins: $("#show-basins"), "3d": $("#show-3d"),
    grad: $("#show-grad") },
  kinds: { sweep: SweepView, basins: BasinView, "3d": Surface3DView, grad: DerivView },
  ctx: { catalog, commit: (fn, opts) => store.commit(fn, opts), runBody: viewBody, bound: () => bound,
    steps: (s) => (bound ? viewBody(s).max_steps : s.steps), // (each run's, as the views send it)
    grid: () => (plot.surface === bound ? plot.grid : null),
    ready: plotlyReady, plotly3d: () => fullPlotly($("#plotly-js").dataset.full, plotlyReady),
    state: () => store.state, labels: (s) => runLabels(s.opts, catalog) },
  onLayout: () => $("#views").classList.toggle("with-view", Boolean(store.state.show)),
});

// ---- start ----
views.update(store.state);
lecture.render(store.state.lecture);
document.body.classList.toggle("lecturing", lecture.active);
showViewToggles(store.state);
controls.render(store.state, bound, true);
userData.render(store.state.surface);
refreshSurface();
setStatus();
plotlyReady.then(() => {
  if (plot.surface) {
    drawPage();
    plot.drawBase(store.state.big);
  }
  draw();
});
// For tests and the curious: the live objects (read them, do not rely on them as an API), and
// what each figure's own layer draws (lines and markers, with their names, styles and points).
// (surfaceBox, lossBox: where each layer draws: its plot area's box and axis ranges;
// baseDraws: how often Plotly has drawn the surface figure.)
window.descentlab = { store, runs, player, catalog, views, paths: () => plot.layer.state(),
  losses: () => loss.layer.state(), surfaceBox: () => plot.layer.view(), lossBox: () => loss.layer.view(),
  baseDraws: () => plot.baseDraws };
