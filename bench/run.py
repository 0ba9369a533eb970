"""DescentLab benchmarks: prints a table of timings and ratios against baselines measured in
the same run. Run by hand (`make bench`); figures go into the session notes, never into tests.

Each figure is the best of several repeats (the least disturbed by the rest of the machine).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import autograd
import autograd.numpy as anp
import numpy as np
import orjson

from descentlab import engine, limits
from descentlab.api import service
from descentlab.api.responses import dumps
from descentlab.api.schemas import BasinBody
from descentlab.api.service import basin_result
from descentlab.engine import Stop, vm
from descentlab.problems import Problem, make_problem


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Seconds of the fastest of ``repeat`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def adam_autograd(steps: int) -> None:
    """Baseline: Adam in numpy with autograd.grad on the per-step path."""

    def f(z):
        return (1 - z[0]) ** 2 + 100 * (z[1] - z[0] ** 2) ** 2

    grad = autograd.grad(f)
    x = anp.array([-1.5, 2.0])
    m = v = np.zeros(2)
    for t in range(1, steps + 1):
        g = grad(x)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x = x - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)


def adam_torch(steps: int) -> None:
    """Baseline: torch.optim.Adam, eager, float64."""
    import torch

    p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        loss.backward()
        opt.step()


def adam_floats(steps: int) -> None:
    """Reference: Adam on Rosenbrock written by hand on plain floats (what a compiled
    trajectory is measured against; it records nothing)."""
    x, y = -1.5, 2.0
    mx = my = vx = vy = 0.0
    for t in range(1, steps + 1):
        r = y - x * x
        gx, gy = -2 * (1 - x) - 400 * x * r, 200 * r
        mx, my = 0.9 * mx + 0.1 * gx, 0.9 * my + 0.1 * gy
        vx, vy = 0.999 * vx + 0.001 * gx * gx, 0.999 * vy + 0.001 * gy * gy
        bc1, bc2 = 1 - 0.9**t, (1 - 0.999**t) ** 0.5
        x -= 0.01 / bc1 * mx / ((vx**0.5) / bc2 + 1e-8)
        y -= 0.01 / bc1 * my / ((vy**0.5) / bc2 + 1e-8)


def adam_engine(surface: str, steps: int, on_numpy: bool = False) -> Callable[[], object]:
    """The engine's run: in the machine-code loop (``engine.vm``), or on numpy (the
    reference, and the path without numba)."""
    spec = engine.prepare(
        surface, "adam", params={"lr": 0.01}, stop=Stop(max_steps=steps, grad_tol=None)
    )
    if not on_numpy:
        assert vm.load() is not None
        return lambda: engine.run(spec)

    def without() -> object:
        saved = vm.enabled
        vm.enabled = False
        try:
            return engine.run(spec)
        finally:
            vm.enabled = saved

    return without


def restarts(in_loop: bool) -> Callable[[], object]:
    """The lecture's restarts preset (9 rows), as columns of the machine-code loop or on
    numpy."""
    spec = engine.prepare(
        "nightmare",
        "momentum",
        params={"lr": 0.01},
        restarts=8,
        stop=Stop(max_steps=1000, grad_tol=None),
    )

    def run() -> object:
        saved = vm.enabled
        vm.enabled = in_loop
        try:
            return engine.run(spec)
        finally:
            vm.enabled = saved

    return run


PROGRAMMED = ("random-search", "hill-climbing", "simulated-annealing", "newton")


def programmed(surface: str, optimizer: str, on_numpy: bool) -> Callable[[], object]:
    """A zeroth-order rule or Newton, defaults, 1,000 steps (no early stop): as a program in the
    machine-code loop (``engine/programs.py``), or on numpy (the path every such run took
    before, and the fallback without numba)."""
    spec = engine.prepare(surface, optimizer, stop=Stop(max_steps=1000, grad_tol=None))

    def run() -> object:
        saved = vm.enabled
        vm.enabled = not on_numpy
        try:
            return engine.run(spec)
        finally:
            vm.enabled = saved

    return run


def sweep_spec(n: int, steps: int) -> engine.RunSpec:
    """An n x n grid of (lr, beta1) for Adam on Rosenbrock, prepared as ``POST /api/sweeps``
    prepares it: n^2 rows of the batch axis."""
    lrs = np.logspace(-4, 0, n).tolist()
    betas = [[b1, 0.999] for b1 in np.linspace(0.0, 0.99, n).tolist()]
    return engine.prepare(
        "rosenbrock",
        "adam",
        sweep={"lr": lrs, "betas": betas},
        stop=Stop(max_steps=steps, grad_tol=None),
    )


def sweep_engine(spec: engine.RunSpec, how: str) -> Callable[[], object]:
    """Every path recorded (``engine.run``, numpy), or the final values only (``engine.final``,
    what the route uses) on numpy or in machine code (:mod:`descentlab.engine.columns`)."""
    if how == "every path":
        return lambda: engine.run(spec)
    if how == "compiled":
        return lambda: engine.final(spec)

    def on_numpy() -> object:
        saved = vm.enabled
        vm.enabled = False
        try:
            return engine.final(spec)
        finally:
            vm.enabled = saved

    return on_numpy


def jax_sweep(spec: engine.RunSpec, repeat: int) -> tuple[float, float, float, float] | None:
    """The same sweep as JAX's jit + vmap would run it (float64, Adam as torch.optim's, the
    steps in ``lax.fori_loop``), when jax imports (it is no dependency: ``pip install jax``):
    (seconds of its first call, which traces and compiles; seconds of its fastest repeat; over
    the rows both end finite, the median relative difference of its final losses from
    ``engine.final``'s and the share within 1e-6: its arithmetic is ordered otherwise, and
    rows with a large lr are chaotic, so those part ways)."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    steps = spec.stop.max_steps

    def loss(z: jax.Array) -> jax.Array:
        return (1 - z[0]) ** 2 + 100 * (z[1] - z[0] ** 2) ** 2

    def adam(lr: jax.Array, beta1: jax.Array, x0: jax.Array) -> tuple[jax.Array, jax.Array]:
        def step(t: int, carry: tuple[jax.Array, ...]) -> tuple[jax.Array, ...]:
            x, m, v = carry
            g = jax.grad(loss)(x)
            m = beta1 * m + (1 - beta1) * g
            v = 0.999 * v + 0.001 * g * g
            bc1, bc2 = 1 - beta1 ** (t + 1), 1 - 0.999 ** (t + 1)
            return x - lr * (m / bc1) / (jnp.sqrt(v / bc2) + 1e-8), m, v

        zero = jnp.zeros_like(x0)
        x, _, _ = jax.lax.fori_loop(0, steps, step, (x0, zero, zero))
        return x, loss(x)

    sweep = jax.jit(jax.vmap(adam, in_axes=(0, 0, None)))
    lr = jnp.asarray(np.reshape(spec.params["lr"], -1))
    beta1 = jnp.asarray(np.reshape(spec.params["betas"][0], -1))
    x0 = jnp.asarray(spec.starts[0])
    t0 = time.perf_counter()
    jax.block_until_ready(sweep(lr, beta1, x0))
    first = time.perf_counter() - t0
    steady = best_of(lambda: jax.block_until_ready(sweep(lr, beta1, x0)), repeat)
    ours = engine.final(spec).fun
    theirs = np.asarray(sweep(lr, beta1, x0)[1])
    both = np.isfinite(ours) & np.isfinite(theirs)
    gap = np.abs(ours[both] - theirs[both]) / np.maximum(np.abs(ours[both]), 1e-300)
    return first, steady, float(np.median(gap)), float(np.mean(gap <= 1e-6))


