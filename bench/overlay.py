"""What the State and Field glyphs (frontend/js/overlay.js) cost the page, against the same
page without them, measured in the same run:

- a frame at a new player step: five optimisers on a 1,000-step run, the player moved to a
  step and the frame that draws it timed from a requestAnimationFrame callback queued before
  the move to one queued after it (the page's own draw runs between the two), with and
  without `over=state,field`;
- slider change -> new path drawn (as bench/browser.py measures it), with and without.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from browser import CHROMIUM_ARGS, DONE, SLIDER_STEP
from server import Server, free_port, percentile

FIVE = (
    "surface=rosenbrock&steps=1000&speed=Infinity&opt=gd(lr:0.001)&opt=momentum(lr:0.001)"
    "&opt=nelder-mead&opt=bfgs&opt=adam(lr:0.05)"
)
GLYPHS = "() => window.descentlab.paths().some(i => i.kind === 'shape' && i.meta?.glyph)"

FRAME_AT_STEP = """async (t) => new Promise((resolve) => {
  let t0 = 0;
  requestAnimationFrame(() => { t0 = performance.now(); });
  window.descentlab.player.scrub(t);
  requestAnimationFrame(() => resolve(performance.now() - t0));
})"""


def frames(page: object, steps: list[int]) -> list[float]:
    return [page.evaluate(FRAME_AT_STEP, t) for t in steps]  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--slides", type=int, default=20)
    args = parser.parse_args()
    steps = [(37 * k) % 1000 for k in range(1, args.frames + 1)]
    port = free_port()
    server = Server(port)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, list[float]] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            slider = '.card [data-field="optimizers.0.params.lr"] input[type=range]'
            for label, extra in (("without", ""), ("with", "&over=state,field")):
                page.goto(f"{base}/#{FIVE}{extra}")
                page.reload()
                page.wait_for_selector(DONE)
                if extra:
                    page.wait_for_function(GLYPHS)
                frames(page, steps[:20])  # warm
                results[f"frame, {label} glyphs"] = frames(page, steps)
                slides = []
                for i in range(args.slides):
                    painted, _ = page.evaluate(SLIDER_STEP, [slider, i % 2 == 0])
                    slides.append(painted)
                results[f"slider -> path painted, {label} glyphs"] = slides
            browser.close()
    finally:
        server.stop()
    print(f"{'measure (ms)':44} {'median':>8} {'p95':>8}")
    for name, values in results.items():
        print(f"{name:44} {statistics.median(values):8.2f} {percentile(values, 95):8.2f}")
    added = statistics.median(results["frame, with glyphs"]) - statistics.median(
        results["frame, without glyphs"]
    )
    print(f"{'glyphs add per frame (median)':44} {added:8.2f}")


if __name__ == "__main__":
    main()
