// The app state, and its home: the URL hash. Everything a user sets lives in the hash, so a
// link reproduces the view and the back button undoes a step.
//
// #surface=rosenbrock&sp=b:10&start=-1.5,2&steps=500&restarts=8&seed=1
//  &opt=gd(lr:0.001)&opt=adam(lr:0.01,betas:0.9/0.999)~step(step_size:100,gamma:0.5)
//  &view=-2,2,-1,3&speed=100&big=1
// A typed surface: surface=custom&expr=<URI-encoded text>&ep=a:1&dom=-2,2,-1,3.
// Data-fit surfaces: batch=10&sampling=replacement&epochs=20; any other: noise=0.5.
// Stopping rules (run body `stop`): gtol=1e-4 or gtol=off (|∇f| < tol; default 1e-6),
// gnorm=l1|l2|inf (which norm; default l2), ltol=1e-9 (|Δf| < tol; default off).
// ring=1: on a data-fit surface, whose minibatch the data panel rings (default the first's).
// Optimiser and surface params hold only what differs from the defaults.
// An optimiser may start from a point of its own (run body `optimizers[i].start`, overriding
// `start` for that path): opt=gd(lr:0.01)@-30,25 (after any ~schedule).
// Random restarts, drawn as a particle cloud, around a point (run body `restart_from`, normal):
// rfrom=normal(center:-3/-0.5,sigma:0.5) (no center: around the start); on a grid over the view
// (the view's box, else the surface's domain): rfrom=grid; absent: uniform over that box.
// ewa=0.9: the loss plot's EWA of a minibatch loss, with β (absent: off; ewa.js).
// levels=0.1,1,2,4: the contours drawn at exactly these heights (a preset's `view.levels`).
// panel=0: the controls' drawer folded away (the figures take the width).
// loss=linear: the loss plot on a linear axis (default log where every value shown is positive).
// equal=1 / equal=0: one unit as long on y as on x, or not (absent: equal for a 2-D catalog
// surface whose domain is at most three times as wide as tall, or as tall as wide).
// show=sweep|basins|3d|grad: the view open beside the surface (views.js), with its settings:
// sweep=run:0,x:lr,x0:0.0001,x1:0.1,xs:log,y:momentum,y0:0,y1:0.99,ys:lin,n:100,m:loss and
// basins=run:0,n:100,paths:0 (paths:0: the map without the paths) and threed=z:log (what is
// left out takes the view's default).
// over=state,field: drawn over the surface besides the paths (overlay.js): what each rule
// keeps at the moving point, and the field of −∇f.
// lecture=<preset-id>: lecture mode, showing that preset's caption. A hash holding nothing else
// (#lecture=<preset-id>) applies the preset afresh; with the rest of the state beside it, the
// state is as written (a figure the viewer changed in lecture mode).

export const CUSTOM = "custom";
export const MAX_LEVELS = 64; // contour heights one figure draws (a trace each)
export const DEFAULT_EPOCHS = 100;

export const DEFAULT_SPEED = 100;
export const DEFAULT_GTOL = 1e-6;
export const NORMS = ["l1", "l2", "inf"];
export const VIEWS = ["sweep", "basins", "3d", "grad"]; // the views beside the surface (views.js)
export const OVERLAYS = ["state", "field"]; // drawn over the surface (overlay.js)

export function defaultState() {
  return {
    surface: "rosenbrock",
    sp: {},
    start: null,
    steps: 500,
    opts: [
      { id: "gd", p: { lr: 0.001 }, s: null },
      { id: "momentum", p: { lr: 0.001 }, s: null },
      { id: "adam", p: { lr: 0.05 }, s: null },
    ],
    view: null,
    speed: DEFAULT_SPEED,
    big: false,
    embed: false, // the figure alone, for an iframe (share.js)
    panel: true, // the controls' drawer open
    lossLin: false, // the loss plot on a linear axis
    eq: null, // equal axis scale: true, false, or null (the surface's default, see equalScale)
    restarts: 0,
    seed: 0,
    expr: "", // typed surface (surface === CUSTOM)
    ep: {}, // its declared parameters
    dom: null, // its view box [xmin, xmax(, ymin, ymax)]
    batch: null, // minibatch size M on a data-fit surface (null: full batch)
    samp: "shuffle",
    epochs: DEFAULT_EPOCHS,
    noise: 0, // simulated gradient noise on any other surface
    gtol: DEFAULT_GTOL, // stop when the gradient norm is below (null: never)
    gnorm: "l2", // in this norm
    ltol: null, // stop when the loss changes by less (null: never)
    ring: 0, // the optimiser whose minibatch the data panel rings
    rf: null, // restarts from {dist: "normal", center?, sigma} or {dist: "grid"} (null: uniform)
    ewa: null, // β of the loss plot's EWA (null: not shown)
    levels: null, // contour heights to draw (null: chosen by the figure)
    lecture: null, // the preset lecture mode shows (null: not in lecture mode)
    show: null, // the view open beside the surface: "sweep", "basins" or null
    sw: {}, // the sweep view's settings (sweepview.js)
    bs: {}, // the basin view's settings (basinview.js)
    over: [], // drawn over the surface: "state", "field" (in OVERLAYS' order)
    td: {}, // the 3-D view's settings (surface3d.js)
  };
}

