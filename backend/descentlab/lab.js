// The notebook lab's view (an anywidget module): the surface's filled heights and contour
// lines, its minima, every optimiser's path and a slider per hyperparameter. The kernel
// computes (traits `figure`, `paths`, `sliders`, `error`); this draws them and sends back what
// the reader changes (`optimizers` from a slider, `start` from a click or a drag).

const SVG = "http://www.w3.org/2000/svg";
const W = 640, H = 500; // the figure's own units; it scales to the cell's width
const BOX = { l: 58, r: 14, t: 12, b: 46 }; // the plot area's margins

function node(tag, attrs = {}, parent = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (parent) parent.append(el);
  return el;
}

function html(tag, className, parent) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  parent.append(el);
  return el;
}

// Data ↔ the figure's units, for the figure's x and y axes.
function scales(fig) {
  const [x0, x1] = [fig.x[0], fig.x[fig.x.length - 1]];
  const [y0, y1] = [fig.y[0], fig.y[fig.y.length - 1]];
  const pw = W - BOX.l - BOX.r, ph = H - BOX.t - BOX.b;
  return {
    px: (x) => BOX.l + ((x - x0) / (x1 - x0)) * pw,
    py: (y) => BOX.t + (1 - (y - y0) / (y1 - y0)) * ph,
    x: (px) => x0 + ((px - BOX.l) / pw) * (x1 - x0),
    y: (py) => y0 + (1 - (py - BOX.t) / ph) * (y1 - y0),
    inside: (px, py) => px >= BOX.l && px <= W - BOX.r && py >= BOX.t && py <= H - BOX.b,
  };
}

// Round steps of 1, 2 or 5 times a power of ten, about `n` of them over [lo, hi].
export function ticks(lo, hi, n = 6) {
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

const fmt = (v) => Number(v.toPrecision(4)).toString();

// The level lines of z (rows over y, columns over x) at `level`, as one SVG path: marching
// squares, a saddle cell decided by its centre's value.
export function contourPath(fig, level, s) {
  const { x, y, z } = fig;
  let d = "";
  const at = (a, b, za, zb) => a + ((level - za) / (zb - za)) * (b - a);
  for (let j = 0; j + 1 < y.length; j++) {
    for (let i = 0; i + 1 < x.length; i++) {
      const a = z[j][i], b = z[j][i + 1], c = z[j + 1][i + 1], e = z[j + 1][i];
      if (a === null || b === null || c === null || e === null) continue;
      const k = (a > level) | ((b > level) << 1) | ((c > level) << 2) | ((e > level) << 3);
      if (k === 0 || k === 15) continue;
      const bottom = [at(x[i], x[i + 1], a, b), y[j]];
      const right = [x[i + 1], at(y[j], y[j + 1], b, c)];
      const top = [at(x[i], x[i + 1], e, c), y[j + 1]];
      const left = [x[i], at(y[j], y[j + 1], a, e)];
      const centreAbove = (a + b + c + e) / 4 > level;
      const pairs = {
        1: [[left, bottom]], 2: [[bottom, right]], 3: [[left, right]], 4: [[right, top]],
        5: centreAbove ? [[left, top], [bottom, right]] : [[left, bottom], [right, top]],
        6: [[bottom, top]], 7: [[left, top]], 8: [[top, left]], 9: [[top, bottom]],
        10: centreAbove ? [[bottom, left], [top, right]] : [[bottom, right], [top, left]],
        11: [[top, right]], 12: [[right, left]], 13: [[right, bottom]], 14: [[bottom, left]],
      }[k];
      for (const [p, q] of pairs) {
        d += `M${s.px(p[0]).toFixed(1)},${s.py(p[1]).toFixed(1)}`
          + `L${s.px(q[0]).toFixed(1)},${s.py(q[1]).toFixed(1)}`;
      }
    }
  }
  return d;
}

// A 1-D surface's curve (broken where f is not finite).
function curvePath(fig, s) {
  let d = "", pen = "M";
  fig.x.forEach((x, k) => {
    const f = fig.curve[k];
    if (f === null) { pen = "M"; return; }
    d += `${pen}${s.px(x).toFixed(1)},${s.py(f).toFixed(1)}`;
    pen = "L";
  });
  return d;
}

const rgb = (hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));

