"""What each rule keeps, point by point along a run's path (``POST /api/states``).

The trajectory itself comes from the engine as always (:func:`engine.run`); this module never
changes it. It then reads what the rule kept at each point:

- a stepwise rule is replayed on numpy, its ``step`` called at every recorded point ``x_i``
  with the gradient there (the minibatch's, for SGD, drawn from (seed, t) as the engine draws
  it), so its state is the recurrence over the path on screen: on the numpy path to the bit,
  on the machine-code loop's path to the loop's agreement with numpy (relative 1e-12);
- scipy's methods are run again with a :class:`~.optimizers.base.TrialLog`: every point they
  evaluated between two iterates (a line search's trials), and for Nelder-Mead the simplex
  after each iteration, rebuilt from those evaluations by scipy's own rule (which vertex a
  reflection, expansion, contraction or shrink replaces).

Entry ``i`` of every array describes the move from path point ``i`` to ``i + 1``: the
gradient at ``x_i``, the rule's state after that step, the step itself; at the last point,
the step the rule would take next (the line-search trials there are whatever scipy evaluated
after its last iterate). Row 0 of the run only (its start).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from . import engine, limits
from .engine.spec import RunSpec, row_params
from .errors import DescentLabError
from .optimizers.base import Oracle, StepContext, TrialLog
from .optimizers.first_order import (
    AdamState,
    EWAState,
    NAdamState,
    RMSpropState,
    SGDState,
    VelocityState,
)

KEPT = {
    "buffer": "the momentum buffer as the rule keeps it (torch's b_t; the Oslo notes' v_t; "
    "the Duke notes' average v_t)",
    "velocity": "what the buffer moves x by: -lr*b_t, -v_t, -lr*v_hat_t",
    "effective_lr": "per coordinate, what the gradient is multiplied by (lr/(sqrt(v_hat)+eps) "
    "and the like, exactly as the rule applies it)",
    "m_hat": "Adam's bias-corrected first moment m_t/(1-beta1^t)",
    "sqrt_v_hat": "the square root of the bias-corrected second moment, as the rule divides by it",
}


def _buffers(opt_id: str, hp: Any, state: Any, t: int, ops: Any) -> dict[str, Any]:
    """The named per-coordinate state of a first-order rule after step ``t``."""
    lr = hp.get("lr")
    if isinstance(state, SGDState) and opt_id != "gd":
        return {"buffer": state.buf, "velocity": -lr * state.buf}
    if isinstance(state, VelocityState):
        return {"buffer": state.v, "velocity": -state.v}
    if isinstance(state, EWAState):
        beta = hp["beta"]
        correction = 1.0 - ops.power(beta, t) if hp["bias_correction"] else 1.0
        return {"buffer": state.v, "velocity": -lr * (state.v / correction)}
    if isinstance(state, RMSpropState) and hp["momentum"] != 0:
        return {"buffer": state.buf, "velocity": -lr * state.buf}
    if isinstance(state, AdamState):
        b1, b2 = hp["betas"]
        v = state.vmax if opt_id == "amsgrad" else state.v
        return {
            "m_hat": state.m / (1.0 - ops.power(b1, t)),
            "sqrt_v_hat": ops.sqrt(v) / ops.sqrt(1.0 - ops.power(b2, t)),
        }
    if isinstance(state, NAdamState):
        return {"sqrt_v_hat": ops.sqrt(state.v / (1.0 - ops.power(hp["betas"][1], t)))}
    return {}


def _replay(spec: RunSpec, path: np.ndarray) -> dict[str, Any]:
    """A stepwise rule's step at every point of ``path`` (n + 1, D), from its own state."""
    opt, problem, sgd = spec.optimizer, spec.problem, spec.stochastic
    assert opt.init is not None and opt.step is not None
    hp = row_params(spec.params, 0)
    n = len(path) - 1
    lrs = spec.schedule.rates(hp["lr"], n + 1) if spec.schedule else None
    oracle = Oracle(problem)
    ctx = StepContext(oracle, spec.seed, problem.domain)
    noise = engine.GradientNoise(spec)
    grads, steps, kept, proposals, accepted, rates = [], [], [], [], [], []
    with np.errstate(all="ignore"):
        state = opt.init(np.array(path[:1], order="F"), hp)
        for i in range(n + 1):
            x = np.array(path[i : i + 1], order="F")
            f, g = problem.value_and_grad(x)
            ctx.advance()
            if sgd.active:  # the gradient the step saw, as the engine draws it
                batch = noise.batch(i)  # keyed by the point's index, as the engine keys it
                oracle.batch = batch
                f, g = (f, g) if batch is None else problem.value_and_grad(x, batch)
                g = noise.perturb(g, i)
            step_hp = hp if lrs is None else {**hp, "lr": float(lrs[i])}
            x_new, state, info = opt.step(step_hp, state, x, f, g, ctx)
            rates.append(step_hp.get("lr", np.nan))
            grads.append(g[0])
            steps.append((x_new - x)[0])
            named = _buffers(opt.id, step_hp, state, ctx.t, ctx.ops)
            if "effective_lr" in info:
                named["effective_lr"] = info["effective_lr"]
            kept.append({k: np.broadcast_to(v, x.shape)[0] for k, v in named.items()})
            if "proposal" in info:
                proposals.append(info["proposal"][0])
                accepted.append(bool(np.array_equal(x_new[0], info["proposal"][0])))
    out: dict[str, Any] = {
        "kind": "proposals" if proposals else "first-order",
        "grad": np.array(grads),
        "step": np.array(steps),
        "kept": {k: np.array([row[k] for row in kept]) for k in (kept[0] if kept else {})},
        "lr": np.array(rates, dtype=float) if opt.uses_lr else None,
    }
    if proposals:
        out["proposal"] = np.array(proposals)
        out["accepted"] = accepted
    return out


