"""Zeroth-order rules: loss values only, randomness from ``ctx.uniform`` and ``ctx.normal``
(a pure function of (seed, row, t, draw): :mod:`.draws`), so a run replays from its seed.

Every candidate is evaluated through ``ctx.oracle`` so the run's ``nfev`` counts it. A NaN loss
counts as +inf: never accepted, never "best".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np

from ..params import Param
from .base import Optimizer, StepContext


class NoState(NamedTuple):
    """These rules need nothing but the current point and its loss."""


def no_state(x: np.ndarray, hp: Any) -> NoState:
    return NoState()


def evaluate(ctx: StepContext, candidates: np.ndarray) -> np.ndarray:
    """Losses of candidates (S, B, D) -> (S, B), NaN as +inf.

    One oracle call evaluates all S·B points, but the oracle books one evaluation per row per
    call, so the other S - 1 per row are booked here.
    """
    S, B, D = candidates.shape
    values = ctx.oracle.value(candidates.reshape(S * B, D)).reshape(S, B)
    ctx.oracle.nfev += S - 1
    return np.where(np.isnan(values), np.inf, values)


def _move_to_best(
    x: np.ndarray, f: np.ndarray, candidates: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each row moves to its best candidate if that beats its current loss."""
    best = np.argmin(values, axis=0)  # (B,)
    rows = np.arange(x.shape[0])
    best_x, best_f = candidates[best, rows], values[best, rows]
    x_new = np.where((best_f < f)[:, None], best_x, x)
    return x_new, {"velocity": x_new - x, "proposal": best_x}


def random_search_step(
    hp: Any, state: NoState, x: np.ndarray, f: np.ndarray, g: Any, ctx: StepContext
) -> Any:
    r"""Global random search.

    Draw $y_1..y_S \sim \mathcal U(\text{domain})$; $y^* = \arg\min_i L(y_i)$;
    $x \leftarrow y^*$ if $L(y^*) < L(x)$ else $x$. So $x$ is always the best point seen,
    and the path jumps from best to best.
    Draws: coordinate d of $y_s$ is $lo_d + (hi_d - lo_d)\,u$, $u$ the step's uniform $sD + d$.
    """
    S, (B, D) = int(hp["samples"]), x.shape
    lo, hi = ctx.domain[:, 0], ctx.domain[:, 1]
    u = ctx.uniform(B, S * D).reshape(B, S, D).transpose(1, 0, 2)
    candidates = lo + (hi - lo) * u
    x_new, info = _move_to_best(x, f, candidates, evaluate(ctx, candidates))
    return x_new, state, info


def hill_climbing_step(
    hp: Any, state: NoState, x: np.ndarray, f: np.ndarray, g: Any, ctx: StepContext
) -> Any:
    r"""Stochastic hill climbing (steepest-ascent flavour, downhill).

    $y_i = x + \sigma z_i$, $z_i \sim \mathcal N(0, I)$, $i = 1..S$;
    $y^* = \arg\min_i L(y_i)$ (the first of equals); $x \leftarrow y^*$ if $L(y^*) < L(x)$
    else $x$. Draws: coordinate d of $z_s$ is the step's normal $2Ps + d$, where $P$ is
    $\lceil D/2 \rceil$ (each candidate starts a pair).
    """
    S, (B, D) = int(hp["samples"]), x.shape
    P = (D + 1) // 2
    z = ctx.normal(B, S * 2 * P).reshape(B, S, 2 * P)[:, :, :D].transpose(1, 0, 2)
    candidates = x + hp["sigma"] * z
    x_new, info = _move_to_best(x, f, candidates, evaluate(ctx, candidates))
    return x_new, state, info


def simulated_annealing_step(
    hp: Any, state: NoState, x: np.ndarray, f: np.ndarray, g: Any, ctx: StepContext
) -> Any:
    r"""Simulated annealing (Metropolis acceptance, geometric cooling).

    $y = x + \sigma z$, $z \sim \mathcal N(0, I)$; $\Delta = L(y) - L(x)$;
    $T_t = T_0 \gamma^t$ ($\gamma$ = ``cooling``);
    $x \leftarrow y$ if $\Delta \le 0$ or $u < e^{-\Delta / T_t}$, $u \sim \mathcal U(0, 1)$.
    Draws: $z_d$ is the step's normal $d$, $u$ its uniform $2P$, $P = \lceil D/2 \rceil$
    (the normals take draws $0 .. 2P - 1$).
    """
    B, D = x.shape
    P = (D + 1) // 2
    proposal = x + hp["sigma"] * ctx.normal(B, D)
    u = ctx.uniform(B, 1, first=2 * P)[:, 0]
    delta = evaluate(ctx, proposal[None])[0] - f
    temperature = np.reshape(hp["T0"] * hp["cooling"] ** ctx.t, -1)  # a float or (B, 1)
    with np.errstate(over="ignore", invalid="ignore"):  # exp(+big) is inf: accepted anyway
        accept = (delta <= 0) | (u < np.exp(-delta / temperature))
    x_new = np.where(accept[:, None], proposal, x)
    return x_new, state, {"velocity": x_new - x, "proposal": proposal}


_SAMPLES = Param(
    "samples", 20.0, 1.0, 1000.0, "log", "candidates drawn per step", integer=True, per_row=False
)
_SIGMA = Param("sigma", 0.1, 1e-4, 10.0, "log", "standard deviation σ of the proposals")

OPTIMIZERS: tuple[Optimizer, ...] = (
    Optimizer(
        id="random-search",
        name="Random search",
        family="zeroth-order",
        hypers=(_SAMPLES,),
        formula=r"x_{t+1} = \arg\min \{L(x_t), L(y_1), \dots, L(y_S)\},\; "
        r"y_i \sim \mathcal U(\text{domain})",
        description="Throw darts over the whole view box and keep the best: blind to slopes, "
        "but never trapped by a local minimum.",
        init=no_state,
        step=random_search_step,
        uses_gradient=False,
        info=("velocity", "proposal"),
    ),
    Optimizer(
        id="hill-climbing",
        name="Hill climbing",
        family="zeroth-order",
        hypers=(_SAMPLES, _SIGMA),
        formula=r"x_{t+1} = \arg\min \{L(x_t), L(x_t + \sigma z_1), \dots, L(x_t + \sigma z_S)\}",
        description="Try a few random nearby points and step to the best if it is lower.",
        init=no_state,
        step=hill_climbing_step,
        uses_gradient=False,
        info=("velocity", "proposal"),
    ),
    Optimizer(
        id="simulated-annealing",
        name="Simulated annealing",
        family="zeroth-order",
        hypers=(
            Param("T0", 1.0, 1e-4, 1e4, "log", "starting temperature T₀"),
            Param("cooling", 0.99, 0.5, 1.0, "linear", "T is multiplied by this every step"),
            replace(_SIGMA, default=0.25),
        ),
        formula=r"x_{t+1} = y \text{ with prob. } \min(1, e^{-(L(y) - L(x_t))/T_t}),\; "
        r"T_t = T_0 \gamma^t",
        description="A random walk that always goes downhill and sometimes uphill, less often "
        "as it cools: early on it can hop out of local minima.",
        init=no_state,
        step=simulated_annealing_step,
        uses_gradient=False,
        info=("velocity", "proposal"),
    ),
)
