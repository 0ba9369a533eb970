// The app's own layer over a Plotly figure: lines, their dots and markers, drawn into an <svg>
// laid over the figure (pointer-events: none, so Plotly's zoom and pan still work). Plotly draws
// the axes and what lies under the lines; this layer knows where to draw from what the caller
// gave Plotly itself: the plot area's box (width, height and margins set in the layout) and the
// axis ranges (linear, or log10 units on a log axis as Plotly's are). Nothing is read back from
// Plotly.
//
// draw(frame) takes the whole picture each time and updates the SVG elements it made before
// (matched by key), so a redraw costs what changed: a `d` per line, a transform per marker.
// Long lines are thinned for drawing (thin.js) once per series, length and ranges; a line's
// points less than half a pixel from the last one drawn are left out of its `d`.

import { DRAW_ALL_UP_TO, thinIndices, prefix, scale } from "./thin.js";
import { glyph } from "./glyphs.js";
import { CloudCanvas } from "./cloud.js";

const NS = "http://www.w3.org/2000/svg";
const round = (v) => Math.round(v * 100) / 100;
let layers = 0; // (ids of clip paths, unique on the page)

// Data to pixels on one axis: [lo, hi] of the range across `length` px from `offset`; a log
// axis takes the log10 of values (its range is in log10 units, as Plotly's).
export function axisMap({ range, log = false }, offset, length, flip) {
  const [lo, hi] = range;
  const k = length / (hi - lo);
  if (flip) return (v) => offset + ((hi - (log ? Math.log10(v) : v)) * k);
  return (v) => offset + (((log ? Math.log10(v) : v) - lo) * k);
}

// The range of axis `ax` ("xaxis") in a plotly_relayout(ing) event's data (the public event's
// keys: "xaxis.range" or "xaxis.range[0]" and "[1]"), or null: what a layer follows while the
// user zooms or pans.
export function eventRange(ev, ax) {
  if (Array.isArray(ev[`${ax}.range`])) return ev[`${ax}.range`].map(Number);
  const a = ev[`${ax}.range[0]`], b = ev[`${ax}.range[1]`];
  return a === undefined || b === undefined ? null : [Number(a), Number(b)];
}

// The part of the segment (ax, ay)-(bx, by) inside the box {x0, y0, x1, y1}, as
// [ax, ay, bx, by], or null (Liang–Barsky, measured from the nearer end: from a point 1e30 px
// away, a point near the box would be lost to rounding).
export function clipSegment(ax, ay, bx, by, box) {
  if (Math.abs(bx) + Math.abs(by) < Math.abs(ax) + Math.abs(ay)) {
    const cut = clipSegment(bx, by, ax, ay, box);
    return cut && [cut[2], cut[3], cut[0], cut[1]];
  }
  const dx = bx - ax, dy = by - ay;
  let t0 = 0, t1 = 1;
  for (const [p, q] of [[-dx, ax - box.x0], [dx, box.x1 - ax], [-dy, ay - box.y0], [dy, box.y1 - ay]]) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const r = q / p;
    if (p < 0) t0 = Math.max(t0, r);
    else t1 = Math.min(t1, r);
    if (t0 > t1) return null;
  }
  return [ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy];
}

export class PathLayer {
  // host: the positioned element the layer covers (the Plotly figure's box).
  constructor(host, className = "pathlayer") {
    this.svg = document.createElementNS(NS, "svg");
    this.svg.setAttribute("class", className);
    this.svg.setAttribute("aria-hidden", "true");
    const id = `pathclip${++layers}`;
    const defs = this.make("defs", this.svg);
    const clip = this.make("clipPath", defs);
    clip.id = id;
    this.clipRect = this.make("rect", clip);
    this.area = this.make("rect", this.svg, { class: "area", fill: "none" });
    this.under = this.make("g", this.svg, { "clip-path": `url(#${id})` }); // lines and dots
    this.over = this.make("g", this.svg); // markers, labels
    host.append(this.svg);
    this.nodes = new Map(); // key -> {el, ...} of the last draw
    this.thinned = new WeakMap(); // a series -> its thinned indices for a length and ranges
    this.frame = null;
    this.drawn = [];
  }

