// Downloads: the current runs as CSV or JSON (recomputed by POST /api/runs, which reports
// every field the stream leaves out), and the figure as PNG.

import { postRaw } from "./api.js";

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

export async function exportRuns(body, format) {
  const path = format === "csv" ? "/api/runs?format=csv" : "/api/runs";
  const resp = await postRaw(path, body);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const name = `descentlab-${body.surface.id ?? "custom"}-${stamp}.${format}`;
  save(await resp.blob(), name);
}

// layers: Plotly figures of one size, bottom first (the contours, then the paths), drawn
// into one picture as the screen shows them: each at the figure's own width and height (at
// another size Plotly lays the legend out again, and the top figure's margin, pushed by a
// legend row more or less, would no longer match the one underneath), SCALE times finer.
const SCALE = 2;
export async function exportPNG(layers, surfaceId) {
  const shown = layers.filter((el) => el.data);
  if (!shown.length) return;
  const top = shown[shown.length - 1];
  const width = top.clientWidth, height = top.clientHeight;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * SCALE);
  canvas.height = Math.round(height * SCALE);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const el of shown) {
    const url = await Plotly.toImage(el, { format: "png", width, height, scale: SCALE });
    const img = new Image();
    img.src = url;
    await img.decode();
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  }
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  save(blob, `descentlab-${surfaceId}.png`);
}