// The heights as pixels (one per grid node) in the page's fill (fig.fill: three stops, low to
// high), light where f is high.
function paintHeights(canvas, fig) {
  const SHADES = fig.fill.map(([, hex]) => rgb(hex));
  const { x, y, z } = fig;
  canvas.width = x.length;
  canvas.height = y.length;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(x.length, y.length);
  const lo = fig.levels[0], hi = fig.levels[fig.levels.length - 1];
  for (let j = 0; j < y.length; j++) {
    for (let i = 0; i < x.length; i++) {
      const v = z[j][i];
      const o = ((y.length - 1 - j) * x.length + i) * 4;
      const t = v === null ? 1 : Math.min(1, Math.max(0, (v - lo) / (hi - lo || 1)));
      const [p, q, u] = t < 0.5 ? [SHADES[0], SHADES[1], t * 2] : [SHADES[1], SHADES[2], t * 2 - 1];
      for (let c = 0; c < 3; c++) img.data[o + c] = Math.round(p[c] + (q[c] - p[c]) * u);
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

function star(cx, cy, r) {
  let d = "";
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r * 0.45 : r;
    d += `${k ? "L" : "M"}${(cx + rr * Math.cos(a)).toFixed(1)},${(cy + rr * Math.sin(a)).toFixed(1)}`;
  }
  return `${d}Z`;
}

function drawAxes(g, fig, s) {
  const [x0, x1] = [fig.x[0], fig.x[fig.x.length - 1]];
  const [y0, y1] = [fig.y[0], fig.y[fig.y.length - 1]];
  node("rect", { x: BOX.l, y: BOX.t, width: W - BOX.l - BOX.r, height: H - BOX.t - BOX.b,
    fill: "none", stroke: "#444" }, g);
  for (const v of ticks(x0, x1)) {
    const t = node("text", { x: s.px(v), y: H - BOX.b + 16, "text-anchor": "middle" }, g);
    t.textContent = fmt(v);
  }
  for (const v of ticks(y0, y1)) {
    const t = node("text", { x: BOX.l - 6, y: s.py(v) + 4, "text-anchor": "end" }, g);
    t.textContent = fmt(v);
  }
  const [xl, yl] = fig.labels;
  node("text", { x: (BOX.l + W - BOX.r) / 2, y: H - 8, "text-anchor": "middle", class: "label" }, g)
    .textContent = xl;
  node("text", { x: 14, y: (BOX.t + H - BOX.b) / 2, "text-anchor": "middle", class: "label",
    transform: `rotate(-90 14 ${(BOX.t + H - BOX.b) / 2})` }, g).textContent = yl;
}

function drawSurface(view, fig) {
  const { svg, canvas, layers } = view;
  view.scale = scales(fig);
  view.dim = fig.dim;
  const s = view.scale;
  canvas.style.left = `${(BOX.l / W) * 100}%`;
  canvas.style.top = `${(BOX.t / H) * 100}%`;
  canvas.style.width = `${((W - BOX.l - BOX.r) / W) * 100}%`;
  canvas.style.height = `${((H - BOX.t - BOX.b) / H) * 100}%`;
  canvas.hidden = fig.dim === 1;
  layers.contours.replaceChildren();
  if (fig.dim === 1) {
    node("path", { d: curvePath(fig, s), class: "curve" }, layers.contours);
  } else {
    paintHeights(canvas, fig);
    for (const level of fig.levels) {
      node("path", { d: contourPath(fig, level, s), class: "contour" }, layers.contours);
    }
  }
  layers.axes.replaceChildren();
  drawAxes(layers.axes, fig, s);
  layers.minima.replaceChildren();
  for (const [mx, my] of fig.minima) {
    node("path", { d: star(s.px(mx), s.py(my), 8), class: "minimum" }, layers.minima);
  }
  view.title.textContent = fig.dim === 1 ? fig.title : `${fig.title} — contours of ${fig.zlabel}`;
  svg.setAttribute("aria-label", `${fig.title}: contours, minima and optimiser paths`);
}

function drawPaths(view, paths) {
  const s = view.scale;
  const g = view.layers.paths;
  g.replaceChildren();
  view.legend.replaceChildren();
  if (!s) return;
  for (const p of paths) {
    let d = "", pen = "M";
    for (let k = 0; k < p.x.length; k++) {
      if (p.x[k] === null || p.y[k] === null) { pen = "M"; continue; }
      d += `${pen}${s.px(p.x[k]).toFixed(1)},${s.py(p.y[k]).toFixed(1)}`;
      pen = "L";
    }
    node("path", { d, class: "path", stroke: p.color, "stroke-dasharray": p.dash || "none" }, g);
    if (p.x[0] !== null) {
      node("circle", { cx: s.px(p.x[0]), cy: s.py(p.y[0]), r: 6, class: "start", stroke: p.color }, g);
    }
    const last = p.x.length - 1;
    if (last > 0 && p.x[last] !== null) {
      node("circle", { cx: s.px(p.x[last]), cy: s.py(p.y[last]), r: 4.5, fill: p.color }, g);
    }
    const item = html("li", "", view.legend);
    const swatch = node("svg", { width: 34, height: 10, "aria-hidden": "true" }, item);
    node("line", { x1: 1, y1: 5, x2: 33, y2: 5, stroke: p.color, "stroke-width": 2.5,
      "stroke-dasharray": p.dash || "none" }, swatch);
    html("span", "", item).textContent =
      `${p.name}: f = ${fmt(p.fun)} after ${p.nit} steps (${p.status})`;
  }
}

// A slider per hyperparameter, grouped by optimiser; a log slider moves in log10. The same
// sliders at new values (the kernel's answer to a drag) are moved, not rebuilt, so the one
// being dragged keeps the pointer.
function drawSliders(view, model, sliders) {
  const key = JSON.stringify(sliders.map(({ value, ...h }) => h));
  if (key === view.slidersKey) {
    sliders.forEach((h, i) => view.inputs[i].update(h.value));
    return;
  }
  view.slidersKey = key;
  view.controls.replaceChildren();
  view.inputs = sliders.map((h) => slider(view, model, h));
}

function slider(view, model, h) {
  const row = html("label", "slider", view.controls);
  html("span", "name", row).textContent = `${model.get("optimizers")[h.optimizer].id} ${h.name}`;
  const input = html("input", "", row);
  const log = h.scale === "log";
  const map = log ? Math.log10 : (v) => v;
  const unmap = log ? (v) => 10 ** v : (v) => v;
  // about a thousand steps, each a round number (a value typed in Python keeps its digits)
  const step = h.integer ? 1 : 10 ** Math.floor(Math.log10((map(h.high) - map(h.low)) / 1000));
  Object.assign(input, { type: "range", min: map(h.low), max: map(h.high), step, value: map(h.value) });
  input.setAttribute("aria-label", `${h.name} of optimiser ${h.optimizer + 1}`);
  const shown = html("output", "", row);
  shown.textContent = fmt(h.value);
  input.addEventListener("input", () => {
    const value = Number(unmap(Number(input.value)).toPrecision(h.integer ? 15 : 4));
    shown.textContent = fmt(value);
    view.send(() => {
      const entries = structuredClone(model.get("optimizers"));
      entries[h.optimizer].params = { ...entries[h.optimizer].params, [h.name]: value };
      model.set("optimizers", entries);
    });
  });
  return {
    update(value) {
      shown.textContent = fmt(value);
      if (document.activeElement !== input) input.value = map(value);
    },
  };
}

// A click or a drag on the plot area moves every optimiser's start there.
function listenForStart(view, model) {
  const toData = (ev) => {
    const r = view.svg.getBoundingClientRect();
    const px = ((ev.clientX - r.left) / r.width) * W, py = ((ev.clientY - r.top) / r.height) * H;
    return view.scale && view.scale.inside(px, py) ? [view.scale.x(px), view.scale.y(py)] : null;
  };
  let dragging = false;
  const move = (ev) => {
    const p = toData(ev);
    if (p) view.send(() => model.set("start", view.dim === 1 ? [p[0]] : p));
  };
  view.svg.addEventListener("pointerdown", (ev) => {
    dragging = true;
    view.svg.setPointerCapture?.(ev.pointerId);
    move(ev);
  });
  view.svg.addEventListener("pointermove", (ev) => { if (dragging) move(ev); });
  view.svg.addEventListener("pointerup", () => { dragging = false; });
}

function render({ model, el }) {
  el.classList.add("descentlab-lab");
  const view = { scale: null, pending: null };
  view.title = html("div", "title", el);
  view.caption = html("p", "caption", el);
  const figure = html("div", "figure", el);
  view.canvas = html("canvas", "", figure);
  view.svg = node("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" }, figure);
  view.layers = Object.fromEntries(["contours", "axes", "minima", "paths"]
    .map((name) => [name, node("g", { class: name }, view.svg)]));
  view.legend = html("ul", "legend", el);
  view.error = html("div", "error", el);
  view.error.setAttribute("role", "alert");
  view.controls = html("div", "controls", el);
  // One change sent per animation frame: the kernel reruns on each.
  view.send = (change) => {
    view.pending = change;
    requestAnimationFrame(() => {
      if (!view.pending) return;
      view.pending();
      view.pending = null;
      model.save_changes();
    });
  };
  const surface = () => { drawSurface(view, model.get("figure")); drawPaths(view, model.get("paths")); };
  const paths = () => drawPaths(view, model.get("paths"));
  const sliders = () => drawSliders(view, model, model.get("sliders"));
  const caption = () => { view.caption.textContent = model.get("caption"); view.caption.hidden = !model.get("caption"); };
  const error = () => { view.error.textContent = model.get("error"); view.error.hidden = !model.get("error"); };
  model.on("change:figure", surface);
  model.on("change:paths", paths);
  model.on("change:sliders", sliders);
  model.on("change:error", error);
  model.on("change:caption", caption);
  listenForStart(view, model);
  surface();
  sliders();
  error();
  caption();
  return () => {
    model.off("change:figure", surface);
    model.off("change:paths", paths);
    model.off("change:sliders", sliders);
    model.off("change:error", error);
    model.off("change:caption", caption);
  };
}

export default { render };
