// The control panel's surface part: which surface, its parameters, the start point and the
// number of steps; and the "add optimiser" row. Optimiser cards live in cards.js.

import { makeSlider, formatValue, setSelect } from "./slider.js";
import { renderCards } from "./cards.js";
import { CUSTOM, maxEpochs } from "./state.js";
import { CustomEditor, EXAMPLES } from "./custom.js";
import { StopControls } from "./stopping.js";

const $ = (sel, root = document) => root.querySelector(sel);
const setText = (el, text) => { if (el.textContent !== text) el.textContent = text; };
const fmt = (n) => n.toLocaleString("en");

export class Controls {
  // catalog: {surfaces, optimizers, schedules} as Maps by id, and the server's limits (GET
  // /api/limits: counts are clamped to them); commit is Store.commit.
  constructor(catalog, commit) {
    this.catalog = catalog;
    const limits = catalog.limits;
    this.commit = commit;
    this.sliders = new Map();
    this.fixed = new Map(); // sliders that are never rebuilt: the stopping rules
    this.stop = new StopControls($("#stop-rules"), commit, this.fixed);
    this.key = null;
    const sel = $("#surface");
    const groups = { true: "Lecture", false: "More surfaces" };
    for (const lecture of [true, false]) {
      const g = document.createElement("optgroup");
      g.label = groups[lecture];
      for (const s of catalog.surfaces.values()) {
        if (Boolean(s.lecture) !== lecture) continue;
        const o = document.createElement("option");
        o.value = s.id;
        o.textContent = `${s.name}${s.dim === 1 ? " (1-D)" : ""}`;
        g.append(o);
      }
      if (g.children.length) sel.append(g);
    }
    const own = document.createElement("optgroup");
    own.label = "Typed";
    const o = document.createElement("option");
    o.value = CUSTOM;
    o.textContent = "Your own…";
    own.append(o);
    sel.append(own);
    sel.addEventListener("change", () =>
      commit((d) => {
        if (sel.value === CUSTOM) {
          d.expr = d.expr || EXAMPLES[0][1];
        } else {
          Object.assign(d, { expr: "", ep: {}, dom: null });
          const data = Boolean(catalog.surfaces.get(sel.value).data_size);
          if (!data) d.batch = null;
          if (data) d.noise = 0;
        }
        // (a preset's contour heights, restart spread and per-path starts were for its surface)
        Object.assign(d, { surface: sel.value, sp: {}, start: null, view: null, levels: null, rf: null });
        for (const o of d.opts) delete o.start;
      }, { surface: true, structure: true }));
    this.custom = new CustomEditor(commit, () => this.state);

    // A whole number from lo to hi(); over the server's limit (limit: true) it is clamped to the
    // limit, and the note under the control says so.
    const whole = (id, field, lo, hi, write, limit = false) => $(id).addEventListener("change", (e) => {
      const n = Number(e.target.value);
      const top = hi();
      if (e.target.value.trim() === "" || !Number.isInteger(n) || n < lo || (n > top && !limit)) {
        return this.showError(field, `enter a whole number from ${lo} to ${top}`);
      }
      this.clampNote(field, n > top ? `${fmt(n)} is over the server's limit: clamped to ${fmt(top)}.` : null);
      if (n > top) e.target.value = String(top);
      commit((d) => write(d, Math.min(n, top)));
    });
    $("#restarts").max = String(limits.max_restarts);
    whole("#restarts", "restarts", 0, () => limits.max_restarts, (d, n) => { d.restarts = n; }, true);
    whole("#seed", "seed", 0, () => 2 ** 31 - 1, (d, n) => { d.seed = n; });
    this.cloudControls(commit);
    // (at most max_steps steps in all: epochs × steps per epoch)
    whole("#epochs", "epochs", 1, () => this.maxEpochs(), (d, n) => { d.epochs = n; }, true);
    $("#sampling").addEventListener("change", (e) => commit((d) => { d.samp = e.target.value; }));

    const addSel = $("#add-opt");
    for (const o of catalog.optimizers.values()) {
      const opt = document.createElement("option");
      opt.value = o.id;
      opt.textContent = o.name;
      addSel.append(opt);
    }
    $("#add-btn").addEventListener("click", () =>
      commit((d) => { d.opts.push({ id: addSel.value, p: {}, s: null }); }, { structure: true }));

    $("#steps").max = String(limits.max_steps);
    whole("#steps", "max_steps", 1, () => limits.max_steps, (d, n) => { d.steps = n; }, true);
    for (const [k, idSel] of [[0, "#start-x"], [1, "#start-y"]]) {
      $(idSel).addEventListener("change", (e) => {
        const v = Number(e.target.value);
        if (e.target.value.trim() === "" || !Number.isFinite(v)) return this.showError("start", "enter a number");
        commit((d) => {
          const cur = d.start ?? [...this.bound.start];
          cur[k] = v;
          d.start = cur;
        });
      });
    }
    $("#start-reset").addEventListener("click", () => commit((d) => { d.start = null; }));
  }

