// One card per optimiser: its colour, which rule, its hyperparameters (sliders generated from
// GET /api/optimizers specs), its learning-rate schedule, and a remove button.

import { makeSlider } from "./slider.js";
import { boundApplies } from "./analysis.js";
import { colour } from "./palette.js";

const PRIMARY = new Set(["lr", "momentum", "betas", "alpha", "rho", "T0", "temperature", "sigma"]);
const openMore = new Set(); // cards whose "more settings" the user opened

function option(value, text, selected) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  o.selected = selected;
  return o;
}

// Sliders for one list of specs; `get(name)` reads the value; `set(name, v|undefined)` commits.
function specSliders(specs, field, values, commit, sliders) {
  const rows = [];
  for (const spec of specs) {
    const size = spec.size || 1;
    for (let k = 0; k < size; k++) {
      const def = size > 1 ? spec.default[k] : spec.default;
      const cur = values[spec.name];
      const val = cur === undefined ? def : size > 1 ? cur[k] : cur;
      const label = size > 1 ? `${spec.name}[${k}]` : spec.name;
      const f = size > 1 ? `${field}.${spec.name}.${k}` : `${field}.${spec.name}`;
      const write = (p, v) => {
        if (size === 1) {
          if (v === undefined) delete p[spec.name];
          else p[spec.name] = v;
          return;
        }
        const arr = [...(p[spec.name] ?? spec.default)];
        arr[k] = v === undefined ? spec.default[k] : v;
        if (arr.every((x, j) => x === spec.default[j])) delete p[spec.name];
        else p[spec.name] = arr;
      };
      const s = makeSlider({
        label, spec, value: val, def, field: f, decades: 2,
        onValue: (v, { final }) => commit((p) => write(p, v), final),
        onReset: () => commit((p) => write(p, undefined), true),
      });
      sliders.set(f, s);
      rows.push({ spec, el: s.el });
    }
  }
  return rows;
}

// catalog: {optimizers: Map id -> spec, schedules: Map id -> spec}; commit(mutate, opts) is
// Store.commit. Returns the sliders by field so errors can be shown next to them.
export function renderCards(root, state, catalog, commit) {
  root.replaceChildren();
  const sliders = new Map();
  state.opts.forEach((o, i) => {
    const spec = catalog.optimizers.get(o.id);
    const card = document.createElement("section");
    card.className = "card";
    card.style.setProperty("--c", colour(i));
    card.dataset.index = i;
    card.setAttribute("aria-label", `optimiser ${i + 1}: ${spec.name}`);

    const head = document.createElement("div");
    head.className = "card-head";
    const sw = document.createElement("span");
    sw.className = "swatch";
    const pick = document.createElement("select");
    pick.setAttribute("aria-label", `optimiser ${i + 1}`);
    for (const opt of catalog.optimizers.values()) pick.append(option(opt.id, opt.name, opt.id === o.id));
    pick.addEventListener("change", () =>
      commit((d) => { // another rule on the same path: its own start stays
        const start = d.opts[i].start;
        d.opts[i] = { id: pick.value, p: {}, s: null, ...(start ? { start } : {}) };
      }, { structure: true }));
    const rm = document.createElement("button");
    rm.type = "button";
    rm.className = "remove";
    rm.textContent = "×";
    rm.setAttribute("aria-label", `remove optimiser ${i + 1}`);
    rm.disabled = state.opts.length <= 1;
    rm.addEventListener("click", () => commit((d) => {
      d.opts.splice(i, 1);
      if (d.ring === i) d.ring = 0;
      else if (d.ring > i) d.ring -= 1;
    }, { structure: true }));
    head.append(sw, pick, rm);
    card.append(head);
    if (spec.description) card.title = spec.description;

    const pcommit = (fn, final) =>
      commit((d) => fn(d.opts[i].p), { history: final ? "push" : "replace", live: !final });
    const rows = specSliders(spec.hyperparameters, `optimizers.${i}.params`, o.p, pcommit, sliders);
    const few = rows.length <= 3;
    const more = document.createElement("details");
    more.innerHTML = "<summary>more settings</summary>";
    for (const r of rows) {
      (few || PRIMARY.has(r.spec.name) ? card : more).append(r.el);
      if (r.spec.name === "lr" && boundApplies(o.id)) { // filled by analysis.js (LrBound.render)
        const bound = document.createElement("p");
        bound.className = "lr-bound";
        bound.dataset.lrBound = String(i);
        bound.dataset.rule = o.id;
        bound.hidden = true;
        r.el.after(bound);
        r.el.querySelector('input[type="range"]').setAttribute("aria-describedby", `lr-bound-${i}`);
        bound.id = `lr-bound-${i}`;
      }
    }
    more.open = openMore.has(i) || Boolean(o.s);
    more.addEventListener("toggle", () => (more.open ? openMore.add(i) : openMore.delete(i)));

    if (spec.uses_lr && catalog.schedules.size) {
      const row = document.createElement("div");
      row.className = "ctl sched";
      row.dataset.field = `optimizers.${i}.schedule`;
      const sid = `sched-${i}`;
      row.innerHTML = `<label for="${sid}">schedule</label><select id="${sid}"></select>
        <div class="err" role="alert" hidden></div>`;
      const sel = row.querySelector("select");
      sel.append(option("", "constant", !o.s));
      for (const s of catalog.schedules.values()) sel.append(option(s.id, s.name, o.s?.id === s.id));
      sel.addEventListener("change", () =>
        commit((d) => { d.opts[i].s = sel.value ? { id: sel.value, p: {} } : null; },
          { structure: true }));
      (few ? card : more).append(row);
      if (o.s && catalog.schedules.get(o.s.id)) {
        const scommit = (fn, final) =>
          commit((d) => fn(d.opts[i].s.p), { history: final ? "push" : "replace", live: !final });
        const srows = specSliders(catalog.schedules.get(o.s.id).params, `optimizers.${i}.schedule.params`,
          o.s.p, scommit, sliders);
        for (const r of srows) (few ? card : more).append(r.el);
      }
    }
    if (more.children.length > 1) card.append(more);
    root.append(card);
  });
  return sliders;
}
