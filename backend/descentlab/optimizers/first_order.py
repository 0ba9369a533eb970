"""First-order rules, each equal to its torch.optim counterpart (names, defaults, float64 path).

Every rule is a pure ``init``/``step`` pair over a leading batch axis; hyperparameters may be
floats or (B, 1) arrays. ``g`` is the gradient at ``x``, ``t`` (``ctx.t``) counts steps from 1.
The minus sign of descent is applied in one place per rule, on the last line.

The rules are elementwise: written with arithmetic and ``ctx.ops`` (``sqrt``, ``maximum``,
``where``, ``power``) only, the same step runs on (B, D) arrays (``ops`` is
:class:`~.base.ArrayOps`, numpy's: the reference path) and is traced, one coordinate's
symbols at a time, into the program the compiled loop runs (engine/trace.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np

from ..params import Param
from .base import Optimizer, StepContext

LR_HELP = "learning rate η: the step is η times the (scaled) gradient"


def _with_decay(g: np.ndarray, x: np.ndarray, wd: Any) -> np.ndarray:
    r"""$g + \lambda x$ (L2 weight decay), skipped when λ is the plain float 0: the common case
    costs no numpy call on the per-step path."""
    if isinstance(wd, float) and wd == 0.0:
        return g
    return g + wd * x


def _lr(default: float) -> Param:
    return Param("lr", default, 1e-6, 10.0, "log", LR_HELP)


def _eps(default: float) -> Param:
    return Param("eps", default, 1e-12, 1.0, "log", "ε added to the denominator")


# --- SGD: gd, momentum, nesterov -------------------------------------------------------------


class SGDState(NamedTuple):
    buf: np.ndarray  # momentum buffer b (zeros until the first step sets it to g)


def sgd_init(x: np.ndarray, hp: Any) -> SGDState:
    return SGDState(np.zeros_like(x))


def sgd_step(
    hp: Any, state: SGDState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""torch.optim.SGD.

    $g \leftarrow g + \lambda x$ (weight decay);
    $b_1 = g$, $b_t = \mu b_{t-1} + (1 - \tau) g$;
    $d = g + \mu b_t$ (Nesterov) or $d = b_t$;
    $x \leftarrow x - \eta d$.
    With $\mu = 0$ this is plain gradient descent $x \leftarrow x - \eta \nabla L(x)$.
    The lecture's $v \leftarrow \gamma v + \eta \nabla L$, $x \leftarrow x - v$ is the same path
    for a constant $\eta$ ($v = \eta b$).
    """
    mu, wd = hp.get("momentum", 0.0), hp.get("weight_decay", 0.0)
    g = _with_decay(g, x, wd)
    buf = g if ctx.t == 1 else mu * state.buf + (1.0 - hp.get("dampening", 0.0)) * g
    d = g + mu * buf if hp.get("nesterov") else buf
    return x - hp["lr"] * d, SGDState(buf), {"velocity": -hp["lr"] * d}


