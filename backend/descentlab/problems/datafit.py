"""Data-fit losses whose parameter space is 2-D, so their loss is a surface we can draw.

Each is the loss of one sample written in the expression language, over data columns that a
seeded generator makes from the surface's parameters (size, noise, seed); the surface is the
mean over the samples, exactly, or their sum (``reduction="sum"``, as 001's line fits write
it), and a minibatch is always the mean over some of them (SGD).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import limits
from ..params import Param
from .base import Surface

if TYPE_CHECKING:
    from .base import Problem

_SIZE = Param(
    "n", 100, 2, limits.MAX_DATA_POINTS, "log", help="number of data points", integer=True
)
_SEED = Param("seed", 42, 0, 1_000_000, help="seed of the generated data", integer=True)


def _size(default: int) -> Param:
    """n of a least-squares surface, whose grid costs the same whatever n."""
    return Param(
        "n",
        default,
        2,
        limits.MAX_LEAST_SQUARES_POINTS,
        "log",
        help="number of data points",
        integer=True,
    )


def _linear_data(params: dict[str, float]) -> dict[str, np.ndarray]:
    """The notes' data: x uniform on [0, 2], y = 4 + 3x + N(0, noise²)."""
    rng = np.random.default_rng(int(params["seed"]))
    n = int(params["n"])
    xi = 2 * rng.random(n)
    yi = 4 + 3 * xi + params["noise"] * rng.standard_normal(n)
    return {"xi": xi, "yi": yi}


def _least_squares(problem: Problem) -> np.ndarray:
    """The normal equations of the notes: θ = (AᵀA)⁻¹ Aᵀ y with A = [1, x]."""
    assert problem.data is not None
    A = np.column_stack([np.ones(problem.n_data), problem.data["xi"]])
    return np.linalg.solve(A.T @ A, A.T @ problem.data["yi"])


def _least_squares_slope_first(problem: Problem) -> np.ndarray:
    """The same for θ = (m, c), the slope first: A = [x, 1]."""
    return _least_squares(problem)[::-1]


def _line_fit_data(params: dict[str, float]) -> dict[str, np.ndarray]:
    """001's line: x sorted from N(0, 1), y = 2x + 1 + N(0, (noise·|x|)²), the noise growing
    with |x|."""
    rng = np.random.default_rng(int(params["seed"]))
    n = int(params["n"])
    xi = np.sort(rng.standard_normal(n))
    yi = 2 * xi + 1 + params["noise"] * np.abs(xi) * rng.standard_normal(n)
    return {"xi": xi, "yi": yi}


def _sgd_line_data(params: dict[str, float]) -> dict[str, np.ndarray]:
    """001's SGD data: x evenly spaced on [0, 5], y = x + 2 + N(0, noise²)."""
    rng = np.random.default_rng(int(params["seed"]))
    n = int(params["n"])
    xi = np.linspace(0.0, 5.0, n)
    yi = xi * 1.0 + 2.0 + params["noise"] * rng.standard_normal(n)
    return {"xi": xi, "yi": yi}


def _logistic_data(params: dict[str, float]) -> dict[str, np.ndarray]:
    """Two Gaussian clouds, labels ±1, centred at ±(1, 0.5) with spread ``noise``."""
    rng = np.random.default_rng(int(params["seed"]))
    n = int(params["n"])
    label = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    centre = np.array([1.0, 0.5])
    features = label[:, None] * centre + params["noise"] * rng.standard_normal((n, 2))
    return {"ui": features[:, 0], "vi": features[:, 1], "ti": label}


def _newton(problem: Problem) -> np.ndarray | None:
    """The minimiser of a smooth convex loss by Newton's method on the full data, or None where
    Newton does not converge: a loss with no minimum, as the cross-entropy of two separable
    classes without a penalty, whose infimum lies at infinity (the weights grow without end)."""
    x = np.zeros((1, problem.dim))
    for _ in range(100):
        _, g = problem.value_and_grad(x)
        with np.errstate(all="ignore"):
            step = np.linalg.solve(problem.hess(x)[0], g[0])
        if not np.isfinite(step).all():
            return None
        x = x - step
        if np.abs(step).max() <= 1e-12 * (1.0 + np.abs(x).max()):
            return x[0]
    return None


# What the Glasgow notes' two line fits share: the summed squares over (m, c) = (slope, offset).
_GLASGOW_LINE_FIT: dict[str, Any] = {
    "expression": "(x*xi + y - yi)^2",
    "data": ("xi", "yi"),
    "reduction": "sum",
    "solve": _least_squares_slope_first,
    "formula_latex": r"\sum_{i=1}^{n} \left(m x_i + c - y_i\right)^2",
    "labels": ("m (slope)", "c (offset)"),
    "model": {"kind": "line", "x": "xi", "y": "yi", "slope": 0, "intercept": 1},
}

