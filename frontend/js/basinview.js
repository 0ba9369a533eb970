// The basin map: one of the page's optimisers (its hyperparameters, schedule, steps and
// stopping rules as the page runs it) from every start of an n × n grid over the surface's
// view (POST /api/basins), each start coloured by the minimum its run ends in, grey where it
// diverged or did not converge; the minima marked. A coarse grid is drawn first. Clicking a
// cell (or Enter on the keyboard's cursor) moves that optimiser's start there. The page's paths
// are drawn over the map as the player shows them (frame()), unless hidden (`basins=paths:0`):
// the map alone.

import { postRaw } from "./api.js";
import { viewRanges } from "./state.js";
import { formatValue } from "./slider.js";
import { BASIN_COLOURS, NO_BASIN, colour, dash } from "./palette.js";
import { FIGURE_CONFIG, baseLayout, legendSwatch, bands, gridKeys, clickedCell, gridCSV, Latest, field, View, dataFitGrid, dataFitNote } from "./views.js";

const COARSE = 4;
const DEFAULT_N = 100;

const colourOf = (label) => (label < 0 ? NO_BASIN : BASIN_COLOURS[label % BASIN_COLOURS.length]);

// Whether the server maps basins for this optimiser: scipy's methods (one start at a time)
// and the zeroth-order rules (they never converge by the stopping rules) it refuses.
export const mapsBasins = (opt) => opt.family !== "zeroth-order" && !opt.one_at_a_time;

// The map's settings from the state (`bs`): which run, and the grid's points a side;
// `bound`, the page's bound surface, for the limit on a loss summed over its data every step;
// `steps`, each run's (the page's, also where it counts them in epochs).
export function basinSettings(s, catalog, bound = null, steps = s.steps) {
  const bs = s.bs || {};
  const ok = (i) => Number.isInteger(i) && i >= 0 && i < s.opts.length && mapsBasins(catalog.optimizers.get(s.opts[i].id));
  const run = ok(bs.run) ? bs.run : s.opts.findIndex((_, i) => ok(i));
  const most = catalog.limits.max_basin_points;
  // n × n × steps within the limit for compiled rules (the server refuses more for the others);
  // a data-fit surface never compiles: numpy's limit
  const rowSteps = bound?.data_size ? catalog.limits.max_basin_steps_on_numpy : catalog.limits.max_basin_steps;
  const compiled = Math.max(2, Math.min(most, Math.floor(Math.sqrt(rowSteps / steps))));
  const data = Math.max(2, dataFitGrid(catalog.limits, steps, bound));
  const limit = Math.min(compiled, data);
  const n = Math.min(limit, Math.max(2, Number.isInteger(bs.n) ? bs.n : DEFAULT_N));
  // paths:0 hides the runs' paths
  return { run, n, limit, paths: bs.paths !== 0, dataCapped: data < compiled };
}

export class BasinView extends View {
  title = "Basins of attraction";

  constructor(ctx, { controls, status, fig }) {
    super(ctx, { status, fig });
    this.latest = new Latest();
    this.key = null;
    this.result = null; // {answer, set, run}
    this.frameNow = null; // the page's runs and step: {tracks, t}
    this.showPaths = true;
    this.painting = false;
    fig.setAttribute("aria-label", "basins of attraction");
    this.build(controls);
    this.keys = gridKeys(fig, {
      get: () => (this.result ? { nx: this.result.answer.x.length, ny: this.result.answer.y.length } : null),
      show: (i, j) => this.cursor(i, j),
      pick: (i, j) => this.pick(i, j),
    });
  }

  build(root) {
    this.run = document.createElement("select");
    this.n = document.createElement("input");
    Object.assign(this.n, { type: "number", step: "1", min: "2", title: "starts a side" });
    this.pathsBox = document.createElement("input");
    Object.assign(this.pathsBox, { type: "checkbox", id: "basin-paths", title: "the runs' paths over the map" });
    const row = document.createElement("div");
    row.className = "vc-row";
    row.append(field("optimiser", this.run), field("n × n", this.n), field("paths", this.pathsBox));
    root.append(row);
    const commit = (key, value) => this.ctx.commit((d) => {
      const set = basinSettings(d, this.ctx.catalog, this.ctx.bound(), this.ctx.steps(d));
      d.bs = { run: set.run, n: set.n, ...(set.paths ? {} : { paths: 0 }), [key]: value };
      if (d.bs.paths === 1) delete d.bs.paths; // (shown: the default, left out of the URL)
    }, { ui: true });
    this.pathsBox.addEventListener("change", () => commit("paths", this.pathsBox.checked ? 1 : 0));
    this.run.addEventListener("change", () => commit("run", Number(this.run.value)));
    this.n.addEventListener("change", () => {
      const v = Math.round(Number(this.n.value));
      if (Number.isFinite(v)) commit("n", v);
    });
  }

