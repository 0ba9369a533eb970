// What is drawn over the surface besides the paths (the state's `over`): "state", what each
// rule keeps at its current point (POST /api/states, animated with the player's step), and
// "field", the direction of −∇f over the view (from the contour grid the figure already has,
// by central differences: only the direction is drawn). Both as shape items of the surface's
// PathLayer, in the runs' colours; a key under the figure says what each glyph means.
//
// Glyphs at point i of run k (entry i of the state: the move from x_i to x_{i+1}):
//   gradient   −∇f at the rule's scale (gradientScale: GD's step −lr·∇f; Adam's lr/max √v̂;
//              no rate: GRAD_PX long at the run's largest gradient), a thin dark arrow
//   velocity   what the momentum buffer moves x by, a thick arrow in the run's colour
//   m̂          Adam's first moment, −m̂ at the gradient's scale, a dashed arrow
//   √v̂         Adam's RMS of the gradient at the same scale: a box, its larger half-side lr
//   step size  per coordinate, as an ellipse whose half-axes are in their ratio (the larger
//              ELLIPSE_PX): tall where the rule steps further along y than along x
//   simplex    Nelder-Mead's vertices, a triangle
//   trials     the points a line search evaluated on its way to x_{i+1}: small dots
//   proposals  the last PROPOSALS_SHOWN proposals: filled accepted, hollow rejected

import { postRaw, ApiError } from "./api.js";
import { colour } from "./palette.js";

const GRAD_PX = 40; // a direction without a scale
const MAX_PX = 0.45; // an arrow at most this share of the plot area's smaller side
const FIELD_ARROWS = 17; // across the plot's wider side
const FIELD_GAP = 22; // px between arrows at least
const PROPOSALS_SHOWN = 12;
const QUIET_MS = 300; // the runs' body unchanged this long before its state is asked for
const ELLIPSE_PX = 22; // the per-coordinate step sizes' ellipse: its larger half-axis
const r2 = (v) => Math.round(v * 100) / 100;
const finite = (p) => Array.isArray(p) && p.every((v) => v !== null && Number.isFinite(v));

// An arrow's path commands from pixel (ax, ay) to (bx, by), its length capped at `cap` px.
function arrow(ax, ay, bx, by, cap, head = 7) {
  let dx = bx - ax, dy = by - ay;
  const len = Math.hypot(dx, dy);
  if (!(len > 0.5) || !Number.isFinite(len)) return "";
  if (len > cap) {
    dx *= cap / len;
    dy *= cap / len;
  }
  const ex = ax + dx, ey = ay + dy;
  const h = Math.min(head, 0.45 * Math.hypot(dx, dy));
  const ux = dx / Math.hypot(dx, dy), uy = dy / Math.hypot(dx, dy);
  const lx = ex - h * (ux * 0.87 - uy * 0.5), ly = ey - h * (uy * 0.87 + ux * 0.5);
  const rx = ex - h * (ux * 0.87 + uy * 0.5), ry = ey - h * (uy * 0.87 - ux * 0.5);
  return `M${r2(ax)},${r2(ay)}L${r2(ex)},${r2(ey)}M${r2(lx)},${r2(ly)}L${r2(ex)},${r2(ey)}L${r2(rx)},${r2(ry)}`;
}

// An axis-aligned ellipse about pixel (cx, cy) with half-axes rx, ry px.
const ellipse = (cx, cy, rx, ry) => `M${r2(cx - rx)},${r2(cy)}a${r2(rx)},${r2(ry)} 0 1,0 ${r2(2 * rx)},0`
  + `a${r2(rx)},${r2(ry)} 0 1,0 ${r2(-2 * rx)},0z`;
const circle = (cx, cy, r) => ellipse(cx, cy, r, r);

