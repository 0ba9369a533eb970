// The run's stopping rules (the run body's `stop`): stop when the gradient norm falls below a
// tolerance (in the l1, l2 or max norm: the lecture's "continue while Σ|∂L/∂xᵢ| > tol" is l1),
// or when the loss changes by less than a tolerance. Either tolerance can be off (null).

import { makeSlider, setSelect } from "./slider.js";
import { DEFAULT_GTOL, NORMS } from "./state.js";

const NORM_TEXT = { l1: "l1: Σ|∂f/∂xᵢ|", l2: "l2: ‖∇f‖", inf: "max: max|∂f/∂xᵢ|" };

// A log slider for a tolerance with an "on" box in front: off is null.
function tolerance({ key, label, spec, def, help, field, commit, sliders }) {
  let last = def ?? spec.default;
  const s = makeSlider({
    label, spec, value: last, def: spec.default, field,
    onValue: (v, { final }) => {
      last = v;
      commit((d) => { d[key] = v; }, { history: final ? "push" : "replace", live: !final });
    },
    onReset: () => {
      last = spec.default;
      commit((d) => { d[key] = spec.default; });
    },
  });
  const box = document.createElement("input");
  box.type = "checkbox";
  box.className = "on";
  box.setAttribute("aria-label", `${label}: on`);
  box.title = help;
  box.addEventListener("change", () => commit((d) => { d[key] = box.checked ? last : null; }));
  const lab = s.el.querySelector("label");
  lab.title = help;
  const wrap = document.createElement("span"); // the box, then the slider's label
  wrap.className = "tol-label";
  lab.replaceWith(wrap);
  wrap.append(box, lab);
  sliders.set(field, s);
  return {
    el: s.el,
    set(v) {
      box.checked = v !== null;
      if (v !== null) last = v;
      s.set(v ?? last);
      s.el.classList.toggle("off", v === null);
      for (const c of s.el.querySelectorAll('input[type="range"], input.num, .reset')) c.disabled = v === null;
    },
  };
}

export class StopControls {
  // commit is Store.commit; sliders: the Controls' map by field (for the server's refusals).
  constructor(root, commit, sliders) {
    this.commit = commit;
    const common = { commit, sliders };
    this.grad = tolerance({
      ...common, key: "gtol", label: "grad tol", def: DEFAULT_GTOL, field: "stop.grad_tol",
      help: "stop when the gradient's norm is below this (unchecked: never)",
      spec: { name: "grad_tol", low: 1e-12, high: 1, scale: "log", default: DEFAULT_GTOL,
        help: "stop when the gradient's norm is below this" },
    });
    this.loss = tolerance({
      ...common, key: "ltol", label: "loss tol", def: null, field: "stop.loss_tol",
      help: "stop when the loss changes by less than this in a step (unchecked: never)",
      spec: { name: "loss_tol", low: 1e-15, high: 1e-1, scale: "log", default: 1e-9,
        help: "stop when the loss changes by less than this in a step" },
    });
    const row = document.createElement("div");
    row.className = "ctl";
    row.dataset.field = "stop.grad_norm";
    row.innerHTML = `<label for="grad-norm">grad norm</label><select id="grad-norm"></select>
      <div class="err" role="alert" hidden></div>`;
    this.norm = row.querySelector("select");
    for (const n of NORMS) {
      const o = document.createElement("option");
      o.value = n;
      o.textContent = NORM_TEXT[n];
      this.norm.append(o);
    }
    this.norm.title = "the norm the gradient tolerance is measured in (l1 is the lecture's Σ|∂L/∂xᵢ|)";
    this.norm.addEventListener("change", () => commit((d) => { d.gnorm = this.norm.value; }));
    root.replaceChildren(this.grad.el, row, this.loss.el);
  }

  render(state) {
    this.grad.set(state.gtol);
    setSelect(this.norm, state.gnorm);
    this.norm.disabled = state.gtol === null;
    this.loss.set(state.ltol);
  }
}
