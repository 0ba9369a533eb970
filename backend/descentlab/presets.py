"""The lecture's figures as presets: run bodies declared as data (the API and the UI reuse them).

Each preset's ``run`` is exactly the body ``POST /api/runs`` takes, so "one click" in the UI and
``curl`` reproduce the same figure; the tests run every preset through the engine and hold it to
the numbers the notes print. Presets are grouped by lecture (:data:`LECTURES`, in teaching
order) and listed in the order of the notes, which is the order lecture mode steps through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .problems import make_problem


@dataclass(frozen=True)
class Lecture:
    """One set of lecture notes: ``notes`` names its file under the course's seeds."""

    id: str
    title: str
    notes: str

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "notes": self.notes}


LECTURES: tuple[Lecture, ...] = (
    Lecture("glasgow", "Optimisation II: gradient descent, restarts, momentum", "001"),
    Lecture("duke", "Gradient descent optimisations: momentum, RMSprop, Adam, scipy", "004"),
    Lecture("oslo", "Stochastic gradient methods: minibatches, schedules", "000"),
)


@dataclass(frozen=True)
class Preset:
    """A figure of the notes. ``section`` says where it is; ``description`` what it shows;
    ``try_this`` one change to make and what to watch; ``differs`` (when set) where our run
    differs from what the notes print, and why. ``view`` may set the figure's ``domain``
    (a box other than the surface's own) and its contour ``levels`` (the notes' own).
    ``show`` opens a view beside the surface for optimiser ``optimizer`` (an index into the
    run's): ``{"view": "sweep", "x": {"name", "range", "scale"}, "y": ..., "n", "metric"}``
    (``POST /api/sweeps`` over an n × n grid; metric ``loss``, ``steps`` or ``status``) or
    ``{"view": "basins", "n"}`` (``POST /api/basins`` over the figure's box) or
    ``{"view": "3d", "z"}`` (the surface in 3-D, the paths on it; z the height scale: ``lin``,
    ``log`` or ``clip``). ``overlay`` names what is drawn over the surface besides the paths:
    ``"state"`` (what each rule keeps, ``POST /api/states``, animated with the path) and
    ``"field"`` (the field of −∇f). ``loss`` sets the loss plot: ``{"ewa": β}`` draws a
    minibatch loss's exponentially weighted average and its bias-corrected form (004)."""

    id: str
    title: str
    lecture: str
    section: str
    description: str
    try_this: str
    run: dict[str, Any]
    view: dict[str, Any] | None = None
    differs: str | None = None
    show: dict[str, Any] | None = None
    overlay: tuple[str, ...] = ()
    loss: dict[str, Any] | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "lecture": self.lecture,
            "section": self.section,
            "description": self.description,
            "try_this": self.try_this,
            "differs": self.differs,
            "run": self.run,
            "view": self.view,
            "show": self.show,
            "overlay": list(self.overlay),
            "loss": self.loss,
        }


# The Glasgow notes' gradient descent: continue while sum |dL| > tol, with no cap on the steps.
_GLASGOW_STOP = {"grad_tol": 1e-4, "grad_norm": "l1"}
# A fixed number of iterations, as the Duke and Oslo notes' loops run.
_NO_TOL = {"grad_tol": None}
# The Duke notes' contour levels for x² + 100y², and k⁵ (k = 0..9) for Rosenbrock.
_BOWL_VIEW = {
    "domain": [[-1.2, 1.2], [-1.2, 1.2]],
    "levels": [0.1, 1, 2, 4, 9, 16, 25, 36, 49, 64, 81, 100],
}
_ROSENBROCK_VIEW = {"domain": [[-5.0, 5.0], [-5.0, 5.0]], "levels": [k**5 for k in range(10)]}
_DUKE_BOWL = {"id": "quadratic", "params": {"kappa": 100, "angle": 0}}
_DUKE_1D_VIEW = {"domain": [[-1.2, 1.2]]}
_NOTES_COUNT_POINTS = (
    "The notes print the number of points drawn, start included; we count updates, one fewer."
)


