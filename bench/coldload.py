"""First loads as a user's browser does them: no DevTools session listening to the page.

Playwright enables the DevTools ``Runtime`` domain on every page it drives, and with it V8
records a detailed stack trace (with line and column numbers) whenever an Error is created.
Plotly's bundled polyfills create about six while the bundle runs (feature tests that throw and
catch), and each needs the source positions of the functions on the stack, among them the
bundle's 4.8 MB factory: V8 re-parses them to find them, 0.5-1 s on the bench machine, which no
user without DevTools open ever pays. So first loads run in a Chromium of their own, driven over
its DevTools socket at the browser level: a fresh browser context (a cold HTTP cache) and a page
per load; the page is attached to only to evaluate one expression, and ``Runtime`` is never
enabled.

Each load is a new browser context, so a new window, for which this Chromium also loads its
WebUI omnibox popup (about 400 chrome:// modules, in a renderer of its own, on the same two
cores as the page). A user's window is open before they open the page, so that is switched off.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import tempfile
import time
from typing import Any

from websockets.sync.client import ClientConnection, connect

# Playwright's own launch flags that bear on timing (its CHROMIUM_ARGS come on top).
FLAGS = [
    "--headless",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-first-run",
    "--disable-extensions",
    "--disable-field-trial-config",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-back-forward-cache",
    # PaintHolding as Playwright; the others: a new window's WebUI omnibox popup (see above)
    "--disable-features=PaintHolding,WebUIOmniboxPopup,WebUIOmniboxFullPopup,"
    "WebUIOmniboxAimPopup,PreloadTopChromeWebUI",
    "--force-color-profile=srgb",
    "--disable-dev-shm-usage",
]

# The page's clock when the first contour has been painted: polled once a frame (as Playwright's
# wait_for_function polls), then read in a task after that frame, i.e. once the frame that shows
# the contour has been rendered. null while the old document (about:blank) is still there.
CONTOUR_PAINTED = """location.href === 'about:blank' ? null : new Promise((resolve) => {
  const drawn = () => document.querySelector('#contour')?.data?.some((t) => t.type === 'contour');
  const poll = () => {
    if (!drawn()) return requestAnimationFrame(poll);
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve(performance.now());
    channel.port2.postMessage(null);
  };
  poll();
})"""


class ColdLoads:
    """A headless Chromium of its own, for first loads without DevTools on the page."""

    def __init__(self, executable: str, args: list[str], size: tuple[int, int]) -> None:
        self.size = size
        self.profile = tempfile.mkdtemp(prefix="descentlab-bench-")
        command = [executable, *FLAGS, *args, "--remote-debugging-port=0"]
        self.proc = subprocess.Popen(
            [*command, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        url = None
        for line in self.proc.stderr:
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                url = found.group(1)
                break
        if url is None:
            self.close()
            raise RuntimeError("Chromium did not open its DevTools socket")
        self.proc.stderr.close()  # nothing more is read from it (it must not fill up)
        self.ws: ClientConnection = connect(url, max_size=None, open_timeout=30)
        self.ids = itertools.count(1)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """One DevTools command and its answer (events in between are dropped)."""
        n = next(self.ids)
        message: dict[str, Any] = {"id": n, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            answer = json.loads(self.ws.recv(timeout=60))
            if answer.get("id") == n:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error'].get('message')}")
                return dict(answer.get("result", {}))

    def load(self, url: str) -> float:
        """Milliseconds from navigation start to the first contour painted, with a cold cache."""
        context = self.send("Target.createBrowserContext")["browserContextId"]
        try:
            width, height = self.size
            target = self.send(
                "Target.createTarget",
                url="about:blank",
                browserContextId=context,
                width=width,
                height=height,
            )["targetId"]
            session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self.send("Page.navigate", session, url=url)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    answer = self.send(
                        "Runtime.evaluate",
                        session,
                        expression=CONTOUR_PAINTED,
                        awaitPromise=True,
                        returnByValue=True,
                    )
                except RuntimeError:  # the old document went away mid-evaluation
                    continue
                value = answer.get("result", {}).get("value")
                if value is not None:
                    return float(value)
                time.sleep(0.01)
            raise RuntimeError(f"no contour within 60 s at {url}")
        finally:
            self.send("Target.disposeBrowserContext", browserContextId=context)

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
