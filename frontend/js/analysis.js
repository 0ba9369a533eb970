// POST /api/analysis, twice over: at the surface's known minimum, for the step-size bound shown
// under the learning-rate slider of every GD-like rule (λmax, 2/λmax; where the loss is quadratic in θ, as least
// squares is, the Hessian is the same everywhere and the notes' η = 1/λmax), and at a point the
// user inspects (shift-click, or the Inspect toggle then a click, or typed x, y).

import { postRaw } from "./api.js";
import { formatValue } from "./slider.js";
import { AXES_NOTE } from "./curvature.js";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const fv = (v) => (v === null || v === undefined ? "—" : formatValue(v));
const vec = (v) => `(${v.map(fv).join(", ")})`;

// The rules whose stable step the GD bound speaks to: plain GD's own (lr < 2/λmax), and the
// momentum rules', whose bound it is not (heavy ball's is 2(1+μ)/λmax, and each convention
// differs), so theirs is labelled "for plain GD". Adaptive rules (Adam, RMSprop, Adagrad, …)
// rescale each coordinate's step: no hint.
const GD_LIKE = new Set(["gd", "momentum", "nesterov", "velocity-momentum", "ewa-momentum"]);
export const boundApplies = (rule) => GD_LIKE.has(rule);

export async function analyse(surface, point) {
  return (await postRaw("/api/analysis", { surface, point })).json();
}

// The bound for the surface now shown; `key` identifies it, so a stale answer is dropped.
// `ctx` ({n, minibatch, reduction}) says what a step is: on a summed loss a minibatch step
// follows the batch's mean gradient, n times shorter than a full-batch GD step at the same lr.
export class LrBound {
  constructor() {
    this.key = null;
    this.answer = null;
  }

  async update(key, spec, bound, ctx = {}) {
    this.ctx = ctx;
    if (key === this.key) return this.render(bound, ctx);
    this.key = key;
    this.answer = null;
    this.render(bound, ctx);
    const m = bound.minima && bound.minima[0];
    if (!m) return;
    try {
      const a = await analyse(spec, m);
      if (key !== this.key) return;
      this.answer = a;
    } catch {
      this.answer = null;
    }
    this.render(bound, this.ctx);
  }

  text(bound, ctx = {}) {
    const a = this.answer;
    if (!a || !a.eigenvalues) return "";
    const lmax = a.eigenvalues[a.eigenvalues.length - 1];
    if (!(lmax > 0) || !a.max_stable_lr) return `At the minimum λmax = ${fv(lmax)}: no step-size bound.`;
    const where = bound.quadratic ? "(the same everywhere: the loss is quadratic in θ)" : "at the minimum";
    let t = `λmax = ${fv(lmax)} ${where}: stable GD steps need lr < 2/λmax = ${fv(a.max_stable_lr)}`;
    if (bound.quadratic && bound.data_size) t += `; the notes advise η = 1/λmax = ${fv(1 / lmax)}`;
    t += ".";
    if (ctx.minibatch && ctx.reduction === "sum" && ctx.n > 1) {
      t += ` This bounds a full-batch GD step on the sum; a minibatch step follows the batch's mean`
        + ` gradient, ${fv(ctx.n)} times shorter, so its comparable bound is about 2n/λmax = ${fv(ctx.n * a.max_stable_lr)}.`;
    } else if (ctx.minibatch) {
      t += " It bounds the full-batch GD step; minibatch steps add noise on top.";
    }
    return t;
  }

  render(bound, ctx = this.ctx ?? {}) {
    this.ctx = ctx;
    const t = this.text(bound, ctx);
    for (const el of document.querySelectorAll("[data-lr-bound]")) { // (new cards' are empty)
      const own = !t || el.dataset.rule === "gd" ? t : `For plain GD (not this rule's bound): ${t}`;
      if (el.textContent === own && el.hidden === !own) continue; // (a write lays the panel out)
      el.hidden = !own;
      el.textContent = own;
    }
    const state = t ? "ready" : "none";
    if (document.querySelector("#app").dataset.analysis !== state) document.querySelector("#app").dataset.analysis = state;
  }
}

