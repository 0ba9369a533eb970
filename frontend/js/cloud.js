// A particle cloud: the random restarts of every run as dots at the player's step, drawn on a
// <canvas> over the path layer's SVG (pathlayer.js draws an item {kind: "cloud"} here: over
// it, so particles that reach a known minimum are seen on its star). A
// thousand SVG markers moved every frame cost the page far more than one canvas repainted
// (bench/browser.py measures both ends: one particle and 1,000).
//
// A dot's fill is its loss at that step, on one scale for every run's cloud (log10 of
// f − lo + δ, lo the lowest loss any particle has reached, δ a thousandth of the spread, so
// three decades of colour), shown by a colour bar in the plot area's corner; its outline and
// its tail (the last TAIL steps) are its run's colour. A particle that has stopped stays at its
// last point. The best row (`best` of a set) is ringed here; the caller draws its path in full.
//
// cloudBand() gives the loss plot the cloud's quantiles per step, in place of a line per
// particle.

export const TAIL = 6; // steps of a particle's tail
const LEVELS = 48; // colours of the loss scale a dot takes (each a sprite drawn once)
// Colour stops of the loss scale, low to high (viridis: ordered in lightness, readable under
// the common colour-vision deficiencies).
const STOPS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
const NO_LOSS = "#9a9a9a"; // a particle whose loss is not finite (diverged)

