// The control panel's surface part: which surface, its parameters, the start point and the
// number of steps; and the "add optimiser" row. Optimiser cards live in cards.js.

import { makeSlider, formatValue } from "./slider.js";
import { renderCards, MAX_OPTIMIZERS } from "./cards.js";

const $ = (sel, root = document) => root.querySelector(sel);

export class Controls {
  // catalog: {surfaces, optimizers, schedules} as Maps by id; commit is Store.commit.
  constructor(catalog, commit) {
    this.catalog = catalog;
    this.commit = commit;
    this.sliders = new Map();
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
    sel.addEventListener("change", () =>
      commit((d) => { d.surface = sel.value; d.sp = {}; d.start = null; d.view = null; },
        { surface: true, structure: true }));

    const addSel = $("#add-opt");
    for (const o of catalog.optimizers.values()) {
      const opt = document.createElement("option");
      opt.value = o.id;
      opt.textContent = o.name;
      addSel.append(opt);
    }
    $("#add-btn").addEventListener("click", () =>
      commit((d) => { d.opts.push({ id: addSel.value, p: {}, s: null }); }, { structure: true }));

    $("#steps").addEventListener("change", (e) => {
      const n = Math.round(Number(e.target.value));
      if (!Number.isFinite(n) || n < 1) return this.showError("max_steps", "enter a whole number ≥ 1");
      commit((d) => { d.steps = n; });
    });
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

  // Redraw what changed; the panels are rebuilt only when their structure changes (so a slider
  // being dragged keeps its focus) or when the state came from the URL.
  render(state, bound, force = false) {
    this.bound = bound;
    const key = JSON.stringify([state.surface, state.opts.map((o) => [o.id, o.s && o.s.id])]);
    $("#surface").value = state.surface;
    $("#surface-info").textContent = bound.description || "";
    $("#surface-expr").textContent = `f = ${bound.expression}`;
    $("#steps").value = state.steps;
    const start = state.start ?? bound.start;
    $("#start-x").value = formatValue(start[0]);
    $("#start-y").value = bound.dim === 2 ? formatValue(start[1]) : "";
    $("#start-y-row").hidden = bound.dim !== 2;
    $("#add-btn").disabled = state.opts.length >= MAX_OPTIMIZERS;
    if (!force && key === this.key) return;
    this.key = key;
    this.sliders = new Map();
    this.renderSurfaceParams(state, bound);
    for (const [f, s] of renderCards($("#cards"), state, this.catalog, this.commit)) this.sliders.set(f, s);
  }

  renderSurfaceParams(state, bound) {
    const root = $("#surface-params");
    root.replaceChildren();
    const spec = this.catalog.surfaces.get(state.surface);
    for (const p of spec.params || []) {
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

  clearErrors() {
    for (const s of this.sliders.values()) s.setError(null);
    for (const el of document.querySelectorAll(".panel .err")) {
      el.hidden = true;
      el.textContent = "";
    }
  }

  // Show a refusal next to the control its field names ("optimizers.0.params.lr"); fall back
  // to the closest enclosing control, then to the panel's general message line.
  showError(field, message) {
    let f = field || "";
    while (f) {
      if (this.sliders.has(f)) return this.sliders.get(f).setError(message);
      const row = document.querySelector(`.panel [data-field="${CSS.escape(f)}"]`);
      const err = row && row.querySelector(".err");
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
