// The hyperparameter sweep heatmap: one of the page's optimisers over an n × n grid of two of
// its hyperparameters (POST /api/sweeps), every other setting as the page runs it, coloured by
// the final loss (log scale), the steps to converge, or how each run ended. A coarse grid is
// asked for first and drawn while the full one computes. Clicking a cell (or Enter on the
// keyboard's cursor) gives that optimiser the cell's two values, so the page runs the cell's
// setting on the contour: the same run, from the same start with the same stopping rules.

import { postRaw } from "./api.js";
import { formatValue } from "./slider.js";
import { FIGURE_CONFIG, baseLayout, legendSwatch, bands, gridKeys, clickedCell, gridCSV, Latest, field, View, dataFitGrid, dataFitNote } from "./views.js";

export const STATUS_COLOURS = { converged: "#77AADD", max_steps: "#B0B0B0", diverged: "#CC3311" };
const STATUS_NAMES = { converged: "converged", max_steps: "did not converge", diverged: "diverged" };
const METRICS = { loss: "final loss", steps: "steps to converge", status: "how the run ended" };
// The field of the answer each metric shows, for the CSV (named as a run's rows name them).
const FIELDS = { loss: "fun", steps: "nit", status: "status" };
const COARSE = 4; // the coarse grid has n / COARSE points a side
const SIG = 6; // significant digits of a grid value (as the URL writes it: a link gives the same run)

// The hyperparameters a sweep can vary as an axis: single numbers, and each part of a pair
// (`betas.0`); {key, name, part, label, low, high, scale, default}.
export function sweepAxes(opt) {
  const axes = [];
  for (const h of opt.hyperparameters) {
    if (h.sweepable === false) continue;
    const one = { name: h.name, low: h.low, high: h.high, scale: h.scale };
    if ((h.size || 1) === 1) axes.push({ ...one, key: h.name, part: null, label: h.name, default: h.default });
    else for (let k = 0; k < h.size; k++) axes.push({ ...one, key: `${h.name}.${k}`, part: k, label: `${h.name}[${k}]`, default: h.default[k] });
  }
  return axes;
}

const current = (o, axis) => {
  const v = o.p[axis.name];
  if (v === undefined) return axis.default;
  return axis.part === null ? v : v[axis.part];
};

// A range around the optimiser's current value within the declared bounds: two decades either
// side on a log scale, the whole declared range on a linear one.
function defaultRange(axis, value) {
  if (axis.scale !== "log") return [axis.low, axis.high];
  const v = value > 0 ? value : axis.default;
  return [Math.max(axis.low, v / 100), Math.min(axis.high, v * 100)];
}

// The grid's values along one axis: n points from lo to hi (ends included), as the URL writes them.
export function axisValues(lo, hi, n, log) {
  return Array.from({ length: n }, (_, k) => {
    const f = n > 1 ? k / (n - 1) : 0;
    const v = log ? Math.exp(Math.log(lo) + f * (Math.log(hi) - Math.log(lo))) : lo + f * (hi - lo);
    return Number(v.toPrecision(SIG));
  });
}

// The largest n × n grid the limits allow at this many steps (GET /api/limits), for scipy's
// methods (`oneAtATime`) too.
export const maxGrid = (limits, steps, oneAtATime = false) => {
  const points = oneAtATime ? limits.max_sweep_points_one_at_a_time : limits.max_sweep_points;
  return Math.max(2, Math.floor(Math.sqrt(Math.min(points, limits.max_sweep_steps / steps))));
};