// The colour at u in [0, 1] of the loss scale.
export function lossColour(u) {
  const x = Math.min(Math.max(u, 0), 1) * (STOPS.length - 1);
  const i = Math.min(Math.floor(x), STOPS.length - 2), f = x - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(",")})`;
}

// The loss scale of a cloud: {lo, hi, at(v) → u in [0, 1] or NaN}. lo: the lowest loss any
// particle has reached so far (its last point); hi: the highest it started from.
export function lossScale(sets) {
  let lo = Infinity, hi = -Infinity;
  for (const set of sets) {
    for (const row of set.rows) {
      const n = row.loss.length;
      if (!n) continue;
      const first = row.loss[0], last = row.loss[n - 1];
      if (Number.isFinite(last) && last < lo) lo = last;
      if (Number.isFinite(first) && first > hi) hi = first;
      if (Number.isFinite(first) && first < lo) lo = first;
    }
  }
  if (!(hi > lo)) hi = lo + 1;
  const delta = (hi - lo) * 1e-3;
  const top = Math.log10(hi - lo + delta), bottom = Math.log10(delta);
  const at = (v) => (v === null || !Number.isFinite(v) ? NaN
    : (Math.log10(Math.max(v - lo, 0) + delta) - bottom) / (top - bottom));
  return { lo, hi, at };
}

export class CloudCanvas {
  // svg: the path layer's <svg>; the canvas goes just over it, in the same box.
  constructor(svg) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "cloudlayer";
    this.canvas.setAttribute("aria-hidden", "true");
    svg.after(this.canvas);
    this.ctx = this.canvas.getContext("2d");
  }

  size(width, height) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(width * dpr), h = Math.round(height * dpr);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  clear() {
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.drawnAny = false;
  }

  // item: {key, name, t, big, sets: [{run, color, rows: [{xs, ys, loss, row}]}]}: each row's
  // x and y series (a curve: x and the loss) and its loss. px, py: data to pixels.
  // Returns what was drawn, for state(): each set's particles at step t.
  draw(item, px, py, frame) {
    const { width, height, box } = frame;
    this.size(width, height);
    const ctx = this.ctx;
    ctx.clearRect(0, 0, width, height);
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.l, box.t, box.w, box.h);
    ctx.clip();
    const scale = lossScale(item.sets);
    const r = item.big ? 4.5 : 3.5;
    const sets = item.sets.map((set) => this.drawSet(set, item.t, scale, r, px, py, frame));
    ctx.restore();
    this.legend(box, item.big);
    this.drawnAny = true;
    return { kind: "cloud", key: item.key, name: item.name, meta: item.meta ?? null, t: item.t,
      scale: { lo: scale.lo, hi: scale.hi }, sets };
  }

  drawSet(set, t, scale, r, px, py, frame) {
    const ctx = this.ctx;
    const n = set.rows.length;
    const x = new Array(n), y = new Array(n), loss = new Array(n), sx = new Float64Array(n),
      sy = new Float64Array(n);
    ctx.strokeStyle = set.color;
    ctx.globalAlpha = 0.45;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let p = 0; p < n; p++) {
      const { xs, ys } = set.rows[p];
      const k = Math.min(t, xs.length - 1);
      sx[p] = sy[p] = NaN;
      if (k < 0) continue;
      x[p] = xs[k];
      y[p] = ys[k];
      loss[p] = set.rows[p].loss[k] ?? null;
      if (!Number.isFinite(x[p]) || !Number.isFinite(y[p]) || (frame.y.log && y[p] <= 0)) continue;
      sx[p] = px(x[p]);
      sy[p] = py(y[p]);
      const far = frame.far; // a diverging particle's tail is not drawn to 1e30 px
      let lx = NaN, ly = NaN; // the tail's last point written (steps under half a pixel left out)
      for (let j = Math.max(0, k - TAIL); j <= k; j++) {
        const a = px(xs[j]), b = py(ys[j]);
        if (!(a >= far.x0 && a <= far.x1 && b >= far.y0 && b <= far.y1)) { lx = NaN; continue; }
        if (Number.isNaN(lx)) ctx.moveTo(a, b);
        else if (Math.abs(a - lx) + Math.abs(b - ly) < 0.5) continue;
        else ctx.lineTo(a, b);
        lx = a;
        ly = b;
      }
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
    // the dots: a sprite per colour, copied at whole pixels (far cheaper to paint than arcs
    // where the canvas is drawn in software)
    const sprites = this.sprites(set.color, r);
    const half = sprites.size / 2;
    let drawn = 0;
    for (let p = 0; p < n; p++) {
      if (Number.isNaN(sx[p]) || Math.abs(sx[p]) > 1e6 || Math.abs(sy[p]) > 1e6) continue;
      const u = scale.at(loss[p]);
      const sprite = Number.isNaN(u) ? sprites.none : sprites.levels[Math.round(u * (LEVELS - 1))];
      ctx.drawImage(sprite, Math.round(sx[p] - half), Math.round(sy[p] - half), sprites.size, sprites.size);
      drawn++;
    }
    const b = set.best;
    if (b !== undefined && !Number.isNaN(sx[b])) { // the best particle: a black ring on white
      for (const [colour, width, radius] of [["#fff", 3.5, r + 2.5], ["#000", 1.6, r + 2.5]]) {
        ctx.beginPath();
        ctx.arc(sx[b], sy[b], radius, 0, 2 * Math.PI);
        ctx.strokeStyle = colour;
        ctx.lineWidth = width;
        ctx.stroke();
      }
    }
    return { run: set.run, count: n, drawn, best: b ?? null, rows: set.rows.map((row) => row.row), x, y, loss };
  }

  // A dot of radius r, outlined in `color`, in each colour of the scale (and grey: no loss),
  // at the screen's pixel ratio; made once per colour and size.
  sprites(color, r) {
    const dpr = window.devicePixelRatio || 1;
    const key = `${color}|${r}|${dpr}`;
    this.spriteCache ??= new Map();
    let s = this.spriteCache.get(key);
    if (s) return s;
    const size = Math.ceil(2 * r + 2);
    const dot = (fill) => {
      const c = document.createElement("canvas");
      c.width = c.height = Math.ceil(size * dpr);
      const g = c.getContext("2d");
      g.scale(dpr, dpr);
      g.beginPath();
      g.arc(size / 2, size / 2, r, 0, 2 * Math.PI);
      g.fillStyle = fill;
      g.fill();
      g.lineWidth = 0.9;
      g.strokeStyle = color;
      g.stroke();
      return c;
    };
    s = { size, none: dot(NO_LOSS), levels: Array.from({ length: LEVELS }, (_, i) => dot(lossColour(i / (LEVELS - 1)))) };
    this.spriteCache.set(key, s);
    return s;
  }

  // The colour bar: which end of the scale is low loss, in the plot area's top-right corner
  // (drawn once per size into a canvas of its own, then copied).
  legend(box, big) {
    const dpr = window.devicePixelRatio || 1;
    const key = `${big}|${dpr}`;
    if (this.legendKey !== key) {
      this.legendKey = key;
      this.legendImage = this.colourBar(big, dpr);
    }
    const img = this.legendImage;
    const w = img.width / dpr, h = img.height / dpr;
    this.ctx.drawImage(img, box.l + box.w - 6 - w, box.t + 6, w, h);
  }

  colourBar(big, dpr) {
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d");
    const font = big ? 15 : 11;
    const w = big ? 120 : 80, h = big ? 9 : 6;
    const label = "particle loss: low", high = "high";
    ctx.font = `${font}px system-ui, sans-serif`;
    const lw = ctx.measureText(label).width, hw = ctx.measureText(high).width;
    const width = Math.ceil(lw + 4 + w + 4 + hw + 8), height = font + 6;
    canvas.width = width * dpr;
    canvas.height = height * dpr;
    ctx.scale(dpr, dpr);
    ctx.font = `${font}px system-ui, sans-serif`; // (a canvas's size resets its context)
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = "#222";
    ctx.textBaseline = "middle";
    const mid = height / 2;
    ctx.fillText(label, 4, mid);
    ctx.fillText(high, width - 4 - hw, mid);
    const x0 = 4 + lw + 4;
    const g = ctx.createLinearGradient(x0, 0, x0 + w, 0);
    STOPS.forEach((_, i) => g.addColorStop(i / (STOPS.length - 1), lossColour(i / (STOPS.length - 1))));
    ctx.fillStyle = g;
    ctx.fillRect(x0, mid - h / 2, w, h);
    return canvas;
  }

  // The canvas as an <image> on top of an exported copy of the layer's SVG.
  embed(svgCopy, width, height) {
    if (!this.drawnAny) return;
    const img = document.createElementNS("http://www.w3.org/2000/svg", "image");
    img.setAttribute("href", this.canvas.toDataURL("image/png"));
    img.setAttribute("width", width);
    img.setAttribute("height", height);
    svgCopy.append(img);
  }
}

// The loss plot's picture of a cloud: at each step, the 10th, 50th and 90th percentiles of
// the particles' losses (a particle that stopped keeps its last loss). Computed once per data
// (cached on the first row's loss series, its length and the rows' total length).
const bands = new WeakMap();
export const BAND = [0.1, 0.5, 0.9];
export function cloudBand(rows) {
  let steps = 0, size = 0;
  for (const row of rows) {
    steps = Math.max(steps, row.loss.length);
    size += row.loss.length;
  }
  const key = rows[0]?.loss;
  const c = key && bands.get(key);
  if (c && c.size === size && c.count === rows.length) return c.curves;
  const curves = BAND.map(() => new Array(steps).fill(null));
  const values = new Float64Array(rows.length);
  for (let k = 0; k < steps; k++) {
    let m = 0;
    for (const row of rows) {
      const n = row.loss.length;
      const v = n ? row.loss[Math.min(k, n - 1)] : null;
      if (v !== null && Number.isFinite(v)) values[m++] = v;
    }
    if (!m) continue;
    const sorted = values.subarray(0, m).sort();
    BAND.forEach((q, i) => { curves[i][k] = sorted[Math.min(m - 1, Math.floor(q * (m - 1) + 0.5))]; });
  }
  if (key) bands.set(key, { size, count: rows.length, curves });
  return curves;
}
