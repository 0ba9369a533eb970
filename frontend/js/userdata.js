// "Your data" on a data-fit surface: CSV pasted or a .csv file, parsed here, then sent with the
// surface spec ({"id", "params", "data": {"x", "y"}}, docs/api.md "Your own data") for the
// grid, the runs and the data panel. The data stay in this tab's memory, never in the URL's
// hash (100,000 rows are megabytes): a link opens the surface on its generated data, and the
// panel says so.
//
// parseCSV is the parser alone; UserData is the panel section and what main.js asks of it:
// spec(base) (the surface spec with the data, if this surface has data of its own),
// active(id), key(id) (changes with the data), describe(spec) and sample(spec, n) (POST
// /api/data, the surface's description and a sample of the data for the data panel),
// described(id) (the last description on the data).

import { postRaw } from "./api.js";

const SHOWN_ERRORS = 5;
const fmt = (n) => n.toLocaleString("en");

// What a data-fit surface fits, from its description's model: a line (x,y) or a boundary
// (1 or 2 features, then a label 0/1).
export const dataKind = (surface) => (surface && surface.model ? surface.model.kind : null);

// The number in one CSV field, or null: empty fields, "NaN", "Infinity" and text are not.
function number(field) {
  const t = field.trim().replace(/^"(.*)"$/, "$1").trim();
  if (t === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  return Number(t);
}

// The separator of a CSV: a tab, a semicolon or a comma, whichever the first line has.
function separator(line) {
  if (line.includes("\t")) return "\t";
  if (line.includes(";") && !line.includes(",")) return ";";
  return ",";
}

// CSV text -> {x, y, rows, features, header, errors}. kind "line": two columns x,y; kind
// "boundary": 1 or 2 feature columns then a label 0 or 1 (x then holds plain numbers for one
// feature, pairs for two). A first line that is not all numbers is a header; empty lines and
// lines starting with # are skipped. Errors name the line (1-based) and the column.
export function parseCSV(text, kind, { maxRows = Infinity, maxAbs = Infinity } = {}) {
  const lines = text.split(/\r\n|\n|\r/);
  const errors = [];
  const x = [];
  const y = [];
  let sep = null;
  let width = 0;
  let header = null;
  const label = kind === "boundary";
  const expected = label ? "features then a label (u,label or u,v,label)" : "two columns, x,y";
  for (let i = 0; i < lines.length && errors.length <= SHOWN_ERRORS; i++) {
    const line = lines[i];
    if (!line.trim() || line.trimStart().startsWith("#")) continue;
    sep ??= separator(line);
    const fields = line.split(sep);
    const values = fields.map(number);
    if (!width && header === null && values.some((v) => v === null) && !x.length) {
      header = fields.map((f) => f.trim());
      width = fields.length;
      continue;
    }
    const where = `line ${i + 1}`;
    if (!width) width = fields.length;
    if (label ? !(width === 2 || width === 3) : width !== 2) {
      errors.push({ line: i + 1, message: `${where}: ${fields.length} columns, expected ${expected}` });
      break;
    }
    if (fields.length !== width) {
      errors.push({ line: i + 1, message: `${where}: ${fields.length} columns, the first line has ${width}` });
      continue;
    }
    const bad = values.findIndex((v) => v === null || Math.abs(v) > maxAbs);
    if (bad >= 0) {
      const name = header?.[bad] || `column ${bad + 1}`;
      const what = values[bad] === null ? "is not a number" : `is over ${maxAbs.toExponential(0)} in size`;
      errors.push({ line: i + 1, message: `${where}, ${name}: “${fields[bad].trim()}” ${what}` });
      continue;
    }
    const last = values[width - 1];
    if (label && last !== 0 && last !== 1) {
      errors.push({ line: i + 1, message: `${where}, ${header?.[width - 1] || "label"}: ${last} is not 0 or 1` });
      continue;
    }
    x.push(!label ? values[0] : width === 3 ? [values[0], values[1]] : values[0]);
    y.push(last);
  }
  const rows = x.length;
  if (!errors.length && rows < 2) errors.push({ line: null, message: `${rows} data row${rows === 1 ? "" : "s"}: at least 2 are needed` });
  if (!errors.length && rows > maxRows) errors.push({ line: null, message: `${fmt(rows)} rows: this surface takes at most ${fmt(maxRows)}` });
  return { x, y, rows, features: label ? width - 1 : 1, header, errors };
}

export class UserData {
  // el: the panel section; catalog: {surfaces, limits}; onApply(): the data changed: a promise
  // that the page has the surface's description on them (it throws the server's refusal).
  constructor(el, catalog, onApply) {
    this.el = el;
    this.catalog = catalog;
    this.onApply = onApply;
    this.sets = new Map(); // surface id -> {data, rows, features, source, version}
    this.version = 0;
    this.samples = new Map(); // key -> the POST /api/data answer in flight or done
    this.surface = null;
    const q = (sel) => el.querySelector(sel);
    this.text = q("#userdata-text");
    this.file = q("#userdata-file");
    this.status = q("#userdata-status");
    this.editor = q("#userdata-editor");
    q("#userdata-toggle").addEventListener("click", () => this.open(this.editor.hidden));
    q("#userdata-use").addEventListener("click", () => this.use(this.text.value, "pasted text"));
    q("#userdata-generated").addEventListener("click", () => this.drop());
    this.file.addEventListener("change", () => this.upload());
  }

  open(on) {
    this.editor.hidden = !on;
    this.el.querySelector("#userdata-toggle").setAttribute("aria-expanded", String(on));
  }

  // Shown on a data-fit surface only; the hint says what its CSV holds.
  render(surfaceId) {
    const surface = this.catalog.surfaces.get(surfaceId);
    const kind = dataKind(surface);
    this.el.hidden = !kind;
    if (!kind) return;
    if (surfaceId !== this.surface) {
      this.surface = surfaceId;
      this.text.placeholder = kind === "line" ? "x,y\n0.5,1.2\n2.0,-0.1\n…" : "u,v,label\n1.0,0.4,1\n-0.3,0.2,0\n…";
      const rows = `2 to ${fmt(this.maxRows(surface))} rows`;
      this.el.querySelector("#userdata-format").textContent = kind === "line"
        ? `Two columns: x,y (a header line is optional); ${rows}.`
        : `One or two feature columns, then a label 0 or 1: u,label or u,v,label (a header line is optional); ${rows}. With one feature the second weight is an intercept.`;
      this.showStatus();
    }
  }

  // As many rows as the surface's own n may be (what its contour grid can afford).
  maxRows(surface) {
    const n = surface.params.find((p) => p.name === "n");
    return n ? n.high : this.catalog.limits.max_data_points;
  }

  active(id) {
    return this.sets.has(id);
  }

  key(id) {
    const set = this.sets.get(id);
    return set ? `#data${set.version}` : "";
  }

  // The surface spec the server is sent: the data, and only the parameters of the loss (the
  // ones that shape generated data, n, noise and seed, do not apply).
  spec(base) {
    const set = this.sets.get(base.id);
    if (!set) return base;
    const surface = this.catalog.surfaces.get(base.id);
    const params = Object.fromEntries(Object.entries(base.params || {})
      .filter(([k]) => !surface.params.some((p) => p.name === k && p.generates)));
    return { id: base.id, params, data: set.data };
  }

  // The surface's description on this data (its minimiser, view, n): POST /api/data, whose
  // sample the data panel then draws without asking again.
  async describe(spec, maxPoints) {
    const surface = (await this.sample(spec, maxPoints)).surface;
    const set = this.sets.get(spec.id);
    if (set && spec.data === set.data) set.described = surface;
    return surface;
  }

  // The last description of a surface on the user's data (null: none yet, or no data): what
  // the page runs with when it comes back to the surface, before the server answers again.
  described(id) {
    return this.sets.get(id)?.described ?? null;
  }

  sample(spec, maxPoints) {
    const key = `${JSON.stringify(spec.params)}${this.key(spec.id)}:${maxPoints}`;
    if (!this.samples.has(key)) {
      const p = postRaw("/api/data", { surface: spec, max_points: maxPoints }).then((r) => r.json());
      this.samples.set(key, p);
      p.catch(() => this.samples.delete(key));
    }
    return this.samples.get(key);
  }

  async upload() {
    const f = this.file.files[0];
    if (!f) return;
    this.use(await f.text(), f.name);
    this.file.value = ""; // the same file chosen again reads it again
  }

  // Parse, then let the page describe the surface on the data (onApply): what the server
  // refuses (every x equal, separable classes without a penalty) is shown here, and the data
  // in use before stay in use.
  async use(text, source) {
    const id = this.surface;
    const surface = this.catalog.surfaces.get(id);
    const began = performance.now();
    const parsed = parseCSV(text, dataKind(surface), {
      maxRows: this.maxRows(surface),
      maxAbs: this.catalog.limits.max_data_abs ?? Infinity,
    });
    this.el.dataset.parseMs = (performance.now() - began).toFixed(1);
    if (parsed.errors.length) return this.showErrors(parsed.errors);
    await this.apply(id, { data: { x: parsed.x, y: parsed.y }, rows: parsed.rows,
      features: parsed.features, source, version: ++this.version });
  }

  drop() {
    if (this.sets.has(this.surface)) this.apply(this.surface, null);
  }

  async apply(id, set) {
    const before = this.sets.get(id);
    if (set) this.sets.set(id, set);
    else this.sets.delete(id);
    this.samples.clear();
    this.status.dataset.state = "checking";
    try {
      await this.onApply();
    } catch (err) {
      if (before) this.sets.set(id, before);
      else this.sets.delete(id);
      this.samples.clear();
      const field = err.field ? `${err.field.replace(/^surface\./, "")}: ` : "";
      return this.showErrors([{ message: `${field}${err.message}` }]);
    }
    this.showStatus();
  }

  // The parser's errors, a line each (the first few): the data in use stay as they were.
  showErrors(errors) {
    const messages = errors.slice(0, SHOWN_ERRORS).map((e) => e.message);
    if (errors.length > SHOWN_ERRORS) messages.push("… and more");
    const list = document.createElement("ul");
    for (const m of messages) {
      const li = document.createElement("li");
      li.textContent = m;
      list.append(li);
    }
    this.status.dataset.state = "bad";
    this.status.replaceChildren(list);
  }

  showStatus() {
    const set = this.sets.get(this.surface);
    this.status.dataset.state = set ? "yours" : "generated";
    this.status.textContent = set
      ? `Fitting your data: ${fmt(set.rows)} rows from ${set.source}${set.features === 2 ? " (two features)" : ""}.`
      : "Fitting the generated data.";
    this.el.dataset.rows = set ? String(set.rows) : "";
    this.el.querySelector("#userdata-generated").disabled = !set;
  }
}
