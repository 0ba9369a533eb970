"""Local analysis of a surface at a point: what the lecture reads off the Hessian.

The eigenvalues of the Hessian say what kind of point it is and how a fixed step size behaves
there: gradient descent on a quadratic is stable only for ``lr < 2 / lambda_max``, and the
condition number ``|lambda|max / |lambda|min`` says how much slower the flat direction is.
A central finite-difference check of the gradient is reported alongside, so a wrong analytic
gradient shows up in the UI, not only in the tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DescentLabError
from .problems import Problem

GRAD_TOL = 1e-6  # a gradient norm at most this (times max(1, |f|)) counts as critical
EIG_RTOL = 1e-8  # eigenvalues within this fraction of the largest count as zero
FD_RTOL = 1e-5  # finite-difference agreement expected of a correct gradient


def analyse(problem: Problem, point: Any, grad_tol: float = GRAD_TOL) -> dict[str, Any]:
    """Value, gradient, Hessian and what they imply at ``point``; non-finite entries stay
    ``nan``/``inf`` (the API writes them as ``null``)."""
    x = _point(problem, point)
    with np.errstate(all="ignore"):
        f, g = problem.value_and_grad(x)
        H = problem.hess(x)[0]
        check = _gradient_check(problem, x[0], g[0])
    value, grad = float(f[0]), g[0]
    gnorm = float(np.linalg.norm(grad))
    out: dict[str, Any] = {
        "point": x[0].tolist(),
        "value": value,
        "gradient": grad.tolist(),
        "gradient_norm": gnorm,
        "hessian": H.tolist(),
        "eigenvalues": None,
        "eigenvectors": None,
        "condition_number": None,
        "critical_point": "not critical",
        "max_stable_lr": None,
        "newton_step": None,
        "gradient_check": check,
    }
    if not np.isfinite(H).all():
        out["critical_point"] = "undefined"
        return out
    w, V = np.linalg.eigh(H)
    out["eigenvalues"] = w.tolist()
    out["eigenvectors"] = V.T.tolist()  # eigenvectors[i] belongs to eigenvalues[i]
    out["condition_number"] = condition_number(w)
    if w[-1] > 0:
        out["max_stable_lr"] = 2.0 / float(w[-1])
    out["newton_step"] = newton_step(grad, w, V)
    critical = np.isfinite(gnorm) and gnorm <= grad_tol * max(1.0, abs(value))
    if critical:
        out["critical_point"] = classify(w)
    return out


def newton_step(g: np.ndarray, w: np.ndarray, V: np.ndarray) -> list[float] | None:
    """The full Newton step −H⁻¹∇f (through H's eigen-decomposition, H = V diag(w) Vᵀ), or
    None where H is singular. It jumps to the critical point of the local quadratic model,
    which is a minimum only when every eigenvalue is positive: elsewhere it heads for a saddle
    or a maximum."""
    if np.min(np.abs(w)) <= EIG_RTOL * np.max(np.abs(w)):
        return None
    return (-(V @ ((V.T @ g) / w))).tolist()


def condition_number(w: np.ndarray) -> float:
    """``|lambda|max / |lambda|min``; ``inf`` when the Hessian is (numerically) singular."""
    a = np.abs(w)
    big, small = float(a.max()), float(a.min())
    if big == 0 or small <= EIG_RTOL * big:
        return float("inf")
    return big / small


def classify(w: np.ndarray) -> str:
    """The kind of critical point, by the signs of the Hessian's eigenvalues."""
    scale = float(np.abs(w).max())
    if scale == 0:
        return "degenerate"
    pos, neg = w > EIG_RTOL * scale, w < -EIG_RTOL * scale
    if pos.any() and neg.any():
        return "saddle"
    if pos.all():
        return "minimum"
    if neg.all():
        return "maximum"
    return "degenerate"


def _point(problem: Problem, point: Any) -> np.ndarray:
    try:
        x = np.array(point, dtype=float).reshape(1, -1)
    except (TypeError, ValueError):
        raise DescentLabError("point", "must be a list of numbers") from None
    if x.shape[1] != problem.dim:
        raise DescentLabError(
            "point", f"must have {problem.dim} coordinate(s) for surface {problem.id!r}"
        )
    if not np.isfinite(x).all():
        raise DescentLabError("point", "must be finite")
    return x


def _gradient_check(problem: Problem, x: np.ndarray, g: np.ndarray) -> dict[str, Any]:
    """Central differences in every coordinate, all in one batched ``value`` call."""
    D = x.size
    h = np.cbrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(x))
    E = np.diag(h)
    F = problem.value(np.concatenate([x + E, x - E])).reshape(2, D)
    fd = (F[0] - F[1]) / (2 * h)
    error = float(np.max(np.abs(fd - g)) / max(1.0, float(np.max(np.abs(g)))))
    return {
        "finite_difference": fd.tolist(),
        "max_error": error,
        "ok": bool(np.isfinite(error) and error <= FD_RTOL),
    }