// The sweep's settings from the state (`sw`, defaults for what it leaves out or gets wrong);
// `bound`, the page's bound surface, for the limit on a loss summed over its data every step;
// `steps`, each run's (the page's, also where it counts them in epochs).
export function sweepSettings(s, catalog, bound = null, steps = s.steps) {
  const sw = s.sw || {};
  const run = Number.isInteger(sw.run) && sw.run >= 0 && sw.run < s.opts.length ? sw.run : 0;
  const o = s.opts[run];
  const axes = sweepAxes(catalog.optimizers.get(o.id));
  const x = axes.find((a) => a.key === sw.x) ?? axes[0];
  const y = axes.find((a) => a.key === sw.y && a !== x) ?? axes.find((a) => a !== x);
  const range = (axis, lo, hi, sc) => {
    if (!axis) return null;
    const log = sc ? sc === "log" : axis.scale === "log";
    const [d0, d1] = defaultRange(axis, current(o, axis));
    const ok = (v) => Number.isFinite(v) && v >= axis.low && v <= axis.high && (!log || v > 0);
    let r = [ok(lo) ? lo : d0, ok(hi) ? hi : d1];
    if (!(r[0] < r[1])) r = [d0, d1];
    return { axis, lo: r[0], hi: r[1], log: log && r[0] > 0 };
  };
  // scipy's methods run a sweep's settings one after another: a smaller grid
  const oneAtATime = catalog.optimizers.get(o.id).one_at_a_time;
  const sized = maxGrid(catalog.limits, steps, oneAtATime);
  const data = Math.max(2, dataFitGrid(catalog.limits, steps, bound));
  const limit = Math.min(sized, data);
  const fallback = oneAtATime ? 20 : 100;
  const n = Math.min(limit, Math.max(2, Number.isInteger(sw.n) ? sw.n : fallback));
  const metric = sw.m in METRICS ? sw.m : "loss";
  return { run, o, axes, x: range(x, sw.x0, sw.x1, sw.xs), y: range(y, sw.y0, sw.y1, sw.ys), n, limit, metric,
    dataCapped: data < sized };
}

// The sweep request: the page's run of that optimiser, its two swept values left out.
export function sweepBody(body, set, n) {
  const ref = body.optimizers[set.run];
  const params = { ...ref.params };
  const xs = axisValues(set.x.lo, set.x.hi, n, set.x.log);
  const ys = axisValues(set.y.lo, set.y.hi, n, set.y.log);
  const sweep = {};
  const { axis: ax } = set.x;
  const { axis: ay } = set.y;
  const pairOf = (axis) => {
    const p = params[axis.name] ?? catalogPair(set, axis);
    return Array.isArray(p) ? [...p] : p;
  };
  if (ax.part !== null && ay.part !== null && ax.name === ay.name) { // both parts of one pair
    const base = pairOf(ax);
    sweep[ax.name] = ys.flatMap((yv) => xs.map((xv) => {
      const p = [...base];
      p[ax.part] = xv;
      p[ay.part] = yv;
      return p;
    }));
  } else {
    for (const [axis, values] of [[ay, ys], [ax, xs]]) { // y slowest: row j * n + i is (x[i], y[j])
      sweep[axis.name] = axis.part === null ? values : values.map((v) => {
        const p = pairOf(axis);
        p[axis.part] = v;
        return p;
      });
    }
  }
  for (const name of Object.keys(sweep)) delete params[name];
  return {
    request: {
      surface: body.surface, max_steps: body.max_steps, stop: body.stop, seed: body.seed ?? 0,
      ...(ref.start ?? body.start ? { start: ref.start ?? body.start } : {}),
      optimizer: { id: ref.id, params, schedule: ref.schedule },
      sweep,
    },
    xs, ys,
  };
}
const catalogPair = (set, axis) => set.axes.filter((a) => a.name === axis.name).map((a) => a.default);

export class SweepView extends View {
  title = "Hyperparameter sweep";

  constructor(ctx, { controls, status, fig }) {
    super(ctx, { status, fig });
    this.latest = new Latest();
    this.key = null;
    this.result = null; // {xs, ys, answer, set, full}
    this.build(controls);
    fig.setAttribute("aria-label", "hyperparameter sweep heatmap");
    this.keys = gridKeys(fig, {
      get: () => (this.result ? { nx: this.result.xs.length, ny: this.result.ys.length } : null),
      show: (i, j) => this.cursor(i, j),
      pick: (i, j) => this.pick(i, j),
    });
  }

