"""The engine's paths, timed as a server meets them: each row's first request in a fresh
process (after what the server does at startup: the machine-code loop loaded), then the
median of warm repeats, in a pool thread as the server runs whole-result requests.

`python bench/engine_paths.py [--repeat N]`; milliseconds. Rows: a 100 x 100 (lr, beta1)
Adam sweep x 500 steps through ``POST /api/sweeps``'s work (body validated, run, JSON); the
issue's 200 x 200 basin map x 1,000 steps of gd on Himmelblau (default stop, and every row the
whole 1,000 steps); one 1,000-step Adam run; the zeroth-order rules and Newton per 1,000 steps.
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np

CASES = (
    "sweep 100x100x500 adam",
    "basins 200x200x1000 gd, default stop",
    "basins 200x200x1000 gd, 1000 steps each",
    "single adam 1000 steps rosenbrock",
    "single random-search 1000 steps nightmare",
    "single hill-climbing 1000 steps nightmare",
    "single simulated-annealing 1000 steps nightmare",
    "single newton 1000 steps nightmare",
)


def work(case: str, pool: Executor) -> Callable[[], object]:
    from descentlab import engine
    from descentlab.api.responses import dumps
    from descentlab.api.schemas import BasinBody, SweepBody
    from descentlab.api.service import basin_result, sweep_result

    if case.startswith("sweep"):
        body = SweepBody.model_validate(
            {"surface": "rosenbrock", "optimizer": {"id": "adam", "params": {"lr": 0.01}},
             "max_steps": 500, "stop": {"grad_tol": None},
             "sweep": {"lr": np.logspace(-4, 0, 100).tolist(),
                       "betas": [[b, 0.999] for b in np.linspace(0.0, 0.99, 100).tolist()]}}
        )  # fmt: skip
        return lambda: dumps(sweep_result(*_with_pool(sweep_result, body, pool)))
    if case.startswith("basins"):
        stop = {"grad_tol": None} if "each" in case else {}
        body = BasinBody.model_validate(
            {"surface": "himmelblau", "optimizer": {"id": "gd", "params": {"lr": 0.01}},
             "max_steps": 1000, "stop": stop, "nx": 200, "ny": 200}
        )  # fmt: skip
        return lambda: dumps(basin_result(*_with_pool(basin_result, body, pool)))
    _, optimizer, steps, _, surface = case.split()
    spec = engine.prepare(surface, optimizer, stop=engine.Stop(max_steps=int(steps), grad_tol=None))
    return lambda: engine.run(spec)


def _with_pool(fn: Callable[..., object], body: object, pool: Executor) -> tuple[object, ...]:
    """The service's arguments: the server's pool too, where the service takes it (a sweep's
    blocks of rows share it)."""
    return (body, pool) if "pool" in inspect.signature(fn).parameters else (body,)


def measure(case: str, repeat: int) -> dict[str, float]:
    """In this (fresh) process: the first call, then the median of ``repeat`` more."""
    from descentlab.engine import vm

    vm.load()  # the server's startup
    with ThreadPoolExecutor(2) as pool:  # the server's pool on this 2-core machine
        fn = work(case, pool)

        def timed() -> float:
            t0 = time.perf_counter()
            fn()
            return time.perf_counter() - t0

        first = pool.submit(timed).result()
        warm = [pool.submit(timed).result() for _ in range(repeat)]
    return {"first": first * 1e3, "warm": statistics.median(warm) * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--case")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(measure(args.case, args.repeat)))
        return
    print(f"{'case':<50} {'first ms':>9} {'warm ms':>9}")
    for case in CASES:
        out = subprocess.run(
            [sys.executable, __file__, "--case", case, "--repeat", str(args.repeat)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{case:<50} {row['first']:9.2f} {row['warm']:9.2f}", flush=True)


if __name__ == "__main__":
    main()