const num = (v) => String(Number.isInteger(v) ? v : Number(v.toPrecision(6)));

function fmtParams(p) {
  return Object.entries(p)
    .map(([k, v]) => `${k}:${Array.isArray(v) ? v.map(num).join("/") : num(v)}`)
    .join(",");
}

function parseParams(text) {
  const out = {};
  if (!text) return out;
  for (const part of text.split(",")) {
    const [k, v] = part.split(":");
    if (!k || v === undefined) continue;
    const vals = v.split("/").map(Number);
    if (vals.some((x) => !Number.isFinite(x))) continue;
    out[k] = vals.length > 1 ? vals : vals[0];
  }
  return out;
}

// A view's settings: names and numbers ("x:lr,x0:0.001").
const fmtSettings = (p) => Object.entries(p).map(([k, v]) => `${k}:${typeof v === "number" ? num(v) : v}`).join(",");

function parseSettings(text) {
  const out = {};
  for (const part of (text || "").split(",")) {
    const [k, v] = part.split(":");
    if (!k || !v) continue;
    if (Number.isFinite(Number(v))) out[k] = Number(v);
    else if (/^[\w.-]+$/.test(v)) out[k] = v;
  }
  return out;
}

function fmtCall(id, p) {
  const args = fmtParams(p);
  return args ? `${id}(${args})` : id;
}

function parseCall(text) {
  const m = /^([\w-]+)(?:\(([^)]*)\))?$/.exec(text || "");
  return m ? { id: m[1], p: parseParams(m[2]) } : null;
}

function numbers(text) {
  const vals = (text || "").split(",").map(Number);
  return vals.length && vals.every(Number.isFinite) && text ? vals : null;
}

export function toHash(s) {
  const parts = [`surface=${s.surface}`];
  if (s.surface === CUSTOM) {
    parts.push(`expr=${encodeURIComponent(s.expr)}`);
    if (Object.keys(s.ep).length) parts.push(`ep=${fmtParams(s.ep)}`);
    if (s.dom) parts.push(`dom=${s.dom.map(num).join(",")}`);
  }
  if (Object.keys(s.sp).length) parts.push(`sp=${fmtParams(s.sp)}`);
  if (s.start) parts.push(`start=${s.start.map(num).join(",")}`);
  parts.push(`steps=${s.steps}`);
  if (s.restarts) parts.push(`restarts=${s.restarts}`);
  if (s.seed) parts.push(`seed=${s.seed}`);
  if (s.batch) parts.push(`batch=${s.batch}`);
  if (s.samp !== "shuffle") parts.push(`sampling=${s.samp}`);
  if (s.epochs !== DEFAULT_EPOCHS) parts.push(`epochs=${s.epochs}`);
  if (s.noise) parts.push(`noise=${num(s.noise)}`);
  if (s.gtol !== DEFAULT_GTOL) parts.push(`gtol=${s.gtol === null ? "off" : num(s.gtol)}`);
  if (s.gnorm !== "l2") parts.push(`gnorm=${s.gnorm}`);
  if (s.ltol !== null) parts.push(`ltol=${num(s.ltol)}`);
  for (const o of s.opts) {
    const at = o.start ? "@" + o.start.map(num).join(",") : "";
    parts.push(`opt=${fmtCall(o.id, o.p)}${o.s ? "~" + fmtCall(o.s.id, o.s.p) : ""}${at}`);
  }
  if (s.rf) {
    const { dist, ...p } = s.rf;
    parts.push(`rfrom=${fmtCall(dist, p)}`);
  }
  if (s.ewa !== null) parts.push(`ewa=${num(s.ewa)}`);
  if (s.ring) parts.push(`ring=${s.ring}`);
  if (s.view) parts.push(`view=${s.view.map(num).join(",")}`);
  if (s.levels) parts.push(`levels=${s.levels.map(num).join(",")}`);
  if (s.speed !== DEFAULT_SPEED) parts.push(`speed=${s.speed}`);
  if (s.big) parts.push("big=1");
  if (s.embed) parts.push("embed=1");
  if (!s.panel) parts.push("panel=0");
  if (s.lossLin) parts.push("loss=linear");
  if (s.eq !== null) parts.push(`equal=${s.eq ? 1 : 0}`);
  if (s.show) parts.push(`show=${s.show}`);
  if (s.over.length) parts.push(`over=${s.over.join(",")}`);
  if (Object.keys(s.sw).length) parts.push(`sweep=${fmtSettings(s.sw)}`);
  if (Object.keys(s.bs).length) parts.push(`basins=${fmtSettings(s.bs)}`);
  if (Object.keys(s.td).length) parts.push(`threed=${fmtSettings(s.td)}`);
  if (s.lecture) parts.push(`lecture=${encodeURIComponent(s.lecture)}`);
  return "#" + parts.join("&");
}

