// "Your own…" surface: a typed expression, optional declared parameters (name=value, each with
// a slider) and the view box. Typing is validated, debounced, by POST /api/expressions/validate;
// the parsed form or the error (with a caret under its column) is shown as the user types, and
// only a valid surface is committed to the state (and so to the URL, the run and the grid).

import { postRaw, ApiError } from "./api.js";
import { makeSlider, formatValue } from "./slider.js";
import { CUSTOM } from "./state.js";

export const EXAMPLES = [
  ["bowl", "x^2 + 100*y^2"],
  ["egg crate", "sin(3*x)*cos(2*y) + 0.1*(x^2 + y^2)"],
  ["Rosenbrock", "(1-x)^2 + 100*(y-x^2)^2"],
  ["logistic", "log(1 + exp(-x*y)) + 0.05*(x^2+y^2)"],
  ["L1 (kinks)", "abs(x) + abs(y)"],
];
const DEBOUNCE_MS = 250;
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

// One answer per (expression, params), kept: typing back and forth asks the server once.
const cache = new Map();
export async function validate(expression, params) {
  const key = JSON.stringify([expression, params]);
  if (!cache.has(key)) {
    const p = postRaw("/api/expressions/validate", { expression, params }).then((r) => r.json());
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return cache.get(key);
}

// "a=1, b = -2.5" -> {params: {a: 1, b: -2.5}} or {error: "..."}.
export function parseDeclared(text) {
  const params = {};
  for (const part of text.split(/[,;\n]/)) {
    if (!part.trim()) continue;
    const m = /^\s*([A-Za-z_]\w*)\s*=\s*(\S+)\s*$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v)) return { error: `write name=value, e.g. a=1 (at “${part.trim()}”)` };
    params[m[1]] = v;
  }
  return { params };
}

export const fmtDeclared = (p) => Object.entries(p).map(([k, v]) => `${k}=${formatValue(v)}`).join(", ");

// The server's LaTeX for a parsed expression (problems/latex.py: \frac, \sqrt, {base}^{exp},
// \left( \right), \left| \right|, \cdot, \mathrm, \operatorname, function names, cases) as
// plain text, since no TeX renderer is shipped: 1/(x^2 + y^2), ((x + 1)/y) x, exp(-x^2).
// Braces are matched, never dropped: a fraction's numerator or denominator that is not one
// token gets parentheses, and so does a fraction a product continues after.
const SYMBOLS = { cdot: "·", pi: "π", sigma: "σ", le: "≤", arctan: "arctan", theta: "θ" };
const atomic = (t) => /^[\w.πσθ]+(\^[\w.]+)?$/u.test(t) || /^\((?:[^()]|\([^()]*\))*\)$/.test(t);
const wrap = (t) => (atomic(t) ? t : `(${t})`);

export function latexText(tex) {
  let i = 0;
  const group = () => { // {…} after a command, or a single character
    if (tex[i] !== "{") return tex[i++] ?? "";
    i += 1;
    const out = seq("}");
    i += 1;
    return out;
  };
  const name = () => {
    const m = /^[A-Za-z]+|^./.exec(tex.slice(i));
    i += m ? m[0].length : 0;
    return m ? m[0] : "";
  };
  function seq(end) {
    let out = "";
    while (i < tex.length && tex[i] !== end) {
      const c = tex[i];
      if (end === "\\end" && tex.startsWith("\\end", i)) break;
      if (c === "{") {
        out += group();
      } else if (c === "^") {
        i += 1;
        const e = group();
        out += "^" + (/^[\w.πσθ]+$/u.test(e) ? e : `(${e})`);
      } else if (c === "\\") {
        i += 1;
        const cmd = name();
        if (cmd === "frac") {
          const num = group(), den = group();
          const frac = `${wrap(num)}/${wrap(den)}`;
          // a product after it: (a/b) c, never a/b c
          out += /^\s*(?:$|[+\-),|&}]|\\right|\\\\|\\end)/.test(tex.slice(i)) ? frac : `(${frac})`;
        } else if (cmd === "sqrt") out += `√(${group()})`;
        else if (cmd === "left" || cmd === "right") out += name() === "." ? "" : tex[i - 1];
        else if (["mathrm", "operatorname", "text"].includes(cmd)) out += group();
        else if (cmd === "begin") { // cases: "a if x ≤ y, else b"
          group();
          const rows = seq("\\end").split(" ⏎ ").map((r) => r.split(" ⇥ ").map((x) => x.trim()));
          i += 4;
          group();
          out += `(${rows[0][0]} if ${rows[0][1]}, else ${rows[1]?.[0] ?? ""})`;
        } else if (cmd === "\\") out += " ⏎ ";
        else if ([",", ";", "!"].includes(cmd)) out += "";
        else out += SYMBOLS[cmd] ?? cmd;
      } else if (c === "&") {
        i += 1;
        out += " ⇥ ";
      } else {
        i += 1;
        out += c;
      }
    }
    return out;
  }
  return seq(null).replace(/\s+/g, " ").trim();
}

