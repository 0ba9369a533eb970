// The view as one SVG file for slides: a title and the formula over the figures as the screen
// shows them. Each figure is its box as laid out on the page: Plotly's own picture of its axes
// and contours (Plotly.toImage as SVG, at the size Plotly drew), the HTML legend written as SVG
// (each key's own SVG and its name as text), and the app's path layers, each placed where the
// page places it. Vector throughout, so it scales in a slide without blurring.

const NS = "http://www.w3.org/2000/svg";
const HEAD = 58; // px: the title and the formula
const GAP = 12; // px between two figures

function make(tag, attrs = {}, text = null) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== null) el.textContent = text;
  return el;
}

// SVG markup as an <svg> element placed at (x, y), width x height.
function placed(markup, x, y, width, height) {
  const svg = new DOMParser().parseFromString(markup, "image/svg+xml").documentElement;
  for (const [k, v] of Object.entries({ x, y, width, height })) svg.setAttribute(k, v);
  return svg;
}

// A data: URL's text (Plotly gives its SVG URI-encoded; base64 is read too).
function dataText(url) {
  const comma = url.indexOf(",");
  const meta = url.slice(0, comma);
  const body = url.slice(comma + 1);
  return meta.endsWith(";base64") ? new TextDecoder().decode(Uint8Array.from(atob(body), (c) => c.charCodeAt(0)))
    : decodeURIComponent(body);
}

// Where `el` is inside the box whose inner corner is `origin`.
function offset(el, origin) {
  const r = el.getBoundingClientRect();
  return { x: r.left - origin.left, y: r.top - origin.top, width: r.width, height: r.height };
}

// The legend (legend.js's entries: a key <svg> and a .name each) as SVG, as the page places it.
function legendSvg(el, origin) {
  const g = make("g", { class: "legend" });
  if (!el || el.hidden || !el.children.length) return g;
  const style = getComputedStyle(el);
  for (const item of el.children) {
    const key = item.querySelector("svg");
    const name = item.querySelector(".name");
    const k = offset(key, origin);
    g.append(placed(new XMLSerializer().serializeToString(key), k.x, k.y, k.width, k.height));
    const n = offset(name, origin);
    g.append(make("text", {
      x: n.x, y: n.y + n.height / 2, "dominant-baseline": "central", fill: style.color,
      "font-size": style.fontSize, "font-family": style.fontFamily,
    }, name.textContent));
  }
  return g;
}

// One figure's box as a <g> at (x, y): its white ground, Plotly's picture, legend and layers.
// figure: {box, plotly: the element Plotly draws in, legend: the HTML legend or null,
// layers: [PathLayer]}
async function figureSvg({ box, plotly, legend, layers }, x, y, name) {
  const r = box.getBoundingClientRect();
  const origin = { left: r.left + box.clientLeft, top: r.top + box.clientTop };
  const g = make("g", { transform: `translate(${x} ${y})`, "data-figure": name });
  g.append(make("rect", { width: box.clientWidth, height: box.clientHeight, fill: "#fff" }));
  const width = plotly.layout?.width ?? plotly.clientWidth;
  const height = plotly.layout?.height ?? plotly.clientHeight;
  const url = await Plotly.toImage(plotly, { format: "svg", width, height });
  const at = offset(plotly, origin);
  g.append(placed(dataText(url), at.x, at.y, width, height));
  g.append(legendSvg(legend, origin));
  for (const layer of layers) {
    const l = offset(layer.svg, origin);
    g.append(placed(layer.markup(), l.x, l.y, l.width, l.height));
  }
  return { g, width: box.clientWidth, height: box.clientHeight };
}

// The whole view as SVG markup: `title` and `formula` over the figures side by side (those
// shown: a figure whose box is not laid out is left out).
export async function viewSvg(figures, { title, formula }) {
  const shown = figures.filter((f) => f.box.offsetParent && f.box.clientWidth && f.plotly.data);
  const parts = [];
  let x = 0;
  for (const [i, f] of shown.entries()) {
    const part = await figureSvg(f, x, HEAD, f.name ?? `figure-${i}`);
    parts.push(part);
    x += part.width + GAP;
  }
  const width = Math.max(1, x - GAP);
  const height = HEAD + Math.max(0, ...parts.map((p) => p.height));
  const root = make("svg", { xmlns: NS, width, height, viewBox: `0 0 ${width} ${height}`,
    "font-family": "system-ui, sans-serif" });
  root.append(make("rect", { width, height, fill: "#fff" }));
  root.append(make("text", { x: 12, y: 24, "font-size": 20, "font-weight": 600, fill: "#1b1f24" }, title));
  root.append(make("text", { x: 12, y: 47, "font-size": 14, fill: "#444",
    "font-family": "ui-monospace, 'DejaVu Sans Mono', monospace" }, formula));
  root.append(...parts.map((p) => p.g));
  return new XMLSerializer().serializeToString(root);
}