def _ols_rate() -> float:
    """η = 1/λmax of the OLS loss's Hessian (2/n)XᵀX on the Oslo notes' data, as they set it."""
    problem = make_problem("linear-regression")
    hessian = problem.hess(np.zeros((1, problem.dim)))[0]
    return float(1.0 / np.linalg.eigvalsh(hessian).max())


def _duke_1d(optimizer: dict[str, Any]) -> dict[str, Any]:
    """The Duke notes' 1-D figures: ten steps on x² from x = 1."""
    return {
        "surface": "parabola",
        "start": [1.0],
        "max_steps": 10,
        "stop": _NO_TOL,
        "optimizers": [optimizer],
    }


def _duke_bowl(steps: int, optimizer: dict[str, Any]) -> dict[str, Any]:
    """The Duke notes' x² + 100y² figures: a fixed number of steps from (-1, -1)."""
    return {
        "surface": _DUKE_BOWL,
        "start": [-1.0, -1.0],
        "max_steps": steps,
        "stop": _NO_TOL,
        "optimizers": [optimizer],
    }


def _duke_rosenbrock(optimizer: dict[str, Any]) -> dict[str, Any]:
    """The Duke notes' scipy comparison: one method from (4, -4.1), its own stopping rules."""
    return {
        "surface": "rosenbrock",
        "start": [4.0, -4.1],
        "max_steps": 2000,
        "optimizers": [optimizer],
    }


def _parabola(lr: float, verdict: str, steps: int, try_this: str, differs: str) -> Preset:
    return Preset(
        id=f"parabola-lr-{lr:g}",
        title=f"Parabola, step {lr:g}: {verdict}",
        lecture="glasgow",
        section="2.6.1 Why step size matters",
        description=f"Gradient descent on L(θ) = θ² from θ = −10 with step {lr:g}, until "
        f"Σ|∂L| ≤ 10⁻⁴. Each step multiplies θ by 1 − 2·{lr:g} = {1 - 2 * lr:g}: it converges "
        "for 0 < η < 1, fastest at 0.5, oscillates above 0.5 and diverges above 1.",
        try_this=try_this,
        differs=differs,
        run={
            "surface": "parabola",
            "start": [-10.0],
            "max_steps": steps,
            "stop": _GLASGOW_STOP,
            "optimizers": [{"id": "gd", "params": {"lr": lr}}],
        },
        view={"domain": [[-10.0, 10.0]]},
    )


