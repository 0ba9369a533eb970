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

export async function exportRuns(body, format) {
  const path = format === "csv" ? "/api/runs?format=csv" : "/api/runs";
  const resp = await postRaw(path, body);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const name = `descentlab-${body.surface.id ?? "custom"}-${stamp}.${format}`;
  save(await resp.blob(), name);
}

export function exportPNG(el, surfaceId) {
  return Plotly.downloadImage(el, {
    format: "png", filename: `descentlab-${surfaceId}`, width: 1400, height: 1000, scale: 1,
  });
}