// How long a gradient is drawn (data units per unit of gradient) at point i of a run: Adam
// and its kin, lr / max √v̂ (their rate is a step length: the √v̂ box's larger half-side is
// lr, m̂ and ∇f to the same scale); any other rule with a rate: lr (−lr·∇f, plain GD's step
// at that rate, beside the step the rule takes); none (null): scaled to the run's largest.
function gradientScale(run, i) {
  const s = run.kept?.sqrt_v_hat?.[i], lr = run.lr?.[i];
  if (finite(s) && Number.isFinite(lr) && Math.max(...s) > 0) return lr / Math.max(...s);
  return Number.isFinite(lr) ? lr : null;
}

// The glyphs' key: the names of those drawn, with a small picture each.
const KEY = {
  gradient: ["black arrow", "−∇f at the rule's scale (GD's step −lr·∇f)"],
  velocity: ["velocity", "what momentum carries"],
  m_hat: ["m̂", "Adam's average gradient (dashed)"],
  sqrt_v_hat: ["√v̂", "its RMS (dotted box, larger side lr)"],
  effective_lr: ["ellipse", "per-coordinate step sizes, in their ratio"],
  simplex: ["simplex", "Nelder-Mead's vertices"],
  trials: ["trials", "line-search points"],
  proposals: ["proposals", "filled: accepted, hollow: rejected"],
};

export class Overlay {
  // host: where the key goes (after the figure's legend); limits: GET /api/limits;
  // onData: called when a state arrives (to redraw).
  constructor({ host, limits, onData }) {
    this.limits = limits;
    this.onData = onData;
    this.key = document.createElement("p");
    this.key.className = "overlay-key";
    this.key.id = "overlay-key";
    this.key.hidden = true;
    host.after(this.key);
    this.want = null; // the body asked for (JSON), and its answer
    this.runsKey = null; // the runs it is for
    this.data = null;
    this.note = "";
    this.timer = 0;
    this.upTo = Infinity;
    this.fieldCache = { grid: null, id: 0 };
  }

