// One labelled number control: a slider (log or linear, from a hyperparameter spec), the
// number shown and typeable, a reset-to-default button and a place for the server's refusal.

let counter = 0;

const isLog = (spec) => spec.scale === "log" && spec.low > 0;

export function roundValue(spec, v) {
  if (spec.integer) return Math.round(v);
  if (v === 0) return 0;
  return Number(v.toPrecision(isLog(spec) ? 3 : 4));
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
export function makeSlider({ label, spec, value, def, field, onValue, onReset }) {
  const id = `ctl-${++counter}`;
  const row = document.createElement("div");
  row.className = "ctl";
  row.dataset.field = field;
  const log = isLog(spec);
  const toPos = (v) => (log ? Math.log10(Math.max(v, spec.low)) : v);
  const fromPos = (p) => roundValue(spec, log ? 10 ** p : p);
  const lo = toPos(spec.low);
  const hi = toPos(spec.high);
  const step = spec.integer && !log ? 1 : (hi - lo) / 400;

  row.innerHTML = `
    <label for="${id}"></label>
    <input type="range" id="${id}" min="${lo}" max="${hi}" step="${step}">
    <input type="number" step="any" inputmode="decimal" class="num">
    <button type="button" class="reset" title="reset to default">↺</button>
    <div class="err" role="alert" hidden></div>`;
  const [lab, range, box, reset, err] = row.children;
  lab.textContent = label;
  if (spec.help) {
    lab.title = spec.help;
    range.title = spec.help;
  }
  box.setAttribute("aria-label", `${label} value`);
  reset.setAttribute("aria-label", `reset ${label} to ${formatValue(def)}`);
  if (log) range.setAttribute("aria-valuetext", "");

  const show = (v, fromBox = false) => {
    range.value = toPos(v);
    if (log) range.setAttribute("aria-valuetext", formatValue(v));
    if (!fromBox) box.value = formatValue(v);
    reset.disabled = v === def;
  };
  show(value);

  range.addEventListener("input", () => {
    const v = fromPos(Number(range.value));
    show(v);
    onValue(v, { final: false });
  });
  range.addEventListener("change", () => onValue(fromPos(Number(range.value)), { final: true }));
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
  return { el: row, setError, set: show };
}