GLASGOW: tuple[Preset, ...] = (
    Preset(
        id="quartic-analytic",
        title="The quartic: a minimum at x = 5",
        lecture="glasgow",
        section="2.2 Analytical derivatives",
        description="f(x) = x⁴ − 40x² − 100x, drawn on [−2, 8] as in the notes: f′(5) = 0 and "
        "f″(5) = 220 > 0, so x = 5 is a minimum. Gradient descent from x = 0 walks to it.",
        try_this="Start at x = −2: the slope there points left, to the other, local minimum "
        "at x ≈ −3.62 just outside the view.",
        differs="The notes solve this one on paper; the gradient-descent path is ours.",
        run={
            "surface": "quartic",
            "start": [0.0],
            "max_steps": 1000,
            "stop": _GLASGOW_STOP,
            "optimizers": [{"id": "gd", "params": {"lr": 0.002}}],
        },
        view={"domain": [[-2.0, 8.0]]},
    ),
    _parabola(
        0.25,
        "about right",
        100,
        "Halve lr: the path needs about twice as many steps.",
        f"{_NOTES_COUNT_POINTS} They print 19 steps; this run makes 18 updates.",
    ),
    _parabola(
        0.01,
        "too small",
        1000,
        "Drag lr up towards 0.5 and watch the step count fall.",
        f"{_NOTES_COUNT_POINTS} They print 606 steps; this run makes 605 updates.",
    ),
    _parabola(
        0.5,
        "one step",
        100,
        "Any lr other than 0.5 needs more than one step: 2/λmax = 1 here, and 1/λmax lands "
        "exactly on the minimum.",
        f"{_NOTES_COUNT_POINTS} They print 2 steps; this run makes 1 update.",
    ),
    _parabola(
        0.98,
        "oscillating",
        1000,
        "Drag lr from 0.98 down to 0.5: the jumps across the minimum shrink and stop.",
        f"{_NOTES_COUNT_POINTS} They print 301 steps; this run makes 300 updates.",
    ),
    _parabola(
        1.5,
        "diverging",
        1000,
        "Drag lr just below 1: the path turns back and converges, slowly.",
        'The notes print "Converged in 1023 steps": their loop stops once θ overflows and the '
        "gradient becomes NaN. We stop at |θ| > 10⁶ and call it diverged.",
    ),
    Preset(
        id="polynomial-five-paths",
        title="A 2-D polynomial: five starts, one minimum",
        lecture="glasgow",
        section="2.6.3 Gradient descent in 2D",
        description="y² − 0.02y³ + 5x + x² + 0.04x³ on [−35, 35]², gradient descent from five "
        "starts until Σ|∂L| ≤ 10⁻⁶: four with step 0.1, one with step 0.9. All end in the "
        "same local minimum near (−3.06, 0); far enough away the cubic terms fall forever.",
        try_this="Move a start to the far right or top: past the ridge the cubic terms win and "
        "the path runs off.",
        run={
            "surface": "polynomial",
            "max_steps": 1000,
            "stop": {"grad_tol": 1e-6, "grad_norm": "l1"},
            "optimizers": [
                {"id": "gd", "params": {"lr": 0.1}, "start": [30.0, -40.0]},
                {"id": "gd", "params": {"lr": 0.1}, "start": [-10.0, 20.0]},
                {"id": "gd", "params": {"lr": 0.1}, "start": [18.0, 19.0]},
                {"id": "gd", "params": {"lr": 0.1}, "start": [18.0, 33.0]},
                {"id": "gd", "params": {"lr": 0.9}, "start": [-13.0, -18.0]},
            ],
        },
        view={"domain": [[-35.0, 35.0], [-35.0, 35.0]]},
    ),
    Preset(
        id="dog-inside-outside",
        title="Difference of Gaussians: inside and outside the ring",
        lecture="glasgow",
        section="3.2.3 Vectorised example",
        description="exp(−r²/10) − exp(−r²/2) with r² = |θF|², F = [[1, −0.2], [0.8, 1.5]]: "
        "0 at the origin, a tilted ring of height 0.535 around it, and a plain sloping down "
        "to 0 far away. Gradient descent (step 0.5) from inside the ring falls to the centre; "
        "from outside it slides away across the plain until the slope is too small to follow.",
        try_this="Drag lr above 2/λmax ≈ 0.83 at the centre: the inside path stops settling.",
        differs="The notes draw the surface and its two partial derivatives, with no path; "
        "the two gradient-descent paths are ours.",
        run={
            "surface": "dog",
            "max_steps": 10_000,
            "stop": _GLASGOW_STOP,
            "optimizers": [
                {"id": "gd", "params": {"lr": 0.5}, "start": [0.5, 0.5]},
                {"id": "gd", "params": {"lr": 0.5}, "start": [1.5, 1.5]},
            ],
        },
    ),
    Preset(
        id="dog-basins",
        title="Difference of Gaussians: where gradient descent can get to",
        lecture="glasgow",
        section="3.2.3 Vectorised example",
        description="Gradient descent (step 0.5, at most 1,000 steps) from every start of a "
        "100 × 100 grid over the window, coloured by where it ends: every start inside the "
        "ring r² < 2.5 ln 5 reaches the centre, one basin; every start outside slides away "
        "across the plain and never converges (grey).",
        try_this="Click a grey cell: the path starts there and slides out of the window.",
        differs="The notes draw the surface only; the basin map is ours.",
        run={
            "surface": "dog",
            "max_steps": 1000,
            "optimizers": [{"id": "gd", "params": {"lr": 0.5}}],
        },
        show={"view": "basins", "optimizer": 0, "n": 100},
    ),
    Preset(
        id="line-fit-gd",
        title="Fitting a line: gradient descent on (m, c)",
        lecture="glasgow",
        section="3.4.1 Fitting a line, first-order",
        description="The sum of squared residuals of y = mx + c over 20 points drawn as "
        "y = 2x + 1 + N(0, (0.5x)²), as a surface over (m, c); gradient descent with step "
        "0.01 from (−1, 0) until Σ|∂L| ≤ 10⁻⁴ reaches the least-squares line.",
        try_this="Raise lr towards 2/λmax of this sum (shown on the card): the path starts "
        "to zig-zag across the valley.",
        differs="The notes' 20 points are an unseeded draw and take 35 steps; ours are "
        "seeded, and the same rule takes 41.",
        run={
            "surface": "line-fit",
            "start": [-1.0, 0.0],
            "max_steps": 10_000,
            "stop": _GLASGOW_STOP,
            "optimizers": [{"id": "gd", "params": {"lr": 0.01}}],
        },
    ),
    Preset(
        id="line-fit-sgd",
        title="Fitting a line to 100,000 points: one epoch of SGD",
        lecture="glasgow",
        section="3.6.4 Linear regression with SGD",
        description="100,000 points y = x + 2 + N(0, 0.5²): one pass of SGD in shuffled "
        "minibatches of 100, each step 0.05 times the batch's mean gradient, from "
        "(−3.5, 2.5). One pass through the data finds the line.",
        try_this="Set the batch size to 10: ten times as many, noisier steps per epoch.",
        differs="The notes' data are an unseeded draw; ours are seeded.",
        run={
            "surface": "line-fit-sgd",
            "start": [-3.5, 2.5],
            "stochastic": {"batch_size": 100, "sampling": "shuffle"},
            "epochs": 1,
            "seed": 1,
            "stop": _NO_TOL,
            "optimizers": [{"id": "gd", "params": {"lr": 0.05}}],
        },
    ),
    Preset(
        id="nightmare-gd",
        title="Nightmare: plain gradient descent",
        lecture="glasgow",
        section="3.7 A nightmare function",
        description="Gradient descent with step 0.5 on the notes' nightmare function, until "
        "Σ|∂L| ≤ 10⁻⁴: it follows the valley it starts in, wanders round in a long arc, and "
        "settles in a shallow local minimum far from the global one near (−3.02, 0.11).",
        try_this="Move the start around: every start ends in the nearest dent, never across "
        "the ridge along y = −1.",
        differs="The notes draw the start from N(0, 4²) at random; ours is fixed.",
        run={
            "surface": "nightmare",
            "start": [-1.0, -3.5],
            "max_steps": 100_000,
            "stop": _GLASGOW_STOP,
            "optimizers": [{"id": "gd", "params": {"lr": 0.5}}],
        },
    ),
    Preset(
        id="nightmare-3d",
        title="Nightmare in 3-D: the dents gradient descent falls into",
        lecture="glasgow",
        section="3.7 A nightmare function",
        description="The nightmare function as a surface, the gradient descent path of the "
        "figure before lifted onto it (its height f at each step): the path rolls down the "
        "slope it starts on and stops in a shallow dent, while the global minimum's deeper "
        "hollow near (−3.02, 0.11) lies across a ridge.",
        try_this="Rotate the surface to look along the ridge at y = −1, then play the path "
        "again: it never climbs it.",
        differs="The notes draw the nightmare function's surface in 3-D without a path; the "
        "path on it is ours.",
        run={
            "surface": "nightmare",
            "start": [-1.0, -3.5],
            "max_steps": 100_000,
            "stop": _GLASGOW_STOP,
            "optimizers": [{"id": "gd", "params": {"lr": 0.5}}],
        },
        show={"view": "3d", "z": "lin"},
    ),
    Preset(
        id="nightmare-momentum-restarts",
        title="Nightmare: momentum with random restarts",
        lecture="glasgow",
        section="3.9 Simple memory: momentum terms",
        description="Momentum (v = αv + δ∇L, δ = 0.2, α = 0.9) from the centre and 19 starts "
        "drawn from N(0, 2²), each run until its loss changes by at most 10⁻⁴; the lowest "
        "final loss wins. Restarts let a method that gets stuck try other basins.",
        try_this="Set momentum to 0: most runs now stop in the first dent they meet.",
        differs="The notes start the velocity at ∇L(θ₀) itself, unscaled, so their first step "
        "is (α + δ)∇L; ours starts at rest (first step δ∇L). Their starts are unseeded draws.",
        run={
            "surface": "nightmare",
            "start": [0.0, 0.0],
            "max_steps": 2000,
            "seed": 1,
            "restarts": 19,
            "restart_from": {"dist": "normal", "center": [0.0, 0.0], "sigma": 2.0},
            "stop": {"grad_tol": None, "loss_tol": 1e-4},
            "optimizers": [{"id": "velocity-momentum", "params": {"lr": 0.2, "momentum": 0.9}}],
        },
        view={"domain": [[-5.0, 5.0], [-5.0, 5.0]]},
    ),
    Preset(
        id="nightmare-momentum-cloud",
        title="Nightmare: a cloud of 401 momentum runs",
        lecture="glasgow",
        section="3.8 Random restart",
        description="The restarts of 3.9 taken to their end: momentum (δ = 0.2, α = 0.9) from "
        "the centre and the 400 centres of a 20 × 20 grid over the notes' window, all moving "
        "at once, each until its loss changes by at most 10⁻⁴. Each particle is coloured by its "
        "loss; only a handful of starts find the global minimum near (−3.02, 0.11), and the "
        "best run is drawn in full.",
        try_this="Set 'restarts from' to N(centre, σ²) with σ = 1 and drag the start to another "
        "corner: how many particles still reach the global minimum?",
        differs="The notes draw 20 starts from N(0, 2²); here they are a grid, so every part of "
        "the window is tried once. The velocity starts at rest (see the restarts figure).",
        run={
            "surface": "nightmare",
            "start": [0.0, 0.0],
            "max_steps": 1000,
            "restarts": 400,
            "restart_from": {"dist": "grid", "box": [[-5.0, 5.0], [-5.0, 5.0]]},
            "stop": {"grad_tol": None, "loss_tol": 1e-4},
            "optimizers": [{"id": "velocity-momentum", "params": {"lr": 0.2, "momentum": 0.9}}],
        },
        view={"domain": [[-5.0, 5.0], [-5.0, 5.0]]},
    ),
)