def simplices(log: TrialLog, dim: int, count: int) -> list[np.ndarray | None]:
    """Nelder-Mead's simplex (D + 1 vertices, best first) at its start and after each of its
    iterations, rebuilt from the points it evaluated: each iteration's evaluations tell its
    move (one: a reflection kept; two: an expansion or a contraction; 2 + D: a contraction
    refused and a shrink), replacing the worst vertex (or all but the best) as scipy does,
    then sorted as scipy sorts them (``np.argsort``). ``count`` entries; None where the
    evaluations tell no move (scipy stopped inside an iteration)."""
    points = log.points
    sim = np.array([p for p, _ in points[: dim + 1]])
    fsim = np.array([f for _, f in points[: dim + 1]])
    if len(sim) < dim + 1:
        return [None] * count
    order = np.argsort(fsim)
    sim, fsim = np.take(sim, order, 0), np.take(fsim, order, 0)
    out: list[np.ndarray | None] = [sim.copy()]
    bounds = [dim + 1, *log.marks]
    for a, b in itertools.pairwise(bounds):
        block = points[a:b]
        if len(block) == 1 and fsim[0] <= block[0][1] < fsim[-2]:
            sim[-1], fsim[-1] = block[0]
        elif len(block) == 2 and block[0][1] < fsim[0]:  # expanded: the better of the two
            sim[-1], fsim[-1] = block[1] if block[1][1] < block[0][1] else block[0]
        elif len(block) == 2:  # contracted
            sim[-1], fsim[-1] = block[1]
        elif len(block) == 2 + dim:  # shrunk towards the best
            for j, (p, f) in enumerate(block[2:], start=1):
                sim[j], fsim[j] = p, f
        else:
            break
        order = np.argsort(fsim)
        sim, fsim = np.take(sim, order, 0), np.take(fsim, order, 0)
        out.append(sim.copy())
    return (out + [None] * count)[:count]