export function fromHash(hash) {
  const s = defaultState();
  const text = (hash || "").replace(/^#/, "");
  if (!text) return s;
  const opts = [];
  const decode = (v) => { try { return decodeURIComponent(v); } catch { return v; } };
  for (const part of text.split("&")) {
    const i = part.indexOf("=");
    const key = i < 0 ? part : part.slice(0, i);
    const val = decode(i < 0 ? "" : part.slice(i + 1));
    const whole = Math.round(Number(val));
    if (key === "surface" && val) s.surface = val;
    else if (key === "sp") s.sp = parseParams(val);
    else if (key === "start") s.start = numbers(val);
    else if (key === "steps" && Number(val) >= 1) s.steps = Math.round(Number(val));
    else if (key === "view") s.view = numbers(val);
    else if (key === "speed" && Number(val) > 0) s.speed = Number(val);
    else if (key === "big") s.big = val !== "0";
    else if (key === "embed") s.embed = val !== "0";
    else if (key === "panel") s.panel = val !== "0";
    else if (key === "loss") s.lossLin = val === "linear";
    else if (key === "equal" && (val === "0" || val === "1")) s.eq = val === "1";
    else if (key === "restarts" && whole >= 0) s.restarts = whole; // (sanitise clamps)
    else if (key === "seed" && whole >= 0) s.seed = whole;
    else if (key === "expr") s.expr = val;
    else if (key === "ep") s.ep = parseParams(val);
    else if (key === "dom") s.dom = numbers(val);
    else if (key === "batch" && whole >= 1) s.batch = whole;
    else if (key === "sampling" && ["shuffle", "replacement"].includes(val)) s.samp = val;
    else if (key === "epochs" && whole >= 1) s.epochs = whole;
    else if (key === "noise" && Number(val) >= 0) s.noise = Number(val);
    else if (key === "gtol" && (val === "off" || Number(val) > 0)) s.gtol = val === "off" ? null : Number(val);
    else if (key === "gnorm" && NORMS.includes(val)) s.gnorm = val;
    else if (key === "ring" && whole >= 0) s.ring = whole;
    else if (key === "ltol" && (val === "off" || Number(val) > 0)) s.ltol = val === "off" ? null : Number(val);
    else if (key === "levels") s.levels = numbers(val);
    else if (key === "lecture" && val) s.lecture = val;
    else if (key === "show" && VIEWS.includes(val)) s.show = val;
    else if (key === "over") s.over = OVERLAYS.filter((o) => val.split(",").includes(o));
    else if (key === "sweep") s.sw = parseSettings(val);
    else if (key === "basins") s.bs = parseSettings(val);
    else if (key === "threed") s.td = parseSettings(val);
    else if (key === "rfrom") {
      const call = parseCall(val);
      if (call && call.id === "normal") s.rf = { dist: "normal", ...call.p };
      else if (call && call.id === "grid") s.rf = { dist: "grid" };
    } else if (key === "ewa" && val !== "" && Number(val) >= 0 && Number(val) <= 0.999) {
      s.ewa = Number(val);
    } else if (key === "opt") {
      const [call_, at] = val.split("@");
      const [o, sch] = call_.split("~");
      const call = parseCall(o);
      const start = at === undefined ? null : numbers(at);
      if (call) opts.push({ id: call.id, p: call.p, s: sch ? parseCall(sch) : null, ...(start ? { start } : {}) });
    }
  }
  // A hash that names a surface but no optimiser gets the default optimisers.
  if (opts.length) s.opts = opts;
  return s;
}

// Keys of how the page is shown, not of what it runs: a link to a lecture step may carry them.
const SHOWN_ONLY = ["big", "embed", "panel"];

// The preset a hash asks lecture mode to apply afresh: #lecture=<id>, alone or with SHOWN_ONLY
// keys (#lecture=<id>&big=1: that step on a projector).
export function freshLecture(hash) {
  const keys = (hash || "").replace(/^#/, "").split("&").filter(Boolean).map((p) => p.split("=")[0]);
  const one = keys.filter((k) => k === "lecture").length === 1;
  return one && keys.every((k) => k === "lecture" || SHOWN_ONLY.includes(k)) ? fromHash(hash).lecture : null;
}

// The URL follows the state once changes pause (see Store.writeUrl): URL_QUIET ms after the last
// change, and during a long drag at least every URL_EVERY ms.
const URL_QUIET = 250;
const URL_EVERY = 1000;

// Holds the state; commit() writes the hash ("push" makes a back-button step, "replace" does
// not: slider drags replace, discrete actions push). onChange(cb) hears every change, with
// `external` true when it came from the URL (back button, edited link).
export class Store {
  constructor() {
    this.state = fromHash(location.hash);
    this.listeners = [];
    this.written = location.hash; // the state's hash
    this.urlHash = location.hash; // the URL's, as last written or heard
    window.addEventListener("hashchange", () => {
      this.urlHash = location.hash;
      if (location.hash === this.written) return;
      this.pendingUrl = undefined; // the back button (or an edited link) wins over a change waiting
      clearTimeout(this.urlTimer);
      this.written = location.hash;
      this.state = fromHash(location.hash);
      this.emit({ external: true });
    });
    window.addEventListener("pagehide", () => this.flushUrl()); // (for the tab's history)
  }

  onChange(cb) {
    this.listeners.push(cb);
  }

  emit(info) {
    for (const cb of this.listeners) cb(this.state, info);
  }

  // mutate(draft) edits a deep copy; hints ({surface: true, ...}) tell listeners what moved.
  commit(mutate, { history = "push", ...hints } = {}) {
    const draft = structuredClone(this.state);
    mutate(draft);
    this.state = draft;
    const hash = toHash(draft);
    if (hash !== this.written) this.writeUrl(hash, history === "push");
    this.emit({ external: false, ...hints });
  }

  // The URL is written once changes pause, not at each change: a history call costs ~1.5 ms in
  // the page and as much again in the browser process (~7 and ~12 ms with DevTools open), just
  // when the change's run is being computed on the same cores; Chrome also ignores a page's
  // history calls beyond ~200 in 10 s, and a drag (or an arrow key held on a slider) commits on
  // every input event. Changes that wait together make one entry (a push if any of them pushed).
  writeUrl(hash, push) {
    this.written = hash;
    const since = this.pendingUrl?.since ?? performance.now();
    this.pendingUrl = { hash, push: push || Boolean(this.pendingUrl?.push), since };
    clearTimeout(this.urlTimer);
    const wait = Math.min(URL_QUIET, Math.max(0, since + URL_EVERY - performance.now()));
    this.urlTimer = setTimeout(() => this.flushUrl(), wait);
  }

  flushUrl() {
    clearTimeout(this.urlTimer);
    const pending = this.pendingUrl;
    this.pendingUrl = undefined;
    // A URL changed from outside (back button, link) whose hashchange has not run yet wins too.
    if (!pending || pending.hash === location.hash || location.hash !== this.urlHash) return;
    if (pending.push) window.history.pushState(null, "", pending.hash);
    else window.history.replaceState(null, "", pending.hash);
    this.urlHash = location.hash; // (as the browser encoded it)
  }

  // Replace the state silently (canonicalising a hash after validation).
  normalise(state) {
    this.state = state;
    this.writeUrl(toHash(state), false);
  }
}

// Whether the surface figure draws x and y to one scale: as the state says, else for a 2-D
// catalog surface (`surface`: its catalog entry, null for a typed one) whose domain's sides
// are within 1:3 of each other.
export function equalScale(s, surface) {
  if (s.eq !== null) return s.eq;
  if (!surface || surface.dim !== 2) return false;
  const [[x0, x1], [y0, y1]] = surface.domain;
  const aspect = (x1 - x0) / (y1 - y0);
  return aspect >= 1 / 3 && aspect <= 3;
}

// Steps per epoch of minibatches of M = batch (null: all n) on n samples.
// The state's view as ranges, [[xmin, xmax], [ymin, ymax]] (a curve's: [[xmin, xmax]]), or
// `home` (the surface's domain, or null) when there is none for a surface of home's dimension.
export function viewRanges(s, home = null) {
  const v = s.view;
  if (!v || (home && v.length !== 2 * home.length)) return home;
  return v.length === 4 ? [v.slice(0, 2), v.slice(2)] : [v.slice(0, 2)];
}

export const stepsPerEpoch = (n, batch) => Math.ceil(n / Math.min(batch ?? n, n));

// The most epochs the server runs (GET /api/limits: max_steps in all).
export const maxEpochs = (limits, n, batch) => Math.max(1, Math.floor(limits.max_steps / stepsPerEpoch(n, batch)));

// Drop what the server's catalogs do not know (a stale or hand-edited link), keeping the rest,
// and clamp counts to the server's limits (catalog.limits, from GET /api/limits).
export function sanitise(s, catalog) {
  const out = structuredClone(s);
  const limits = catalog.limits;
  out.expr = out.expr.slice(0, limits.max_expression_length);
  const custom = out.surface === CUSTOM && out.expr.trim();
  if (!custom && !catalog.surfaces.has(out.surface)) out.surface = catalog.surfaces.keys().next().value;
  if (custom) {
    out.sp = {};
    for (const k of Object.keys(out.ep)) if (Array.isArray(out.ep[k])) delete out.ep[k];
    if (out.dom && ![2, 4].includes(out.dom.length)) out.dom = null;
    if (out.dom && !(out.dom[0] < out.dom[1] && (out.dom.length < 4 || out.dom[2] < out.dom[3]))) out.dom = null;
  } else {
    out.expr = "";
    out.ep = {};
    out.dom = null;
    const surf = catalog.surfaces.get(out.surface);
    const names = new Set((surf.params || []).map((p) => p.name));
    for (const k of Object.keys(out.sp)) if (!names.has(k) || Array.isArray(out.sp[k])) delete out.sp[k];
    if (out.start && out.start.length !== surf.dim) out.start = null;
    if (out.view && out.view.length !== 2 * surf.dim) out.view = null;
    for (const o of out.opts) if (o.start && o.start.length !== surf.dim) delete o.start;
    const c = out.rf && out.rf.center;
    if (c !== undefined && c !== null && !(Array.isArray(c) ? c.length === surf.dim : surf.dim === 1 && Number.isFinite(c))) out.rf = null;
  }
  if (out.rf && Number.isFinite(out.rf.center)) out.rf.center = [out.rf.center]; // (one number: 1-D)
  if (out.rf?.dist === "normal" && !(out.rf.sigma > 0)) out.rf = null;
  if (out.rf?.dist === "grid") out.rf = { dist: "grid" };
  // a figure's contour heights: ascending and distinct, a bounded number of contour traces
  if (out.levels) out.levels = [...new Set(out.levels)].sort((a, b) => a - b).slice(0, MAX_LEVELS);
  if (out.levels && !out.levels.length) out.levels = null;
  out.restarts = Math.min(Math.max(0, out.restarts), limits.max_restarts);
  const n = out.surface === CUSTOM ? 0 : catalog.surfaces.get(out.surface).data_size ?? 0;
  out.epochs = Math.min(Math.max(1, out.epochs), n ? maxEpochs(limits, n, out.batch) : Infinity);
  out.steps = Math.min(Math.max(1, out.steps), limits.max_steps);
  if (!NORMS.includes(out.gnorm)) out.gnorm = "l2";
  const keep = (params, specs) => {
    const known = new Map(specs.map((h) => [h.name, h]));
    for (const [k, v] of Object.entries(params)) {
      const h = known.get(k);
      if (!h || (h.size || 1) !== (Array.isArray(v) ? v.length : 1)) delete params[k];
    }
  };
  out.opts = out.opts.filter((o) => catalog.optimizers.has(o.id)).slice(0, limits.max_optimizers);
  for (const o of out.opts) {
    keep(o.p, catalog.optimizers.get(o.id).hyperparameters);
    if (o.s && !catalog.schedules.has(o.s.id)) o.s = null;
    if (o.s) keep(o.s.p, catalog.schedules.get(o.s.id).params || []);
  }
  if (!out.opts.length) out.opts = defaultState().opts.filter((o) => catalog.optimizers.has(o.id));
  if (!(out.ring < out.opts.length)) out.ring = 0;
  if (out.lecture && !catalog.presets.some((p) => p.id === out.lecture)) out.lecture = null;
  return out;
}
