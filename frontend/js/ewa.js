// The exponentially weighted average of a noisy loss (the Duke notes, 004, "Smoothing with
// exponentially weighted averages"), shown on the loss plot over a minibatch run's loss: from
// z₀ = 0, z_t = β z_{t−1} + (1 − β) ℓ_t at each step t = 1, 2, …, and the bias-corrected
// ẑ_t = z_t / (1 − β^t), which removes the pull towards the 0 it starts from. (The notes'
// momentum cells print 1 + β^t; their own EWA cell, and the rule, divide by 1 − β^t.)
//
// EwaControl: the loss plot's toggle and its β, as state (`ewa=0.9` in the hash: on, with β).

export const DEFAULT_BETA = 0.9;
export const MAX_BETA = 0.999;

// The EWA of values[1…] (values[0], the start, has no minibatch: null there). A value that is
// not finite (a diverged step) leaves the average not finite from there on: null.
export function ewa(values, beta, corrected = false) {
  const out = new Array(values.length).fill(null);
  let z = 0, power = 1, ok = true;
  for (let t = 1; t < values.length; t++) {
    const v = values[t];
    ok = ok && v !== null && v !== undefined && Number.isFinite(v);
    if (!ok) continue;
    z = beta * z + (1 - beta) * v;
    power *= beta;
    out[t] = corrected ? z / (1 - power) : z;
  }
  return out;
}

// β as a link or the box gives it: a number in [0, MAX_BETA], else null.
export function parseBeta(text) {
  const b = Number(text);
  return text !== "" && Number.isFinite(b) && b >= 0 && b <= MAX_BETA ? b : null;
}

export const CAPTION = "EWA: z_t = βz_{t−1} + (1 − β)ℓ_t from z_0 = 0; bias-corrected: z_t / (1 − β^t) "
  + "(the notes' momentum cells print 1 + β^t, a slip: dividing by 1 − β^t is what removes the start's bias)";

export class EwaControl {
  // root: the control's box (a toggle button and a β box); get(): β or null (off);
  // set(beta | null) commits it.
  constructor(root, { get, set }) {
    this.root = root;
    this.button = root.querySelector("button");
    this.input = root.querySelector("input");
    this.button.title = CAPTION;
    this.button.addEventListener("click", () => set(get() === null ? parseBeta(this.input.value) ?? DEFAULT_BETA : null));
    this.input.addEventListener("change", () => {
      const b = parseBeta(this.input.value);
      this.input.setAttribute("aria-invalid", String(b === null));
      if (b !== null) set(b);
    });
  }

  // Shown for minibatch runs only (their loss is the noisy one).
  show(beta, stochastic) {
    this.root.hidden = !stochastic;
    this.button.setAttribute("aria-pressed", String(beta !== null));
    this.input.disabled = beta === null;
    if (beta !== null && document.activeElement !== this.input && parseBeta(this.input.value) !== beta) {
      this.input.value = String(beta);
    }
  }
}