  make(tag, parent, attrs = {}) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    parent.append(el);
    return el;
  }

  // frame: {width, height, box: {l, t, w, h}, x: {range}, y: {range, log}, items}; items, in
  // drawing order, are lines {kind: "line", key, xs (null: the step number), ys, n (the first n
  // points), color, width, dash, opacity, dots: {symbol, size} | null, labels: [text] | null}
  // and markers {kind: "marker", key, x, y, symbol, size, color, stroke, strokeWidth, opacity,
  // grab}, vertical rules {kind: "rule", key, x, color, width, dash}, shapes {kind: "shape",
  // key, d: (px, py, box) => path commands in pixels, fill, color, width, dash, opacity, cache
  // (d is asked again only when this or the box and ranges change)} and at most one particle
  // cloud {kind: "cloud", ...} (cloud.js: a canvas over the SVG). Any item may carry `name`
  // and `meta` (reported by state()).
  draw(frame) {
    this.frame = frame;
    const { width, height, box } = frame;
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("height", height);
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    for (const r of [this.clipRect, this.area]) {
      r.setAttribute("x", box.l);
      r.setAttribute("y", box.t);
      r.setAttribute("width", Math.max(0, box.w));
      r.setAttribute("height", Math.max(0, box.h));
    }
    const reach = 4 * Math.max(width, height);
    frame.far = { x0: -reach, y0: -reach, x1: width + reach, y1: height + reach };
    const px = axisMap(frame.x, box.l, box.w, false);
    const py = axisMap(frame.y, box.t, box.h, true);
    const seen = new Set();
    const drawn = [];
    for (const item of frame.items) {
      seen.add(`${item.kind}:${item.key}`);
      if (item.kind === "line") drawn.push(this.line(item, px, py, frame));
      else if (item.kind === "marker") drawn.push(this.marker(item, px(item.x), py(item.y), box));
      else if (item.kind === "shape") drawn.push(this.shape(item, px, py, frame));
      else if (item.kind === "cloud") drawn.push((this.cloud ??= new CloudCanvas(this.svg)).draw(item, px, py, frame));
      else drawn.push(this.rule(item, px(item.x), box));
    }
    if (this.cloud?.drawnAny && !frame.items.some((item) => item.kind === "cloud")) this.cloud.clear();
    for (const [key, node] of this.nodes) {
      if (!seen.has(key)) {
        for (const el of node.els) el?.remove();
        this.nodes.delete(key);
      }
    }
    // keep the document order the items' order (what lies on top)
    const before = { under: null, over: null };
    for (let k = frame.items.length - 1; k >= 0; k--) {
      const node = this.nodes.get(`${frame.items[k].kind}:${frame.items[k].key}`);
      if (!node) continue; // (a cloud: its canvas)
      for (const el of node.els.filter(Boolean).reverse()) {
        const slot = el.parentNode === this.under ? "under" : "over";
        if (el.nextSibling !== before[slot]) el.parentNode.insertBefore(el, before[slot]);
        before[slot] = el;
      }
    }
    this.drawn = drawn;
  }

  // The node drawn for `key` (made with `build` when new): its elements, and what was set.
  // (Keys are the items' own with their kind: a marker and a rule never share a node.)
  node(key, build) {
    let node = this.nodes.get(key);
    if (!node) {
      node = { els: build(), set: {} };
      this.nodes.set(key, node);
    }
    return node;
  }

  // Set attributes on a node's element that changed since the last draw.
  static attrs(node, el, i, attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      const id = `${i}${k}`;
      if (node.set[id] === v) continue;
      node.set[id] = v;
      if (v === null || v === undefined) el.removeAttribute(k);
      else el.setAttribute(k, v);
    }
  }

  line(item, px, py, frame) {
    const node = this.node(`line:${item.key}`, () =>
      [this.make("path", this.under, { fill: "none", "stroke-linejoin": "round" })]);
    const [path] = node.els;
    const steps = this.points(item, frame);
    const m = steps ? steps.length : item.n;
    const xs = new Array(m), ys = new Array(m), at = new Array(m);
    for (let j = 0; j < m; j++) {
      const k = steps ? steps[j] : j;
      at[j] = k;
      xs[j] = item.xs ? item.xs[k] : k;
      ys[j] = item.ys[k];
    }
    const sx = new Array(m), sy = new Array(m);
    for (let j = 0; j < m; j++) {
      const x = xs[j], y = ys[j];
      const ok = x !== null && y !== null && Number.isFinite(x) && Number.isFinite(y)
        && !(frame.y.log && y <= 0);
      sx[j] = ok ? px(x) : NaN;
      sy[j] = ok ? py(y) : NaN;
    }
    PathLayer.attrs(node, path, 0, {
      d: PathLayer.polyline(sx, sy, frame.far), stroke: item.color, "stroke-width": item.width,
      "stroke-dasharray": item.dash || null, opacity: item.opacity ?? null,
    });
    let dots = 0;
    if (item.dots) {
      const el = node.els[1] ?? (node.els[1] = this.make("path", this.under));
      let d = "";
      for (let j = 0; j < m; j++) {
        if (!Number.isNaN(sx[j])) {
          d += glyph(item.dots.symbol, sx[j], sy[j], item.dots.size);
          dots++;
        }
      }
      PathLayer.attrs(node, el, 1, { d, fill: item.color, opacity: item.opacity ?? null });
    } else if (node.els[1]) {
      node.els[1].remove();
      node.els[1] = null;
      for (const k of Object.keys(node.set)) if (k.startsWith("1")) delete node.set[k];
    }
    if (item.labels) this.labels(node, item, sx, sy, at);
    return { kind: "line", key: item.key, name: item.name, meta: item.meta ?? null, x: xs, y: ys,
      steps: at, color: item.color, dash: item.dash || "", width: item.width, dots,
      px: sx, py: sy, labels: item.labels ? at.map((k) => item.labels[k]).filter(Boolean) : [] };
  }

  // Text over points (a 1-D path's step numbers): labels[k] for point k, "" for none.
  labels(node, item, sx, sy, at) {
    const g = node.els[2] ?? (node.els[2] = this.make("g", this.over, { "text-anchor": "middle" }));
    const key = `${item.labels.join("|")}|${sx.join(",")}|${sy.join(",")}`;
    if (node.set.labels === key) return;
    node.set.labels = key;
    g.replaceChildren();
    g.setAttribute("fill", item.color);
    g.setAttribute("font-size", item.labelSize ?? 11);
    for (let j = 0; j < at.length; j++) {
      const text = item.labels[at[j]];
      if (!text || Number.isNaN(sx[j])) continue;
      const t = this.make("text", g, { x: round(sx[j]), y: round(sy[j] - (item.labelSize ?? 11) * 0.7) });
      t.textContent = text;
    }
  }

  // The `d` of a line through pixel points (NaN: a gap), in hundredths of a pixel, without the
  // points less than half a pixel from the last one drawn (never a run's last point). Segments
  // reaching beyond `far` (a box around the plot area) are cut at its edge: a diverging run's
  // points can lie 1e30 px away, past what the renderer draws faithfully.
  static polyline(sx, sy, far) {
    let d = "";
    let x = NaN, y = NaN; // the last point written
    let px = NaN, py = NaN; // the point before this one
    const n = sx.length;
    const inside = (a, b) => a >= far.x0 && a <= far.x1 && b >= far.y0 && b <= far.y1;
    for (let k = 0; k < n; k++) {
      const cx = sx[k], cy = sy[k];
      if (Number.isNaN(cx)) {
        px = NaN;
        continue;
      }
      const was = px, wy = py;
      px = cx;
      py = cy;
      if (Number.isNaN(was)) {
        if (inside(cx, cy)) d += `M${(x = round(cx))},${(y = round(cy))}`;
        else x = NaN; // the line starts out of reach
        continue;
      }
      if (inside(cx, cy) && inside(was, wy) && !Number.isNaN(x)) {
        const kx = round(cx), ky = round(cy);
        const last = k === n - 1 || Number.isNaN(sx[k + 1]);
        if (!last && Math.abs(kx - x) + Math.abs(ky - y) < 0.5) continue;
        d += `L${kx},${ky}`;
        x = kx;
        y = ky;
        continue;
      }
      const cut = clipSegment(was, wy, cx, cy, far);
      if (!cut) {
        x = NaN;
        continue;
      }
      const [ax, ay, bx, by] = cut.map(round);
      if (Number.isNaN(x) || ax !== x || ay !== y) d += `M${ax},${ay}`;
      d += `L${bx},${by}`;
      [x, y] = inside(cx, cy) ? [bx, by] : [NaN, NaN];
    }
    return d || "M0,0";
  }

  // Which of a line's first n points to draw (thin.js), or null for all of them. A series is
  // thinned whole once per length and ranges; a prefix of it (the player's step) draws the
  // thinned points before that step and the step's own point.
  points(item, frame) {
    if (item.n <= DRAW_ALL_UP_TO) return null;
    const len = item.ys.length;
    const log = frame.y.log;
    const key = `${len} ${frame.x.range} ${frame.y.range} ${log}`;
    let c = this.thinned.get(item.ys);
    if (!c || c.key !== key) {
      const xs = item.xs ?? Array.from({ length: len }, (_, k) => k);
      const ys = log ? item.ys.map((v) => (v > 0 ? Math.log10(v) : null)) : item.ys;
      const [y0, y1] = frame.y.range;
      c = { key, full: thinIndices(xs, ys, scale(...frame.x.range), scale(y0, y1)) };
      this.thinned.set(item.ys, c);
    }
    return c.full ? prefix(c.full, item.n) : null;
  }

  marker(item, x, y, box) {
    const node = this.node(`marker:${item.key}`, () => [this.make("path", this.over)]);
    const [el] = node.els;
    const inside = Number.isFinite(x) && Number.isFinite(y) && x >= box.l - 0.5
      && x <= box.l + box.w + 0.5 && y >= box.t - 0.5 && y <= box.t + box.h + 0.5;
    PathLayer.attrs(node, el, 0, {
      d: inside ? glyph(item.symbol, 0, 0, item.size) : "M0,0",
      transform: inside ? `translate(${round(x)},${round(y)})` : null,
      fill: item.symbol === "x-thin" ? "none" : item.color,
      stroke: item.stroke ?? null, "stroke-width": item.strokeWidth ?? null,
      opacity: item.opacity ?? null, class: item.grab ? "grab" : null,
    });
    return { kind: "marker", key: item.key, name: item.name, meta: item.meta ?? null,
      x: item.x, y: item.y, px: x, py: y, symbol: item.symbol, color: item.color, shown: inside };
  }

  // Any outline a caller computes from the axes' maps (the optimiser-state glyphs, a field of
  // arrows), clipped to the plot area like the lines.
  shape(item, px, py, frame) {
    const node = this.node(`shape:${item.key}`, () => [this.make("path", this.under)]);
    const { box, x, y } = frame;
    const key = item.cache === undefined ? null : `${item.cache}|${box.l},${box.t},${box.w},${box.h}|${x.range}|${y.range}`;
    if (key === null || node.set.cache !== key) {
      node.set.cache = key;
      PathLayer.attrs(node, node.els[0], 0, { d: item.d(px, py, box) || "M0,0" });
    }
    PathLayer.attrs(node, node.els[0], 0, {
      fill: item.fill ?? "none", stroke: item.color ?? null, "stroke-width": item.width ?? null,
      "stroke-dasharray": item.dash || null, opacity: item.opacity ?? null,
      "stroke-linecap": "round", "stroke-linejoin": "round",
    });
    return { kind: "shape", key: item.key, name: item.name, meta: item.meta ?? null, d: node.set["0d"] };
  }

  // A vertical line across the plot area at x (the start on a curve; an epoch's end).
  // grab: the rule can be dragged (a wider, unpainted stroke takes the pointer).
  rule(item, x, box) {
    const node = this.node(`rule:${item.key}`, () => [this.make("path", this.over, { fill: "none" }),
      ...(item.grab ? [this.make("path", this.over, { class: "grab", stroke: "transparent", "stroke-width": 14 })] : [])]);
    const inside = Number.isFinite(x) && x >= box.l && x <= box.l + box.w;
    const d = inside ? `M${round(x)},${box.t}V${box.t + box.h}` : "M0,0";
    PathLayer.attrs(node, node.els[0], 0, {
      d, stroke: item.color, "stroke-width": item.width, "stroke-dasharray": item.dash || null,
    });
    if (node.els[1]) PathLayer.attrs(node, node.els[1], 1, { d });
    return { kind: "rule", key: item.key, name: item.name, meta: item.meta ?? null, x: item.x, px: x };
  }

  // The drawn point nearest to pixel (x, y) within `reach` px, of a named line: {item, k} (k:
  // the step), or null.
  nearest(x, y, reach = 10) {
    let best = null, dist = reach;
    for (const item of this.drawn) {
      if (item.kind !== "line" || !item.name) continue;
      for (let j = 0; j < item.px.length; j++) {
        const d = Math.hypot(item.px[j] - x, item.py[j] - y);
        if (d < dist) {
          dist = d;
          best = { item, j, step: item.steps[j], x: item.x[j], y: item.y[j] };
        }
      }
    }
    return best;
  }

  // What is drawn, for tests and inspection: each item's name, meta, style and points.
  state() {
    return this.drawn.map(({ px, py, ...rest }) => ({ ...rest,
      ...(rest.x && rest.kind === "line" ? { x: [...rest.x], y: [...rest.y] } : {}) }));
  }

  // Where it draws: the plot area's box and the axis ranges of the last draw.
  view() {
    const f = this.frame;
    return f && { ...f.box, x: [...f.x.range], y: [...f.y.range], log: Boolean(f.y.log) };
  }

  // The layer as a standalone SVG document (for the PNG export).
  markup() {
    const copy = this.svg.cloneNode(true);
    copy.setAttribute("xmlns", NS);
    copy.setAttribute("font-family", "system-ui, sans-serif");
    this.cloud?.embed(copy, this.frame.width, this.frame.height);
    return new XMLSerializer().serializeToString(copy);
  }
}
