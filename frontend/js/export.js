// Downloads: the current runs as CSV or JSON (recomputed by POST /api/runs, which reports
// every field the stream leaves out), the figure as PNG, the whole view as SVG, and as one HTML
// file that opens offline (made by POST /api/exports/html from the same run body).

import { postRaw } from "./api.js";
import { viewSvg } from "./svgexport.js";

function save(blob, filename) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// Text the page made (a view's CSV) as a download.
export const saveText = (text, filename, type) => save(new Blob([text], { type }), filename);

const stamped = (surface, format) =>
  `descentlab-${surface.id ?? "custom"}-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}.${format}`;

export async function exportRuns(body, format) {
  const path = format === "csv" ? "/api/runs?format=csv" : "/api/runs";
  const resp = await postRaw(path, body);
  save(await resp.blob(), stamped(body.surface, format));
}

// view: [[xmin, xmax], [ymin, ymax]] or null (the surface's domain); title: the file's heading;
// labels: each optimiser's name in the legend, as the page names them.
export async function exportHTML(body, { view, title, labels }) {
  const resp = await postRaw("/api/exports/html", { run: body, view, title, labels, loss: true });
  save(await resp.blob(), stamped(body.surface, "html"));
}

// The figure in `el` as the screen shows it: paint(ctx, origin, scale) draws it onto a canvas
// the size of el's box, SCALE times finer (origin: el's inner corner on the page, a DOMRect).
const SCALE = 2;
export async function exportPNG(el, paint, surfaceId) {
  const r = el.getBoundingClientRect();
  const origin = { left: r.left + el.clientLeft, top: r.top + el.clientTop };
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(el.clientWidth * SCALE);
  canvas.height = Math.round(el.clientHeight * SCALE);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  await paint(ctx, origin, SCALE);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  save(blob, `descentlab-${surfaceId}.png`);
}

// One Plotly figure alone (a view's), as the screen shows it, by the Plotly that drew it.
export function exportFigurePNG(el, name, plotly = window.Plotly) {
  return exportPNG(el, async (ctx, origin, scale) => {
    const url = await plotly.toImage(el, {
      format: "png", width: el.clientWidth, height: el.clientHeight, scale,
    });
    const img = new Image();
    img.src = url;
    await img.decode();
    ctx.drawImage(img, 0, 0, ctx.canvas.width, ctx.canvas.height);
  }, name);
}

// The view (figures: svgexport.js's, side by side; heading: {title, formula}) as an SVG file.
export async function exportSVG(figures, heading, surfaceId) {
  const markup = await viewSvg(figures, heading);
  save(new Blob([markup], { type: "image/svg+xml" }), `descentlab-${surfaceId}.svg`);
}
