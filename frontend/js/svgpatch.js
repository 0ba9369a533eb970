// Redrawing a Plotly scatter figure without Plotly, when only the points of its traces change
// (a slider's new run, the player's next step): the SVG Plotly drew is edited in place (each
// line's `d`; a dot per point added, removed or moved) instead of a Plotly.react, which lays the
// whole figure out again and rebuilds its SVG (~15-25 ms a figure on the bench machine, and as
// much again to render it). Plotly's derived state (hover, calcdata) is left as it was: the
// caller draws in full with Plotly once changes stop.

// What a patch can change: the points, and texts that only show on hover or in a legend that
// the caller patches itself. Everything else must be as in the last full draw (patchKey).
const PATCHABLE = new Set(["x", "y", "text", "name", "hovertemplate", "customdata"]);

// A string equal for two figures that a patch can turn into each other.
export const patchKey = (traces, layout) =>
  JSON.stringify([traces, layout], (k, v) => (PATCHABLE.has(k) ? undefined : v));

// The edits that move the traces `gd` shows to `traces` (those of its last full draw but for
// their points), or null when the SVG is not as expected or Plotly would draw something else:
// a trace with text, no points, or points far outside the view (Plotly clips those lines
// itself) or missing (null: Plotly breaks the line there).
export function planPatch(gd, traces) {
  const fl = gd._fullLayout;
  if (!fl || !fl.xaxis || !fl.yaxis) return null;
  const xa = fl.xaxis, ya = fl.yaxis;
  const groups = new Map();
  for (const g of gd.querySelectorAll(".scatterlayer > g.trace")) {
    const tr = g.__data__ && g.__data__[0] && g.__data__[0].trace;
    if (tr) groups.set(tr.index, g);
  }
  const far = 4 * Math.max(fl.width, fl.height); // px
  const jobs = [];
  for (let i = 0; i < traces.length; i++) {
    const tr = traces[i];
    const g = groups.get(i);
    const n = tr.x.length;
    if (!g || tr.mode.includes("text") || n < 1) return null;
    const px = new Array(n), py = new Array(n);
    for (let k = 0; k < n; k++) {
      if (tr.x[k] === null || tr.y[k] === null) return null;
      px[k] = xa.c2p(tr.x[k]); // (a log axis takes its log here)
      py[k] = ya.c2p(tr.y[k]);
      if (!(Math.abs(px[k]) < far && Math.abs(py[k]) < far)) return null;
    }
    const job = { px, py, n };
    if (tr.mode.includes("lines")) {
      job.line = g.querySelector("path.js-line");
      if (n < 2 || !job.line) return null;
    }
    if (tr.mode.includes("markers")) {
      job.dots = g.querySelector("g.points");
      if (!job.dots || !job.dots.firstElementChild) return null;
    }
    jobs.push(job);
  }
  return jobs;
}

const round = (v) => Math.round(v * 100) / 100;

// Make the edits. grow: the traces are those drawn last, longer or as long (the player's next
// step), so the dots drawn before stay where they are.
export function applyPatch(jobs, grow = false) {
  for (const { px, py, n, line, dots } of jobs) {
    if (line) {
      // In hundredths of a pixel, leaving out the points less than half a pixel from the last
      // one drawn (never the last; Plotly simplifies its lines too): a 1,000-step path's `d`
      // is then a third as long or less, for the browser to build, parse and draw.
      let x = round(px[0]), y = round(py[0]);
      let d = `M${x},${y}`;
      for (let k = 1; k < n; k++) {
        const kx = round(px[k]), ky = round(py[k]);
        if (k < n - 1 && Math.abs(kx - x) + Math.abs(ky - y) < 0.5) continue;
        d += `L${kx},${ky}`;
        x = kx;
        y = ky;
      }
      line.setAttribute("d", d);
    }
    if (dots) {
      const have = dots.children;
      while (have.length > n) dots.lastElementChild.remove();
      const m = have.length;
      for (let k = m; k < n; k++) dots.append(dots.lastElementChild.cloneNode(false));
      for (let k = grow ? Math.max(0, m - 1) : 0; k < n; k++) {
        have[k].setAttribute("transform", `translate(${round(px[k])},${round(py[k])})`);
      }
    }
  }
}