def _driven(spec: RunSpec, n: int) -> dict[str, Any]:
    """A scipy method run again with its evaluations logged: the trials between iterates,
    Nelder-Mead's simplices, and the gradient at each iterate."""
    opt, problem = spec.optimizer, spec.problem
    assert opt.driver is not None
    log = TrialLog()
    with np.errstate(all="ignore"):
        result = opt.driver(
            problem, spec.starts[0], row_params(spec.params, 0), spec.stop.max_steps, log
        )
    if len(log.points) > limits.MAX_STATE_TRIALS:
        raise DescentLabError(
            "max_steps",
            f"{opt.id!r} evaluated {len(log.points):,} points, over the limit of "
            f"{limits.MAX_STATE_TRIALS:,} trials per request",
        )
    path = result.path[: n + 1]
    bounds = [0, *log.marks, len(log.points)]
    trials = [np.array([p for p, _ in log.points[a:b]]) for a, b in itertools.pairwise(bounds)]
    trials = (trials + [np.empty((0, problem.dim))] * (n + 1))[: n + 1]
    with np.errstate(all="ignore"):
        _, G = problem.value_and_grad(path)
    out: dict[str, Any] = {
        "kind": "line-search",
        "grad": G,
        "step": np.vstack([np.diff(path, axis=0), np.full((1, problem.dim), np.nan)]),
        "kept": {},
    }
    if opt.id == "nelder-mead":
        out["kind"] = "simplex"
        out["simplex"] = simplices(log, problem.dim, n + 1)
    else:
        out["trials"] = trials
    return out


def records(specs: list[RunSpec], field: str = "max_steps") -> list[dict[str, Any]]:
    """Every spec's :func:`record`, within the size limits (errors name ``field``)."""
    check_size(specs, field)
    out, trials = [], 0
    for spec in specs:
        rec = record(spec)
        trials += sum(len(t) for t in rec.get("trials", ()))
        if trials > limits.MAX_STATE_TRIALS:
            raise DescentLabError(
                field,
                f"the line searches evaluated {trials:,} points, over the limit of "
                f"{limits.MAX_STATE_TRIALS:,} trials per request",
            )
        out.append(rec)
    return out


def record(spec: RunSpec) -> dict[str, Any]:
    """Row 0 of ``spec``'s run with what its rule kept at every point (see the module)."""
    traj = engine.run(spec)
    n = int(traj.nit[0])
    path = traj.path[0, : n + 1]
    if spec.optimizer.driver is not None:
        inner = _driven(spec, n)
    else:
        inner = _replay(spec, path)
    return {"optimizer": spec.optimizer.id, "nit": n, "path": path, **inner}


def check_size(specs: list[RunSpec], field: str) -> None:
    """Refuse a request whose points with state would exceed ``limits.MAX_STATE_POINTS``."""
    points = sum(s.stop.max_steps + 1 for s in specs)
    if points > limits.MAX_STATE_POINTS:
        raise DescentLabError(
            field,
            f"(max_steps + 1) x optimizers = {points:,} points with the optimiser's state is "
            f"over the limit of {limits.MAX_STATE_POINTS:,} per request",
        )


def to_json(rec: dict[str, Any]) -> dict[str, Any]:
    """A record as plain lists (non-finite numbers become null when written)."""

    def rows(a: Any) -> Any:
        return None if a is None else np.asarray(a).tolist()

    out: dict[str, Any] = {
        "optimizer": rec["optimizer"],
        "kind": rec["kind"],
        "nit": rec["nit"],
        "path": rows(rec["path"]),
        "grad": rows(rec["grad"]),
        "step": rows(rec["step"]),
        "kept": {k: rows(v) for k, v in rec["kept"].items()},
        "lr": rows(rec.get("lr")),
    }
    for key in ("proposal", "accepted"):
        if key in rec:
            out[key] = rows(rec[key])
    if "trials" in rec:
        out["trials"] = [rows(t) for t in rec["trials"]]
    if "simplex" in rec:
        out["simplex"] = [rows(s) for s in rec["simplex"]]
    return out
