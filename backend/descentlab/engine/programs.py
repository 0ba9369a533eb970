"""The rules that are not elementwise, as programs for the machine-code loop (:mod:`.vm`).

The zeroth-order rules and Newton look at every coordinate at once (a candidate's loss, the
Hessian), so they cannot be traced coordinate by coordinate as the first-order rules are
(:mod:`.trace`). Each is written here a second time, as the instructions of one step for the
loop that runs every single trajectory: a candidate loop with the surface's value program in
it, the draws of :mod:`~..optimizers.draws` (the numpy rule's own, to the bit for uniforms and
to a few ulps for normals), the keep-the-best selections, the damped Newton system's solve.
The numpy rule stays the definition and the reference: tests hold every program's runs to it
(same steps, statuses and counts; the points to a stated tolerance), and a stepwise rule that
is neither traceable nor written here is refused by a test, never left slow unnoticed.

What a program may not take runs on numpy, from its first step on: Newton beyond two
dimensions, data-fit surfaces, stochastic gradients, swept hyperparameters (see
``loop.path``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..optimizers.base import StepFn
from ..optimizers.second_order import newton_step
from ..optimizers.zeroth_order import (
    hill_climbing_step,
    random_search_step,
    simulated_annealing_step,
)
from ..problems import Problem
from . import vm, vm_loop
from .kernel import Builder, _carry, surface_part
from .spec import RunSpec

Evaluations = tuple[int, int, int]  # (nfev, ngev, nhev) a step spends, its point's included


@dataclass(frozen=True)
class RuleProgram:
    """How a rule's step is written for the loop: ``build(builder, hp, problem, lr)`` appends
    the lines of one step, leaving the new point in ``x0, x1, ...`` and returning the names of
    each info value (by info name, one per coordinate); ``evaluations(hp)`` is what a step
    costs, as the numpy rule's oracle counts it; ``dims`` the dimensions it is written for.
    A step's only jump is a loop over candidates that every column of a block takes alike
    (the loop decides a jump by its first column)."""

    build: Callable[[Builder, Mapping[str, Any], Problem, str], dict[str, list[str]]]
    evaluations: Callable[[Mapping[str, Any]], Evaluations]
    dims: tuple[int, ...] | None = None  # None: any


def _greedy(
    build: Builder,
    hp: Mapping[str, Any],
    problem: Problem,
    draw: Callable[[Builder, int, str, str], None],
    per_candidate: int,
) -> dict[str, list[str]]:
    """The best of S candidates (the first of equals; NaN counts as +inf), kept if it beats
    the current loss: :func:`~..optimizers.zeroth_order._move_to_best` over ``draw``'s
    candidates. ``draw(build, d, counter, target)`` writes coordinate d of candidate s, with
    ``counter`` naming draw number ``s * per_candidate + d``."""
    D, lines, c = problem.dim, build.lines, build.constant
    xs = [f"x{d}" for d in range(D)]
    ys = [f"y{d}" for d in range(D)]
    best = [f"best{d}" for d in range(D)]
    lines.append(("best_f", None, (c(math.nan),)))  # NaN: no candidate yet
    lines += [(b, None, (c(math.nan),)) for b in best]
    lines.append(("s", None, (c(0.0),)))
    lines.append(("candidate", vm.LABEL, ()))
    lines.append(("first", vm_loop.MUL, ("s", c(float(per_candidate)))))
    for d in range(D):
        counter = "first"
        if d:
            counter = f"i{d}"
            lines.append((counter, vm_loop.ADD, ("first", c(float(d)))))
        draw(build, d, counter, ys[d])
    build.evaluate(problem.value_listing(), ys, ["v"], "cand")
    lines.append(("v", vm_loop.NAN_TO_INF, ("v",)))
    lines += [
        (b, vm_loop.SELECT_BEST, ("v", "best_f", y, b)) for b, y in zip(best, ys, strict=True)
    ]
    lines.append(("best_f", vm_loop.SELECT_BEST, ("v", "best_f", "v", "best_f")))
    lines.append(("s", vm_loop.ADD, ("s", c(1.0))))
    lines.append(("candidate", vm_loop.JUMP_LT, ("s", c(float(int(hp["samples"]))))))
    lines += [(f"new{d}", vm_loop.SELECT_LT, ("best_f", "f", best[d], xs[d])) for d in range(D)]
    return _moved(build, D, {"proposal": best})


def _moved(build: Builder, D: int, info: dict[str, list[str]]) -> dict[str, list[str]]:
    """From ``new0, new1, ...``: the velocity, then the new point in ``x0, x1, ...``."""
    velocity = [f"velocity{d}" for d in range(D)]
    build.lines += [(velocity[d], vm_loop.SUB, (f"new{d}", f"x{d}")) for d in range(D)]
    build.lines += [(f"x{d}", None, (f"new{d}",)) for d in range(D)]
    return {"velocity": velocity, **info}


def _random_search(
    build: Builder, hp: Mapping[str, Any], problem: Problem, lr: str
) -> dict[str, list[str]]:
    lo, hi = problem.domain[:, 0].tolist(), problem.domain[:, 1].tolist()

    def draw(build: Builder, d: int, counter: str, target: str) -> None:
        # lo + (hi - lo) * u, as the numpy rule computes it
        build.lines.append((f"u{d}", vm_loop.UNIFORM, (counter,)))
        build.lines.append((f"w{d}", vm_loop.MUL, (build.constant(hi[d] - lo[d]), f"u{d}")))
        build.lines.append((target, vm_loop.ADD, (build.constant(lo[d]), f"w{d}")))

    return _greedy(build, hp, problem, draw, problem.dim)


def _hill_climbing(
    build: Builder, hp: Mapping[str, Any], problem: Problem, lr: str
) -> dict[str, list[str]]:
    sigma = build.constant(hp["sigma"])

    def draw(build: Builder, d: int, counter: str, target: str) -> None:
        if d % 2 == 0:  # a pair of normals: coordinates d and d + 1
            build.lines.append(((f"z{d}", f"z{d + 1}"), vm_loop.NORMAL, (counter,)))
        build.lines.append((f"w{d}", vm_loop.MUL, (sigma, f"z{d}")))
        build.lines.append((target, vm_loop.ADD, (f"x{d}", f"w{d}")))

    return _greedy(build, hp, problem, draw, 2 * ((problem.dim + 1) // 2))


def _simulated_annealing(
    build: Builder, hp: Mapping[str, Any], problem: Problem, lr: str
) -> dict[str, list[str]]:
    D, lines, c = problem.dim, build.lines, build.constant
    ys = [f"y{d}" for d in range(D)]
    pairs = (D + 1) // 2
    for d in range(D):
        if d % 2 == 0:
            lines.append(((f"z{d}", f"z{d + 1}"), vm_loop.NORMAL, (c(float(d)),)))
        lines.append((f"w{d}", vm_loop.MUL, (c(hp["sigma"]), f"z{d}")))
        lines.append((ys[d], vm_loop.ADD, (f"x{d}", f"w{d}")))
    lines.append(("u", vm_loop.UNIFORM, (c(float(2 * pairs)),)))
    build.evaluate(problem.value_listing(), ys, ["v"], "cand")
    lines.append(("v", vm_loop.NAN_TO_INF, ("v",)))
    lines.append(("delta", vm_loop.SUB, ("v", "f")))
    lines.append(("cooled", vm_loop.RULE_POW, (c(hp["cooling"]), "t")))
    lines.append(("temperature", vm_loop.MUL, (c(hp["T0"]), "cooled")))
    lines.append(("rise", vm_loop.NEG, ("delta",)))
    lines.append(("ratio", vm_loop.DIV, ("rise", "temperature")))
    lines.append(("chance", vm_loop.EXP, ("ratio",)))
    for d in range(D):  # downhill, or uphill with probability e^(-delta / T)
        lines.append((f"lucky{d}", vm_loop.SELECT_LT, ("u", "chance", ys[d], f"x{d}")))
        lines.append((f"new{d}", vm_loop.SELECT_LE, ("delta", c(0.0), ys[d], f"lucky{d}")))
    return _moved(build, D, {"proposal": ys})


def _newton(
    build: Builder, hp: Mapping[str, Any], problem: Problem, lr: str
) -> dict[str, list[str]]:
    D, lines, c = problem.dim, build.lines, build.constant
    damping = float(hp["damping"])
    if D == 1:
        build.evaluate(problem.hess_listing(), ["x0"], ["h00"], "hess")
        lines.append(("a00", vm_loop.ADD, ("h00", c(damping))))
        lines.append(("d0", vm_loop.SOLVE1, ("a00", "g0")))
    else:
        build.evaluate(problem.hess_listing(), ["x0", "x1"], ["h00", "h01", "h11"], "hess")
        lines.append(("a00", vm_loop.ADD, ("h00", c(damping))))
        lines.append(("a01", vm_loop.ADD, ("h01", c(damping * 0.0))))  # H + λI, as numpy adds
        lines.append(("a11", vm_loop.ADD, ("h11", c(damping))))
        lines.append((("d0", "d1"), vm_loop.SOLVE2, ("a00", "a01", "a11", "g0", "g1")))
    for d in range(D):
        lines.append((f"step{d}", vm_loop.MUL, (lr, f"d{d}")))
        lines.append((f"new{d}", vm_loop.SUB, (f"x{d}", f"step{d}")))
    return _moved(build, D, {})


PROGRAMS: dict[StepFn, RuleProgram] = {
    random_search_step: RuleProgram(_random_search, lambda hp: (int(hp["samples"]) + 1, 0, 0)),
    hill_climbing_step: RuleProgram(_hill_climbing, lambda hp: (int(hp["samples"]) + 1, 0, 0)),
    simulated_annealing_step: RuleProgram(_simulated_annealing, lambda hp: (2, 0, 0)),
    newton_step: RuleProgram(_newton, lambda hp: (1, 1, 1), dims=(1, 2)),
}
"""Every stepwise rule that is not elementwise, by its step function."""


def takes(spec: RunSpec) -> bool:
    """Whether a program is written for this rule on this surface's dimension (the rest of
    the decision, the run's structure, is ``loop.path``'s)."""
    entry = PROGRAMS.get(spec.optimizer.step)  # type: ignore[arg-type]
    return entry is not None and (entry.dims is None or spec.problem.dim in entry.dims)


@functools.lru_cache(maxsize=256)
def program(
    problem: Problem,
    step: StepFn,
    info: tuple[str, ...],
    scheduled: bool,
    hp: tuple[tuple[str, Any], ...],
) -> vm.Compiled | None:
    """The program of ``step``'s rule on ``problem`` (no hyperparameter swept), recording the
    ``info`` values; None when a line has no opcode (a function the loop lacks). Cached, and
    built under ``columns``' lock: a repeated run builds nothing."""
    entry = PROGRAMS[step]
    params = dict(hp)
    surface_lines, surface_constants = surface_part(problem)
    build = Builder(surface_constants)  # so the surface's lines keep their constant names
    lr = "lr" if scheduled else (build.constant(params["lr"]) if "lr" in params else "")
    values = entry.build(build, params, problem, lr)
    build.lines += surface_lines
    recorded = tuple(name for key in info for name in values[key])
    constants = tuple(build.constants)
    carry = _carry(problem.dim, 0)
    code = vm.assemble(carry, scheduled, len(constants), tuple(build.lines), recorded)
    if code is None:
        return None
    return vm.Compiled(code, constants, entry.evaluations(params))
