// The derivatives view (`show=grad`): what the optimisers read off the surface, from the
// server's symbolic derivatives on a grid over the view (POST /api/grid with derivatives).
// A curve: f′ over f″, one x axis, zero marked and each known minimum as a dotted rule (f′
// crosses zero there, f″ ≥ 0). A 2-D surface: ∂f/∂x and ∂f/∂y side by side as the notes' DoG
// figure draws them (001 §3.2.3: colour with thin black contours, equal axes), a diverging
// scale centred on zero so a sign reads at a glance.

import { postRaw } from "./api.js";
import { viewRanges } from "./state.js";
import { decodeGrid, GRID_ENCODING } from "./grid.js";
import { FIGURE_CONFIG, gridCSV, Latest, View } from "./views.js";

const CURVE_POINTS = 400;
const PANEL_POINTS = 100; // a side: the notes draw 50
const DIVERGING = [[0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1, "#b2182b"]];
const FONT = { family: "system-ui, sans-serif", size: 12 };

export class DerivView extends View {
  title = "Derivatives";

  constructor(ctx, { controls, status, fig }) {
    super(ctx, { status, fig });
    this.latest = new Latest();
    this.key = null;
    this.answer = null; // {grid, dim}: the grid with its derivatives decoded
    fig.setAttribute("aria-label", "the surface's derivatives");
    controls.hidden = true; // nothing to set: the surface and view are the page's
  }

  update(s) {
    const bound = this.ctx.bound();
    if (!bound) return;
    if (bound.data_size) {
      this.say("Derivative panels are for formula surfaces (a data-fit loss is a sum over its data).", "error");
      return;
    }
    const body = {
      surface: this.ctx.runBody(s).surface, encoding: GRID_ENCODING, derivatives: true,
      nx: bound.dim === 1 ? CURVE_POINTS : PANEL_POINTS, ny: PANEL_POINTS,
    };
    const b = viewRanges(s, bound.domain); // (as the contour's grid)
    [body.xmin, body.xmax] = b[0];
    if (bound.dim === 2) [body.ymin, body.ymax] = b[1];
    const key = JSON.stringify(body);
    if (key === this.key) return;
    this.key = key;
    this.compute(body, bound);
  }

  async compute(body, bound) {
    this.fig.dataset.state = "computing";
    this.say("Computing the derivatives…");
    try {
      const answer = postRaw("/api/grid", body).then((r) => r.json());
      await this.latest.run([async (live) => {
        const got = await answer;
        if (!live()) return;
        await this.ctx.ready;
        const grid = decodeGrid(got);
        const decode = (z) => decodeGrid({ ...got, z }).z;
        this.answer = { grid, bound, d1: got.gradient.map(decode), d2: got.second ? decode(got.second) : null };
        this.draw();
        this.fig.dataset.state = "done";
        this.say(bound.dim === 1 ? "f′ crosses zero where f has a minimum or maximum; f″ > 0 where f curves up."
          : "Red: f rises along the axis, blue: it falls; white: that component is zero.");
      }]);
    } catch (err) {
      this.refused(err);
    }
  }


  draw() {
    if (!window.Plotly || !this.answer || !this.fig.offsetParent) return;
    const { dim } = this.answer.bound;
    const [traces, layout] = dim === 1 ? this.curves() : this.panels();
    const font = { ...FONT, size: this.ctx.state().big ? 17 : FONT.size }; // (projector mode's type)
    Plotly.react(this.fig, traces, { ...layout, font, paper_bgcolor: "#fff", plot_bgcolor: "#fff" }, FIGURE_CONFIG);
  }

  curves() {
    const { grid, bound, d1, d2 } = this.answer;
    const line = (y, name, yaxis, color, dash) => ({
      type: "scatter", mode: "lines", x: grid.x, y, name, yaxis, line: { color, width: 2.2, dash },
      hovertemplate: `x = %{x:.4g}<br>${name} = %{y:.4g}<extra></extra>`,
    });
    const minima = (bound.minima || []).map((m) => m[0]).filter((x) => x >= grid.x[0] && x <= grid.x.at(-1));
    const rule = (x, yref) => ({ type: "line", xref: "x", yref, x0: x, x1: x, y0: 0, y1: 1,
      line: { color: "#3a3f46", width: 1.2, dash: "dot" } });
    const axis = (title, domain) => ({ title: { text: title }, domain, zeroline: true, zerolinecolor: "#3a3f46",
      zerolinewidth: 1.5, showgrid: true, gridcolor: "#eceef1", automargin: true });
    return [[line(d1[0], "f′", "y", "#0072B2", "solid"), line(d2, "f″", "y2", "#D55E00", "dash")], {
      margin: { l: 58, r: 10, t: 10, b: 40 }, showlegend: false,
      xaxis: { title: { text: "x" }, anchor: "y2", range: [grid.x[0], grid.x.at(-1)], zeroline: false },
      yaxis: axis("f′(x)", [0.54, 1]), yaxis2: axis("f″(x)", [0, 0.46]),
      shapes: minima.flatMap((x) => [rule(x, "y domain"), rule(x, "y2 domain")]),
    }];
  }

