// A figure's legend in HTML: per entry a key (a short line in the run's colour and dash with
// its marker, or a marker alone) and a name. drawLegend paints the same entries onto a canvas
// where the page shows them (the PNG export).

import { glyph } from "./glyphs.js";

// entry: {name, color, dash, symbol, fill, stroke, line: false for a marker alone}
function keySvg(e) {
  const stroke = e.line === false ? ""
    : `<line x1="1" y1="6" x2="27" y2="6" stroke="${e.color}" stroke-width="2.5"${e.dash ? ` stroke-dasharray="${e.dash}"` : ""}/>`;
  const mark = e.symbol ? `<path d="${glyph(e.symbol, 14, 6, e.line === false ? 11 : 8)}" fill="${e.fill ?? e.color}"`
    + `${e.stroke ? ` stroke="${e.stroke}" stroke-width="1.2"` : ""}/>` : "";
  return `<svg class="legend-key" viewBox="0 0 28 12" width="28" height="12" aria-hidden="true">${stroke}${mark}</svg>`;
}

// Shows `entries` in `el` (rebuilt only when they change); true when they did.
export function renderLegend(el, entries) {
  const key = JSON.stringify(entries);
  if (el.dataset.key === key) return false;
  el.dataset.key = key;
  el.replaceChildren(...entries.map((e) => {
    const item = document.createElement("span");
    item.className = "entry";
    item.innerHTML = keySvg(e);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = e.name;
    item.append(name);
    return item;
  }));
  el.hidden = !entries.length;
  return true;
}

// An SVG document as an image (drawn onto a canvas by the export).
export async function loadSvg(markup) {
  const url = URL.createObjectURL(new Blob([markup], { type: "image/svg+xml" }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

// Paints the legend `el` onto ctx (a canvas `scale` times finer than the page), placed as it is
// on the page relative to `origin` (a DOMRect).
export async function drawLegend(ctx, el, origin, scale) {
  if (el.hidden || !el.children.length) return;
  const style = getComputedStyle(el);
  ctx.save();
  ctx.scale(scale, scale);
  ctx.font = `${style.fontSize} ${style.fontFamily}`;
  ctx.fillStyle = style.color;
  ctx.textBaseline = "middle";
  for (const item of el.children) {
    const svg = item.querySelector("svg");
    const name = item.querySelector(".name");
    const k = svg.getBoundingClientRect();
    const markup = svg.outerHTML.replace("<svg", `<svg xmlns="http://www.w3.org/2000/svg"`);
    ctx.drawImage(await loadSvg(markup), k.left - origin.left, k.top - origin.top, k.width, k.height);
    const n = name.getBoundingClientRect();
    ctx.fillText(name.textContent, n.left - origin.left, n.top - origin.top + n.height / 2);
  }
  ctx.restore();
}
