// Sharing what is on screen: its link (the URL's hash holds the whole state) and the same as
// an embed, the figure alone in an iframe for slides or a course page. Both are shown in
// fields to select as well as copied, since a page served over plain HTTP from another
// machine has no clipboard API.

export class Share {
  // dialog: the <dialog>; link(embed): the page's URL now, as itself or as an embed
  constructor(dialog, { link, title }) {
    this.dialog = dialog;
    this.link = link;
    this.title = title;
    this.fields = { link: dialog.querySelector("[name=link]"), embed: dialog.querySelector("[name=embed]") };
    this.status = dialog.querySelector("[role=status]");
    for (const [name, field] of Object.entries(this.fields)) {
      dialog.querySelector(`[data-copy=${name}]`).addEventListener("click", () => this.copy(field));
      field.addEventListener("focus", () => field.select());
    }
    dialog.querySelector("[data-share=close]").addEventListener("click", () => dialog.close());
  }

  open() {
    this.fields.link.value = this.link(false);
    this.fields.embed.value = iframe(this.link(true), this.title());
    this.status.textContent = "";
    this.dialog.showModal();
  }

  async copy(field) {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      this.status.textContent = "Copied.";
    } catch {
      this.status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
  }
}

const escapeAttr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export const iframe = (src, title) =>
  `<iframe src="${escapeAttr(src)}" title="${escapeAttr(title)}" width="960" height="600" `
  + `style="border: 0" allow="fullscreen"></iframe>`;
