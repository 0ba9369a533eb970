// A menu button (the WAI-ARIA menu button pattern): one Tab stop for a group of actions. The
// button opens its menu (click, Enter, Space, ↓ to the first item, ↑ to the last); in the menu
// ↑/↓ move (wrapping), Home/End go to the ends, Escape closes it and focuses the button again,
// Tab closes it and moves on. An item chosen closes the menu, focus back on the button (where a
// dialog the item opens returns it when it closes). A click outside closes it.

export class MenuButton {
  // button: the <button aria-haspopup="menu">; menu: the [role=menu] element it controls, whose
  // [role=menuitem] children are the actions, each with its own click listener.
  constructor(button, menu) {
    this.button = button;
    this.menu = menu;
    for (const item of this.items()) item.tabIndex = -1;
    button.addEventListener("click", () => (this.isOpen ? this.close(true) : this.open(0)));
    button.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      e.preventDefault();
      e.stopPropagation();
      this.open(e.key === "ArrowDown" ? 0 : -1);
    });
    menu.addEventListener("keydown", (e) => this.key(e));
    // closed before the item's own listener runs, so a dialog it opens keeps the focus
    menu.addEventListener("click", (e) => {
      if (e.target.closest("[role=menuitem]")) this.close(true);
    }, { capture: true });
    menu.addEventListener("focusout", (e) => {
      if (this.isOpen && !menu.contains(e.relatedTarget) && e.relatedTarget !== button) this.close(false);
    });
    document.addEventListener("pointerdown", (e) => {
      if (this.isOpen && !menu.contains(e.target) && !button.contains(e.target)) this.close(false);
    });
  }

  get isOpen() {
    return !this.menu.hidden;
  }

  items() {
    return [...this.menu.querySelectorAll("[role=menuitem]")].filter((i) => !i.hidden);
  }

  // Opens the menu with its item `at` focused (negative: from the end).
  open(at) {
    this.menu.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.items().at(at)?.focus();
  }

  close(refocus) {
    this.menu.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) this.button.focus();
  }

  key(e) {
    const items = this.items();
    const i = items.indexOf(document.activeElement);
    const to = {
      ArrowDown: (i + 1) % items.length,
      ArrowUp: (i - 1 + items.length) % items.length,
      Home: 0,
      End: items.length - 1,
    }[e.key];
    if (to !== undefined) items[to].focus();
    else if (e.key === "Escape") this.close(true);
    else if (e.key === "Tab") {
      this.close(true);
      return; // Tab moves on from the button, as if the menu had never opened
    } else return;
    e.preventDefault();
    e.stopPropagation();
  }
}