  // The controls: which run, the two axes (name, from, to, scale), the grid and the metric.
  build(root) {
    const select = (key) => {
      const s = document.createElement("select");
      s.dataset.key = key;
      return s;
    };
    const number = (key, title) => {
      const i = document.createElement("input");
      i.type = "number";
      i.step = "any";
      i.dataset.key = key;
      i.title = title;
      return i;
    };
    this.inputs = {
      run: select("run"), m: select("m"), n: number("n", "points a side"),
      x: select("x"), x0: number("x0", "from"), x1: number("x1", "to"), xs: select("xs"),
      y: select("y"), y0: number("y0", "from"), y1: number("y1", "to"), ys: select("ys"),
    };
    const I = this.inputs;
    I.n.step = "1";
    I.n.min = "2";
    for (const k of ["xs", "ys"]) for (const v of ["log", "lin"]) I[k].append(new Option(v === "log" ? "log" : "linear", v));
    for (const [k, v] of Object.entries(METRICS)) I.m.append(new Option(v, k));
    const row = (...items) => {
      const d = document.createElement("div");
      d.className = "vc-row";
      d.append(...items);
      return d;
    };
    const span = (x) => {
      const sp = document.createElement("span");
      sp.className = "to";
      sp.setAttribute("aria-hidden", "true");
      sp.textContent = x;
      return sp;
    };
    const axisRow = (k) => {
      I[`${k}0`].setAttribute("aria-label", `${k} from`);
      I[`${k}1`].setAttribute("aria-label", `${k} to`);
      I[`${k}s`].setAttribute("aria-label", `${k} scale`);
      return row(field(k, I[k]), I[`${k}0`], span("…"), I[`${k}1`], I[`${k}s`]);
    };
    root.append(
      row(field("optimiser", I.run), field("colour", I.m), field("n × n", I.n)),
      axisRow("x"),
      axisRow("y"),
    );
    root.addEventListener("change", (e) => {
      const key = e.target.dataset.key;
      if (!key) return;
      const raw = e.target.value;
      const value = e.target.type === "number" ? Number(raw) : key === "run" ? Number(raw) : raw;
      this.ctx.commit((d) => {
        const set = sweepSettings(d, this.ctx.catalog, this.ctx.bound(), this.ctx.steps(d));
        d.sw = this.settingsOf(set);
        if (key === "run" || key === "x" || key === "y") { // a new axis: its default range
          if (key === "run") d.sw = {};
          if (key === "x") for (const k of ["x0", "x1", "xs"]) delete d.sw[k];
          if (key === "y") for (const k of ["y0", "y1", "ys"]) delete d.sw[k];
          const other = key === "x" ? "y" : "x"; // picking the other axis's name swaps them
          if (key !== "run" && value === d.sw[other]) {
            d.sw[other] = d.sw[key];
            for (const k of ["0", "1", "s"]) delete d.sw[other + k];
          }
        }
        if (Number.isFinite(value) || typeof value === "string") d.sw[key] = value;
      }, { ui: true });
    });
  }

  // The state's form of resolved settings (the URL then holds the whole sweep).
  settingsOf(set) {
    return {
      run: set.run, x: set.x?.axis.key, x0: set.x?.lo, x1: set.x?.hi, xs: set.x?.log ? "log" : "lin",
      y: set.y?.axis.key, y0: set.y?.lo, y1: set.y?.hi, ys: set.y?.log ? "log" : "lin", n: set.n, m: set.metric,
    };
  }

  showControls(s, set) {
    const I = this.inputs;
    const labels = this.ctx.labels(s);
    I.run.replaceChildren(...s.opts.map((o, i) => new Option(`${i + 1}. ${labels[i] ?? o.id}`, String(i))));
    I.run.value = String(set.run);
    for (const k of ["x", "y"]) {
      I[k].replaceChildren(...set.axes.map((a) => new Option(a.label, a.key)));
      const r = set[k];
      I[k].disabled = !r;
      if (!r) continue;
      I[k].value = r.axis.key;
      I[`${k}0`].value = formatValue(r.lo);
      I[`${k}1`].value = formatValue(r.hi);
      I[`${k}s`].value = r.log ? "log" : "lin";
      I[`${k}s`].querySelector('option[value="log"]').disabled = !(r.axis.low > 0 || r.lo > 0);
    }
    I.n.max = String(set.limit);
    I.n.value = String(set.n);
    I.m.value = set.metric;
  }

  update(s) {
    const set = sweepSettings(s, this.ctx.catalog, this.ctx.bound(), this.ctx.steps(s));
    this.showControls(s, set);
    if (!set.y) {
      this.say(`${set.o.id} has fewer than two hyperparameters a sweep can vary.`, "error");
      return;
    }
    const body = this.ctx.runBody(s);
    const { request } = sweepBody(body, set, set.n);
    const key = JSON.stringify(request);
    if (key !== this.key) {
      this.key = key;
      this.compute(body, set);
    } else if (this.result) {
      this.result.set = set;
      this.draw();
    }
  }

