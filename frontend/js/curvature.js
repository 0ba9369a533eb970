// The curvature at an inspected point, drawn on the contour: the Hessian's eigen-directions as
// two axes through the point (POST /api/analysis's eigenvectors, eigenvectors[i] for
// eigenvalues[i]). Each axis's half-length is ∝ 1/√|λ|, as the semi-axes of the local
// quadratic model's level ellipse: the flatter direction is the longer axis, the longest is
// SPAN of the view's shorter side (a zero eigenvalue: that length, the other axis by its own
// ratio to the smallest non-zero |λ|). Solid where λ > 0 (f curves up along it), dashed
// where λ < 0 (curves down), thin dotted where λ is zero to the API's tolerance.

const SPAN = 0.2;
const ZERO = 1e-8; // |λ| below this fraction of the largest counts as zero (analysis.py's)
export const AXIS_STYLE = {
  up: { color: "#1b6e3a", dash: "", width: 3 },
  down: { color: "#a3167f", dash: "7,4", width: 3 },
  flat: { color: "#3a3f46", dash: "2,3", width: 2 },
};
export const AXES_NOTE = "Axes at the point: the Hessian's eigen-directions, half-length ∝ 1/√|λ| "
  + `(the longer ${SPAN * 100}% of the view's shorter side); solid: λ > 0, f curves up; dashed: λ < 0, f curves down.`;

const kindOf = (lambda, big) => (Math.abs(lambda) <= ZERO * big ? "flat" : lambda > 0 ? "up" : "down");

// Layer items (pathlayer.js lines) for the analysis `a` over the view `shown` ({x, y} ranges);
// none for a 1-D surface or a point without eigenvectors.
export function eigenAxes(a, shown, big = false) {
  if (!a || !a.eigenvectors || a.point.length !== 2 || !shown || !shown.y) return [];
  const span = Math.min(Math.abs(shown.x[1] - shown.x[0]), Math.abs(shown.y[1] - shown.y[0]));
  const R = SPAN * span;
  const mags = a.eigenvalues.map(Math.abs);
  const largest = Math.max(...mags);
  const nonzero = mags.filter((m) => m > ZERO * largest);
  const ref = nonzero.length ? Math.min(...nonzero) : 1;
  const [px, py] = a.point;
  return a.eigenvalues.map((lambda, i) => {
    const kind = kindOf(lambda, largest);
    const half = kind === "flat" ? R : R * Math.sqrt(ref / mags[i]);
    const [vx, vy] = a.eigenvectors[i];
    const style = AXIS_STYLE[kind];
    return {
      kind: "line", key: `eig${i}`, name: `eigen-axis λ = ${lambda.toPrecision(4)}`,
      meta: { eigen: i, lambda, vector: [vx, vy], half, curve: kind },
      xs: [px - half * vx, px + half * vx], ys: [py - half * vy, py + half * vy], n: 2,
      color: style.color, width: big ? style.width + 1.5 : style.width, dash: style.dash, dots: null,
    };
  });
}
