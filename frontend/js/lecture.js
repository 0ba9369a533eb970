// Lecture mode: every preset in teaching order, shown like slides. Previous / next (buttons,
// →/← or PageDown/PageUp, which presentation remotes send), Escape to leave (and full screen
// with it: the header's button, the page's one way in, enters it), the step's caption
// (lecture, section, what it shows, what to try, and where the run differs from the notes)
// and "7 / 23". The step lives in the app state (`lecture`, in the URL hash), so a link opens
// it and Back / Forward move between steps; this module only shows the state and asks for
// changes through its callbacks.

import { sectionLabel } from "./presets.js";

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

function button(cls, text, label) {
  const b = el("button", cls, text);
  b.type = "button";
  if (label) b.setAttribute("aria-label", label);
  return b;
}

export class LectureMode {
  // root: the (empty) caption section; opener: the button that starts lecture mode; groups:
  // lectureOrder(...); onGo(preset): apply a preset as the step shown; onLeave(): leave;
  // startAt(): the preset id lecture mode opens at (the one applied last, say), or null.
  constructor({ root, opener, groups, onGo, onLeave, startAt = () => null }) {
    this.root = root;
    this.startAt = startAt;
    this.opener = opener;
    this.onGo = onGo;
    this.onLeave = onLeave;
    this.steps = groups.flatMap((g) => g.presets.map((preset) => ({ preset, lecture: g.lecture })));
    this.index = -1; // the step shown (-1: not in lecture mode)
    opener.disabled = !this.steps.length;
    this.build();
  }

  get active() {
    return this.index >= 0;
  }

  build() {
    const nav = el("div", "lecture-nav");
    nav.setAttribute("role", "group");
    nav.setAttribute("aria-label", "lecture steps");
    this.prev = button("lecture-prev", "← Previous", "previous figure");
    this.progress = el("output", "lecture-progress");
    this.progress.setAttribute("aria-label", "figure of the lecture");
    this.next = button("lecture-next", "Next →", "next figure");
    this.leave = button("lecture-leave", "×", "leave lecture mode");
    this.leave.title = "leave lecture mode (Escape)";
    nav.append(this.prev, this.progress, this.next);
    const head = el("div", "lecture-head");
    head.append(el("span", "lecture-mode", "Lecture mode"), this.leave);

    // The caption is announced when it changes, without interrupting.
    this.caption = el("div", "lecture-caption");
    this.caption.setAttribute("aria-live", "polite");
    this.lectureName = el("p", "lecture-name");
    this.title = el("h2", "lecture-step-title");
    this.section = el("p", "lecture-section");
    this.description = el("p", "lecture-description");
    this.tryThis = el("p", "lecture-try");
    this.differs = el("p", "lecture-differs");
    this.caption.append(this.lectureName, this.title, this.section, this.description, this.tryThis, this.differs);
    this.root.replaceChildren(head, nav, this.caption);

    this.prev.addEventListener("click", () => this.go(this.index - 1));
    this.next.addEventListener("click", () => this.go(this.index + 1));
    this.leave.addEventListener("click", () => this.close());
    this.opener.addEventListener("click", () => (this.active ? this.close() : this.open(this.startAt())));
  }

  // Start at `id`, else at the first step.
  open(id = null) {
    const k = Math.max(0, this.steps.findIndex((s) => s.preset.id === id));
    if (this.steps.length) this.onGo(this.steps[k].preset);
    requestAnimationFrame(() => this.next.focus());
  }

  close() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    this.onLeave();
    this.opener.focus();
  }

  // Apply step k afresh (the viewer's changes to the step shown are left behind).
  go(k) {
    if (k < 0 || k >= this.steps.length) return;
    this.onGo(this.steps[k].preset);
  }

  // Show the state's step (`id`, a preset id, or null: lecture mode off).
  render(id) {
    const k = id ? this.steps.findIndex((s) => s.preset.id === id) : -1;
    this.opener.setAttribute("aria-pressed", String(k >= 0));
    this.root.hidden = k < 0;
    if (k === this.index) return;
    this.index = k;
    if (k < 0) return;
    const { preset: p, lecture } = this.steps[k];
    this.root.dataset.step = p.id;
    this.progress.textContent = `${k + 1} / ${this.steps.length}`;
    this.lectureName.textContent = lecture ? lecture.title : "";
    this.title.textContent = p.title;
    this.section.textContent = sectionLabel(p.section);
    this.section.hidden = !p.section;
    this.description.textContent = p.description || "";
    this.tryThis.replaceChildren();
    this.tryThis.hidden = !p.try_this;
    if (p.try_this) this.tryThis.append(el("strong", "", "Try this: "), p.try_this);
    this.differs.replaceChildren();
    this.differs.hidden = !p.differs;
    if (p.differs) this.differs.append(el("strong", "", "Differs from the notes: "), p.differs);
    const focused = document.activeElement;
    this.prev.disabled = k === 0;
    this.next.disabled = k === this.steps.length - 1;
    // a button that just became disabled loses focus: hand it to the other one
    if (focused === this.next && this.next.disabled) this.prev.focus();
    if (focused === this.prev && this.prev.disabled) this.next.focus();
  }

  // A key pressed on the page (not in a text box): true when lecture mode took it.
  handleKey(e) {
    if (!this.active) return false;
    if (e.key === "ArrowRight" || e.key === "PageDown") this.go(this.index + 1);
    else if (e.key === "ArrowLeft" || e.key === "PageUp") this.go(this.index - 1);
    else if (e.key === "Escape") this.close();
    else return false;
    e.preventDefault();
    return true;
  }
}
