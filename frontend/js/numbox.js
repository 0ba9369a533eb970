// A comma typed into a number box. Chromium drops a comma from an <input type=number> without a
// word ("1,5" reads as 15, "1,000" as 1000) and the page only ever sees the rest, so the comma
// is caught as it is typed or pasted, before it is lost:
// - in a box that takes decimals (step "any" or a fraction), with no point or exponent yet, it
//   is the decimal point: the box shows "1.5", the value it reads;
// - anywhere else (a whole-number box, where "1,000" may mean a thousand, or a second decimal
//   mark) the number is refused until the box is edited again: its change never reaches the
//   page, and `onRefuse(box, message)` says why.

export const COMMA_MESSAGE = "a comma is not read here: use a point for decimals (1.5) and "
  + "no thousands separator (1000); edit the number to go on";

// box -> its text since the refusal: typing on after the comma keeps the refusal; any other
// edit (a deletion, new text over a selection, a value the page wrote) ends it
const refused = new WeakMap();
const typedOn = (box) => refused.has(box) && box.value.startsWith(refused.get(box));

const isNumberBox = (el) => el instanceof HTMLInputElement && el.type === "number";

// Whether the box takes a decimal point: its step is "any" or not a whole number.
export function takesDecimals(box) {
  const step = box.getAttribute("step");
  return step === "any" || (step !== null && !Number.isInteger(Number(step)));
}

// Whether a comma, typed where the box's text is `text`, is the decimal point.
function commaIsPoint(box, text) {
  return takesDecimals(box) && !/[.eE]/.test(text);
}

export function guardCommas(root, { onRefuse }) {
  const refuse = (box) => {
    refused.set(box, box.value);
    box.setCustomValidity(COMMA_MESSAGE);
    box.setAttribute("aria-invalid", "true");
    onRefuse(box, COMMA_MESSAGE);
  };
  const release = (box) => {
    refused.delete(box);
    box.setCustomValidity("");
    box.setAttribute("aria-invalid", "false");
  };

  root.addEventListener("keydown", (ev) => {
    if (!isNumberBox(ev.target) || ev.key !== ",") return;
    ev.preventDefault();
    // (a partial "1." reads as "1": a comma after it makes "1..", which reads as no number and
    // is refused as "enter a number")
    if (commaIsPoint(ev.target, ev.target.value)) document.execCommand("insertText", false, ".");
    else refuse(ev.target);
  }, true);

  root.addEventListener("paste", (ev) => {
    const text = ev.clipboardData?.getData("text") ?? "";
    if (!isNumberBox(ev.target) || !text.includes(",")) return;
    ev.preventDefault();
    const one = text.indexOf(",") === text.lastIndexOf(",");
    if (one && commaIsPoint(ev.target, text)) document.execCommand("insertText", false, text.trim().replace(",", "."));
    else refuse(ev.target);
  }, true);

  root.addEventListener("input", (ev) => {
    const box = ev.target;
    if (!refused.has(box)) return;
    if (typedOn(box) && ev.inputType?.startsWith("insert")) refused.set(box, box.value);
    else release(box);
  }, true);

  // A refused number never reaches the page's own listeners.
  root.addEventListener("change", (ev) => {
    const box = ev.target;
    if (!refused.has(box)) return;
    if (!typedOn(box) || box.value === "") return release(box);
    ev.stopImmediatePropagation();
    onRefuse(box, COMMA_MESSAGE);
  }, true);
}
