// Marker outlines as SVG path commands: the symbols of palette.js (a run's current point and
// dots), the minima's star, the best restart's diamond, the inspected point's cross.

const round = (v) => Math.round(v * 100) / 100;

// A marker's outline about (0, 0), `size` px across, as polygon corners or a circle.
const poly = (n, r, turn = -Math.PI / 2) => Array.from({ length: n }, (_, k) => {
  const a = turn + (2 * Math.PI * k) / n;
  return [r * Math.cos(a), r * Math.sin(a)];
});
function star(r) {
  const pts = [];
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (Math.PI * k) / 5;
    const rr = k % 2 ? r * 0.42 : r;
    pts.push([rr * Math.cos(a), rr * Math.sin(a)]);
  }
  return pts;
}
const GLYPHS = {
  square: (r) => [[-r, -r], [r, -r], [r, r], [-r, r]].map(([x, y]) => [x * 0.85, y * 0.85]),
  "triangle-up": (r) => poly(3, r * 1.15),
  "triangle-down": (r) => poly(3, r * 1.15, Math.PI / 2),
  pentagon: (r) => poly(5, r * 1.05),
  hexagon: (r) => poly(6, r),
  hourglass: (r) => [[-r, -r], [r, -r], [-r, r], [r, r]],
  cross: (r) => {
    const w = r * 0.4;
    return [[-w, -r], [w, -r], [w, -w], [r, -w], [r, w], [w, w], [w, r], [-w, r], [-w, w],
      [-r, w], [-r, -w], [-w, -w]];
  },
  diamond: (r) => [[0, -r * 1.2], [r, 0], [0, r * 1.2], [-r, 0]],
  star: (r) => star(r * 1.2),
};

// The outline of `symbol`, `size` px across, as path commands relative to its centre (after
// an "M" there), kept per symbol and size: a line's dots repeat it at each point.
const outlines = new Map();
function outline(symbol, size) {
  const key = `${symbol} ${size}`;
  let out = outlines.get(key);
  if (out !== undefined) return out;
  const r = size / 2;
  const corners = GLYPHS[symbol];
  if (symbol === "x-thin") out = `m${-r},${-r}l${size},${size}m${-size},0l${size},${-size}`;
  else if (!corners) out = `m${-r},0a${r},${r} 0 1,0 ${size},0a${r},${r} 0 1,0 ${-size},0z`; // a circle
  else {
    const pts = corners(r);
    out = `m${round(pts[0][0])},${round(pts[0][1])}`;
    for (let k = 1; k < pts.length; k++) {
      out += `l${round(pts[k][0] - pts[k - 1][0])},${round(pts[k][1] - pts[k - 1][1])}`;
    }
    out += "z";
  }
  outlines.set(key, out);
  return out;
}

// The outline of `symbol` centred on (x, y), as path commands.
export const glyph = (symbol, x, y, size) => `M${round(x)},${round(y)}${outline(symbol, size)}`;