// The inspector panel. onPoint(p | null) reports the inspected point (for the marker).
// −H⁻¹∇f and where it lands; it jumps to the local model's critical point, which is a
// minimum only when every eigenvalue is positive.
function newtonText(a) {
  if (!a.newton_step) return a.eigenvalues ? "none: the Hessian is singular here" : "—";
  const to = a.point.map((v, i) => v + a.newton_step[i]);
  const toward = a.eigenvalues.every((l) => l > 0) ? ""
    : a.eigenvalues.every((l) => l < 0) ? " (toward a maximum: the Hessian is negative definite)"
      : " (toward a saddle: the Hessian is indefinite)";
  return `${vec(a.newton_step)} → ${vec(to)}${toward}`;
}

// The analytic gradient against central finite differences, as the notes' check_grad.
function checkText(c) {
  if (!c) return "—";
  const verdict = c.ok ? "agrees" : "DISAGREES";
  return `finite differences ${vec(c.finite_difference)}: ${verdict}, largest error ${fv(c.max_error)}`;
}

export class Inspector {
  constructor({ spec, dim, onPoint }) {
    this.spec = spec;
    this.dim = dim;
    this.onPoint = onPoint;
    this.point = null;
    this.answer = null; // the analysis of the point, once it arrives
    this.seq = 0;
    $("#ins-go").addEventListener("click", () => {
      const p = [Number($("#ins-x").value), Number($("#ins-y").value)].slice(0, this.dim());
      if (p.every(Number.isFinite)) this.inspect(p);
    });
    for (const id of ["#ins-x", "#ins-y"]) {
      $(id).addEventListener("keydown", (e) => { if (e.key === "Enter") $("#ins-go").click(); });
    }
    $("#ins-close").addEventListener("click", () => this.close());
  }

  open() {
    $("#inspect").hidden = false;
    $("#ins-y-wrap").hidden = this.dim() !== 2;
  }

  close() {
    $("#inspect").hidden = true;
    this.point = null;
    this.answer = null;
    this.onPoint(null);
    $("#inspect-toggle").setAttribute("aria-pressed", "false");
    this.onToggle?.(false);
  }

  async inspect(p) {
    this.open();
    const seq = ++this.seq;
    this.point = p;
    this.answer = null;
    this.onPoint(p);
    $("#ins-x").value = formatValue(p[0]);
    if (p.length > 1) $("#ins-y").value = formatValue(p[1]);
    const out = $("#ins-out");
    out.dataset.state = "loading";
    let a;
    try {
      a = await analyse(this.spec(), p.map((v) => Number(v.toPrecision(6))));
    } catch (err) {
      if (seq !== this.seq) return;
      out.dataset.state = "error";
      out.textContent = err.message;
      return;
    }
    if (seq !== this.seq) return;
    out.dataset.state = "ready";
    out.dataset.type = a.critical_point;
    const h = a.hessian ? a.hessian.map((r) => `[${r.map(fv).join(", ")}]`).join(" ") : "—";
    out.innerHTML = `<dl>
      <div><dt>at</dt><dd>${vec(a.point)}, f = ${fv(a.value)}</dd></div>
      <div><dt>gradient</dt><dd>${vec(a.gradient)}, |∇f| = ${fv(a.gradient_norm)}</dd></div>
      <div><dt>Hessian</dt><dd>${h}</dd></div>
      <div><dt>eigenvalues</dt><dd>${a.eigenvalues ? a.eigenvalues.map(fv).join(", ") : "—"}${a.condition_number ? ` (condition number ${fv(a.condition_number)})` : ""}</dd></div>
      <div><dt>point type</dt><dd class="cp">${esc(a.critical_point)}</dd></div>
      ${a.max_stable_lr ? `<div><dt>2/λmax</dt><dd>${fv(a.max_stable_lr)}</dd></div>` : ""}
      <div><dt>Newton step</dt><dd class="newton">${newtonText(a)}</dd></div>
      <div><dt>gradient check</dt><dd class="fd">${checkText(a.gradient_check)}</dd></div>
    </dl>${a.eigenvectors && a.point.length === 2 ? `<p class="axes-note">${esc(AXES_NOTE)}</p>` : ""}`;
    this.answer = a;
    this.onPoint(p); // (the point again: its axes now)
  }
}