def _gd_step(
    hp: Any, state: SGDState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    """Plain gradient descent: SGD with momentum 0."""
    return sgd_step(hp, state, x, f, g, ctx)


def _nesterov_step(
    hp: Any, state: SGDState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    """Nesterov momentum: SGD with ``nesterov=True``. The gradient is taken at x itself and
    the look-ahead is the $+\\mu b_t$ term (torch's reformulation of Sutskever et al.), not a
    gradient at $x + \\mu v$ with the sign slip of the notes."""
    return sgd_step({**hp, "nesterov": True}, state, x, f, g, ctx)


class VelocityState(NamedTuple):
    v: np.ndarray  # velocity: the step taken last, with its sign (x moves by -v)


def velocity_init(x: np.ndarray, hp: Any) -> VelocityState:
    return VelocityState(np.zeros_like(x))


def velocity_momentum_step(
    hp: Any, state: VelocityState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""Momentum with the rate inside the velocity (eq. (1) of the Oslo notes).

    $v_t = \gamma v_{t-1} + \eta_t \nabla L(x_t)$ ($v_0 = 0$); $x_{t+1} = x_t - v_t$.
    For a constant $\eta$ this is torch's path ($v_t = \eta b_t$); under a schedule it is not:
    past gradients keep the rate they were taken with, where torch rescales all of them by
    today's $\eta_t$.
    """
    v = hp["momentum"] * state.v + hp["lr"] * g
    return x - v, VelocityState(v), {"velocity": -v}


class EWAState(NamedTuple):
    v: np.ndarray  # exponentially weighted average of the gradients


def ewa_init(x: np.ndarray, hp: Any) -> EWAState:
    return EWAState(np.zeros_like(x))


def ewa_momentum_step(
    hp: Any, state: EWAState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""Momentum as an exponentially weighted average of the gradients (the Duke notes).

    $v_t = \beta v_{t-1} + (1 - \beta) \nabla L(x_t)$ ($v_0 = 0$);
    $\hat v_t = v_t / (1 - \beta^t)$ with ``bias_correction`` (else $\hat v_t = v_t$);
    $x_{t+1} = x_t - \eta \hat v_t$.
    The notes print the correction as $1 + \beta^t$, a slip: only $1 - \beta^t$ makes
    $\hat v$ an unbiased average ($\hat v_1 = \nabla L(x_1)$).
    """
    beta, ops = hp["beta"], ctx.ops
    v = beta * state.v + (1.0 - beta) * g
    # `where` rather than `if`, so a sweep may give each row its own flag
    correction = ops.where(hp["bias_correction"] != 0, 1.0 - ops.power(beta, ctx.t), 1.0)
    step = hp["lr"] * (v / correction)
    return x - step, EWAState(v), {"velocity": -step}


_WD = Param("weight_decay", 0.0, 0.0, 1.0, "linear", "L2 penalty λ added to the gradient as λx")
_MOMENTUM = Param("momentum", 0.9, 0.0, 0.999, "linear", "momentum factor μ")
_DAMPENING = Param("dampening", 0.0, 0.0, 1.0, "linear", "dampening τ of the gradient's share")


# --- Adagrad, RMSprop, Adadelta: per-coordinate scaling by past squared gradients -------------


class AdagradState(NamedTuple):
    sum_sq: np.ndarray  # running sum of squared gradients


def adagrad_init(x: np.ndarray, hp: Any) -> AdagradState:
    return AdagradState(np.full_like(x, hp["initial_accumulator_value"]))


def adagrad_step(
    hp: Any, state: AdagradState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""torch.optim.Adagrad.

    $g \leftarrow g + \lambda x$;
    $\eta_t = \eta / (1 + (t - 1)\,\delta)$ ($\delta$ = ``lr_decay``);
    $s_t = s_{t-1} + g^2$ ($s_0$ = ``initial_accumulator_value``);
    $x \leftarrow x - \eta_t\, g / (\sqrt{s_t} + \epsilon)$.
    """
    wd = hp["weight_decay"]
    g = _with_decay(g, x, wd)
    clr = hp["lr"] / (1.0 + (ctx.t - 1) * hp["lr_decay"])
    sum_sq = state.sum_sq + g * g
    effective_lr = clr / (ctx.ops.sqrt(sum_sq) + hp["eps"])
    x_new = x - effective_lr * g
    return x_new, AdagradState(sum_sq), {"velocity": x_new - x, "effective_lr": effective_lr}


class RMSpropState(NamedTuple):
    sq_avg: np.ndarray  # running mean of g^2
    grad_avg: np.ndarray  # running mean of g (used when centered)
    buf: np.ndarray  # momentum buffer


def rmsprop_init(x: np.ndarray, hp: Any) -> RMSpropState:
    return RMSpropState(np.zeros_like(x), np.zeros_like(x), np.zeros_like(x))


def rmsprop_step(
    hp: Any, state: RMSpropState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""torch.optim.RMSprop.

    $g \leftarrow g + \lambda x$;
    $v_t = \alpha v_{t-1} + (1 - \alpha) g^2$;
    centered: $\bar g_t = \alpha \bar g_{t-1} + (1 - \alpha) g$, $a = \sqrt{v_t - \bar g_t^2}$,
    otherwise $a = \sqrt{v_t}$;
    $b_t = \mu b_{t-1} + g / (a + \epsilon)$, $x \leftarrow x - \eta b_t$
    (with $\mu = 0$: $x \leftarrow x - \eta\, g / (a + \epsilon)$).
    """
    alpha, mu, wd = hp["alpha"], hp["momentum"], hp["weight_decay"]
    g = _with_decay(g, x, wd)
    sq_avg = alpha * state.sq_avg + (1.0 - alpha) * (g * g)
    grad_avg = alpha * state.grad_avg + (1.0 - alpha) * g
    # `where` rather than `if`, so a sweep may give each row its own `centered`
    centered = hp["centered"] != 0
    ops = ctx.ops
    denom = ops.sqrt(ops.where(centered, sq_avg - grad_avg * grad_avg, sq_avg)) + hp["eps"]
    buf = mu * state.buf + g / denom
    x_new = x - hp["lr"] * buf
    return (
        x_new,
        RMSpropState(sq_avg, grad_avg, buf),
        {
            "velocity": x_new - x,
            "effective_lr": hp["lr"] / denom,
        },
    )


class AdadeltaState(NamedTuple):
    sq_avg: np.ndarray  # running mean of g^2
    delta_avg: np.ndarray  # running mean of the squared updates


def adadelta_init(x: np.ndarray, hp: Any) -> AdadeltaState:
    return AdadeltaState(np.zeros_like(x), np.zeros_like(x))


def adadelta_step(
    hp: Any, state: AdadeltaState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""torch.optim.Adadelta.

    $g \leftarrow g + \lambda x$;
    $v_t = \rho v_{t-1} + (1 - \rho) g^2$;
    $\Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g$;
    $u_t = \rho u_{t-1} + (1 - \rho) \Delta_t^2$;
    $x \leftarrow x - \eta \Delta_t$.
    """
    rho, eps, wd = hp["rho"], hp["eps"], hp["weight_decay"]
    g = _with_decay(g, x, wd)
    sq_avg = rho * state.sq_avg + (1.0 - rho) * (g * g)
    scale = ctx.ops.sqrt(state.delta_avg + eps) / ctx.ops.sqrt(sq_avg + eps)
    delta = scale * g
    delta_avg = rho * state.delta_avg + (1.0 - rho) * (delta * delta)
    x_new = x - hp["lr"] * delta
    return (
        x_new,
        AdadeltaState(sq_avg, delta_avg),
        {
            "velocity": x_new - x,
            "effective_lr": hp["lr"] * scale,
        },
    )


# --- Adam family -----------------------------------------------------------------------------


class AdamState(NamedTuple):
    m: np.ndarray  # first moment
    v: np.ndarray  # second moment
    vmax: np.ndarray  # running max of v (AMSGrad)


def adam_init(x: np.ndarray, hp: Any) -> AdamState:
    return AdamState(np.zeros_like(x), np.zeros_like(x), np.zeros_like(x))


def adam_step(
    hp: Any, state: AdamState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""torch.optim.Adam (and AMSGrad with ``amsgrad``).

    $g \leftarrow g + \lambda x$;
    $m_t = \beta_1 m_{t-1} + (1-\beta_1) g$, $v_t = \beta_2 v_{t-1} + (1-\beta_2) g^2$;
    $\hat m = m_t / (1 - \beta_1^t)$, $\hat v = v_t / (1 - \beta_2^t)$ (bias correction with a
    minus: the notes' $1 + \beta^t$ is a slip);
    AMSGrad uses $\hat v = \max_{s \le t} v_s / (1 - \beta_2^t)$;
    $x \leftarrow x - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)$.
    """
    (b1, b2), eps, t = hp["betas"], hp["eps"], ctx.t
    wd = hp.get("weight_decay", 0.0)
    g = _with_decay(g, x, wd)
    m = b1 * state.m + (1.0 - b1) * g
    v = b2 * state.v + (1.0 - b2) * (g * g)
    vmax = ctx.ops.maximum(state.vmax, v) if hp.get("amsgrad") else state.vmax
    bc1, bc2 = 1.0 - ctx.ops.power(b1, t), 1.0 - ctx.ops.power(b2, t)
    denom = ctx.ops.sqrt(vmax if hp.get("amsgrad") else v) / ctx.ops.sqrt(bc2) + eps
    step = (hp["lr"] / bc1) * m / denom
    return (
        x - step,
        AdamState(m, v, vmax),
        {
            "velocity": -step,
            "effective_lr": (hp["lr"] / bc1) / denom,
        },
    )


def _amsgrad_step(
    hp: Any, state: AdamState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    """AMSGrad: torch.optim.Adam with ``amsgrad=True``."""
    return adam_step({**hp, "amsgrad": True}, state, x, f, g, ctx)


def adamw_step(
    hp: Any, state: AdamState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""torch.optim.AdamW: Adam with decoupled weight decay.

    $x \leftarrow (1 - \eta\lambda)\, x$ (the decay shrinks x, it never enters $m$ or $v$);
    then the Adam step with $\lambda = 0$:
    $x \leftarrow x - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)$.
    """
    decayed = x * (1.0 - hp["lr"] * hp["weight_decay"])
    x_new, state, info = adam_step({**hp, "weight_decay": 0.0}, state, decayed, f, g, ctx)
    return x_new, state, {**info, "velocity": x_new - x}


class NAdamState(NamedTuple):
    m: np.ndarray
    v: np.ndarray
    mu_product: np.ndarray  # (B, 1): the product of the momentum schedule mu_1 ... mu_t


def nadam_init(x: np.ndarray, hp: Any) -> NAdamState:
    return NAdamState(np.zeros_like(x), np.zeros_like(x), np.ones((x.shape[0], 1)))


def nadam_step(
    hp: Any, state: NAdamState, x: np.ndarray, f: Any, g: np.ndarray, ctx: StepContext
) -> Any:
    r"""torch.optim.NAdam (Dozat's Nesterov Adam with a momentum schedule).

    $g \leftarrow g + \lambda x$;
    $\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{t\psi})$ ($\psi$ = ``momentum_decay``),
    $\Pi_t = \prod_{s \le t} \mu_s$;
    $m_t = \beta_1 m_{t-1} + (1-\beta_1) g$, $v_t = \beta_2 v_{t-1} + (1-\beta_2) g^2$;
    $d = \sqrt{v_t / (1 - \beta_2^t)} + \epsilon$;
    $x \leftarrow x - \eta \left(\frac{1 - \mu_t}{1 - \Pi_t}\, g
    + \frac{\mu_{t+1}}{1 - \Pi_t \mu_{t+1}}\, m_t\right) / d$.
    """
    (b1, b2), t, psi, wd = hp["betas"], ctx.t, hp["momentum_decay"], hp["weight_decay"]
    g = _with_decay(g, x, wd)
    mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    mu_product = state.mu_product * mu
    m = b1 * state.m + (1.0 - b1) * g
    v = b2 * state.v + (1.0 - b2) * (g * g)
    denom = ctx.ops.sqrt(v / (1.0 - ctx.ops.power(b2, t))) + hp["eps"]
    lr = hp["lr"]
    # two separate updates, in torch's order, so the float64 paths agree to the last bits
    x_new = x - (lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
    x_new = x_new - (lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)
    return (
        x_new,
        NAdamState(m, v, mu_product),
        {
            "velocity": x_new - x,
            "effective_lr": lr / denom,
        },
    )


_BETAS = Param("betas", (0.9, 0.999), 0.0, 0.9999, "linear", "decay rates (β1, β2) of the moments")
_ADAM_EPS = _eps(1e-8)

_ADAMW_WD = replace(_WD, default=1e-2, help="decoupled decay λ: x shrinks by ηλx each step")
_ALPHA = Param("alpha", 0.99, 0.0, 0.9999, "linear", "smoothing α of the running mean of g²")
_RHO = Param("rho", 0.9, 0.0, 0.9999, "linear", "decay ρ of the running means")
_CENTERED = Param(
    "centered",
    0.0,
    0.0,
    1.0,
    "linear",
    "1 divides by the gradient's running variance instead of its mean square "
    "(torch's centered=True)",
    integer=True,
)


OPTIMIZERS: tuple[Optimizer, ...] = (
    Optimizer(
        id="gd",
        name="Gradient descent",
        family="first-order",
        elementwise=True,
        hypers=(_lr(1e-3), _WD),
        formula=r"x_{t+1} = x_t - \eta \nabla L(x_t)",
        description="Step downhill by the learning rate times the gradient.",
        init=sgd_init,
        step=_gd_step,
        torch="SGD",
        info=("velocity",),
    ),
    Optimizer(
        id="momentum",
        name="Momentum",
        family="first-order",
        elementwise=True,
        hypers=(_lr(1e-3), _MOMENTUM, _DAMPENING, _WD),
        formula=r"b_t = \mu b_{t-1} + \nabla L(x_t),\; x_{t+1} = x_t - \eta b_t",
        description="A heavy ball: the velocity remembers past gradients, damping the zig-zag "
        "across a valley and speeding up along it.",
        init=sgd_init,
        step=sgd_step,
        torch="SGD",
        info=("velocity",),
    ),
    Optimizer(
        id="nesterov",
        name="Nesterov momentum",
        family="first-order",
        elementwise=True,
        hypers=(_lr(1e-3), _MOMENTUM, _WD),
        formula=r"b_t = \mu b_{t-1} + \nabla L(x_t),\; "
        r"x_{t+1} = x_t - \eta (\nabla L(x_t) + \mu b_t)",
        description="Momentum that corrects its course with a look-ahead.",
        init=sgd_init,
        step=_nesterov_step,
        torch="SGD",
        info=("velocity",),
    ),
    Optimizer(
        id="velocity-momentum",
        name="Momentum, rate in the velocity",
        family="first-order",
        elementwise=True,
        hypers=(_lr(1e-3), _MOMENTUM),
        formula=r"v_t = \gamma v_{t-1} + \eta_t \nabla L(x_t),\; x_{t+1} = x_t - v_t",
        description="The Oslo notes' momentum (their eq. (1)): the velocity keeps each "
        "gradient scaled by the rate of its own step. With a constant rate it is the same path "
        "as Momentum; under a schedule, Momentum rescales all past gradients by today's rate.",
        init=velocity_init,
        step=velocity_momentum_step,
        info=("velocity",),
    ),
    Optimizer(
        id="ewa-momentum",
        name="Momentum as an average (EWA)",
        family="first-order",
        elementwise=True,
        hypers=(
            _lr(1e-2),
            Param("beta", 0.9, 0.0, 0.9999, "linear", "β: how much of the average each step keeps"),
            Param(
                "bias_correction",
                1.0,
                0.0,
                1.0,
                "linear",
                "1 divides the average by 1 − β^t so the first steps are not too short",
                integer=True,
            ),
        ),
        formula=r"v_t = \beta v_{t-1} + (1-\beta) \nabla L(x_t),\; "
        r"x_{t+1} = x_t - \eta \frac{v_t}{1-\beta^t}",
        description="The Duke notes' momentum: the step follows an exponentially weighted "
        "average of past gradients, bias-corrected (the notes print 1 + β^t, a slip for "
        "1 − β^t). Momentum with μ = β and rate η(1−β) is the same path without correction.",
        init=ewa_init,
        step=ewa_momentum_step,
        info=("velocity",),
    ),
    Optimizer(
        id="adagrad",
        name="Adagrad",
        family="first-order",
        elementwise=True,
        hypers=(
            _lr(1e-2),
            Param("lr_decay", 0.0, 0.0, 1.0, "linear", "δ: the rate at step t is η/(1 + (t-1)δ)"),
            _WD,
            Param(
                "initial_accumulator_value",
                0.0,
                0.0,
                10.0,
                "linear",
                "starting value of the sum of squared gradients",
            ),
            _eps(1e-10),
        ),
        formula=r"s_t = s_{t-1} + g_t^2,\; x_{t+1} = x_t - \eta \frac{g_t}{\sqrt{s_t} + \epsilon}",
        description="Each coordinate's step shrinks with the sum of its squared gradients: "
        "steep directions slow down for good, which is also why it stalls on long runs.",
        init=adagrad_init,
        step=adagrad_step,
        torch="Adagrad",
        info=("velocity", "effective_lr"),
    ),
    Optimizer(
        id="rmsprop",
        name="RMSprop",
        family="first-order",
        elementwise=True,
        hypers=(_lr(1e-2), _ALPHA, _eps(1e-8), _WD, replace(_MOMENTUM, default=0.0), _CENTERED),
        formula=r"v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\; "
        r"x_{t+1} = x_t - \eta \frac{g_t}{\sqrt{v_t} + \epsilon}",
        description="Adagrad with a forgetting running mean, so the per-coordinate step "
        "recovers once the slope flattens.",
        init=rmsprop_init,
        step=rmsprop_step,
        torch="RMSprop",
        info=("velocity", "effective_lr"),
    ),
    Optimizer(
        id="adadelta",
        name="Adadelta",
        family="first-order",
        elementwise=True,
        hypers=(_lr(1.0), _RHO, _eps(1e-6), _WD),
        formula=r"\Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t,\; "
        r"x_{t+1} = x_t - \eta \Delta_t",
        description="RMSprop whose step size is the running RMS of its own past steps: "
        "units match and the learning rate can stay at 1.",
        init=adadelta_init,
        step=adadelta_step,
        torch="Adadelta",
        info=("velocity", "effective_lr"),
    ),
    Optimizer(
        id="adam",
        name="Adam",
        family="first-order",
        elementwise=True,
        hypers=(_lr(1e-3), _BETAS, _ADAM_EPS, _WD),
        formula=r"x_{t+1} = x_t - \eta \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},\;"
        r"\hat m_t = \frac{m_t}{1-\beta_1^t},\; \hat v_t = \frac{v_t}{1-\beta_2^t}",
        description="Momentum on the gradient, scaled per coordinate by a running RMS.",
        init=adam_init,
        step=adam_step,
        torch="Adam",
        info=("velocity", "effective_lr"),
    ),
    Optimizer(
        id="adamw",
        name="AdamW",
        family="first-order",
        elementwise=True,
        hypers=(_lr(1e-3), _BETAS, _ADAM_EPS, _ADAMW_WD),
        formula=r"x_{t+1} = (1 - \eta\lambda) x_t "
        r"- \eta \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
        description="Adam with the weight decay applied to x directly rather than folded "
        "into the gradient, so the adaptive scaling does not weaken it.",
        init=adam_init,
        step=adamw_step,
        torch="AdamW",
        info=("velocity", "effective_lr"),
    ),
    Optimizer(
        id="nadam",
        name="NAdam",
        family="first-order",
        elementwise=True,
        hypers=(
            _lr(2e-3),
            _BETAS,
            _ADAM_EPS,
            _WD,
            Param("momentum_decay", 4e-3, 0.0, 0.1, "linear", "ψ of the momentum schedule μ_t"),
        ),
        formula=r"x_{t+1} = x_t - \eta \frac{\frac{1-\mu_t}{1-\Pi_t} g_t + "
        r"\frac{\mu_{t+1}}{1-\Pi_{t+1}} m_t}{\sqrt{\hat v_t} + \epsilon}",
        description="Adam with Nesterov's look-ahead: the step already uses next step's momentum.",
        init=nadam_init,
        step=nadam_step,
        torch="NAdam",
        info=("velocity", "effective_lr"),
    ),
    Optimizer(
        id="amsgrad",
        name="AMSGrad",
        family="first-order",
        elementwise=True,
        hypers=(_lr(1e-3), _BETAS, _ADAM_EPS, _WD),
        formula=r"\hat v_t = \frac{\max_{s \le t} v_s}{1-\beta_2^t},\; "
        r"x_{t+1} = x_t - \eta \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
        description="Adam whose per-coordinate scale never shrinks back.",
        init=adam_init,
        step=_amsgrad_step,
        torch="Adam",
        info=("velocity", "effective_lr"),
    ),
)
