// When the figures are drawn. Changes are coalesced into one draw per animation frame: the
// paths (`first`) in the frame's callbacks, the rest (`second`: the loss plot, the data panel)
// in a task once that frame has been painted, so new paths never wait for them. A run that
// has arrived whole is drawn at once (`now`), and the next frame only paints it.
//
// hold() says how long (ms) a new run's partial paths wait before they replace the old ones;
// playing() whether the player runs (then `second` is drawn at most every SECOND_EVERY ms, and
// once more after the last change).

const SECOND_EVERY = 100;

export class Frames {
  constructor({ first, second, hold, playing }) {
    this.first = first;
    this.second = second;
    this.hold = hold;
    this.playing = playing;
    this.queued = false; // a frame is asked for
    this.dirty = false; // something changed since the last draw
    this.timer = null; // or will be, once the hold is over
    this.secondQueued = false;
    this.secondAt = -Infinity;
  }

  // Something changed: draw in the next frame (or once the hold is over).
  request() {
    this.dirty = true;
    if (this.queued) return;
    const wait = this.hold();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        if (this.dirty) this.request();
      }, wait);
      return;
    }
    clearTimeout(this.timer);
    this.timer = null;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      if (this.dirty) this.draw(1); // (not when drawn since, by now())
    });
  }

  // Draw now, in this task.
  now() {
    clearTimeout(this.timer);
    this.timer = null;
    this.draw(2);
  }

  // frames: how many frames begin before `second` runs (in a task after the last): 1 from a
  // frame's callbacks (the paths are painted in it), 2 from a task (the next frame paints them).
  draw(frames) {
    this.dirty = false;
    this.first();
    if (this.secondQueued) return;
    this.secondQueued = true;
    // By then a newer run may be held: its hold holds `second` too, and the draw that ends the
    // hold queues it again.
    const later = () => setTimeout(() => {
      this.secondQueued = false;
      if (this.hold() <= 0) this.drawSecond();
    }, 0);
    requestAnimationFrame(frames > 1 ? () => requestAnimationFrame(later) : later);
  }

  // `second` now, or (while playing, drawn less than SECOND_EVERY ms ago) once that has passed.
  drawSecond() {
    clearTimeout(this.trailing);
    const now = performance.now();
    const wait = this.secondAt + SECOND_EVERY - now;
    if (this.playing() && wait > 0) {
      this.trailing = setTimeout(() => this.drawSecond(), wait);
      return;
    }
    this.secondAt = this.playing() ? now : -Infinity;
    this.second();
  }
}