  update(s) {
    const set = basinSettings(s, this.ctx.catalog, this.ctx.bound(), this.ctx.steps(s));
    const labels = this.ctx.labels(s);
    this.run.replaceChildren(...s.opts.map((o, i) => {
      const opt = new Option(`${i + 1}. ${labels[i] ?? o.id}`, String(i));
      opt.disabled = !mapsBasins(this.ctx.catalog.optimizers.get(o.id));
      return opt;
    }));
    this.run.value = String(set.run);
    this.n.max = String(set.limit);
    this.n.value = String(set.n);
    this.pathsBox.checked = set.paths;
    if (set.paths !== this.showPaths) {
      this.showPaths = set.paths;
      if (this.result) this.draw();
    }
    const bound = this.ctx.bound();
    if (set.run < 0 || !bound || bound.dim !== 2) {
      this.say(set.run < 0 ? "None of these optimisers can map basins: scipy's methods and the "
        + "zeroth-order rules are left out." : "A basin map needs a 2-D surface.", "error");
      return;
    }
    const body = this.ctx.runBody(s);
    const request = this.request(body, s, set, set.n);
    const key = JSON.stringify(request);
    if (key !== this.key) {
      this.key = key;
      this.compute(body, s, set);
    } else if (this.result) this.markStart(s);
  }

  request(body, s, set, n) {
    const ref = body.optimizers[set.run];
    return {
      surface: body.surface, optimizer: { id: ref.id, params: ref.params, schedule: ref.schedule },
      max_steps: body.max_steps, stop: body.stop, seed: body.seed ?? 0, nx: n, ny: n,
      view: viewRanges(s, this.ctx.bound().domain),
    };
  }

  async compute(body, s, set) {
    const n = set.n;
    const sizes = n >= 3 * COARSE ? [Math.ceil(n / COARSE), n] : [n];
    const started = performance.now();
    this.fig.dataset.state = "computing";
    this.say(`Computing ${n} × ${n} starts of ${body.max_steps} steps…`);
    try {
      let previous = Promise.resolve();
      const ok = await this.latest.run(sizes.map((m) => {
        // each request once the one before has been answered (the server's pool would
        // otherwise compute the full grid first), not drawn: the next computes meanwhile
        const answer = previous.then(() => postRaw("/api/basins", this.request(body, s, set, m))).then((r) => r.json());
        previous = answer;
        answer.catch(() => {}); // (reported when its turn comes)
        return async (live) => {
          const got = await answer;
          if (!live()) return;
          await this.ctx.ready;
          this.result = { answer: got, set };
          this.keys.reset();
          this.draw();
          this.fig.dataset.state = m === n ? "done" : "coarse";
          this.fig.dataset.n = String(m);
        };
      }));
      if (!ok) return;
      const c = this.result.answer.counts;
      const ms = Math.round(performance.now() - started);
      this.say(`${n} × ${n} starts in ${ms} ms${dataFitNote(set, this.ctx.bound())}: ${c.converged} converged, ${c.diverged} diverged, `
        + `${c.max_steps} did not converge. Click a cell to start there.`);
    } catch (err) {
      this.refused(err);
    }
  }


  // What a label means, for the legend and the hover.
  name(label) {
    if (label < 0) return "diverged / not converged";
    const { minima, kinds, listed } = this.result.answer;
    const [x, y] = minima[label].map(formatValue);
    const kind = kinds[label] === "minimum" ? "" : ` (${kinds[label]})`;
    return `${label < listed ? "minimum" : "end point"} ${label + 1} at (${x}, ${y})${kind}`;
  }

  // The legend's: where the basin's runs end (the hover says the rest).
  shortName(label) {
    if (label < 0) return "diverged / not converged";
    return `(${this.result.answer.minima[label].map(formatValue).join(", ")})`;
  }

