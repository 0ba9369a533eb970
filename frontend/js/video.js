// A video of the runs on screen (MP4, WebM or GIF): the server renders it (POST
// /api/animations) while this shows its progress, then the file downloads; Cancel stops it
// (DELETE /api/animations/{id}: the server stops rendering and deletes the job). The dialog's
// controls are the request's fields; their bounds come from GET /api/limits.

import { getJSON, postRaw, deleteRaw, ApiError } from "./api.js";

const POLL_MS = 400;
const SIZES = { "1920x1080": [1920, 1080], "1280x720": [1280, 720], "960x540": [960, 540] };

export class VideoExport {
  // dialog: the <dialog> holding the form; request(): the run body and view now on screen, or
  // null when nothing can be animated (e.g. no runs yet).
  constructor(dialog, { request, limits }) {
    this.dialog = dialog;
    this.request = request;
    this.form = dialog.querySelector("form");
    this.progress = dialog.querySelector("progress");
    this.status = dialog.querySelector("[role=status]");
    this.make = dialog.querySelector("[data-video=make]");
    this.cancelButton = dialog.querySelector("[data-video=cancel]");
    this.job = null;
    this.cancelButton.addEventListener("click", () => this.cancel());
    const seconds = this.form.elements.seconds;
    seconds.max = limits.max_animation_seconds ?? seconds.max;
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.start();
    });
    dialog.querySelector("[data-video=close]").addEventListener("click", () => dialog.close());
    // a GIF is best small: its default size follows the format unless the size was chosen
    this.form.elements.format.addEventListener("change", () => {
      if (!this.form.elements.size.dataset.chosen) {
        this.form.elements.size.value = this.form.elements.format.value === "gif" ? "960x540" : "1920x1080";
      }
    });
    this.form.elements.size.addEventListener("change", () => {
      this.form.elements.size.dataset.chosen = "1";
    });
  }

  open() {
    if (!this.job) this.show("", null);
    this.dialog.showModal();
  }

  body() {
    const now = this.request();
    if (!now) return null;
    const f = this.form.elements;
    const [width, height] = SIZES[f.size.value];
    return {
      run: now.run, view: now.view, format: f.format.value, width, height,
      seconds: Number(f.seconds.value), loss: f.loss.checked,
    };
  }

  async start() {
    const body = this.body();
    if (!body) {
      this.show("There are no runs to animate yet.", null, true);
      return;
    }
    this.make.disabled = true;
    this.cancelButton.hidden = false;
    this.show("Queued…", 0);
    const job = {};
    this.job = job;
    try {
      job.id = (await (await postRaw("/api/animations", body)).json()).id;
      if (job.cancelled) { // cancelled while it was being created
        await deleteRaw(`/api/animations/${job.id}`).catch(() => {});
        return;
      }
      const done = await this.follow(job);
      if (done) this.download(job.id, body.format, done.bytes);
    } catch (err) {
      if (this.job === job) this.show(reason(err), null, true);
    } finally {
      if (this.job === job) this.idle();
    }
  }

  idle() {
    this.job = null;
    this.make.disabled = false;
    if (this.cancelButton.contains(document.activeElement)) this.make.focus();
    this.cancelButton.hidden = true;
  }

  // Stops the job under way: the server deletes it (a job not yet created is dropped when its
  // id arrives).
  async cancel() {
    const job = this.job;
    if (!job) return;
    this.idle();
    this.show("Cancelled.", null);
    job.cancelled = true;
    if (job.id) await deleteRaw(`/api/animations/${job.id}`).catch(() => {});
  }

  // Poll the job until it is done (its status) or failed (throws); null if another started.
  async follow(job) {
    for (;;) {
      const st = await getJSON(`/api/animations/${job.id}`);
      if (this.job !== job) return null;
      if (st.status === "done") return st;
      if (st.status === "failed") throw new ApiError(st.error || "the video could not be made");
      this.show(st.status === "queued" ? "Queued…" : `Rendering… ${Math.round(st.progress * 100)}%`,
        st.progress);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  download(id, format, bytes) {
    const a = document.createElement("a");
    a.href = `/api/animations/${id}/file`;
    a.download = "";
    document.body.append(a);
    a.click();
    a.remove();
    this.show(`Done: a ${format.toUpperCase()} of ${megabytes(bytes)} is downloading.`, 1);
  }

  // progress: 0..1, or null for none shown
  show(text, progress, error = false) {
    this.status.textContent = text;
    this.status.dataset.error = error ? "true" : "false";
    this.progress.hidden = progress === null;
    if (progress !== null) this.progress.value = progress;
  }
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;

function reason(err) {
  if (err instanceof ApiError && err.field) return `${err.field}: ${err.message}`;
  return err.message || String(err);
}
