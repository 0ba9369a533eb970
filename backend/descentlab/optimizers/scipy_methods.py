"""scipy.optimize.minimize's methods, wrapped rather than rewritten: a callback records the path.

Each driver runs one row: it passes the problem's value and gradient (and Hessian) at
``x[None, :]``, counts the evaluations itself, and stops scipy at ``max_steps`` iterations.
A non-finite objective ends the run: the point where it happened closes the path, so the engine
reports the row as diverged instead of scipy carrying NaNs into its line search.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult, minimize

from ..params import Param
from ..problems import Problem
from .base import DriverResult, Optimizer, TrialLog


class _NonFinite(Exception):
    """Raised from inside the objective to stop scipy at a non-finite value."""

    def __init__(self, x: np.ndarray) -> None:
        super().__init__()
        self.x = x


class _Counted:
    """The problem as scipy wants it (functions of one point), with evaluations counted and,
    given a ``log``, every point scipy asked about kept with its value."""

    def __init__(self, problem: Problem, log: TrialLog | None = None) -> None:
        self.problem = problem
        self.nfev = self.ngev = self.nhev = 0
        self.log = log

    def value(self, x: np.ndarray) -> float:
        self.nfev += 1
        f = float(self.problem.value(x[None, :])[0])
        if self.log is not None:
            self.log.points.append((x.copy(), f))
        if not np.isfinite(f):
            raise _NonFinite(x.copy())
        return f

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.nfev += 1
        self.ngev += 1
        f, g = self.problem.value_and_grad(x[None, :])
        if self.log is not None:
            self.log.points.append((x.copy(), float(f[0])))
        if not (np.isfinite(f[0]) and np.isfinite(g).all()):
            raise _NonFinite(x.copy())
        return float(f[0]), g[0]

    def hess(self, x: np.ndarray) -> np.ndarray:
        self.nhev += 1
        return self.problem.hess(x[None, :])[0]


def _minimize(
    method: str,
    *,
    uses_gradient: bool = True,
    uses_hessian: bool = False,
    options: Callable[[Any, np.ndarray], dict[str, Any]],
) -> Callable[..., DriverResult]:
    """A driver for ``minimize(method=...)``; ``options(hp, x0)`` gives scipy's options."""

    def driver(
        problem: Problem, x0: np.ndarray, hp: Any, max_steps: int, log: TrialLog | None = None
    ) -> DriverResult:
        counted = _Counted(problem, log)
        path = [np.array(x0, dtype=float)]

        def record(intermediate_result: OptimizeResult) -> None:
            path.append(np.array(intermediate_result.x, dtype=float))
            if log is not None:
                log.marks.append(len(log.points))
            if len(path) > max_steps:  # the one place the step limit is enforced
                raise StopIteration

        kwargs: dict[str, Any] = {
            "jac": True if uses_gradient else None,
            "hess": counted.hess if uses_hessian else None,
        }
        fun = counted.value_and_grad if uses_gradient else counted.value
        try:
            with np.errstate(all="ignore"):
                result = minimize(
                    fun,
                    path[0],
                    method=method,
                    callback=record,
                    # one spare: Nelder-Mead counts from 1, so maxiter would give one step
                    # short; `record` stops every method at exactly max_steps
                    options={**options(hp, path[0]), "maxiter": max_steps + 1},
                    **kwargs,
                )
            message = str(result.message)
            last = np.asarray(result.x, dtype=float)
            if not np.array_equal(last, path[-1]) and len(path) <= max_steps:
                path.append(last)  # methods that end on a point they did not report
        except _NonFinite as stop:
            message = "the objective was not finite at a trial point"
            if len(path) <= max_steps:
                path.append(stop.x)
        return DriverResult(
            path=np.stack(path),
            message=message,
            nfev=counted.nfev,
            ngev=counted.ngev,
            nhev=counted.nhev,
        )

    return driver


def _bfgs_options(hp: Any, x0: np.ndarray) -> dict[str, Any]:
    return {"gtol": hp["gtol"], "xrtol": hp["xrtol"]}


def _lbfgsb_options(hp: Any, x0: np.ndarray) -> dict[str, Any]:
    return {
        "maxcor": int(hp["maxcor"]),
        "ftol": hp["ftol"],
        "gtol": hp["gtol"],
        "maxls": int(hp["maxls"]),
    }


