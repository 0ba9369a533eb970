// The trajectories on screen: filled from the WebSocket's frames, one entry per optimiser.
// Each run message gets a fresh id, so frames of a replaced run can never mix with the new one.

export class Runs {
  constructor() {
    this.id = null;
    this.count = 0;
    this.seq = 0;
    this.tracks = [];
    this.done = false;
    this.error = null;
  }

  // Start a new set of runs for `count` optimisers; returns the id for the run message.
  begin(count) {
    if (this.tracks.some((t) => t.path.length)) this.previous = this.tracks;
    this.seq += 1;
    this.id = `r${this.seq}`;
    this.count = count;
    this.tracks = Array.from({ length: count }, () => ({
      path: [], loss: [], gradNorm: [], summary: null,
    }));
    this.done = false;
    this.error = null;
    return this.id;
  }

  // Apply one server message; returns true when it belonged to the current run.
  apply(msg) {
    if (msg.id !== this.id) return false;
    if (msg.type === "frames") {
      const track = this.tracks[msg.run];
      if (!track || !msg.paths || !msg.paths.length) return true;
      const s = msg.start;
      const pts = msg.paths[0];
      const losses = (msg.losses && msg.losses[0]) || [];
      const grads = (msg.grad_norms && msg.grad_norms[0]) || [];
      for (let k = 0; k < pts.length; k++) {
        track.path[s + k] = pts[k];
        track.loss[s + k] = losses[k] ?? null;
        track.gradNorm[s + k] = grads[k] ?? null;
      }
    } else if (msg.type === "done") {
      this.done = true;
      for (const r of msg.runs || []) {
        const track = this.tracks[r.run];
        if (track) track.summary = r.rows[r.best ?? 0] || r.rows[0];
      }
    } else if (msg.type === "error") {
      this.error = msg;
      this.done = true;
    }
    return true;
  }

  // The server refused the new run: keep showing the last good paths.
  restorePrevious() {
    if (this.previous && this.previous.length === this.count) this.tracks = this.previous;
  }

  // Longest path, in steps (a path of n points has n - 1 steps).
  get length() {
    return Math.max(0, ...this.tracks.map((t) => t.path.length - 1));
  }
}