  // Asks for the state of the runs `key` (the page's run id; body() their run body) when `on`
  // and they are not what is shown or asked for; the answer calls onData. The body (made only
  // for a new key: your own data ride in it) loses its restarts (the state follows the
  // start's path) and keeps its steps within the limit on points (the rest drawn without).
  sync(on, key = null, body = null) {
    if (!on) {
      clearTimeout(this.timer);
      this.want = this.runsKey = null;
      this.data = null;
      return;
    }
    if (key === this.runsKey) return;
    this.runsKey = key;
    const b = { ...body() };
    delete b.restarts;
    delete b.restart_from;
    const cap = Math.floor((this.limits.max_state_points ?? 20000) / b.optimizers.length) - 1;
    const clamped = b.max_steps !== undefined && b.max_steps > cap;
    if (clamped) b.max_steps = cap;
    const text = JSON.stringify(b);
    if (text === this.want) return;
    this.want = text;
    this.upTo = clamped ? cap : Infinity; // a run this long may go on past the state
    this.data = null;
    this.note = "";
    // Asked for once the runs rest (a drag's runs come every few frames): the server's
    // replay holds its interpreter ~0.1-0.5 s, which the next run would wait for.
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fetch(b, text), QUIET_MS);
  }

  fetch(b, text) {
    if (this.want !== text) return;
    postRaw("/api/states", b).then((r) => r.json()).then((answer) => {
      if (this.want !== text) return;
      this.data = answer;
      this.onData();
    }).catch((err) => {
      if (this.want !== text) return;
      this.data = null;
      this.note = err instanceof ApiError ? `State not shown: ${err.message}` : "";
      this.onData();
    });
  }

  // The state's items at the player's step t: a run that ended stays at its last point;
  // one cut short by the limit on points is drawn up to there.
  items(t, big) {
    const out = [];
    const shown = new Set();
    for (const [k, run] of (this.data?.runs ?? []).entries()) {
      if (t > run.nit && run.nit >= this.upTo) continue;
      out.push(...this.runItems(run, k, Math.min(t, run.nit), big, shown));
    }
    this.renderKey(shown);
    return out;
  }

  runItems(run, k, i, big, shown) {
    const x = run.path[i];
    if (!finite(x) || x.length !== 2) return [];
    const c = colour(k);
    const w = big ? 1.5 : 1;
    const items = [];
    const kept = run.kept ?? {};
    const g = run.grad[i];
    const scale = gradientScale(run, i); // data units per unit of gradient, or null
    const cap = (b) => MAX_PX * Math.min(b.w, b.h);
    const at = (px, py) => [px(x[0]), py(x[1])];
    const push = (name, glyph, item) => {
      shown.add(glyph);
      items.push({ kind: "shape", key: `st${k}.${name}`, name: `${glyph} ${k}`,
        meta: { run: k, step: i, glyph }, ...item });
    };
    if (finite(g)) {
      push("grad", "gradient", { color: "#222", width: 1.6 * w, d: (px, py, b) => {
        const [ax, ay] = at(px, py);
        if (scale !== null) {
          return arrow(ax, ay, px(x[0] - scale * g[0]), py(x[1] - scale * g[1]), cap(b));
        }
        const bx = px(x[0] - g[0]) - ax, by = py(x[1] - g[1]) - ay; // direction in pixels
        const len = Math.hypot(bx, by) || 1;
        const px0 = GRAD_PX * (Math.hypot(g[0], g[1]) / this.largest(run));
        return arrow(ax, ay, ax + (px0 * bx) / len, ay + (px0 * by) / len, cap(b));
      } });
    }
    const v = kept.velocity?.[i];
    if (finite(v)) {
      push("vel", "velocity", { color: c, width: 3 * w, d: (px, py, b) => {
        const [ax, ay] = at(px, py);
        return arrow(ax, ay, px(x[0] + v[0]), py(x[1] + v[1]), cap(b), 9);
      } });
    }
    const m = kept.m_hat?.[i];
    if (finite(m) && scale !== null) {
      push("mhat", "m_hat", { color: c, width: 2 * w, dash: "5,3", d: (px, py, b) => {
        const [ax, ay] = at(px, py);
        return arrow(ax, ay, px(x[0] - scale * m[0]), py(x[1] - scale * m[1]), cap(b));
      } });
    }
    const s = kept.sqrt_v_hat?.[i];
    if (finite(s) && scale !== null) {
      push("vhat", "sqrt_v_hat", { color: c, width: 1.2 * w, dash: "2,2", d: (px, py) => {
        const x0 = px(x[0] - scale * s[0]), x1 = px(x[0] + scale * s[0]);
        const y0 = py(x[1] - scale * s[1]), y1 = py(x[1] + scale * s[1]);
        return `M${r2(x0)},${r2(y0)}H${r2(x1)}V${r2(y1)}H${r2(x0)}z`;
      } });
    }
    const e = kept.effective_lr?.[i];
    if (finite(e) && finite(g)) {
      push("ell", "effective_lr", { color: c, width: 1.2 * w, fill: c, opacity: 0.3, d: (px, py) => {
        const [ax, ay] = at(px, py);
        const rx = Math.abs(px(x[0] + e[0]) - ax), ry = Math.abs(py(x[1] + e[1]) - ay);
        const k = (big ? 1.4 : 1) * ELLIPSE_PX / Math.max(rx, ry);
        return Number.isFinite(k) ? ellipse(ax, ay, Math.max(1.5, rx * k), Math.max(1.5, ry * k)) : "";
      } });
    }
    const sim = run.simplex?.[i];
    if (Array.isArray(sim) && sim.every(finite)) {
      push("simplex", "simplex", { color: c, width: 1.8 * w, fill: c, opacity: 0.6, d: (px, py) =>
        sim.map((p, j) => `${j ? "L" : "M"}${r2(px(p[0]))},${r2(py(p[1]))}`).join("") + "z" });
    }
    const trials = run.trials?.[i];
    if (Array.isArray(trials) && trials.length) {
      push("trials", "trials", { fill: c, color: "#fff", width: 0.8, d: (px, py) =>
        trials.filter(finite).map((p) => circle(px(p[0]), py(p[1]), big ? 4 : 3)).join("") });
    }
    if (run.proposal) this.proposalItems(run, k, i, big, push);
    return items;
  }

  // The largest gradient norm on a run's path (what a rule without a rate scales its arrow by).
  largest(run) {
    if (run.largest === undefined) {
      run.largest = Math.max(...run.grad.filter(finite).map((g) => Math.hypot(...g)), 0) || 1;
    }
    return run.largest;
  }

  proposalItems(run, k, i, big, push) {
    const from = Math.max(0, i - PROPOSALS_SHOWN + 1);
    const pick = (yes) => {
      const out = [];
      for (let j = from; j <= i; j++) if (run.accepted[j] === yes && finite(run.proposal[j])) out.push(run.proposal[j]);
      return out;
    };
    const r = big ? 5 : 4;
    const accepted = pick(true), rejected = pick(false);
    const dots = (pts) => (px, py) => pts.map((p) => circle(px(p[0]), py(p[1]), r)).join("");
    push("acc", "proposals", { fill: colour(k), color: "#000", width: 0.8, d: dots(accepted) });
    push("rej", "proposals", { fill: "#fff", color: colour(k), width: 1.6, d: dots(rejected) });
  }

  // The field of −∇f over the view, from the figure's grid ({x, y, z rows}; null where not
  // finite): arrows of equal length on a coarse lattice of the grid's points, pointing along
  // −∇f as drawn (the direction is mapped through the axes, whatever their scales).
  fieldItems(grid, big) {
    if (!grid || !Array.isArray(grid.z?.[0])) return [];
    if (this.fieldCache.grid !== grid) this.fieldCache = { grid, id: this.fieldCache.id + 1 };
    const { x, y, z } = grid;
    const nx = x.length, ny = y.length;
    const d = (px, py) => {
      // FIELD_ARROWS across, and at least FIELD_GAP px apart on a small figure
      const gridPx = Math.min(Math.abs(px(x[1]) - px(x[0])), Math.abs(py(y[1]) - py(y[0])));
      const every = Math.max(1, Math.round(Math.max(nx, ny) / FIELD_ARROWS), Math.ceil(FIELD_GAP / gridPx));
      const cell = Math.min(Math.abs(px(x[every]) - px(x[0])), Math.abs(py(y[every]) - py(y[0])));
      const len = 0.7 * cell;
      let out = "";
      for (let j = Math.floor(every / 2); j < ny; j += every) {
        for (let i = Math.floor(every / 2); i < nx; i += every) {
          const i0 = Math.max(0, i - 1), i1 = Math.min(nx - 1, i + 1);
          const j0 = Math.max(0, j - 1), j1 = Math.min(ny - 1, j + 1);
          const zs = [z[j][i0], z[j][i1], z[j0][i], z[j1][i]];
          if (zs.some((v) => v === null)) continue;
          const gx = (zs[1] - zs[0]) / (x[i1] - x[i0]), gy = (zs[3] - zs[2]) / (y[j1] - y[j0]);
          if (!(Math.hypot(gx, gy) > 0)) continue;
          const ax = px(x[i]), ay = py(y[j]);
          const h = 1e-6 * (Math.abs(x[nx - 1] - x[0]) + Math.abs(y[ny - 1] - y[0])) / Math.hypot(gx, gy);
          const bx = px(x[i] - h * gx) - ax, by = py(y[j] - h * gy) - ay;
          const n = Math.hypot(bx, by);
          if (!(n > 0)) continue;
          out += arrow(ax, ay, ax + (len * bx) / n, ay + (len * by) / n, len, Math.max(3, len * 0.3));
        }
      }
      return out;
    };
    return [{ kind: "shape", key: "field", name: "field", meta: { arrows: true }, color: "#5a6470",
      width: big ? 1.4 : 1, opacity: 0.5, cache: `field${this.fieldCache.id}`, d }];
  }

  renderKey(shown) {
    const parts = Object.entries(KEY).filter(([k]) => shown.has(k))
      .map(([, [name, what]]) => `${name}: ${what}`);
    const text = [parts.join(" · "), this.note].filter(Boolean).join(" — ");
    if (this.key.textContent !== text) this.key.textContent = text;
    const hide = !text;
    if (this.key.hidden !== hide) this.key.hidden = hide;
  }
}
