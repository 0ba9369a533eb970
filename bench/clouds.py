"""Particle clouds in the page: frames per second while a cloud animates, with one particle (the
baseline: a run without restarts) and with 1,000 (the start and 999 restarts), measured in the
same run, on the same surface, optimiser and steps, in headless Chromium (Debian's).

Each case plays the run from step 0 at 100 steps/s and counts the animation frames the page
begins over 3 s, three times; the gap column is the 95th percentile of the gap between frames.
On a machine others are using, the frame rate says as much about them as about the page, so the
last two columns are CPU time per frame (Chrome's ThreadTime and ProcessTime over those 3 s,
from the DevTools protocol): the renderer's main thread, which must stay under 33 ms a frame
for 30 frames/s, and the whole renderer process (its raster threads too). Prints a table,
never asserts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from browser import CHROMIUM_ARGS, DONE
from server import Server, free_port, percentile

# 900 steps: 1,000 particles x 901 points stay within the points one request may carry
CLOUD = "surface=himmelblau&steps=900&gtol=off&opt=gd(lr:0.002)&speed=100"

FRAMES = """async (ms) => {
  const gaps = [];
  const t0 = performance.now();
  let last = t0;
  await new Promise((resolve) => {
    const tick = (now) => {
      gaps.push(now - last);
      last = now;
      now - t0 < ms ? requestAnimationFrame(tick) : resolve();
    };
    requestAnimationFrame(tick);
  });
  return [gaps.length / ((performance.now() - t0) / 1000), gaps.slice(1)];
}"""

DRAWN = """() => window.descentlab.paths().filter((p) => p.kind === 'cloud')
  .reduce((n, c) => n + c.sets.reduce((m, s) => m + s.drawn, 0), 0)"""


def cpu(cdp) -> tuple[float, float]:
    """CPU seconds of the renderer's main thread and of its whole process so far."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["ThreadTime"], metrics["ProcessTime"]


def measure(
    page, base: str, restarts: int, dist: str, repeats: int
) -> tuple[list, list, list, int]:
    page.goto(f"{base}/#{CLOUD}&restarts={restarts}{dist}")
    page.reload()
    page.wait_for_selector(DONE, timeout=60_000)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    fps, gaps, thread, process = [], [], [], []
    drawn = 0
    for _ in range(repeats):
        page.click("#restart")
        page.wait_for_selector("#app[data-player=playing]")
        before = cpu(cdp)
        rate, between = page.evaluate(FRAMES, 3000)
        after, frames = cpu(cdp), len(between) + 1
        thread.append((after[0] - before[0]) * 1e3 / frames)
        process.append((after[1] - before[1]) * 1e3 / frames)
        drawn = max(drawn, page.evaluate(DRAWN))
        fps.append(rate)
        gaps.extend(between)
        page.click("#play")  # pause
    cdp.detach()
    return fps, gaps, thread, process, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", default="1280x800", help="the window, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    port = free_port()
    server = Server(port)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": width, "height": height})
            for label, restarts, dist in (
                ("baseline: 1 particle (no restarts)", 0, ""),
                ("1,000 particles, a grid over the view", 999, "&rfrom=grid"),
                ("1,000 particles, random over the view", 999, ""),
            ):
                rows.append((label, *measure(page, base, restarts, dist, args.repeats)))
            browser.close()
    finally:
        server.stop()
    print(
        f"{'cloud animating at 100 steps/s':<40}  {'drawn':>5}  {'n':>3}  {'fps p50':>7}  "
        f"{'fps min':>7}  {'gap p95 ms':>10}  {'main CPU ms/frame':>17}  {'renderer CPU':>12}"
    )
    for label, fps, gaps, thread, process, drawn in rows:
        print(
            f"{label:<40}  {drawn:5d}  {len(fps):3d}  {statistics.median(fps):7.1f}  "
            f"{min(fps):7.1f}  {percentile(gaps, 95):10.1f}  {statistics.median(thread):17.1f}  "
            f"{statistics.median(process):12.1f}"
        )


if __name__ == "__main__":
    main()
