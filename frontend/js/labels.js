// A run's label in the legends and the status table: the optimiser's name, its learning rate,
// each other hyperparameter in which it differs from another run of the same optimiser (so two
// runs never share a label), its schedule and its own start.

import { formatValue } from "./slider.js";

const fmt = (v) => (Array.isArray(v) ? v.map(formatValue).join("/") : formatValue(v));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// opts: the state's optimisers; catalog: {optimizers, schedules} (Maps by id).
export function runLabels(opts, catalog) {
  return opts.map((o) => {
    const spec = catalog.optimizers.get(o.id);
    if (!spec) return "";
    const value = (q, h) => q.p[h.name] ?? h.default;
    const peers = opts.filter((q) => q.id === o.id && q !== o);
    const parts = [spec.name];
    for (const h of spec.hyperparameters) {
      const v = value(o, h);
      if ((h.name === "lr" && spec.uses_lr) || peers.some((q) => !same(value(q, h), v))) {
        parts.push(`${h.name}=${fmt(v)}`);
      }
    }
    let text = parts.join(" ");
    if (o.s) text += ` (${catalog.schedules.get(o.s.id)?.name ?? o.s.id})`;
    if (o.start) text += ` from (${o.start.map(formatValue).join(", ")})`;
    return text;
  });
}
