"""Second-order rules: steps from the exact Hessian, one batched linear solve per step."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..params import Param
from .base import Optimizer, StepContext

# Below this reciprocal condition number a row's system is treated as singular: a plain solve
# would "succeed" with a step of 1e16 that only rounding decided.
_SINGULAR_RCOND = 1e-12


class NewtonState(NamedTuple):
    """Newton keeps nothing between steps."""


def newton_init(x: np.ndarray, hp: Any) -> NewtonState:
    return NewtonState()


def solve_rows(A: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``A[b]^{-1} g[b]`` for every row; a singular (or ill-conditioned) row gets the minimum-norm
    least-squares solution ``pinv(A[b]) g[b]`` instead, a non-finite row gets NaN. Never raises.
    """
    d = np.full_like(g, np.nan)
    finite = np.isfinite(A).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)
    if not finite.any():
        return d
    Af, gf = A[finite], g[finite]
    with np.errstate(divide="ignore", invalid="ignore"):  # cond is inf for an exact zero pivot
        singular = ~(1.0 / np.linalg.cond(Af) >= _SINGULAR_RCOND)
    out = np.empty_like(gf)
    regular = ~singular
    if regular.any():
        out[regular] = np.linalg.solve(Af[regular], gf[regular][..., None])[..., 0]
    if singular.any():
        pinv = np.linalg.pinv(Af[singular], rcond=_SINGULAR_RCOND, hermitian=True)
        out[singular] = np.einsum("bij,bj->bi", pinv, gf[singular])
    d[finite] = out
    return d


def newton_step(
    hp: Any, state: NewtonState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""Damped Newton.

    $x \leftarrow x - \eta\, (H + \lambda I)^{-1} g$, $H = \nabla^2 L(x)$ exact;
    where $H + \lambda I$ is singular, $(H + \lambda I)^{+} g$ (pseudo-inverse) instead.
    With $\eta = 1$, $\lambda = 0$ it jumps to the stationary point of the local quadratic
    model: the minimum of a convex bowl in one step, but just as readily a saddle or a maximum,
    since nothing in the step asks that $H$ be positive definite.
    """
    H = ctx.oracle.hess(x)
    damping = np.reshape(hp["damping"], (-1, 1, 1))  # a float or one value per row
    d = solve_rows(H + damping * np.eye(x.shape[1]), g)
    x_new = x - hp["lr"] * d
    return x_new, state, {"velocity": x_new - x}


OPTIMIZERS: tuple[Optimizer, ...] = (
    Optimizer(
        id="newton",
        name="Newton's method",
        family="second-order",
        hypers=(
            Param("lr", 1.0, 1e-6, 10.0, "log", "step length η along the Newton direction"),
            Param(
                "damping",
                0.0,
                0.0,
                1000.0,
                "linear",
                "λ added to the Hessian's diagonal: large λ turns Newton into gradient descent "
                "with rate η/λ",
            ),
        ),
        formula=r"x_{t+1} = x_t - \eta\, (\nabla^2 L(x_t) + \lambda I)^{-1} \nabla L(x_t)",
        description="Solve the local quadratic model exactly: one step on a bowl, fast near a "
        "minimum, but attracted to saddles and maxima just as much (it only looks for a zero "
        "gradient).",
        init=newton_init,
        step=newton_step,
        info=("velocity",),
    ),
)
