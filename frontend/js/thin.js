// Which points of a long series to draw. A run may have 100,000 steps per path: Plotly lays out
// and hit-tests every point it is given, and an SVG line of that many segments is slow to build
// and paint, though most of them are far under a pixel long. Only what is drawn is thinned: the
// runs themselves, the status table and the exports keep every point.
//
// Two passes over screen distances: (1) a point is kept when it lies half a pixel or more from
// the last point kept (the creeping tail of a slow run collapses to a few points, every visible
// turn stays); (2) if that still leaves more than `max`, the kept points are cut into buckets
// and each bucket keeps its first and last point and its extremes in x and in y, in order, so a
// zigzag keeps its envelope instead of aliasing into a smooth line (taking every k-th point of
// a period-2 oscillation would show one side of it only). The first and last points are kept.

export const DRAW_ALL_UP_TO = 2000; // shorter series are drawn whole, exactly as given
export const MAX_DRAWN = 4000; // points of one series on screen, at most
// Screen distances are measured in a reference box this many pixels across the axis range
// (larger than any figure: a projector's full width), so thinning needs no layout reads and a
// figure drawn smaller than that keeps more than it needs rather than less.
export const REFERENCE_PX = 2048;
const MIN_PX = 0.5;

// xs, ys: numbers (null or not finite: a gap, always kept); sx, sy: pixels per unit. Returns
// the indices to draw, ascending, or null when the series is short enough to draw whole.
export function thinIndices(xs, ys, sx, sy, max = MAX_DRAWN) {
  const n = xs.length;
  if (n <= DRAW_ALL_UP_TO) return null;
  const kept = [0];
  let lx = xs[0], ly = ys[0];
  for (let k = 1; k < n - 1; k++) {
    const x = xs[k], y = ys[k];
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(lx) || !Number.isFinite(ly)) {
      kept.push(k);
    } else if (Math.abs(x - lx) * sx + Math.abs(y - ly) * sy < MIN_PX) continue;
    else kept.push(k);
    lx = x;
    ly = y;
  }
  kept.push(n - 1);
  return kept.length <= max ? kept : extremes(kept, xs, ys, max);
}

// Pass (2): per bucket of kept points, its first, last and extreme ones (at most 6 a bucket).
function extremes(kept, xs, ys, max) {
  const size = Math.ceil(kept.length / Math.floor(max / 6));
  const out = [];
  for (let b = 0; b < kept.length; b += size) {
    const end = Math.min(kept.length, b + size);
    const pick = new Set([kept[b], kept[end - 1]]);
    // the extremes start from the bucket's first finite point (a gap compares as nothing)
    let first = b;
    while (first < end - 1 && !(Number.isFinite(xs[kept[first]]) && Number.isFinite(ys[kept[first]]))) first++;
    let x0 = kept[first], x1 = x0, y0 = x0, y1 = x0;
    for (let j = b; j < end; j++) {
      const k = kept[j];
      if (!Number.isFinite(xs[k]) || !Number.isFinite(ys[k])) {
        pick.add(k); // gaps stay gaps
        continue;
      }
      if (xs[k] < xs[x0]) x0 = k;
      if (xs[k] > xs[x1]) x1 = k;
      if (ys[k] < ys[y0]) y0 = k;
      if (ys[k] > ys[y1]) y1 = k;
    }
    for (const k of [x0, x1, y0, y1]) pick.add(k);
    out.push(...[...pick].sort((a, c) => a - c));
  }
  if (out[out.length - 1] !== kept[kept.length - 1]) out.push(kept[kept.length - 1]);
  return out;
}

// The indices of `full` (thinned over a whole series) that a prefix of n points shows, with
// its last point (the player's current step) always among them.
export function prefix(full, n) {
  let lo = 0, hi = full.length; // the first index of full that is >= n - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (full[mid] < n - 1) lo = mid + 1;
    else hi = mid;
  }
  const out = full.slice(0, lo);
  if (n > 0) out.push(n - 1);
  return out;
}

// Pixels per unit for values spanning [lo, hi] across the reference box.
export function scale(lo, hi) {
  const span = Math.abs(hi - lo);
  return span > 0 && Number.isFinite(span) ? REFERENCE_PX / span : 1;
}