DATA_SURFACES: tuple[Surface, ...] = (
    Surface(
        id="linear-regression",
        name="Linear regression (least squares)",
        expression="(x + y*xi - yi)^2",
        data=("xi", "yi"),
        make_data=_linear_data,
        solve=_least_squares,
        formula_latex=r"\frac{1}{n}\sum_{i=1}^{n} \left(\theta_0 + \theta_1 x_i - y_i\right)^2",
        display="L(θ₀, θ₁) = (1/n) Σᵢ (θ₀ + θ₁·xᵢ − yᵢ)²",
        labels=("θ₀ (intercept)", "θ₁ (slope)"),
        model={"kind": "line", "x": "xi", "y": "yi", "slope": 1, "intercept": 0},
        params=(
            _size(100),
            Param("noise", 1.0, 0.0, 5.0, help="standard deviation of y's noise"),
            _SEED,
        ),
        domain=((-1.0, 9.0), (-2.0, 8.0)),
        start=(0.0, 0.0),
        description="The Oslo notes' regression y = 4 + 3x + N(0, 1), x uniform on [0, 2], on "
        "100 points: the mean squared error over the data, as a function of (θ₀, θ₁) = "
        "(intercept, slope). Its minimum is the least-squares solution of the normal "
        "equations; a minibatch step uses the mean over the batch's samples.",
        lecture=True,
    ),
    Surface(
        id="line-fit",
        name="Line fit (sum of squares)",
        **_GLASGOW_LINE_FIT,
        make_data=_line_fit_data,
        display="L(m, c) = Σᵢ (m·xᵢ + c − yᵢ)²  (a sum over the data)",
        params=(
            _size(20),
            Param("noise", 0.5, 0.0, 5.0, help="y's noise has standard deviation noise·|x|"),
            _SEED,
        ),
        domain=((-2.0, 5.0), (-2.5, 4.5)),
        start=(-1.0, 0.0),
        description="The Glasgow notes' line of best fit: 20 points, x sorted from N(0, 1), "
        "y = 2x + 1 plus noise of standard deviation 0.5|x|. The loss is the SUM of squared "
        "residuals, as the notes write it, over (m, c) = (slope, offset): the first "
        "coordinate multiplies x. The notes descend it by GD with step 0.01 from (-1, 0), "
        "stopping when |∂L/∂m| + |∂L/∂c| <= 1e-4 (35 iterations on their random draw). "
        "A minibatch step uses the batch's mean, not its sum.",
        lecture=True,
    ),
    Surface(
        id="line-fit-sgd",
        name="Line fit for SGD (100,000 points)",
        **_GLASGOW_LINE_FIT,
        make_data=_sgd_line_data,
        display="L(m, c) = Σᵢ (m·xᵢ + c − yᵢ)²  (a sum; a minibatch step uses its mean)",
        params=(
            _size(100_000),
            Param("noise", 0.5, 0.0, 5.0, help="standard deviation of y's noise"),
            _SEED,
        ),
        domain=((-4.5, 3.5), (-2.0, 6.0)),
        start=(-3.5, 2.5),
        description="The Glasgow notes' SGD example: 100,000 points, x evenly spaced on "
        "[0, 5], y = x + 2 + N(0, 0.5²). The surface is the SUM of squared residuals over "
        "(m, c) = (slope, offset); a minibatch step follows the batch's MEAN gradient, as the "
        "notes' SGD divides the batch's gradient by its size. The notes run one epoch of "
        "batches of 100 (1,000 steps) at step 0.05 from (-3.5, 2.5): stochastic.batch_size "
        "= 100, epochs = 1, lr = 0.05. Plain GD on the sum needs a step below 2/λmax, about "
        "1e-6 here.",
        lecture=True,
    ),
    Surface(
        id="logistic-regression",
        name="Logistic regression (two weights)",
        expression="softplus(-ti*(x*ui + y*vi)) + lam/2*(x^2 + y^2)",
        data=("ui", "vi", "ti"),
        make_data=_logistic_data,
        solve=_newton,
        formula_latex=r"\frac{1}{n}\sum_{i=1}^{n} \log\left(1 + e^{-t_i (w_1 u_i + w_2 v_i)}"
        r"\right) + \frac{\lambda}{2}\lVert w \rVert^2",
        display="L(w₁, w₂) = (1/n) Σᵢ log(1 + exp(−tᵢ (w₁uᵢ + w₂vᵢ))) + (λ/2)‖w‖²",
        labels=("w₁", "w₂"),
        model={"kind": "boundary", "u": "ui", "v": "vi", "label": "ti", "weights": [0, 1]},
        params=(
            _SIZE,
            Param("noise", 1.0, 0.05, 5.0, help="spread of each class's cloud"),
            Param("lam", 0.01, 0.0, 10.0, help="L2 penalty λ"),
            _SEED,
        ),
        domain=((-2.0, 6.0), (-2.0, 6.0)),
        start=(-1.5, 5.0),
        description="Cross-entropy of a linear classifier through the origin, with weights "
        "(w₁, w₂) = (x, y), on two overlapping clouds labelled ±1; a small L2 penalty keeps "
        "the minimum finite. Without it (λ = 0), clouds narrow enough to be separable (noise "
        "0.3) leave the loss no minimum: it falls towards 0 as the weights grow without end, "
        "and no star is drawn.",
    ),
)