  async compute(body, set) {
    const n = set.n;
    const sizes = n >= 3 * COARSE ? [Math.ceil(n / COARSE), n] : [n];
    const note = body.stochastic ? " (without the minibatches or noise: each cell is a full-gradient run)" : "";
    const started = performance.now();
    this.fig.dataset.state = "computing";
    this.say(`Computing ${n} × ${n} runs of ${body.max_steps} steps…`);
    try {
      let previous = Promise.resolve();
      const ok = await this.latest.run(sizes.map((m) => {
        const { request, xs, ys } = sweepBody(body, set, m);
        // each request once the one before has been answered (the server's pool would
        // otherwise compute the full grid first), not drawn: the next computes meanwhile
        const answer = previous.then(() => postRaw("/api/sweeps", request)).then((r) => r.json());
        previous = answer;
        answer.catch(() => {}); // (reported when its turn comes)
        return async (live) => {
          const got = await answer;
          if (!live()) return;
          await this.ctx.ready;
          this.result = { xs, ys, answer: got, set, full: m === n };
          this.keys.reset();
          this.draw();
          this.fig.dataset.state = m === n ? "done" : "coarse";
          this.fig.dataset.n = String(m);
        };
      }));
      if (!ok) return;
      const counts = this.counts();
      const ms = Math.round(performance.now() - started);
      this.say(`${n} × ${n} runs in ${ms} ms${dataFitNote(set, this.ctx.bound())}: ${counts}. `
        + `Click a cell to run it on the surface${note}.`);
    } catch (err) {
      this.refused(err);
    }
  }

  counts() {
    const c = { converged: 0, max_steps: 0, diverged: 0 };
    for (const st of this.result.answer.status) c[st]++;
    return Object.entries(c).filter(([, v]) => v).map(([k, v]) => `${v} ${STATUS_NAMES[k]}`).join(", ");
  }


