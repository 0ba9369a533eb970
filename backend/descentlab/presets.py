"""The lecture's figures as presets: run bodies declared as data (the API and the UI reuse them).

Each preset's ``run`` is exactly the body ``POST /api/runs`` takes, so "one click" in the UI and
``curl`` reproduce the same figure; the tests run every preset through the engine and hold it to
the numbers the notes print. Presets are grouped by lecture (:data:`LECTURES`, in teaching
order) and listed in the order of the notes, which is the order lecture mode steps through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
    (a box other than the surface's own) and its contour ``levels`` (the notes' own)."""

    id: str
    title: str
    lecture: str
    section: str
    description: str
    try_this: str
    run: dict[str, Any]
    view: dict[str, Any] | None = None
    differs: str | None = None

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
        }


# The lecture's stopping rule for the parabola: continue while sum |dL| > tol.
_LECTURE_STOP = {"grad_tol": 1e-6, "grad_norm": "l1"}


def _parabola(lr: float, verdict: str) -> Preset:
    return Preset(
        id=f"parabola-lr-{lr:g}",
        title=f"Parabola, step {lr:g}: {verdict}",
        lecture="glasgow",
        section="2.6.1 Why step size matters",
        try_this="Drag lr across 0.5 and then across 1: the path stops converging at 2/λmax = 1.",
        description=f"Gradient descent on L(θ) = θ² from θ = -10 with step size {lr:g}. "
        "Each step multiplies θ by (1 - 2η): it converges for 0 < η < 1, fastest at 0.5, "
        "oscillates above 0.5 and diverges above 1.",
        run={
            "surface": "parabola",
            "start": [-10.0],
            "max_steps": 100,
            "stop": _LECTURE_STOP,
            "optimizers": [{"id": "gd", "params": {"lr": lr}}],
        },
    )


PRESETS: tuple[Preset, ...] = (
    _parabola(0.01, "too small"),
    _parabola(0.25, "about right"),
    _parabola(0.5, "one step"),
    _parabola(0.98, "oscillating"),
    _parabola(1.5, "diverging"),
    Preset(
        id="nightmare-momentum-restarts",
        title="Nightmare: momentum with random restarts",
        lecture="glasgow",
        section="3.9 Simple memory: momentum terms",
        try_this="Set momentum to 0: most restarts now stop in the first dent they meet.",
        description="Momentum from the default start and eight random restarts on the "
        "lecture's bad function; the lowest final loss wins. The default start settles in a "
        "shallow dent, restarts find the deep wide basin, and only a lucky start falls into "
        "the narrow global well.",
        run={
            "surface": "nightmare",
            "max_steps": 400,
            "seed": 1,
            "restarts": 8,
            "optimizers": [{"id": "momentum", "params": {"lr": 0.05, "momentum": 0.9}}],
        },
    ),
    Preset(
        id="bowl-gd-momentum-rmsprop-adam",
        title="x² + 100y²: GD vs momentum vs RMSprop vs Adam",
        lecture="duke",
        section="Momentum and RMSprop in 2D",
        try_this="Raise GD's lr past 0.01 = 2/200: its path leaves the valley.",
        description="The ill-conditioned bowl: GD must keep η below 2/200 = 0.01 and crawls "
        "along x; momentum and the per-coordinate scaling of RMSprop and Adam do not.",
        run={
            "surface": {"id": "quadratic", "params": {"kappa": 100, "angle": 0}},
            "start": [-9.0, 3.0],
            "max_steps": 300,
            "optimizers": [
                {"id": "gd", "params": {"lr": 0.009}},
                {"id": "momentum", "params": {"lr": 0.005, "momentum": 0.9}},
                {"id": "rmsprop", "params": {"lr": 0.1}},
                {"id": "adam", "params": {"lr": 0.5}},
            ],
        },
    ),
    Preset(
        id="rosenbrock-nelder-mead-bfgs-newton-cg",
        title="Rosenbrock from (4, -4.1): Nelder-Mead vs BFGS vs Newton-CG",
        lecture="duke",
        section="Comparison with standard algorithms",
        try_this="Move the start: Newton-CG still needs a few dozen steps, Nelder-Mead hundreds.",
        description="Derivative-free, quasi-Newton and truncated-Newton methods on the "
        "Rosenbrock valley, as scipy.optimize runs them.",
        run={
            "surface": "rosenbrock",
            "start": [4.0, -4.1],
            "max_steps": 2000,
            "optimizers": [
                {"id": "nelder-mead"},
                {"id": "bfgs"},
                {"id": "newton-cg"},
            ],
        },
        view={"domain": [[-5.0, 5.0], [-5.0, 17.0]]},
    ),
)