  draw() {
    if (!window.Plotly || !this.result) return;
    const { answer } = this.result;
    const K = answer.minima.length;
    const present = [...new Set(answer.labels.flat())].sort((a, b) => a - b);
    const names = new Map(present.map((l) => [l, this.name(l)]));
    const text = answer.labels.map((row) => row.map((l) => names.get(l)));
    const traces = [{
      type: "heatmap", x: answer.x, y: answer.y, z: answer.labels, zmin: -1.5, zmax: K - 0.5,
      colorscale: bands(Array.from({ length: K + 1 }, (_, k) => colourOf(k - 1))), showscale: false,
      text, customdata: answer.nit, name: "basins",
      hovertemplate: "start (%{x:.4g}, %{y:.4g})<br>%{text}<br>%{customdata} steps<extra></extra>",
    }];
    for (const l of present) traces.push(legendSwatch(this.shortName(l), colourOf(l)));
    traces.push(...this.pathTraces());
    traces.push({
      type: "scatter", mode: "markers", x: answer.minima.map((m) => m[0]), y: answer.minima.map((m) => m[1]),
      name: "minima", text: answer.minima.map((_, k) => this.name(k)), hovertemplate: "%{text}<extra></extra>",
      marker: { symbol: "star", size: 14, color: "#000", line: { color: "#fff", width: 1.5 } },
    }, {
      type: "scatter", mode: "markers", x: [null], y: [null], name: "start", hoverinfo: "skip",
      marker: { symbol: "circle-open", size: 13, color: "#000", line: { width: 2.5 } },
    }, {
      type: "scatter", mode: "markers", x: [null], y: [null], name: "cursor", showlegend: false, hoverinfo: "skip",
      marker: { symbol: "square-open", size: 12, color: "#000", line: { width: 3 } },
    });
    const [[x0, x1], [y0, y1]] = [[answer.x[0], answer.x.at(-1)], [answer.y[0], answer.y.at(-1)]];
    const layout = baseLayout(
      { title: { text: "x" }, range: [x0, x1], constrain: "domain" },
      { title: { text: "y" }, range: [y0, y1], scaleanchor: "x", constrain: "domain" },
      this.fig.clientHeight,
      this.ctx.state().big,
    );
    layout.uirevision = this.key;
    Plotly.react(this.fig, traces, layout, FIGURE_CONFIG);
    if (!this.fig.dataset.wired) {
      this.fig.dataset.wired = "1";
      this.fig.on("plotly_click", (ev) => {
        const cell = clickedCell(ev, this.result.answer.x, this.result.answer.y);
        if (cell) this.pick(...cell);
      });
    }
    const counts = present.length - (present[0] < 0 ? 1 : 0);
    this.fig.setAttribute("aria-label", `basins of attraction of ${answer.optimizer}: ${counts} basins over ${answer.x.length} × ${answer.y.length} starts`);
    this.markStart(this.ctx.state());
  }

  // The page's paths up to the player's step (row 0 of each run), or none when hidden.
  pathTraces() {
    if (!this.showPaths || !this.frameNow) return [];
    const { tracks, t } = this.frameNow;
    return tracks.map((tr, i) => {
      const n = Math.min(tr.path.length, t + 1);
      return {
        type: "scatter", mode: "lines", name: tr.label || `run ${i + 1}`, showlegend: false, hoverinfo: "skip",
        x: tr.path.slice(0, n).map((p) => p[0]), y: tr.path.slice(0, n).map((p) => p[1]),
        line: { color: colour(i), width: 2.2, dash: dash(i) }, meta: { run: i },
      };
    });
  }

  // A frame of the page's animation: the paths redrawn (the newest frame once the last is drawn).
  frame(tracks, t) {
    this.frameNow = { tracks, t };
    if (!this.showPaths || !this.result || !this.fig.data || this.painting) return;
    this.painting = true;
    requestAnimationFrame(() => {
      this.painting = false;
      const at = this.fig.data.map((d, k) => (d.meta && Number.isInteger(d.meta.run) ? k : -1)).filter((k) => k >= 0);
      const paths = this.pathTraces();
      if (at.length !== paths.length) return this.draw();
      Plotly.restyle(this.fig, { x: paths.map((p) => p.x), y: paths.map((p) => p.y) }, at);
    });
  }

  // The chosen optimiser's start, as the page runs it.
  markStart(s) {
    if (!this.fig.data) return;
    const body = this.ctx.runBody(s);
    const ref = body.optimizers[this.result.set.run];
    const p = ref?.start ?? body.start ?? this.ctx.bound()?.start ?? [null, null];
    Plotly.restyle(this.fig, { x: [[p[0]]], y: [[p[1]]] }, [this.fig.data.length - 2]);
  }

  cursor(i, j) {
    const { answer } = this.result;
    Plotly.restyle(this.fig, { x: [[answer.x[i]]], y: [[answer.y[j]]] }, [this.fig.data.length - 1]);
    const l = answer.labels[j][i];
    this.say(`start (${formatValue(answer.x[i])}, ${formatValue(answer.y[j])}): ${this.name(l)}, `
      + `${answer.nit[j][i]} steps (Enter: start there)`);
  }

  // The cell's start becomes the optimiser's (its own start, if it has one, is dropped).
  pick(i, j) {
    const { answer, set } = this.result;
    const p = [answer.x[i], answer.y[j]];
    this.ctx.commit((d) => {
      d.start = p;
      if (d.opts[set.run]) delete d.opts[set.run].start;
    });
  }

  csv() {
    if (!this.result) return null;
    const { answer } = this.result;
    const head = answer.minima.map((m, k) => `# label ${k}: ${this.name(k)}`).join("\n");
    const text = gridCSV("y \\ x", answer.x, answer.y, (i, j) => answer.labels[j][i]);
    return { name: `descentlab-${this.fileName()}.csv`, text: `# basins of ${answer.optimizer}; label -1: diverged / not converged\n${head}\n${text}` };
  }

  fileName() {
    return `basins-${this.result?.answer.optimizer ?? "none"}`;
  }
}