// A slider range for a declared parameter, fixed when it is declared.
function paramSpec(name, v) {
  const m = Math.max(1, Math.abs(v)) * 2;
  return { name, default: v, low: v - m, high: v + m, scale: "linear" };
}

export class CustomEditor {
  // commit: Store.commit; state(): the current state.
  constructor(commit, state) {
    this.commit = commit;
    this.state = state;
    this.timer = null;
    this.seq = 0;
    this.names = null;
    this.sliders = new Map();
    this.input = $("#expr");
    this.paramsBox = $("#expr-params");
    this.input.addEventListener("input", () => this.schedule());
    this.paramsBox.addEventListener("input", () => this.schedule());
    this.input.addEventListener("keydown", (e) => { if (e.key === "Enter") this.check(); });
    const ex = $("#examples");
    for (const [name, text] of EXAMPLES) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "example";
      b.textContent = text;
      b.title = `example: ${name}`;
      b.setAttribute("aria-label", `use the example ${name}: ${text}`);
      b.addEventListener("click", () => {
        this.input.value = text;
        this.paramsBox.value = "";
        this.check({ push: true, resetView: true });
      });
      ex.append(b);
    }
    for (const id of ["#dom-x0", "#dom-x1", "#dom-y0", "#dom-y1"]) {
      $(id).addEventListener("change", () => this.setDomain());
    }
  }

  schedule() {
    clearTimeout(this.timer);
    $("#expr-status").dataset.state = "checking";
    this.timer = setTimeout(() => this.check(), DEBOUNCE_MS);
  }

  // Validate what is typed now; commit it when valid and new.
  async check({ push = false, resetView = false } = {}) {
    clearTimeout(this.timer);
    const seq = ++this.seq;
    const expression = this.input.value;
    const declared = parseDeclared(this.paramsBox.value);
    this.paramError(declared.error);
    if (declared.error) return;
    const params = { ...declared.params }; // the sliders keep this text in step with them
    const cur = this.state();
    if (!expression.trim()) return this.show({ valid: false, message: "type a function of x (and y)", column: null }, expression);
    let answer;
    try {
      answer = await validate(expression, params);
    } catch (err) {
      if (seq !== this.seq) return;
      const msg = err instanceof ApiError ? err.message : String(err);
      return this.show({ valid: false, message: msg, column: null }, expression);
    }
    if (seq !== this.seq) return;
    this.show(answer, expression);
    if (!answer.valid) return;
    if (cur.surface === CUSTOM && cur.expr === expression && JSON.stringify(cur.ep) === JSON.stringify(params)) return;
    const first = cur.surface !== CUSTOM;
    this.commit((d) => {
      if (first || resetView) Object.assign(d, { view: null, dom: null, start: null });
      d.surface = CUSTOM;
      d.expr = expression;
      d.ep = params;
      d.sp = {};
      d.batch = null;
    }, { surface: true, history: first || push ? "push" : "replace" });
  }

  paramError(msg) {
    const err = document.querySelector('[data-field="surface.params"] .err');
    err.hidden = !msg;
    err.textContent = msg || "";
    this.paramsBox.setAttribute("aria-invalid", msg ? "true" : "false");
  }

  // The parsed form, or the message with a caret under the column it names. A refused value
  // of a declared parameter is shown by its slider instead (the expression itself is fine).
  show(answer, expression) {
    const out = $("#expr-status");
    const param = !answer.valid && /^surface\.params\./.test(answer.field || "")
      ? this.sliders.get(answer.field.slice("surface.params.".length)) : null;
    if (param) {
      param.setError(answer.message);
      out.dataset.state = "param-error";
      return;
    }
    for (const s of this.sliders.values()) s.setError(null);
    this.input.setAttribute("aria-invalid", answer.valid ? "false" : "true");
    if (answer.valid) {
      out.dataset.state = "valid";
      out.dataset.column = "";
      out.innerHTML = `<span class="ok">✓ parsed:</span> <span class="mono parsed">f = ${esc(latexText(answer.latex || ""))}</span>
        <span class="dim">(${answer.dim}-D)</span>`;
      return;
    }
    out.dataset.state = "invalid";
    const col = Number.isInteger(answer.column) ? answer.column : null;
    out.dataset.column = col ?? "";
    let caret = "";
    if (col !== null && expression) {
      const pad = " ".repeat(Math.max(0, col - 1));
      caret = `<pre class="caret" aria-hidden="true">${esc(expression)}\n${pad}<mark>^</mark></pre>`;
    }
    out.innerHTML = `<span class="bad">✗ ${esc(answer.message)}</span>${caret}`;
  }

  setDomain() {
    const v = ["#dom-x0", "#dom-x1", "#dom-y0", "#dom-y1"].map((id) => Number($(id).value));
    const err = document.querySelector('[data-field="surface.domain"] .err');
    const one = $(".viewbox .dom-y").hidden;
    const dom = one ? v.slice(0, 2) : v;
    const ok = dom.every(Number.isFinite) && dom[0] < dom[1] && (one || dom[2] < dom[3]);
    err.hidden = ok;
    err.textContent = ok ? "" : "each “from” must be below its “to”";
    if (!ok) return;
    this.commit((d) => { d.dom = dom; d.view = null; d.start = null; }, { surface: true });
  }

  // Show the state (not while the user is typing in a box).
  render(state, bound) {
    const custom = state.surface === CUSTOM;
    $("#custom").hidden = !custom;
    if (!custom) return;
    const names = Object.keys(state.ep);
    let stale = false;
    if (document.activeElement !== this.paramsBox) {
      const parsed = parseDeclared(this.paramsBox.value).params;
      if (!parsed || JSON.stringify(parsed) !== JSON.stringify(state.ep)) {
        this.paramsBox.value = fmtDeclared(state.ep);
        stale = true;
      }
    }
    if (document.activeElement !== this.input && this.input.value !== state.expr) {
      this.input.value = state.expr;
      stale = true;
    }
    if (stale) this.check();
    if (JSON.stringify(names) !== JSON.stringify(this.names)) this.renderSliders(state);
    else for (const [k, s] of this.sliders) s.set(state.ep[k]);
    const one = bound && bound.dim === 1;
    $(".viewbox .dom-y").hidden = Boolean(one);
    const dom = state.dom ?? (bound ? bound.domain.flat() : null);
    if (dom) {
      ["#dom-x0", "#dom-x1", "#dom-y0", "#dom-y1"].forEach((id, k) => {
        if (document.activeElement !== $(id) && dom[k] !== undefined) $(id).value = formatValue(dom[k]);
      });
    }
  }

  renderSliders(state) {
    this.names = Object.keys(state.ep);
    this.sliders = new Map();
    const root = $("#expr-sliders");
    root.replaceChildren();
    for (const name of this.names) {
      const v = state.ep[name];
      const s = makeSlider({
        label: name, spec: paramSpec(name, v), value: v, def: v, field: `surface.params.${name}`,
        onValue: (val, { final }) => {
          this.commit((d) => { d.ep[name] = val; }, { surface: true, live: !final, history: final ? "push" : "replace" });
          this.paramsBox.value = fmtDeclared(this.state().ep);
        },
        onReset: () => {
          this.commit((d) => { d.ep[name] = v; }, { surface: true });
          this.paramsBox.value = fmtDeclared(this.state().ep);
        },
      });
      this.sliders.set(name, s);
      root.append(s.el);
    }
  }
}