def _newton_cg_options(hp: Any, x0: np.ndarray) -> dict[str, Any]:
    return {"xtol": hp["xtol"]}


def _nelder_mead_options(hp: Any, x0: np.ndarray) -> dict[str, Any]:
    options = {"xatol": hp["xatol"], "fatol": hp["fatol"], "adaptive": bool(hp["adaptive"])}
    if hp["simplex_size"] > 0:  # x0 and x0 + s e_i; 0 keeps scipy's own (5% of each coordinate)
        options["initial_simplex"] = np.vstack([x0, x0 + hp["simplex_size"] * np.eye(len(x0))])
    return options


_GTOL = Param("gtol", 1e-5, 1e-12, 1.0, "log", "stop when the gradient's norm is below this")

OPTIMIZERS: tuple[Optimizer, ...] = (
    Optimizer(
        id="bfgs",
        name="BFGS",
        family="quasi-newton",
        hypers=(
            _GTOL,
            Param("xrtol", 0.0, 0.0, 1.0, "linear", "stop when a step is this small relative to x"),
        ),
        formula=r"x_{t+1} = x_t - \alpha_t B_t^{-1} \nabla L(x_t)",
        description="Builds up an inverse-Hessian estimate B⁻¹ from successive gradients; a line "
        "search picks each step length (scipy.optimize.minimize, method='BFGS').",
        driver=_minimize("BFGS", options=_bfgs_options),
    ),
    Optimizer(
        id="lbfgs",
        name="L-BFGS-B",
        family="quasi-newton",
        hypers=(
            Param("maxcor", 10.0, 1.0, 100.0, "linear", "gradient pairs remembered", integer=True),
            Param("ftol", 2.220446049250313e-09, 1e-15, 1.0, "log", "relative loss reduction tol"),
            _GTOL,
            Param("maxls", 20.0, 1.0, 100.0, "linear", "line-search steps at most", integer=True),
        ),
        formula=r"x_{t+1} = x_t - \alpha_t H_t \nabla L(x_t),\; H_t \text{ from the last } m "
        r"\text{ pairs } (s_i, y_i)",
        description="BFGS that keeps only the last few gradient pairs instead of a matrix "
        "(scipy.optimize.minimize, method='L-BFGS-B').",
        driver=_minimize("L-BFGS-B", options=_lbfgsb_options),
    ),
    Optimizer(
        id="newton-cg",
        name="Newton-CG",
        family="second-order",
        hypers=(
            Param("xtol", 1e-5, 1e-12, 1.0, "log", "stop when the step's mean size is below this"),
        ),
        formula=r"\nabla^2 L(x_t)\, p_t \approx -\nabla L(x_t) \text{ by CG},\; "
        r"x_{t+1} = x_t + \alpha_t p_t",
        description="Newton's step from conjugate gradients on the exact Hessian; CG stops at "
        "negative curvature, so unlike plain Newton it is not drawn to maxima "
        "(scipy.optimize.minimize, method='Newton-CG').",
        driver=_minimize("Newton-CG", uses_hessian=True, options=_newton_cg_options),
    ),
    Optimizer(
        id="nelder-mead",
        name="Nelder-Mead",
        family="zeroth-order",
        hypers=(
            Param("xatol", 1e-4, 1e-12, 1.0, "log", "stop when the simplex is this small"),
            Param("fatol", 1e-4, 1e-12, 1.0, "log", "stop when its losses differ by this"),
            Param(
                "adaptive",
                0.0,
                0.0,
                1.0,
                "linear",
                "1 adapts the moves to the dimension",
                integer=True,
            ),
            Param(
                "simplex_size",
                0.0,
                0.0,
                10.0,
                "linear",
                "edge of the initial simplex x0, x0 + s·e_i (0: scipy's 5% of each coordinate)",
            ),
        ),
        formula=r"x_{t+1} = \text{best vertex after reflect / expand / contract / shrink}",
        description="A simplex of D+1 points that reflects, expands and shrinks its way downhill "
        "using loss values only (scipy.optimize.minimize, method='Nelder-Mead').",
        driver=_minimize("Nelder-Mead", uses_gradient=False, options=_nelder_mead_options),
        uses_gradient=False,
    ),
)