def basin_body(full_length: bool) -> BasinBody:
    """The issue's basin map: 200 x 200 starts x 1,000 steps of gd on Himmelblau; with the
    default stopping rules (rows stop as they converge), or every row the whole 1,000 steps."""
    stop = {"grad_tol": None} if full_length else {}
    return BasinBody.model_validate(
        {"surface": "himmelblau", "optimizer": {"id": "gd", "params": {"lr": 0.01}},
         "max_steps": 1000, "stop": stop, "nx": 200, "ny": 200}
    )  # fmt: skip


def basin_service(body: BasinBody, on_numpy: bool) -> Callable[[], object]:
    """``POST /api/basins``'s work, the body validated: the batch (compiled per column, or on
    numpy's batch path, the baseline), the labels and the JSON."""

    def run() -> object:
        saved = vm.enabled, limits.MAX_BASIN_STEPS_ON_NUMPY
        vm.enabled = not on_numpy
        limits.MAX_BASIN_STEPS_ON_NUMPY = limits.MAX_BASIN_STEPS  # the route refuses it
        try:
            return dumps(basin_result(body))
        finally:
            vm.enabled, limits.MAX_BASIN_STEPS_ON_NUMPY = saved

    return run


def line_fit_sweep(side: int, steps: int, summed: bool) -> Callable[[], object]:
    """A side x side (lr, weight_decay) sweep of gd on line-fit-sgd's 100,000 points, final
    values as ``POST /api/sweeps`` runs it (a data-fit loss runs on numpy): each full-batch step
    by the loss's exact expansion (``Problem.expansion``, what runs), or, the baseline, summed
    over every point (the expansion switched off on a problem of its own)."""
    shared = make_problem("line-fit-sgd")
    problem = Problem(shared.surface, shared.params)
    if summed:
        problem.__dict__["expansion"] = None  # (a cached_property: this value is kept)
    spec = engine.prepare(
        problem,
        "gd",
        # below 2 / λmax (~1.1e-6): no row diverges, so every one takes all its steps
        sweep={"lr": np.linspace(1e-6, 1.1e-6, side).tolist(),
               "weight_decay": np.linspace(0.0, 0.1, side).tolist()},
        stop=Stop(max_steps=steps, grad_tol=None),
    )  # fmt: skip
    return lambda: engine.final(spec)


