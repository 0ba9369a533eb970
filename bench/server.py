"""Server benchmarks on loopback: WebSocket latency, concurrency, and the contour grid.

Starts `descentlab serve` on 127.0.0.1 (a free port) in a child process, drives it with
`websockets` and `httpx` clients from this one, prints a table of p50/p95 in milliseconds.
Bounded in count and time; touches nothing but loopback. The baseline row is the same
1,000-step run computed in-process (no transport), measured in the same run. The clients share
the machine's cores with the server, so the CPU each side spent on the concurrent runs is
printed too: with ``--workers 2`` on two cores, the clients' share is what the server lacks.
So is how the concurrent clients' connections were spread over the worker processes: a
WebSocket stays with the worker that accepted it, so a lopsided split shows in the p95.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

import httpx
import orjson
import websockets

from descentlab import engine
from descentlab.cli import default_workers
from descentlab.engine import Stop, vm

RUN = {
    "surface": "rosenbrock",
    "max_steps": 1000,
    "stop": {"grad_tol": None},
    "frame_points": 256,
    "optimizers": [{"id": "adam", "params": {"lr": 0.01}}],
}
_ids = itertools.count()


def baseline_runs(n: int) -> list[float]:
    """Seconds of ``n`` runs of the benchmark's 1,000-step Adam run, in-process: the baseline
    every transport figure is compared with. In machine code, as the server runs it."""
    vm.load()
    spec = engine.prepare(
        "rosenbrock", "adam", params={"lr": 0.01}, stop=Stop(max_steps=1000, grad_tol=None)
    )
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        engine.run(spec)
        times.append(time.perf_counter() - t0)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


LISTENING, ESTABLISHED = "0A", "01"  # states in /proc/net/tcp


def tcp_sockets(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 sockets on local ``port`` in ``state`` (Linux; empty elsewhere)."""
    try:
        rows = [line.split() for line in open("/proc/net/tcp").read().splitlines()[1:]]
    except OSError:
        return set()
    return {r[9] for r in rows if r[3] == state and int(r[1].rsplit(":", 1)[1], 16) == port}


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:  # closed meanwhile
        return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`descentlab serve` in a child process, as deployed (uvicorn's workers are processes):
    the clients measuring it do not share its interpreter."""

    def __init__(self, port: int, workers: int = 1) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "descentlab",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            start_new_session=True,
        )
        self.port, self.workers = port, workers
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        # Each worker listens on a socket of its own once started (`descentlab serve` on Linux):
        # wait for all, or the clients connect to the first ones only. (A server whose workers
        # share one socket shows one; it is waited for at most 15 s.)
        deadline = time.monotonic() + 15
        while len(tcp_sockets(port, LISTENING)) < workers and time.monotonic() < deadline:
            time.sleep(0.2)

    def connections_per_worker(self) -> list[int]:
        """How many open connections each worker process holds (Linux; [] elsewhere)."""
        links = {f"socket:[{inode}]" for inode in tcp_sockets(self.port, ESTABLISHED)}
        try:
            pids = [self.proc.pid]
            if self.workers > 1:
                children = open(f"/proc/{pids[0]}/task/{pids[0]}/children").read().split()
                pids = [
                    p for p in children if b"spawn_main" in open(f"/proc/{p}/cmdline", "rb").read()
                ]
            return [
                sum(
                    _readlink(f"/proc/{pid}/fd/{fd}") in links
                    for fd in os.listdir(f"/proc/{pid}/fd")
                )
                for pid in map(int, pids)
            ]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """CPU time of the server and its worker processes so far (Linux; 0 elsewhere)."""
        total, pending = 0.0, [self.proc.pid]
        try:
            while pending:
                pid = pending.pop()
                fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                children = open(f"/proc/{pid}/task/{pid}/children").read().split()
                pending.extend(map(int, children))
        except OSError:
            return 0.0
        return total

    def stop(self) -> None:
        # The whole process group: uvicorn's worker processes too, not only its supervisor.
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=10)


async def one_run(ws: websockets.ClientConnection) -> tuple[float, float]:
    """(first frame, whole run) in seconds for one `run` on an open socket."""
    run_id = f"b{next(_ids)}"
    # The clients share the server's cores, so they only recognise this run's frames (by how
    # the server begins them) rather than parse them: ~60% of a client's CPU went to parsing.
    # Any other message, or frames that begin otherwise, are parsed.
    own_frames = b'{"type":"frames","id":' + orjson.dumps(run_id) + b","
    t0 = time.perf_counter()
    await ws.send(orjson.dumps({"type": "run", "id": run_id, **RUN}).decode())
    first = None
    while True:
        raw = await ws.recv(decode=False)
        if raw.startswith(own_frames):
            if first is None:
                first = time.perf_counter() - t0
            continue
        msg = orjson.loads(raw)
        if msg.get("id") != run_id:
            continue
        if msg["type"] == "frames" and first is None:
            first = time.perf_counter() - t0
        if msg["type"] in ("done", "error"):
            if msg["type"] == "error":
                raise RuntimeError(msg)
            return first or 0.0, time.perf_counter() - t0


async def sequential(url: str, n: int) -> tuple[list[float], list[float]]:
    firsts, wholes = [], []
    async with websockets.connect(url, max_size=2**24) as ws:
        await one_run(ws)  # warm-up
        for _ in range(n):
            f, w = await one_run(ws)
            firsts.append(f)
            wholes.append(w)
    return firsts, wholes


async def concurrent(
    url: str, clients: int, runs_each: int, server: Server
) -> tuple[list[float], list[int]]:
    """Whole-run times of ``clients`` sockets each running back-to-back, and how the sockets
    were spread over the server's workers (they are all opened first, as a burst)."""

    async def client(ws: websockets.ClientConnection) -> list[float]:
        return [(await one_run(ws))[1] for _ in range(runs_each)]

    sockets = await asyncio.gather(
        *(websockets.connect(url, max_size=2**24) for _ in range(clients))
    )
    try:
        spread = server.connections_per_worker()
        results = await asyncio.wait_for(asyncio.gather(*map(client, sockets)), timeout=300)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))
    return [t for r in results for t in r], spread


