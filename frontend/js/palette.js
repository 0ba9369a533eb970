// How a run is drawn: a colour, a line dash and a marker symbol per run, so colour is never the
// only cue. Colours after Okabe–Ito (distinguishable under the common colour-vision
// deficiencies), darkened where needed so every one has at least 3:1 contrast on white
// (WCAG's figure for graphics; tests/browser/test_legibility.py computes it).
export const PALETTE = [
  "#0072B2", // blue
  "#D55E00", // vermillion
  "#009E73", // bluish green
  "#B8548A", // reddish purple, darkened
  "#9C6B00", // ochre (Okabe–Ito's orange, darkened)
  "#6A3D9A", // violet (in place of sky blue)
  "#000000", // black
  "#5D5D5D", // dark grey (in place of yellow)
];

// Plotly's dash lists (px), also an SVG stroke-dasharray once "px" is dropped ("" is solid).
export const DASHES = [
  "", "8px,4px", "2px,3px", "9px,3px,2px,3px", "15px,5px", "15px,3px,2px,3px,2px,3px",
  "4px,2px", "2px,2px,8px,2px",
];

// The marker of a run's current point (the start marker is a ring, minima are stars and the
// best restart's start a diamond, so none of those).
export const SYMBOLS = [
  "circle", "square", "triangle-up", "triangle-down", "pentagon", "hexagon", "hourglass",
  "cross",
];

// The dashes in words (a figure's description for a screen reader).
const DASH_NAMES = ["solid", "dashed", "dotted", "dash-dot", "long-dashed", "dash-dot-dot",
  "short-dashed", "dot-dash"];

// The contours' fill, low to high: light greys that every path colour stands out on; the top
// is not white, so where a surface is highest (a bowl's corners) the fill still shows the
// surface's box against the page.
export const SURFACE_FILL = [[0, "#b8bcc2"], [0.5, "#e3e5e8"], [1, "#f2f3f5"]];

export const lineName = (i) => DASH_NAMES[i % DASH_NAMES.length];
export const colour = (i) => PALETTE[i % PALETTE.length];
export const dash = (i) => DASHES[i % DASHES.length] || "solid";
export const dashArray = (i) => DASHES[i % DASHES.length].replaceAll("px", "");
export const symbol = (i) => SYMBOLS[i % SYMBOLS.length];

// A run's key for a table or list: a short line in its colour and dash (inline SVG).
export function keyLine(i) {
  const d = dashArray(i);
  return `<svg class="key" viewBox="0 0 30 10" aria-hidden="true"><line x1="1" y1="5" x2="29" y2="5"`
    + ` stroke="${colour(i)}" stroke-width="3"${d ? ` stroke-dasharray="${d}"` : ""}/></svg>`;
}

// Plotly's tool bar without its buttons that send the figure to Chart Studio (nothing leaves the
// page), the selection tools or the PNG (the page's own export draws both figures); without
// Plotly's tips ("Double-click to zoom back out" lay over the view buttons for seconds after a
// zoom: a zoomed figure shows its own "zoom out" button instead, see zoomOutButton).
export const CONFIG = {
  responsive: true, displaylogo: false, showSendToCloud: false, showEditInChartStudio: false,
  showLink: false, showTips: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage", "sendDataToCloud"],
};

// On a touch screen Plotly's zoom and pan take every touch on a figure and cancel the page's
// scroll: unless `zooms()`, a touch stops at the figure's box `box` (before Plotly's listeners
// inside it), so a finger's drag scrolls the page past it. A mouse zooms as ever.
export function scrollPastOnTouch(box, zooms = () => false) {
  for (const type of ["touchstart", "touchmove", "touchend", "touchcancel"]) {
    box.addEventListener(type, (ev) => { if (!zooms()) ev.stopPropagation(); },
      { capture: true, passive: true });
  }
}

// A power of ten as every figure labels it: 10⁻², in Plotly's markup.
export const powerOfTen = (d) => `10<sup>${d < 0 ? "−" : ""}${Math.abs(d)}</sup>`;

// A figure's "zoom out" button (`button`, in its corner, shown while `zoomed()`): it asks
// Plotly to autoscale, as a double-click on the plot does, which the figure hears as going home.
export function zoomOutButton(button, figure) {
  button.title = "back to the whole view (a double-click on the plot does the same)";
  button.addEventListener("click", () => Plotly.relayout(figure, { "xaxis.autorange": true, "yaxis.autorange": true }));
  return { show: (zoomed) => { if (button.hidden === zoomed) button.hidden = !zoomed; } };
}

// A basin map's categories (basinview.js): Paul Tol's "light" scheme (distinguishable under the
// common colour-vision deficiencies), light enough that the black markers drawn over them have
// at least 3:1 contrast (tests/test_views_palette.py computes it); −1 (diverged or not
// converged) in a neutral grey that none of them is.
export const BASIN_COLOURS = [
  "#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33", "#AAAA00",
];
export const NO_BASIN = "#B0B0B0";