  // Side by side in a wide box, one over the other in a tall one (each as large as it fits).
  panels() {
    const { grid, d1 } = this.answer;
    const names = ["∂f/∂x", "∂f/∂y"];
    const tall = this.fig.clientHeight > this.fig.clientWidth;
    const place = tall
      ? [{ x: [0, 0.84], y: [0.55, 1], bar: { x: 0.9, y: 0.775 } }, { x: [0, 0.84], y: [0, 0.45], bar: { x: 0.9, y: 0.225 } }]
      : [{ x: [0, 0.38], y: [0, 1], bar: { x: 0.4, y: 0.5 } }, { x: [0.56, 0.94], y: [0, 1], bar: { x: 0.96, y: 0.5 } }];
    const traces = d1.map((z, k) => {
      const big = Math.max(...z.flat().filter((v) => v !== null).map(Math.abs)) || 1;
      const axes = k ? { xaxis: "x2", yaxis: "y2" } : {};
      return [{
        type: "heatmap", x: grid.x, y: grid.y, z, ...axes, name: names[k], zmid: 0, zmin: -big, zmax: big,
        colorscale: DIVERGING, showscale: true,
        colorbar: { ...place[k].bar, len: 0.4, thickness: 10, xpad: 2, tickfont: { size: 10 } },
        hovertemplate: `(%{x:.3g}, %{y:.3g})<br>${names[k]} = %{z:.4g}<extra></extra>`,
      }, {
        type: "contour", x: grid.x, y: grid.y, z, ...axes, showscale: false, hoverinfo: "skip",
        contours: { coloring: "lines" }, ncontours: 20, colorscale: [[0, "#000"], [1, "#000"]],
        line: { width: 0.5 },
      }];
    }).flat();
    const [xr, yr] = [[grid.x[0], grid.x.at(-1)], [grid.y[0], grid.y.at(-1)]];
    const xaxis = (k) => ({ domain: place[k].x, anchor: k ? "y2" : "y", range: xr, title: { text: "x" }, constrain: "domain" });
    const yaxis = (k) => ({ domain: place[k].y, anchor: k ? "x2" : "x", range: yr, title: { text: k && !tall ? "" : "y" },
      scaleanchor: k ? "x2" : "x", constrain: "domain" });
    return [traces, {
      margin: { l: 48, r: 30, t: 24, b: 40 }, showlegend: false,
      xaxis: xaxis(0), yaxis: yaxis(0), xaxis2: xaxis(1), yaxis2: yaxis(1),
      annotations: names.map((text, k) => ({ text, xref: `x${k ? 2 : ""} domain`, yref: `y${k ? 2 : ""} domain`,
        x: 0.5, y: 1, yanchor: "bottom", showarrow: false, font: { size: 13 } })),
    }];
  }

  // What is drawn, for tests: the x and the derivatives' values.
  state() {
    if (!this.answer) return null;
    const { grid, d1, d2 } = this.answer;
    return { x: grid.x, y: grid.y ?? null, gradient: d1, second: d2 };
  }

  csv() {
    if (!this.answer) return null;
    const { grid, d1, d2 } = this.answer;
    let text;
    if (!grid.y) {
      text = ["x,f,df/dx,d2f/dx2", ...grid.x.map((x, i) => [x, grid.z[i], d1[0][i], d2[i]].map((v) => v ?? "").join(","))].join("\n") + "\n";
    } else {
      text = ["# df/dx", gridCSV("y \\ x", grid.x, grid.y, (i, j) => d1[0][j][i]),
        "# df/dy", gridCSV("y \\ x", grid.x, grid.y, (i, j) => d1[1][j][i])].join("\n");
    }
    return { name: `descentlab-${this.fileName()}.csv`, text };
  }

  fileName() {
    return `derivatives-${this.ctx.bound()?.id ?? "surface"}`;
  }
}