DUKE: tuple[Preset, ...] = (
    Preset(
        id="duke-gd-1d-moderate",
        title="x²: gradient descent with a moderate step",
        lecture="duke",
        section="Momentum in 1D: gradient descent with moderate step size",
        description="Ten steps of 0.1 on f(x) = x² from x = 1: each multiplies x by 0.8.",
        try_this="Drag lr to 0.5: one step lands on the minimum.",
        run=_duke_1d({"id": "gd", "params": {"lr": 0.1}}),
        view=_DUKE_1D_VIEW,
    ),
    Preset(
        id="duke-gd-1d-large",
        title="x²: gradient descent with a large step",
        lecture="duke",
        section="Momentum in 1D: gradient descent with large step size",
        description="Ten steps of 0.95 on f(x) = x² from x = 1: each multiplies x by −0.9, so "
        "the path jumps from side to side and closes in slowly.",
        try_this="Drag lr past 1: the jumps grow instead.",
        run=_duke_1d({"id": "gd", "params": {"lr": 0.95}}),
        view=_DUKE_1D_VIEW,
    ),
    Preset(
        id="duke-ewa-momentum-1d",
        title="x²: momentum as an average of gradients",
        lecture="duke",
        section="Momentum in 1D: gradient descent with momentum",
        description="The same step 0.95 with momentum β = 0.9 as an exponentially weighted "
        "average of the gradients, bias-corrected: opposite gradients cancel in the average, "
        "so the side-to-side jumps are damped.",
        try_this="Set bias_correction to 0: the first steps become ten times shorter.",
        differs="The notes divide by 1 + β^t, a slip for 1 − β^t; with the correct rule the "
        "first step is a full gradient step (to −0.9) and the swing is damped over more steps "
        "than the notes' curve shows.",
        run=_duke_1d({"id": "ewa-momentum", "params": {"lr": 0.95, "beta": 0.9}}),
        view=_DUKE_1D_VIEW,
    ),
    Preset(
        id="duke-bowl-gd",
        title="x² + 100y²: vanilla gradient descent",
        lecture="duke",
        section="Momentum and RMSprop in 2D: gradient descent with large step size",
        description="75 steps of 0.01 from (−1, −1). Along y the curvature is 200, so each "
        "step multiplies y by 1 − 0.01·200 = −1: y flips sign forever while x crawls.",
        try_this="Drag lr just below 0.01 = 2/λmax: the swing across the valley dies out.",
        run=_duke_bowl(75, {"id": "gd", "params": {"lr": 0.01}}),
        view=_BOWL_VIEW,
    ),
    Preset(
        id="duke-bowl-momentum",
        title="x² + 100y²: gradient descent with momentum",
        lecture="duke",
        section="Momentum and RMSprop in 2D: gradient descent with momentum",
        description="The same 75 steps of 0.01 with momentum as an average of gradients "
        "(β = 0.9): the flips along y cancel in the average and the path settles into the "
        "valley.",
        try_this="Set beta to 0: this is the vanilla figure again.",
        differs="The notes divide by 1 + β^t, a slip for 1 − β^t; the correct rule takes "
        "larger first steps, so the path differs from the notes' figure in its first swings.",
        run=_duke_bowl(75, {"id": "ewa-momentum", "params": {"lr": 0.01, "beta": 0.9}}),
        view=_BOWL_VIEW,
    ),
    Preset(
        id="duke-bowl-momentum-state",
        title="x² + 100y²: what momentum keeps",
        lecture="duke",
        section="Momentum and RMSprop in 2D: gradient descent with momentum",
        description="The momentum figure with what the rule keeps drawn at the moving point: "
        "the gradient's step −lr·∇f (which flips across the valley at every step) against "
        "the velocity −lr·v̂, the average of the gradients, whose flips cancel and which "
        "grows along the valley floor; under them the field of −∇f.",
        try_this="Step through the first ten steps: the velocity turns from the gradient's "
        "direction to the valley's.",
        differs="The notes divide by 1 + β^t, a slip for 1 − β^t (see the momentum figure).",
        run=_duke_bowl(75, {"id": "ewa-momentum", "params": {"lr": 0.01, "beta": 0.9}}),
        view=_BOWL_VIEW,
        overlay=("state", "field"),
    ),
    Preset(
        id="duke-bowl-momentum-sweep",
        title="x² + 100y²: where momentum is stable",
        lecture="duke",
        section="Momentum and RMSprop in 2D: gradient descent with momentum",
        description="Momentum (b = μb + ∇f, x −= lr·b) from (−1, −1) for 100 × 100 settings "
        "of lr and μ, coloured by how each run of 500 steps ends. Runs diverge exactly where "
        "lr·λmax > 2(1 + μ), λmax = 200: momentum lets the step grow to (1 + μ) times plain "
        "gradient descent's bound 2/λmax = 0.01 before the swing across the valley blows up.",
        try_this="Click a cell just left of the red edge: the path swings across the valley "
        "for hundreds of steps before it settles.",
        differs="The notes run one setting (momentum as an average of gradients); the sweep "
        "over lr and μ, with PyTorch's form of momentum, is ours.",
        run={
            "surface": _DUKE_BOWL,
            "start": [-1.0, -1.0],
            "max_steps": 500,
            "optimizers": [{"id": "momentum", "params": {"lr": 0.01, "momentum": 0.9}}],
        },
        view=_BOWL_VIEW,
        show={
            "view": "sweep",
            "optimizer": 0,
            "x": {"name": "lr", "range": [1e-4, 0.1], "scale": "log"},
            "y": {"name": "momentum", "range": [0.0, 0.99], "scale": "linear"},
            "n": 100,
            "metric": "status",
        },
    ),
    Preset(
        id="duke-bowl-rmsprop",
        title="x² + 100y²: RMSprop",
        lecture="duke",
        section="Momentum and RMSprop in 2D: gradient descent with RMSprop",
        description="Ten steps of RMSprop (lr 0.1, α = 0.9, ε = 10⁻⁸) from (−1, −1): each "
        "coordinate's step is divided by its own running RMS gradient, so both axes move at "
        "about the same speed despite curvatures 2 and 200.",
        try_this="Raise alpha towards 0.99: the scale adapts more slowly and the first steps grow.",
        run=_duke_bowl(10, {"id": "rmsprop", "params": {"lr": 0.1, "alpha": 0.9, "eps": 1e-8}}),
        view=_BOWL_VIEW,
    ),
    Preset(
        id="duke-bowl-adam",
        title="x² + 100y²: Adam",
        lecture="duke",
        section="ADAM",
        description="Ten steps of Adam (lr 0.1, β₁ = β₂ = 0.9, ε = 10⁻⁸) from (−1, −1): "
        "momentum on the gradient, scaled per coordinate as in RMSprop, with bias correction.",
        try_this="Set β₁ to 0: Adam becomes RMSprop with bias correction.",
        differs="The notes' Adam cell steps with m where m̂ is meant and corrects by "
        "1 + β^t (a slip for 1 − β^t), and titles the figure RMSprop; this is Adam as "
        "torch.optim.Adam defines it.",
        run=_duke_bowl(10, {"id": "adam", "params": {"lr": 0.1, "betas": [0.9, 0.9], "eps": 1e-8}}),
        view=_BOWL_VIEW,
    ),
    Preset(
        id="duke-rosenbrock-gd-100k",
        title="Rosenbrock: 100,000 gradient-descent steps",
        lecture="duke",
        section="Implementing a custom optimization routine for scipy.optimize",
        description="The notes' custom minimiser: 100,000 steps of 0.0002 from (4, −4.1). "
        "The path drops into the curved valley at once and then creeps along it; the final "
        "loss is 1.06 × 10⁻⁸.",
        try_this="Compare the step count with Nelder-Mead's and Newton-CG's on the next slides.",
        run={
            "surface": "rosenbrock",
            "start": [4.0, -4.1],
            "max_steps": 100_000,
            "stop": _NO_TOL,
            "optimizers": [{"id": "gd", "params": {"lr": 0.0002}}],
        },
        view=_ROSENBROCK_VIEW,
    ),
    Preset(
        id="duke-rosenbrock-nelder-mead",
        title="Rosenbrock: Nelder-Mead",
        lecture="duke",
        section="Comparison with standard algorithms: Nelder-Mead",
        description="scipy's Nelder-Mead from (4, −4.1) with its own defaults: no "
        "derivatives, only a simplex of three points reflecting and shrinking; 162 function "
        "evaluations to a loss of 5.3 × 10⁻¹⁰.",
        try_this="Set adaptive to 1, or give the simplex a size: the count of evaluations "
        "changes a lot.",
        differs="scipy reports 85 iterations; its callback reports 84 points after the start, "
        "and that is the path drawn. Where the simplex's best point does not move, the path "
        "repeats it.",
        run=_duke_rosenbrock({"id": "nelder-mead", "params": {"simplex_size": 0.0}}),
        view=_ROSENBROCK_VIEW,
    ),
    Preset(
        id="duke-rosenbrock-bfgs",
        title="Rosenbrock: BFGS",
        lecture="duke",
        section="Comparison with standard algorithms: BFGS",
        description="scipy's BFGS from (4, −4.1): a quasi-Newton method that builds an "
        "approximate inverse Hessian from successive gradients.",
        try_this="Switch to L-BFGS: the same idea with a few remembered gradient pairs.",
        differs="The notes' BFGS cell runs Newton-CG (its printed output is the next "
        "slide's); this is BFGS itself.",
        run=_duke_rosenbrock({"id": "bfgs"}),
        view=_ROSENBROCK_VIEW,
    ),
    Preset(
        id="duke-rosenbrock-newton-cg",
        title="Rosenbrock: Newton-CG",
        lecture="duke",
        section="Comparison with standard algorithms: Newton-CG",
        description="scipy's Newton-CG from (4, −4.1) with the exact gradient and Hessian: "
        "26 steps to a loss of 1.4 × 10⁻¹³.",
        try_this="Switch to Newton: the full Newton step with the exact Hessian, no "
        "conjugate-gradient inner loop.",
        run=_duke_rosenbrock({"id": "newton-cg"}),
        view=_ROSENBROCK_VIEW,
    ),
)