def grid(n: int, surface: str = "rosenbrock") -> Callable[[], object]:
    """The values of an n x n contour grid over the surface's domain, and nothing else."""
    problem = make_problem(surface)
    axes = [np.linspace(*problem.domain[0], n), np.linspace(*problem.domain[1], n)]
    return lambda: problem.value_on_grid(axes)


def grid_route(surface: str, n: int) -> Callable[[], object]:
    """The grid route's whole answer: the values on a grid twice as fine, the check of which
    contour heights the grid draws truthfully (contours.py), the encoding."""
    problem = make_problem(surface)
    return lambda: service.grid(problem, n, n, [(None, None), (None, None)], "base64")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    r = args.repeat
    rows: list[tuple[str, float, str]] = []

    base_autograd = best_of(lambda: adam_autograd(1000), max(1, r // 2))
    base_torch = best_of(lambda: adam_torch(1000), max(1, r // 2))
    rows.append(("baseline: Adam 1000 steps, numpy + autograd.grad", base_autograd, ""))
    rows.append(("baseline: torch.optim.Adam 1000 steps, eager", base_torch, ""))
    t = best_of(lambda: adam_floats(1000), r)
    rows.append(("reference: Adam 1000 steps by hand on floats", t, f"{base_torch / t:.1f}x torch"))
    on_numpy = best_of(adam_engine("rosenbrock", 1000, on_numpy=True), r)
    rows.append(
        ("engine, numpy: Adam on rosenbrock", on_numpy, f"{base_torch / on_numpy:.1f}x torch")
    )
    t0 = time.perf_counter()
    assert vm.load() is not None
    loaded = time.perf_counter() - t0
    rows.append(
        ("engine: load the machine-code loop (once per process)", loaded, "numba import included")
    )
    for surface in ("rosenbrock", "nightmare"):
        t = best_of(adam_engine(surface, 1000), r)
        note = f"{base_torch / t:.1f}x torch, {base_autograd / t:.1f}x autograd"
        if surface == "rosenbrock":
            note += f", {on_numpy / t:.1f}x numpy"
        rows.append((f"engine: Adam 1000 steps on {surface}", t, note))
    for surface in ("rosenbrock", "himmelblau", "nightmare"):
        for optimizer in PROGRAMMED:
            numpy_path = best_of(programmed(surface, optimizer, True), max(1, r // 2))
            t = best_of(programmed(surface, optimizer, False), r)
            rows.append((f"engine: {optimizer} 1000 steps on {surface}, numpy", numpy_path, ""))
            rows.append(
                (
                    f"engine: {optimizer} 1000 steps on {surface}, machine code",
                    t,
                    f"{numpy_path / t:.1f}x numpy",
                )
            )
    on_arrays = best_of(restarts(in_loop=False), max(1, r // 2))
    rows.append(("engine: momentum + 8 restarts on nightmare x 1000 steps, numpy", on_arrays, ""))
    t = best_of(restarts(in_loop=True), r)
    rows.append(
        (
            "engine: momentum + 8 restarts on nightmare x 1000 steps, machine code",
            t,
            f"{on_arrays / t:.1f}x numpy",
        )
    )
    # The server runs a sweep in a pool thread (where glibc keeps freed memory for reuse: in
    # the main thread numpy's chunk arrays are faulted in afresh, ~20% of the numpy sweep).
    spec = sweep_spec(100, 500)
    sweeps: dict[str, float] = {}
    for how in ("every path", "final values on numpy", "compiled"):
        with ThreadPoolExecutor(1) as pool:
            sweeps[how] = pool.submit(best_of, sweep_engine(spec, how), max(1, r // 2)).result()
        t = sweeps[how]
        rate = f"{10_000 * 500 / t / 1e6:.1f} M steps/s"
        note = (
            rate
            if how != "compiled"
            else f"{rate}, {sweeps['final values on numpy'] / t:.1f}x numpy"
        )
        rows.append((f"engine: 100x100 (lr, beta1) sweep x 500 steps, {how}, pool thread", t, note))
    jax_figures = jax_sweep(spec, max(1, r // 2))
    if jax_figures is not None:  # an optional baseline: jax is no dependency
        first, steady, median, close = jax_figures
        ours = sweeps["compiled"]
        rows.append(("baseline: the same sweep, JAX jit + vmap float64, first call", first, ""))
        note = (
            f"ours {ours / steady:.2f}x its time; final losses: median relative difference "
            f"{median:.0e}, {close:.0%} within 1e-6"
        )
        rows.append(("baseline: the same sweep, JAX jit + vmap float64, steady", steady, note))
    # The lecture's 100,000 points: the page's default sweep (100 x 100 x 1,000) is 10^12
    # point-steps summed over the data, so the baseline runs a 10 x 10 x 20 grid (5,000 times
    # less work), compared per row-step.
    with ThreadPoolExecutor(1) as pool:
        expanded = pool.submit(best_of, line_fit_sweep(100, 1000, False), max(1, r // 2)).result()
        summed = pool.submit(best_of, line_fit_sweep(10, 20, True), 1).result()
    per_step, per_step_summed = expanded / (10_000 * 1000), summed / (100 * 20)
    rows.append(
        (
            "baseline: gd sweep on line-fit-sgd (n = 100,000), summed over the data, 10x10 x 20",
            summed,
            f"{per_step_summed * 1e6:.0f} us a row-step (a grid 5,000x smaller than below)",
        )
    )
    rows.append(
        (
            "POST /api/sweeps work: gd on line-fit-sgd (n = 100,000) 100x100 x 1000, expansion",
            expanded,
            f"{per_step * 1e9:.0f} ns a row-step, {per_step_summed / per_step:.0f}x the sum's",
        )
    )
    for full_length in (False, True):
        body = basin_body(full_length)
        with ThreadPoolExecutor(1) as pool:
            numpy_basins = pool.submit(best_of, basin_service(body, True), 1).result()
            t = pool.submit(best_of, basin_service(body, False), r).result()
        answer = orjson.loads(basin_service(body, False)())
        mean_steps = float(np.mean(answer["nit"]))
        what = "1000 steps each" if full_length else f"default stop, mean {mean_steps:.0f} steps"
        name = f"POST /api/basins work: gd on himmelblau 200x200 x 1000, {what}"
        rows.append((f"{name}, numpy", numpy_basins, ""))
        rows.append((f"{name}, compiled", t, f"{numpy_basins / t:.1f}x numpy"))
    # The server computes grids in a pool thread. In the main thread, glibc gives each large
    # temporary back to the OS and faults it in again (~10x slower here, unless something
    # long-lived sits at the top of the heap: torch's baseline above does), so both are shown.
    with ThreadPoolExecutor(1) as pool:
        t = pool.submit(best_of, grid(200), r * 4).result()
    rows.append(("contour grid 200x200 on rosenbrock, pool thread", t, ""))
    t = best_of(grid(200), r * 4)
    rows.append(("contour grid 200x200 on rosenbrock, main thread", t, ""))
    with ThreadPoolExecutor(1) as pool:
        for surface in ("rosenbrock", "nightmare"):
            values = pool.submit(best_of, grid(150, surface), r * 4).result()
            t = pool.submit(best_of, grid_route(surface, 150), r * 4).result()
            rows.append((f"GET grid 150x150 on {surface}, values only", values, ""))
            rows.append((f"GET grid 150x150 on {surface}, checked heights", t, ""))

    path = {
        "path": np.random.default_rng(0).normal(size=(1001, 2)).tolist(),
        "loss": np.random.default_rng(1).normal(size=1001).tolist(),
    }
    t_json = best_of(lambda: json.dumps(path), r * 4)
    t_orjson = best_of(lambda: orjson.dumps(path), r * 4)
    rows.append(("encode a 1000-point path: json", t_json, ""))
    rows.append(("encode a 1000-point path: orjson", t_orjson, f"{t_json / t_orjson:.1f}x json"))

    width = max(len(name) for name, _, _ in rows)
    print(f"{'benchmark':<{width}}  {'ms':>9}  ratio")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds * 1e3:9.3f}  {note}")


if __name__ == "__main__":
    main()
