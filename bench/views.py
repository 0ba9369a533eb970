"""The views' speed (issue 17): a click on Sweep or Basins to the full grid painted.

For each view the page is loaded with the view's settings in the URL but the view closed; a
click on its button opens it, and the time runs until the frame that draws the full grid has
been painted (a check at each frame's start sees the figure's `data-state` turn `done`, and a
task it queues runs once that frame is painted). The coarse grid the page asks for first is
included. The baseline is the API alone: the same request body the page sent (caught from the
page), posted from this process over loopback, measured in the same run.

  sweep: momentum on x² + 100y², 100 × 100 (lr, momentum) settings × 500 steps (no early stop)
  basins: gd on Himmelblau, 200 × 200 starts, at most 1,000 steps (default stopping rules), and
          the same map with no early stop (every start runs 1,000 steps: 4 × 10⁷ steps), and
          Adam on the nightmare surface (exponentials and sines) with no early stop

Usage: python bench/views.py [--repeat N]   (fastest and median of N after a warm-up)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from server import Server, free_port

ROUTE = {"sweep": "/api/sweeps", "basins": "/api/basins"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

CASES = [
    (
        "sweep 100x100 x 500 steps (momentum, lr x momentum)",
        "sweep",
        "surface=quadratic&sp=kappa:100,angle:0&start=-1,-1&steps=500&gtol=off"
        "&opt=momentum(lr:0.001,momentum:0.9)&speed=Infinity"
        "&sweep=run:0,x:lr,x0:0.0001,x1:0.1,xs:log,y:momentum,y0:0,y1:0.99,ys:lin,n:100,m:loss",
        100,
    ),
    (
        "basins 200x200 x 1000 steps (gd on himmelblau, default stop)",
        "basins",
        "surface=himmelblau&steps=1000&opt=gd(lr:0.01)&speed=Infinity&basins=run:0,n:200",
        200,
    ),
    (
        "basins 200x200 x 1000 steps (gd on himmelblau, no early stop)",
        "basins",
        "surface=himmelblau&steps=1000&gtol=off&opt=gd(lr:0.01)&speed=Infinity&basins=run:0,n:200",
        200,
    ),
    (
        "basins 200x200 x 1000 steps (adam on nightmare, no early stop)",
        "basins",
        "surface=nightmare&steps=1000&gtol=off&opt=adam(lr:0.05)&speed=Infinity&basins=run:0,n:200",
        200,
    ),
]

# Click the view's button; resolve with the time until the frame drawing the full grid is painted.
CLICK_TO_PAINT = """async ([kind, n]) => {
  const fig = document.getElementById(kind + '-fig');
  const t0 = performance.now();
  document.getElementById('show-' + kind).click();
  return await new Promise((resolve) => {
    const poll = () => (fig.dataset.state === 'done' && fig.dataset.n === String(n))
      ? setTimeout(() => resolve(performance.now() - t0), 0) : requestAnimationFrame(poll);
    requestAnimationFrame(poll);
  });
}"""


def page_times(browser: Any, base: str, kind: str, hash_: str, n: int, repeat: int) -> tuple:
    """Click → painted for `repeat` fresh loads (after one warm-up), and the page's request."""
    bodies: list[str] = []
    times = []
    for k in range(repeat + 1):
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.on(
            "request",
            lambda r: r.url.endswith(ROUTE[kind]) and bodies.append(r.post_data or ""),
        )
        page.goto(f"{base}/#{hash_}")
        page.wait_for_selector("#app[data-status=done]")
        ms = page.evaluate(CLICK_TO_PAINT, [kind, n])
        if k:
            times.append(ms)
        page.close()
    return times, bodies[-1]


def api_times(base: str, kind: str, body: str, repeat: int) -> list[float]:
    times = []
    with httpx.Client(timeout=60) as client:
        for k in range(repeat + 1):
            t0 = time.perf_counter()
            client.post(
                base + ROUTE[kind], content=body, headers={"Content-Type": "application/json"}
            ).raise_for_status()
            if k:
                times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    server = Server(port)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
            )
            for name, kind, hash_, n in CASES:
                clicks, body = page_times(browser, base, kind, hash_, n, args.repeat)
                api = api_times(base, kind, body, args.repeat)
                rows.append((name, api, clicks))
            browser.close()
    finally:
        server.stop()
    print(f"{'view':64} {'API (ms)':>16} {'click→painted (ms)':>20} {'ratio':>6}")
    print(f"{'':64} {'min / median':>16} {'min / median':>20}")
    for name, api, clicks in rows:
        a = f"{min(api):.0f} / {statistics.median(api):.0f}"
        c = f"{min(clicks):.0f} / {statistics.median(clicks):.0f}"
        ratio = statistics.median(clicks) / statistics.median(api)
        print(f"{name:64} {a:>16} {c:>20} {ratio:6.2f}")


if __name__ == "__main__":
    main()
