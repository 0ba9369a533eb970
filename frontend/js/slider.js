// One labelled number control: a slider (log or linear, from a hyperparameter spec), the
// number shown and typeable, a reset-to-default button and a place for the server's refusal.
// A log slider given `decades` spans that many decades around its value (re-centred when a
// drag ends near an edge, a number is typed or the value is reset), so a wide track gives
// ~100 px a decade; its step is at most 1/100 decade (one arrow key: 2.3%), and the window's
// ends are written under the track. A typed value is kept exactly, whether or not the slider
// can land on it.

let counter = 0;

const isLog = (spec) => spec.scale === "log" && spec.low > 0;

export function roundValue(spec, v) {
  if (spec.integer) return Math.round(v);
  if (v === 0) return 0;
  return Number(v.toPrecision(isLog(spec) ? 3 : 4));
}

// The number box's text: the formatted value, or the exact one when formatting would round a
// typed value and the exact one is short enough to fit the box (9 characters, as "-1.23e-10").
export function boxValue(v) {
  const f = formatValue(v);
  if (f === "" || Number(f) === v) return f;
  const exact = String(v);
  return exact.length <= 9 ? exact : f;
}

export function formatValue(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

// Show `value` in a <select>, writing it only when it differs: Chrome's autofill answers every
// write of a select's value, the same value too, with a task that reads the layout of every form
// control on the page (1.5-7 ms measured), and the controls are rendered on every change, just
// as a slider's run is computed on the same cores.
export function setSelect(sel, value) {
  if (sel.value !== value) sel.value = value;
}

// spec: {name, default, low, high, scale, integer, help}; onValue(v, {final}) gets every
// slider movement (final false) and every committed number (final true); onReset() resets.
// `decades` (log sliders only): the width of the window the track spans. The track has its own
// row, the panel's full width, under the label, the number and the reset button.
export function makeSlider({ label, spec, value, def, field, onValue, onReset, decades }) {
  const id = `ctl-${++counter}`;
  const row = document.createElement("div");
  row.className = "ctl stacked";
  row.dataset.field = field;
  const log = isLog(spec);
  const toPos = (v) => (log ? Math.log10(Math.max(v, spec.low)) : v);
  const fromPos = (p) => roundValue(spec, log ? 10 ** p : p);
  const lo = toPos(spec.low);
  const hi = toPos(spec.high);
  const win = log && decades && decades < hi - lo ? decades : null;
  const step = spec.integer && !log ? 1 : log ? Math.min((hi - lo) / 400, 0.01) / (win ? 2 : 1) : (hi - lo) / 400;
  let wlo = lo;
  let whi = hi;

  row.innerHTML = `
    <label for="${id}"></label>
    <input type="range" id="${id}" min="${lo}" max="${hi}" step="${step}">
    <input type="number" step="${spec.integer ? 1 : "any"}" inputmode="${spec.integer ? "numeric" : "decimal"}" class="num">
    <button type="button" class="reset" title="reset to default">↺</button>
    <div class="err" role="alert" hidden></div>`;
  const [lab, range, box, reset, err] = row.children;
  const ends = win ? windowEnds(range) : null;
  lab.textContent = label;
  if (spec.help) {
    lab.title = spec.help;
    range.title = spec.help;
  }
  box.setAttribute("aria-label", `${label} value`);
  reset.setAttribute("aria-label", `reset ${label} to ${formatValue(def)}`);
  if (log) range.setAttribute("aria-valuetext", "");

  // the window [wlo, whi] around position p, inside [lo, hi]
  const centre = (p) => {
    if (!win) return;
    wlo = Math.min(Math.max(p - win / 2, lo), hi - win);
    whi = wlo + win;
    range.min = String(wlo);
    range.max = String(whi);
    ends[0].textContent = formatValue(10 ** wlo);
    ends[1].textContent = formatValue(10 ** whi);
  };
  const nearEdge = (p) => win && (p < wlo + win / 6 || p > whi - win / 6);
  const show = (v, fromBox = false, keepWindow = false) => {
    const p = toPos(v);
    if (win && (!keepWindow || p < wlo || p > whi)) centre(p);
    range.value = p;
    if (log) range.setAttribute("aria-valuetext", formatValue(v));
    if (!fromBox) box.value = boxValue(v);
    reset.disabled = v === def;
  };
  show(value);

  range.addEventListener("input", () => {
    const v = fromPos(Number(range.value));
    show(v, false, true);
    onValue(v, { final: false });
  });
  range.addEventListener("change", () => {
    const p = Number(range.value);
    const v = fromPos(p);
    if (nearEdge(p)) show(v); // room to drag on, either way
    onValue(v, { final: true });
  });
  box.addEventListener("change", () => {
    const v = Number(box.value);
    if (box.value.trim() === "" || !Number.isFinite(v)) {
      setError("enter a number");
      return;
    }
    show(v, true);
    onValue(v, { final: true });
  });
  reset.addEventListener("click", () => {
    show(def);
    onReset();
  });

  function setError(msg) {
    err.hidden = !msg;
    err.textContent = msg || "";
    box.setAttribute("aria-invalid", msg ? "true" : "false");
    row.classList.toggle("invalid", Boolean(msg));
  }
  // set(v) from a render: the window stays while v is inside it (not re-centred mid-drag)
  return { el: row, setError, set: (v) => show(v, false, true) };
}

// The two ends of a windowed track, under it: a guide for dragging (the number box has the value).
function windowEnds(range) {
  const ends = document.createElement("div");
  ends.className = "ends";
  ends.setAttribute("aria-hidden", "true");
  ends.append(document.createElement("span"), document.createElement("span"));
  range.after(ends);
  return [...ends.children];
}
