// The trajectories on screen: filled from the WebSocket's frames, one entry per optimiser.
// Each run message gets a fresh id, so frames of a replaced run can never mix with the new one.
// A track holds one row per start (row 0 the start given, rows 1… the random restarts); its
// `path`, `loss`, `gradNorm` and `batchLoss` are row 0's, `batches` (minibatch sample indices
// per step) are shared by the rows, and after `done` `best` names the lowest final loss.

const emptyRow = () => ({ path: [], loss: [], gradNorm: [], batchLoss: [], summary: null });
export function emptyTrack() {
  const row = emptyRow();
  return { rows: [row], ...row, batches: [], best: 0, summary: null, stochastic: false };
}

export class Runs {
  constructor() {
    this.id = null;
    this.count = 0;
    this.seq = 0;
    this.tracks = [];
    this.done = false;
    this.error = null;
    this.meta = {};
  }

  // Start a new set of runs for `count` optimisers; returns the id for the run message.
  // meta ({epochSize, sumOf, labels}) describes the request, for the figures.
  begin(count, meta = {}) {
    if (this.tracks.some((t) => t.path.length)) this.previous = { tracks: this.tracks, meta: this.meta };
    this.seq += 1;
    this.id = `r${this.seq}`;
    this.count = count;
    this.meta = meta;
    this.tracks = Array.from({ length: count }, emptyTrack);
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
      msg.paths.forEach((pts, r) => {
        const row = track.rows[r] ?? (track.rows[r] = emptyRow());
        const losses = (msg.losses && msg.losses[r]) || [];
        const grads = (msg.grad_norms && msg.grad_norms[r]) || [];
        const blosses = msg.batch_losses && msg.batch_losses[r];
        for (let k = 0; k < pts.length; k++) {
          row.path[s + k] = pts[k];
          row.loss[s + k] = losses[k] ?? null;
          row.gradNorm[s + k] = grads[k] ?? null;
          if (blosses) row.batchLoss[s + k] = blosses[k] ?? null;
        }
      });
      if (msg.batch_losses) track.stochastic = true;
      if (msg.batches) msg.batches.forEach((b, k) => { track.batches[s + k] = b; });
    } else if (msg.type === "done") {
      this.done = true;
      for (const r of msg.runs || []) {
        const track = this.tracks[r.run];
        if (!track) continue;
        track.best = r.best ?? 0;
        (r.rows || []).forEach((sum, k) => { if (track.rows[k]) track.rows[k].summary = sum; });
        track.summary = r.rows[track.best] || r.rows[0];
      }
    } else if (msg.type === "error") {
      this.error = msg;
      this.done = true;
    }
    return true;
  }

  // The server refused the new run: keep showing the last good paths.
  restorePrevious() {
    if (this.previous && this.previous.tracks.length === this.count) {
      this.tracks = this.previous.tracks;
      this.meta = this.previous.meta;
    }
  }

  // Longest path over every row, in steps (a path of n points has n - 1 steps).
  get length() {
    let n = 0;
    for (const t of this.tracks) for (const r of t.rows) n = Math.max(n, r.path.length - 1);
    return n;
  }
}