  // The heatmap: the metric where it has a value, each other outcome in a colour of its own.
  draw() {
    if (!window.Plotly || !this.result) return;
    const { xs, ys, answer, set } = this.result;
    const nx = xs.length;
    const at = (list) => ys.map((_, j) => xs.map((_, i) => list[j * nx + i]));
    const status = at(answer.status);
    const loss = at(answer.fun);
    const steps = at(answer.nit);
    const xl = set.x.axis.label, yl = set.y.axis.label;
    const where = `${xl} = %{x:.4g}<br>${yl} = %{y:.4g}<br>`;
    const traces = [];
    const m = set.metric;
    const valued = (st) => (m === "loss" ? st !== "diverged" : m === "steps" ? st === "converged" : false);
    if (m !== "status") {
      const raw = m === "loss" ? loss : steps;
      const flat = status.flat();
      const positive = raw.flat().every((v, k) => !valued(flat[k]) || v === null || v > 0);
      const log = m === "loss" && positive;
      const z = raw.map((row, j) => row.map((v, i) => (valued(status[j][i]) && v !== null ? (log ? Math.log10(v) : v) : null)));
      traces.push({
        type: "heatmap", x: xs, y: ys, z, customdata: raw, colorscale: "Viridis", hoverongaps: false,
        name: METRICS[m],
        hovertemplate: `${where}${m === "loss" ? "final loss %{customdata:.6g}" : "%{customdata} steps"}<extra></extra>`,
        colorbar: { title: { text: log ? "final loss (log₁₀)" : METRICS[m], side: "right" }, thickness: 12, len: 0.9 },
      });
    }
    const cats = m === "status" ? ["converged", "max_steps", "diverged"] : m === "loss" ? ["diverged"] : ["max_steps", "diverged"];
    const index = Object.fromEntries(cats.map((c, k) => [c, k]));
    const cz = status.map((row) => row.map((st) => (m !== "status" && valued(st) ? null : index[st] ?? null)));
    const what = status.map((row, j) => row.map((st, i) => (m === "status" ? `${STATUS_NAMES[st]}, final loss ${fmt(loss[j][i])}` : STATUS_NAMES[st])));
    traces.push({
      type: "heatmap", x: xs, y: ys, z: cz, text: what, zmin: -0.5, zmax: cats.length - 0.5,
      colorscale: bands(cats.map((c) => STATUS_COLOURS[c])), showscale: false, hoverongaps: false,
      name: "outcome", hovertemplate: `${where}%{text}<extra></extra>`,
    });
    for (const c of cats) traces.push(legendSwatch(STATUS_NAMES[c], STATUS_COLOURS[c]));
    const o = this.ctx.state().opts[set.run];
    const mark = o ? [current(o, set.x.axis), current(o, set.y.axis)] : [null, null];
    traces.push({
      type: "scatter", mode: "markers", x: [mark[0]], y: [mark[1]], name: "this setting", hoverinfo: "skip",
      marker: { symbol: "circle-open", size: 13, color: "#000", line: { width: 2.5 } },
    }, {
      type: "scatter", mode: "markers", x: [null], y: [null], name: "cursor", showlegend: false, hoverinfo: "skip",
      marker: { symbol: "square-open", size: 12, color: "#E69F00", line: { width: 3 } },
    });
    // A log axis over two decades or more is ticked at the powers of ten only: Plotly's 2 and 5
    // between them run into the powers' labels on a narrow figure.
    const decades = (r) => Math.log10(r.hi / r.lo);
    const axis = (r) => ({ title: { text: r.axis.label }, type: r.log ? "log" : "linear", exponentformat: "power",
      ...(r.log && decades(r) >= 2 ? { dtick: 1 } : {}) });
    const layout = baseLayout(axis(set.x), axis(set.y), this.fig.clientHeight, this.ctx.state().big);
    layout.uirevision = this.key;
    Plotly.react(this.fig, traces, layout, FIGURE_CONFIG);
    if (!this.fig.dataset.wired) {
      this.fig.dataset.wired = "1";
      this.fig.on("plotly_click", (ev) => {
        const cell = clickedCell(ev, this.result.xs, this.result.ys);
        if (cell) this.pick(...cell);
      });
    }
    this.fig.setAttribute("aria-label", `${METRICS[m]} of ${set.o.id} over ${xl} and ${yl}, ${nx} × ${ys.length} runs`);
  }

  cursor(i, j) {
    const { xs, ys, answer } = this.result;
    const k = j * xs.length + i;
    Plotly.restyle(this.fig, { x: [[xs[i]]], y: [[ys[j]]] }, [this.fig.data.length - 1]);
    this.say(`${this.result.set.x.axis.label} = ${fmt(xs[i])}, ${this.result.set.y.axis.label} = ${fmt(ys[j])}: `
      + `${STATUS_NAMES[answer.status[k]]}, final loss ${fmt(answer.fun[k])}, ${answer.nit[k]} steps (Enter: run it)`);
  }

  // The cell's two values become the optimiser's: the page runs that setting.
  pick(i, j) {
    const { xs, ys, set } = this.result;
    this.ctx.commit((d) => {
      const o = d.opts[set.run];
      if (!o) return;
      for (const [r, v] of [[set.x, xs[i]], [set.y, ys[j]]]) {
        if (r.axis.part === null) o.p[r.axis.name] = v;
        else {
          const p = Array.isArray(o.p[r.axis.name]) ? o.p[r.axis.name] : catalogPair(set, r.axis);
          o.p[r.axis.name] = p.map((q, k) => (k === r.axis.part ? v : q));
        }
      }
    });
  }

  csv() {
    if (!this.result) return null;
    const { xs, ys, answer, set } = this.result;
    const field = FIELDS[set.metric];
    const text = gridCSV(`${set.y.axis.label} \\ ${set.x.axis.label}`, xs, ys, (i, j) => answer[field][j * xs.length + i]);
    return { name: `descentlab-${this.fileName()}.csv`, text: `# ${METRICS[set.metric]} of ${set.o.id}: rows ${set.y.axis.label}, columns ${set.x.axis.label}\n${text}` };
  }

  fileName() {
    return `sweep-${this.result?.set.o.id ?? "none"}`;
  }
}

const fmt = (v) => (v === null || v === undefined ? "—" : formatValue(v));
