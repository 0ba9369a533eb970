"""The pool side of a WebSocket run: a `run` message's optimisers advanced and encoded as
frames (docs/api.md, "WebSocket"). :mod:`.ws` only moves the texts made here to the socket.

The work is handed out in few pool calls: the first makes the first frame (the validation
and the first chunk of the first optimiser) and returns at once; each later one returns a
batch of frames, bounded in count (what a stalled reader can make the server hold) and in time
(so a long run shares the pool and a cancel lands soon). Every handoff between the pool and
the event loop costs a thread wake-up and, while another thread computes, a wait for the GIL:
a 1,000-step run used to make seven of them (a prepare, one per chunk, a close), now two.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from typing import Any

import numpy as np

from .. import engine, limits
from ..engine import vm
from ..optimizers import REGISTRY
from .responses import dumps
from .schemas import OptimizerRef, RunMessage
from .service import prepare_runs

FIRST_FRAME_POINTS = 32  # docs/api.md: the first frame is small so that it leaves at once
# Steps per engine chunk after the first, whatever the frame size (frames are cut from
# chunks): as engine.run, long for a single trajectory, whose per-chunk bookkeeping (~0.1 ms)
# would otherwise cost as much as its steps, and shorter for a batch, which bounds its
# memory. A run that stops mid-chunk computes at most a chunk past its stop.
SINGLE_CHUNK, BATCH_CHUNK = 1024, 256


class RunFrames:
    """The frames of one `run` message, made on demand in the pool by :meth:`take`.

    A cancelled or replaced run's task stops awaiting, but the batch it asked for may still be
    computing: :meth:`cancel` makes that batch end at its next frame, and the lock makes
    :meth:`close` wait for it (a generator cannot be closed while it runs).
    """

    def __init__(self, msg: RunMessage) -> None:
        self.msg = msg
        self.finished = False  # the `done` text has been taken
        self.cancelled = threading.Event()
        self.lock = threading.Lock()
        self.chunks: list[Iterator[engine.Chunk]] = []  # one engine stream per optimiser
        self.texts = self._texts()

    def take(self, most: int, seconds: float) -> list[str]:
        """The next frames, at least one and at most ``most``, made within about ``seconds``;
        the run's `done` text comes last (``finished`` then)."""
        deadline = time.perf_counter() + seconds
        out: list[str] = []
        with self.lock:
            for text in self.texts:
                out.append(text)
                if len(out) >= most or self.finished or self.cancelled.is_set():
                    break
                if time.perf_counter() >= deadline:  # the next socket's turn
                    break
        return out

    def cancel(self) -> None:
        self.cancelled.set()

    def close(self) -> None:
        with self.lock:
            self.texts.close()
            for chunks in self.chunks:
                getattr(chunks, "close", lambda: None)()

    def _texts(self) -> Generator[str, None, None]:
        msg = self.msg
        _, specs = prepare_runs(msg)  # a DescentLabError surfaces from the first take
        n = msg.frame_points
        first = max(1, min(n, FIRST_FRAME_POINTS) - 1)  # steps: the first chunk adds the start
        # Frames carry neither the optimiser's state nor step sizes: the engine skips them.
        self.chunks = [
            engine.iterate(
                s,
                max(n, SINGLE_CHUNK if len(s.starts) == 1 else BATCH_CHUNK),
                first,
                extras=False,
            )
            for s in specs
        ]
        finals: list[dict[str, Any] | None] = [None] * len(specs)
        while any(f is None for f in finals):
            for i, chunks in enumerate(self.chunks):  # round robin: the paths grow together
                if finals[i] is not None:
                    continue
                chunk = next(chunks)
                yield from frames(msg.id, i, chunk, n)
                if chunk.done:
                    finals[i] = summary(i, chunk, specs[i])
        self.finished = True
        yield dumps({"type": "done", "id": msg.id, "status": "complete", "runs": finals}).decode()


def frames(run_id: str, index: int, chunk: engine.Chunk, size: int) -> Iterator[str]:
    """The chunk's real points as `frames` messages of at most ``size`` points per row (a
    frame in which no row moved is not sent)."""
    counts = chunk.count.tolist()
    for s in range(0, chunk.path.shape[1], size):
        ends = [min(c, s + size) for c in counts]
        if all(e <= s for e in ends):
            return  # rows end at their count: nothing real from here on
        rows = [(b, s, max(e, s)) for b, e in enumerate(ends)]
        frame = {
            "type": "frames",
            "id": run_id,
            "run": index,
            "start": chunk.start + s,
            # orjson writes C-contiguous arrays only; a row of a step-major chunk is a view
            "paths": [np.ascontiguousarray(chunk.path[b, i:j]) for b, i, j in rows],
            "losses": [np.ascontiguousarray(chunk.loss[b, i:j]) for b, i, j in rows],
            "grad_norms": [np.ascontiguousarray(chunk.grad_norm[b, i:j]) for b, i, j in rows],
        }
        if chunk.batch_loss is not None:  # stochastic runs: what each step saw
            frame["batch_losses"] = [
                np.ascontiguousarray(chunk.batch_loss[b, i:j]) for b, i, j in rows
            ]
        if chunk.batches is not None:  # minibatch SGD: the samples of each step (shared)
            frame["batches"] = np.ascontiguousarray(chunk.batches[s : max(ends)])
        yield dumps(frame).decode()


def summary(index: int, chunk: engine.Chunk, spec: engine.RunSpec) -> dict[str, Any]:
    """One optimiser's entry in `done`, from its last chunk: each row's result."""
    final = chunk.fun
    finite = np.isfinite(final)
    rows = [chunk.outcome(b) for b in range(len(final))]
    return {
        "run": index,
        "optimizer": spec.optimizer.id,
        "best": int(np.argmin(np.where(finite, final, np.inf))) if finite.any() else 0,
        "rows": rows,
        "epoch_size": spec.epoch_size,
    }


WARM_UP_SURFACE = "rosenbrock"  # the page's first surface (frontend/js/state.js)


def warm_up() -> None:
    """A few steps of every first-order rule on the page's first surface, through this module,
    as a worker starts: its first run otherwise builds what later runs reuse (the surface's
    programs, each rule's traced program, what Python imports on first use: 35-110 ms
    measured), and its first user would wait for that. It loads the machine-code loop first
    (:mod:`~..engine.vm`: ~0.6 s, numba's import included; a few seconds the first time on a
    machine, which numba then caches)."""
    vm.load()
    ids = [o.id for o in REGISTRY if o.elementwise]
    for k in range(0, len(ids), limits.MAX_OPTIMIZERS):
        refs = [OptimizerRef(id=i) for i in ids[k : k + limits.MAX_OPTIMIZERS]]
        msg = RunMessage(
            type="run", id="warm-up", surface=WARM_UP_SURFACE, max_steps=10, optimizers=refs
        )
        run = RunFrames(msg)
        while not run.finished:
            run.take(64, 1.0)
        run.close()