  // Where the restarts (the particle cloud) start: uniform or a grid over the view, or N(c, σ²)
  // around the start (a preset's centre kept while the distribution stays normal).
  cloudControls(commit) {
    $("#cloud-dist").addEventListener("change", (e) => commit((d) => {
      const dist = e.target.value;
      const sigma = Number($("#cloud-sigma").value) > 0 ? Number($("#cloud-sigma").value) : 1;
      d.rf = dist === "normal" ? { dist, sigma } : dist === "grid" ? { dist } : null;
    }));
    $("#cloud-sigma").addEventListener("change", (e) => {
      const v = Number(e.target.value);
      if (e.target.value.trim() === "" || !(v > 0) || !Number.isFinite(v)) {
        return this.showError("restart_from.sigma", "enter a number > 0");
      }
      commit((d) => { d.rf = { ...(d.rf?.dist === "normal" ? d.rf : { dist: "normal" }), sigma: v }; });
    });
  }

  renderCloud(state) {
    const dist = state.rf?.dist ?? "uniform";
    setSelect($("#cloud-dist"), dist);
    $("#cloud-sigma-row").hidden = dist !== "normal";
    if (dist === "normal") $("#cloud-sigma").value = state.rf.sigma;
  }

  maxEpochs() {
    const n = this.bound && this.bound.data_size;
    return n ? maxEpochs(this.catalog.limits, n, this.state.batch) : this.catalog.limits.max_steps;
  }

  // The note under a control that a value over the server's limit was clamped (null: none).
  clampNote(field, text) {
    const note = $(`.panel [data-field="${CSS.escape(field)}"] > .clamp-note`);
    if (!note) return;
    note.hidden = !text;
    note.textContent = text || "";
  }

  // Redraw what changed; the panels are rebuilt only when their structure changes (so a slider
  // being dragged keeps its focus) or when the state came from the URL. The optimisers' and
  // schedules' numbers are shown by their own sliders (which set them), never from here: a
  // change of them alone (a drag) leaves the panel as it is, rather than writing every control
  // again just as the change's run is computed (each write lays out and repaints its control).
  // While an error shows, a box may hold text the state refused: all is written again.
  render(state, bound, force = false) {
    this.state = state;
    const shown = JSON.stringify({ ...state, opts: state.opts.map((o) => [o.id, o.s && o.s.id]) });
    if (!force && shown === this.shown && bound === this.bound && !this.erring()) return;
    this.shown = shown;
    this.bound = bound;
    const n = bound.data_size ?? 0;
    const key = JSON.stringify([state.surface, n, Boolean(bound.user_data), state.opts.map((o) => [o.id, o.s && o.s.id])]);
    const custom = state.surface === CUSTOM;
    setSelect($("#surface"), state.surface);
    // (Text is written only when it differs: writing the same text replaces its node, and the
    // panel is laid out and painted again.)
    setText($("#surface-info"), custom ? "" : bound.description || "");
    // The catalog's plain-Unicode formula (for regression, a mean over the data).
    setText($("#surface-expr"), custom ? "" : bound.display);
    this.custom.render(state, custom ? bound : null);
    $("#steps").value = state.steps;
    $("#restarts").value = state.restarts;
    this.renderCloud(state);
    $("#seed").value = state.seed;
    $("#stoch").hidden = !n;
    $("#noise").hidden = Boolean(n);
    const m = n ? Math.min(state.batch ?? n, n) : 0;
    // full batch is gradient descent, counted in steps; minibatches are counted in epochs
    $("#steps-row").hidden = m < n;
    $("#stoch").querySelector('[data-field="epochs"]').hidden = m >= n;
    $("#stoch").querySelector('[data-field="stochastic.sampling"]').hidden = m >= n;
    if (n) {
      const per = Math.ceil(n / m);
      setSelect($("#sampling"), state.samp);
      $("#epochs").value = state.epochs;
      $("#epochs").max = String(this.maxEpochs());
      $("#epochs-steps").textContent = `= ${state.epochs * per} steps`;
      $("#batch-note").textContent = m >= n
        ? `M = n = ${n}: full batch: gradient descent on the ${bound.reduction === "sum" ? "sum" : "mean"} over all the data`
        : `M = ${m} of n = ${n}: ${per} steps per epoch, each on a fresh minibatch` +
          (bound.reduction === "sum" ? " (a step follows the minibatch's mean gradient)" : "");
    }
    const start = state.start ?? bound.start;
    $("#start-x").value = formatValue(start[0]);
    $("#start-y").value = bound.dim === 2 ? formatValue(start[1]) : "";
    $("#start-y-row").hidden = bound.dim !== 2;
    this.showAddLimit(state.opts.length);
    this.stop.render(state);
    if (!force && key === this.key) return;
    this.key = key;
    for (const note of document.querySelectorAll(".panel .clamp-note")) note.hidden = true; // (another surface)
    this.sliders = new Map();
    this.renderSurfaceParams(state, bound);
    this.renderStochastic(state, n);
    for (const [f, s] of renderCards($("#cards"), state, this.catalog, this.commit)) this.sliders.set(f, s);
  }