_OLS = "linear-regression"
_OSLO_SCHEDULE = {"id": "inverse_time", "params": {"t1": 50.0}}  # t0/(t + t1), t0 = 5, t1 = 50
_OSLO_SGD = {"batch_size": 5, "sampling": "replacement"}
# Oslo's minibatch SGD on least squares with the decaying rate (two figures: the path, the EWA)
_OSLO_SGD_RUN = {
    "surface": _OLS,
    "start": [0.0, 0.0],
    "stochastic": _OSLO_SGD,
    "epochs": 50,
    "seed": 1,
    "stop": _NO_TOL,
    "optimizers": [{"id": "gd", "params": {"lr": 0.1}, "schedule": _OSLO_SCHEDULE}],
}
_OSLO_BLOCKS = (
    "The notes pick one of 20 fixed blocks of 5 consecutive points at random each step; we "
    "draw 5 points at random, and the notes' data and start are unseeded draws where ours "
    "are seeded."
)

OSLO: tuple[Preset, ...] = (
    Preset(
        id="oslo-ols-gd",
        title="Least squares: gradient descent at η = 1/λmax",
        lecture="oslo",
        section="Code with a Number of Minibatches which varies",
        description="The mean squared error of a line fit to 100 points y = 4 + 3x + noise, "
        "as a surface over (θ₀, θ₁). Its Hessian (2/n)XᵀX is constant; 1,000 steps of "
        "η = 1/λmax reach the normal equations' solution.",
        try_this="Drag lr up to 2/λmax and past it: the path starts to zig-zag, then diverges.",
        differs="The notes draw their data and start at random, unseeded; ours are seeded.",
        run={
            "surface": _OLS,
            "start": [0.0, 0.0],
            "max_steps": 1000,
            "stop": _NO_TOL,
            "optimizers": [{"id": "gd", "params": {"lr": _ols_rate()}}],
        },
    ),
    Preset(
        id="oslo-ols-sgd",
        title="Least squares: minibatch SGD with a decaying rate",
        lecture="oslo",
        section="Code with a Number of Minibatches which varies",
        description="50 epochs of minibatch SGD, 5 points per step, 20 steps per epoch, with "
        "the notes' rate t₀/(t + t₁), t₀ = 5, t₁ = 50: noisy steps that shrink as the rate "
        "decays.",
        try_this="Set the schedule to constant: the path keeps jittering around the minimum.",
        differs=_OSLO_BLOCKS,
        run=_OSLO_SGD_RUN,
    ),
    Preset(
        id="oslo-ols-sgd-ewa",
        title="Least squares: the noisy minibatch loss, smoothed",
        lecture="oslo",
        section="Code with a Number of Minibatches which varies",
        description="The run of the previous figure, its loss plot showing what each step's "
        "minibatch saw (faint) and the Duke notes' exponentially weighted average of it "
        "(004, β = 0.9): from z₀ = 0 the plain average starts far too low, and dividing by "
        "1 − β^t removes that bias from the first step.",
        try_this="Set β to 0.99 in the loss plot: a smoother curve that lags further behind, "
        "and a start bias that lasts ten times longer without the correction.",
        differs=_OSLO_BLOCKS + " The Duke notes' momentum cells divide by 1 + β^t, a slip for "
        "the 1 − β^t of their own EWA cell, used here.",
        run=_OSLO_SGD_RUN,
        loss={"ewa": 0.9},
    ),
    Preset(
        id="oslo-momentum-forms",
        title="Momentum under a schedule: two forms",
        lecture="oslo",
        section="Momentum based GD",
        description="The notes' momentum v = γv + η_t∇L keeps each gradient at the rate of "
        "its own step; PyTorch's b = μb + ∇L, x −= η_t b rescales all of them by today's "
        "rate. With a constant rate the two are one path; under the decaying rate they part.",
        try_this="Set both schedules to constant: the two paths coincide.",
        differs=_OSLO_BLOCKS,
        run={
            "surface": _OLS,
            "start": [0.0, 0.0],
            "stochastic": _OSLO_SGD,
            "epochs": 10,
            "seed": 1,
            "stop": _NO_TOL,
            "optimizers": [
                {
                    "id": "velocity-momentum",
                    "params": {"lr": 0.02, "momentum": 0.9},
                    "schedule": _OSLO_SCHEDULE,
                },
                {
                    "id": "momentum",
                    "params": {"lr": 0.02, "momentum": 0.9},
                    "schedule": _OSLO_SCHEDULE,
                },
            ],
        },
    ),
)

PRESETS: tuple[Preset, ...] = GLASGOW + DUKE + OSLO
