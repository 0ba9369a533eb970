// The animation clock: which step is shown. play/pause/step/restart/scrub, a speed in steps per
// second, and "follow" (show everything as it arrives, used while a slider is being dragged).
// onFrame(t) asks for a redraw; total() says how many steps exist so far and finished() whether
// more can come.

export const SPEEDS = [5, 20, 100, 300, 1000, Infinity];

export class Player {
  constructor({ onFrame, onState, total, finished }) {
    this.onFrame = onFrame;
    this.onState = onState;
    this.total = total;
    this.finished = finished;
    this.t = 0;
    this.pos = 0; // fractional step while playing
    this.playing = false;
    this.speed = 100;
    this.raf = null;
    this.last = 0;
  }

  get atEnd() {
    return this.finished() && this.t >= this.total();
  }

  state() {
    if (this.playing) return this.t >= this.total() ? "waiting" : "playing";
    return this.atEnd ? "done" : "paused";
  }

  emit() {
    this.onFrame(this.t);
    this.onState(this.state());
  }

  play() {
    this.following = false;
    if (this.atEnd) this.seek(0);
    this.playing = true;
    this.last = performance.now();
    this.loop();
    this.emit();
  }

  pause() {
    this.playing = false;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = null;
    this.emit();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  restart() {
    this.seek(0);
    this.play();
  }

  step(delta) {
    this.following = false;
    this.pause();
    this.seek(this.t + delta);
  }

  seek(t) {
    this.t = Math.max(0, Math.min(Math.round(t), this.total()));
    this.pos = this.t;
    this.emit();
  }

  // The user dragged the scrubber.
  scrub(t) {
    this.following = false;
    if (this.playing) this.pause();
    this.seek(t);
  }

  // Show everything there is (slider drags): the path follows the hand.
  follow() {
    this.pause();
    this.following = true;
    this.seek(Infinity);
  }

  // New data arrived: while following (or showing the end), stay at the end.
  dataChanged() {
    if (this.following) this.t = this.pos = this.total();
    if (this.playing && this.speed === Infinity) { // instant: at the end now, not next frame
      this.t = this.pos = this.total();
      if (this.finished()) this.pause();
      else this.emit();
    } else if (!this.playing) this.emit();
    else this.onState(this.state());
  }

  setSpeed(s) {
    this.speed = s;
  }

  loop() {
    if (this.raf) cancelAnimationFrame(this.raf);
    const tick = (now) => {
      if (!this.playing) return;
      // (a frame's time can precede a play() called after that frame began: never negative)
      const dt = Math.max(0, Math.min(0.1, (now - this.last) / 1000));
      this.last = now;
      const total = this.total();
      this.pos = this.speed === Infinity ? total : Math.min(total, this.pos + this.speed * dt);
      const t = Math.floor(this.pos);
      if (t !== this.t) {
        this.t = t;
        this.onFrame(t);
      }
      if (this.t >= total && this.finished()) {
        this.playing = false;
        this.raf = null;
        this.onState(this.state());
        return;
      }
      this.onState(this.state());
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }
}