def grid_times(base: str, n: int, encoding: str) -> list[float]:
    """``GET`` of a 200 x 200 grid, its values as JSON numbers (a script's default) or base64
    (the page's), each of a box not asked before (as zooming and panning ask)."""
    times = []
    with httpx.Client(base_url=base, timeout=30) as client:
        url = f"/api/surfaces/rosenbrock/grid?nx=200&ny=200&encoding={encoding}"
        client.get(url)  # warm-up
        for i in range(n):
            t0 = time.perf_counter()
            r = client.get(f"{url}&xmin={-2 - i / 1000}")
            r.raise_for_status()
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40, help="sequential runs measured")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--runs-each", type=int, default=5)
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="`descentlab serve --workers N` (default: serve's own, one per core up to 4)",
    )
    args = parser.parse_args()

    baseline = baseline_runs(args.runs)

    port = free_port()
    server = Server(port, args.workers)
    url = f"ws://127.0.0.1:{port}/ws/runs"
    try:
        firsts, wholes = asyncio.run(sequential(url, args.runs))
        # The clients share the server's cores: what each side spent is printed with the table.
        # Untimed, as the sequential runs' first: a worker's first run builds what later runs
        # reuse (35-110 ms measured), and the sequential runs met one worker only.
        asyncio.run(concurrent(url, args.clients, 1, server))
        server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
        crowd, spread = asyncio.run(concurrent(url, args.clients, args.runs_each, server))
        server_cpu = server.cpu_seconds() - server_cpu
        client_cpu = time.process_time() - client_cpu
        grids = grid_times(f"http://127.0.0.1:{port}", args.runs, "json")
        packed_grids = grid_times(f"http://127.0.0.1:{port}", args.runs, "base64")
    finally:
        server.stop()

    rows = [
        ("baseline: the same run in-process, no transport", baseline),
        ("WebSocket: first frame of a 1000-step run", firsts),
        ("WebSocket: whole 1000-step run delivered", wholes),
        (
            f"WebSocket: whole run, {args.clients} clients back-to-back, {args.workers} worker(s)",
            crowd,
        ),
        ("GET a 200x200 grid, JSON numbers", grids),
        ("GET a 200x200 grid, base64 (the page's)", packed_grids),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'benchmark':<{width}}  {'n':>4}  {'p50 ms':>8}  {'p95 ms':>8}  p95/baseline p95")
    base95 = percentile(baseline, 95)
    for name, values in rows:
        p50, p95 = statistics.median(values), percentile(values, 95)
        print(
            f"{name:<{width}}  {len(values):4d}  {p50 * 1e3:8.2f}  {p95 * 1e3:8.2f}  "
            f"{p95 / base95:.2f}"
        )
    print(
        f"concurrent runs, CPU per run: server {server_cpu / len(crowd) * 1e3:.2f} ms, "
        f"clients {client_cpu / len(crowd) * 1e3:.2f} ms, on {os.cpu_count()} cores; "
        f"connections per worker: {'/'.join(map(str, sorted(spread))) or 'unknown'}"
    )


if __name__ == "__main__":
    main()