  // Data-fit surfaces: the batch size M (log slider, 1 … n); others: simulated gradient noise.
  renderStochastic(state, n) {
    $("#batch-slot").replaceChildren();
    $("#noise-slot").replaceChildren();
    if (n) {
      const spec = { name: "batch_size", low: 1, high: n, scale: "log", integer: true, default: n,
        help: "minibatch size M: samples per step (M = n is full-batch gradient descent)" };
      const s = makeSlider({
        label: "batch size M", spec, value: Math.min(state.batch ?? n, n), def: n,
        field: "stochastic.batch_size",
        onValue: (v, { final }) => this.commit((d) => { d.batch = v >= n ? null : v; },
          { history: final ? "push" : "replace", live: !final }),
        onReset: () => this.commit((d) => { d.batch = null; }),
      });
      this.sliders.set("stochastic.batch_size", s);
      $("#batch-slot").append(s.el);
    } else {
      const spec = { name: "noise", low: 0.001, high: 1000, scale: "log", default: 0,
        help: "standard deviation σ of N(0, σ²) noise added to every gradient (↺ sets 0: none)" };
      const s = makeSlider({
        label: "gradient noise σ", spec, value: state.noise, def: 0, field: "stochastic.noise",
        onValue: (v, { final }) => this.commit((d) => { d.noise = v; },
          { history: final ? "push" : "replace", live: !final }),
        onReset: () => this.commit((d) => { d.noise = 0; }),
      });
      s.el.querySelector('input[type="range"]').setAttribute("aria-describedby", "noise-note");
      this.sliders.set("stochastic.noise", s);
      $("#noise-slot").append(s.el);
    }
  }

  renderSurfaceParams(state, bound) {
    const root = $("#surface-params");
    root.replaceChildren();
    const spec = this.catalog.surfaces.get(state.surface);
    if (!spec) return;
    // (on the user's own data, the parameters that shape generated data do not apply)
    for (const p of (spec.params || []).filter((q) => !(bound.user_data && q.generates))) {
      const write = (d, v) => {
        if (v === undefined) delete d.sp[p.name];
        else d.sp[p.name] = v;
      };
      const s = makeSlider({
        label: p.name, spec: p, value: state.sp[p.name] ?? p.default, def: p.default,
        field: `surface.params.${p.name}`,
        onValue: (v, { final }) => this.commit((d) => write(d, v),
          { history: final ? "push" : "replace", live: !final, surface: true }),
        onReset: () => this.commit((d) => write(d, undefined), { surface: true }),
      });
      this.sliders.set(`surface.params.${p.name}`, s);
      root.append(s.el);
    }
  }

  erring() {
    return document.querySelector(".panel .err:not([hidden])") !== null;
  }

  // (Called as every frame of a run arrives: nothing to do unless an error shows.)
  clearErrors() {
    if (!this.erring()) return;
    for (const s of [...this.sliders.values(), ...this.fixed.values(), ...this.custom.sliders.values()]) s.setError(null);
    for (const el of document.querySelectorAll(".panel .err")) {
      el.hidden = true;
      el.textContent = "";
    }
  }

  // Show a refusal next to the control its field names ("optimizers.0.params.lr"); fall back
  // to the closest enclosing control, then to the panel's general message line.
  // Add is refused at the server's limit on optimisers (GET /api/limits): say so by the button.
  showAddLimit(count) {
    const max = this.catalog.limits.max_optimizers;
    const full = count >= max;
    $("#add-btn").disabled = full;
    $("#add-limit").hidden = !full;
    $("#add-limit").textContent = full ? `${max} optimisers at most: remove one to add another.` : "";
  }

  showError(field, message) {
    let f = field || "";
    while (f) {
      const slider = this.sliders.get(f) ?? this.fixed.get(f)
        ?? (f.startsWith("surface.params.") ? this.custom.sliders.get(f.slice(15)) : undefined);
      if (slider) return slider.setError(message);
      const row = [...document.querySelectorAll(`.panel [data-field="${CSS.escape(f)}"]`)]
        .find((r) => r.offsetParent !== null); // a hidden control cannot show it
      const err = row && row.querySelector(":scope > .err");
      if (err) {
        err.hidden = false;
        err.textContent = message;
        return;
      }
      f = f.includes(".") ? f.slice(0, f.lastIndexOf(".")) : "";
    }
    const general = $("#panel-error");
    general.hidden = false;
    general.textContent = field ? `${field}: ${message}` : message;
  }
}
