"""Request models: the single source of the API's validation (and of its OpenAPI schema).

Shapes and bounds live here (``Field(ge=, le=)`` from :mod:`descentlab.limits`); what depends on
a registry entry (a hyperparameter's range, a surface parameter's range) is checked by the
engine, whose :class:`DescentLabError` the app maps to the same 422 shape. Every model refuses
unknown fields and non-finite numbers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import limits

Number = Annotated[float, Field(strict=True)]  # a JSON number: no "1" strings, no booleans
Name = Annotated[str, Field(min_length=1, max_length=64)]
ParamValues = Annotated[dict[Name, Number | list[Number]], Field(max_length=limits.MAX_PARAMETERS)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


Rows = list[Any]  # as many as the body's size allows: the engine names the surface's limit


class SurfaceData(Model):
    """A data-fit surface's own data, in place of its generated data (docs/api.md, "Your own
    data"): the engine checks the values, naming the row (``surface.data.y.17``)."""

    x: Rows = Field(description="least squares: numbers; logistic: rows of 1 or 2 features")
    y: Rows = Field(description="least squares: numbers; logistic: labels 0 or 1")


class SurfaceRef(Model):
    id: Name
    params: Annotated[dict[Name, Number], Field(max_length=limits.MAX_PARAMETERS)] = {}
    data: SurfaceData | None = None


class ExpressionSurface(Model):
    """A surface the user typed (see docs/api.md for the grammar)."""

    expression: Annotated[str, Field(max_length=limits.MAX_EXPRESSION_LENGTH)]
    params: Annotated[dict[Name, Number], Field(max_length=limits.MAX_PARAMETERS)] = {}
    domain: (
        Annotated[
            list[Annotated[list[Number], Field(min_length=2, max_length=2)]],
            Field(min_length=1, max_length=2),
        ]
        | None
    ) = None
    start: Annotated[list[Number], Field(min_length=1, max_length=2)] | None = None
    name: Annotated[str, Field(max_length=200)] | None = None


SurfaceSpec = Name | SurfaceRef | ExpressionSurface


def surface_spec(surface: SurfaceSpec) -> str | dict[str, Any]:
    """The engine's form of a validated surface reference."""
    if isinstance(surface, str):
        return surface
    if isinstance(surface, SurfaceRef) and surface.data is not None:  # the rows, not a copy
        data = {"x": surface.data.x, "y": surface.data.y}
        return {"id": surface.id, "params": surface.params, "data": data}
    return surface.model_dump(exclude_none=True)


class Stochastic(Model):
    """Minibatch SGD on a data-fit surface (``batch_size``), or simulated gradient noise."""

    batch_size: int | None = Field(default=None, ge=1, le=10_000)
    sampling: Literal["shuffle", "replacement"] = "shuffle"
    noise: float = Field(default=0.0, ge=0, le=1e6)


class ScheduleRef(Model):
    id: Name
    params: ParamValues = {}


Point = Annotated[list[Number], Field(min_length=1, max_length=2)]


class OptimizerRef(Model):
    id: Name
    params: ParamValues = Field(
        default={}, description="hyperparameters; see GET /api/optimizers for names and ranges"
    )
    schedule: Name | ScheduleRef | None = None
    start: Point | None = Field(
        default=None, description="this optimiser's own start (else the run's `start`)"
    )


Side = Annotated[list[Number], Field(min_length=2, max_length=2)]


class RestartFrom(Model):
    """Where random restarts (a particle cloud) start: uniformly over a box (else the surface's
    domain), the centres of a grid's cells over it (⌈√restarts⌉ columns, filled row by row
    from the lowest), or N(center, σ²)."""

    dist: Literal["uniform", "normal", "grid"] = "uniform"
    center: Point | None = Field(default=None, description="normal only: the mean (else `start`)")
    sigma: float = Field(default=1.0, gt=0, le=limits.MAX_BOUND, description="normal: σ")
    box: Annotated[list[Side], Field(min_length=1, max_length=2)] | None = Field(
        default=None,
        description="uniform, grid only: [[xmin, xmax], [ymin, ymax]] (else the surface's domain)",
    )


class StopRule(Model):
    grad_tol: float | None = Field(default=1e-6, ge=0)
    grad_norm: Literal["l1", "l2", "inf"] = "l2"
    loss_tol: float | None = Field(default=None, ge=0)
    bound: float = Field(default=1e6, gt=0, le=limits.MAX_BOUND)


class RunSettings(Model):
    """What every run request states: the problem, where to start, when to stop, the seed."""

    surface: SurfaceSpec
    start: Point | None = None
    max_steps: int = Field(default=1000, ge=1, le=limits.MAX_STEPS)
    stop: StopRule = Field(default_factory=StopRule)
    seed: int = Field(default=0, ge=0, lt=2**63)


class RunBody(RunSettings):
    restarts: int = Field(default=0, ge=0, le=limits.MAX_RESTARTS)
    restart_from: RestartFrom | None = None
    stochastic: Stochastic | None = None
    epochs: int | None = Field(
        default=None, ge=1, le=limits.MAX_STEPS, description="minibatch SGD: sets max_steps"
    )
    optimizers: list[OptimizerRef] = Field(min_length=1, max_length=limits.MAX_OPTIMIZERS)


class StateBody(RunBody):
    """``POST /api/states``: the runs of a run body with what each rule keeps at every point
    (its start's row: no restarts)."""

    restarts: int = Field(
        default=0, ge=0, le=0, description="0: the state is recorded along the start's path"
    )


class AnalysisBody(Model):
    surface: SurfaceSpec
    point: Annotated[list[Number], Field(min_length=1, max_length=2)]


GridEncoding = Literal["json", "base64"]
GRID_DERIVATIVES_HELP = (
    "also the symbolic derivatives on the same grid: `gradient` (∂f/∂x, and ∂f/∂y on a 2-D "
    "surface, each shaped and encoded as z) and, on a 1-D surface, `second` (f″); not on a "
    "data-fit surface"
)
GRID_ENCODING_HELP = (
    'how z is sent: "json", numbers (null where not finite); "base64", {"dtype": "float32", '
    '"shape", "base64"}: the little-endian bytes of the array (NaN where not finite)'
)


class GridBody(Model):
    """``POST /api/grid``: the contour values of any surface, typed ones included."""

    surface: SurfaceSpec
    nx: int = Field(default=200, ge=2, le=limits.MAX_GRID_POINTS)
    ny: int = Field(default=200, ge=2, le=limits.MAX_GRID_POINTS)
    xmin: float | None = None
    xmax: float | None = None
    ymin: float | None = None
    ymax: float | None = None
    encoding: GridEncoding = Field(default="json", description=GRID_ENCODING_HELP)
    derivatives: bool = Field(default=False, description=GRID_DERIVATIVES_HELP)


class DataBody(Model):
    """``POST /api/data``: a data-fit surface's description and data, the user's own ones
    included (a GET cannot carry them)."""

    surface: SurfaceSpec
    max_points: int | None = Field(
        default=None,
        ge=1,
        le=limits.MAX_LEAST_SQUARES_POINTS,
        description="at most this many samples: a seeded subsample (default: all)",
    )


class ExpressionBody(Model):
    """``POST /api/expressions/validate``."""

    expression: Annotated[str, Field(max_length=limits.MAX_EXPRESSION_LENGTH)]
    params: Annotated[dict[Name, Number], Field(max_length=limits.MAX_PARAMETERS)] = {}


class RunMessage(RunBody):
    """WebSocket: start (or replace) the stream of ``id``."""

    type: Literal["run"]
    id: Annotated[str, Field(max_length=64)]
    frame_points: int = Field(default=64, ge=1, le=4096)


class CancelMessage(Model):
    type: Literal["cancel"]
    id: Annotated[str, Field(max_length=64)]


ClientMessage = Annotated[RunMessage | CancelMessage, Field(discriminator="type")]

# --- WebSocket messages the server sends (docs/api.md; GET /asyncapi.json) -------------------
# The stream writes them as plain dicts for speed; tests hold every message it sends to these.

Nullable = float | None  # a non-finite value is sent as null


class FramesMessage(BaseModel):
    """Points ``start``, ``start + 1``, … of optimiser ``run``: one list per row (row 0 the
    given start, rows 1… the restarts), each holding only real points."""

    type: Literal["frames"]
    id: str
    run: int = Field(ge=0)
    start: int = Field(ge=0)
    paths: list[list[list[Nullable]]]
    losses: list[list[Nullable]]
    grad_norms: list[list[Nullable]]
    batch_losses: list[list[Nullable]] | None = Field(
        default=None, description="minibatch runs: the loss each step's minibatch saw"
    )
    batches: list[list[int]] | None = Field(
        default=None, description="minibatch runs: the sample indices of each point's step"
    )


Status = Literal["converged", "diverged", "max_steps"]


class RowSummary(BaseModel):
    """A row's result, in ``scipy.optimize.OptimizeResult``'s names (``ngev``: scipy's
    ``njev``): its last point and loss, steps, evaluations, and why it stopped."""

    x: list[Nullable]
    fun: Nullable
    nit: int = Field(ge=0, description="steps taken")
    nfev: int = Field(ge=0)
    ngev: int = Field(ge=0)
    nhev: int = Field(ge=0)
    status: Status
    success: bool = Field(description="true exactly when status is converged")
    message: str


class RunSummary(BaseModel):
    run: int = Field(ge=0)
    optimizer: str
    best: int = Field(ge=0, description="the row with the lowest final loss")
    rows: list[RowSummary]
    epoch_size: int | None = Field(description="minibatch runs: steps per epoch")


class DoneMessage(BaseModel):
    """A run ended: ``complete`` with every optimiser's summary, or ``cancelled`` (no runs)."""

    type: Literal["done"]
    id: str
    status: Literal["complete", "cancelled"]
    runs: list[RunSummary]


class ErrorMessage(BaseModel):
    """A refusal: ``field`` names what was wrong (a dotted path into the message) if known."""

    type: Literal["error"]
    id: str | None
    code: Literal["invalid", "too_many_runs", "too_large", "bad_json", "internal"]
    field: str | None
    message: str


ServerMessage = Annotated[FramesMessage | DoneMessage | ErrorMessage, Field(discriminator="type")]


# A number, or for a pair such as `betas`, a list of numbers.
SweepValue = Number | Annotated[list[Number], Field(min_length=1, max_length=8)]
SweepValues = Annotated[list[SweepValue], Field(min_length=1, max_length=limits.MAX_SWEEP_POINTS)]


class SweepBody(RunSettings):
    """``POST /api/sweeps``: one optimiser over a grid of hyperparameter settings."""

    max_steps: int = Field(default=500, ge=1, le=limits.MAX_STEPS)
    optimizer: OptimizerRef
    sweep: Annotated[dict[Name, SweepValues], Field(min_length=1, max_length=3)]


Range = Annotated[list[Number], Field(min_length=2, max_length=2)]


def ordered_view(view: list[list[float]] | None) -> list[list[float]] | None:
    """A view box ``[[xmin, xmax], [ymin, ymax]]``: each range increasing, within the limit
    every coordinate has."""
    for name, (lo, hi) in zip("xy", view or (), strict=False):
        if not lo < hi:
            raise ValueError(f"{name}min must be below {name}max ({lo:g} >= {hi:g})")
        if max(abs(lo), abs(hi)) > limits.EXPRESSION_MAX_ABS:
            raise ValueError(f"|{name}| must be at most {limits.EXPRESSION_MAX_ABS:g}")
    return view


class BasinBody(Model):
    """``POST /api/basins``: one optimiser from every start of an nx x ny grid over ``view``."""

    surface: SurfaceSpec
    optimizer: OptimizerRef
    max_steps: int = Field(default=1000, ge=1, le=limits.MAX_STEPS)
    stop: StopRule = Field(default_factory=StopRule)
    seed: int = Field(default=0, ge=0, lt=2**63)
    nx: int = Field(default=100, ge=2, le=limits.MAX_BASIN_POINTS)
    ny: int = Field(default=100, ge=2, le=limits.MAX_BASIN_POINTS)
    view: Annotated[list[Range], Field(min_length=2, max_length=2)] | None = Field(
        default=None, description="[[xmin, xmax], [ymin, ymax]] (else the surface's domain)"
    )

    _ordered = field_validator("view")(ordered_view)


# --- What POST /api/sweeps and POST /api/basins answer (docs/api.md) ----------------------
# The routes write plain dicts for speed; tests hold every answer to these models. A row's
# result carries the names a run's rows give it (RowSummary, engine.OUTCOME).


class RowColumns(BaseModel):
    """Every row's result, one entry per row, in the names of a run's rows: its last point
    ``x``, the loss ``fun`` and the gradient's norm ``grad_norm`` there, ``nit`` and
    ``status``. A sweep answers these, read from this model's fields."""

    x: list[list[Nullable]]
    fun: list[Nullable]
    grad_norm: list[Nullable] = Field(description="the gradient's stop.grad_norm norm at x")
    nit: list[Annotated[int, Field(ge=0)]] = Field(description="steps taken")
    status: list[Status]


class SweepResult(RowColumns):
    """``POST /api/sweeps``: each setting (a row of the batch) and its result."""

    surface: dict[str, Any] = Field(description="as GET /api/surfaces/{id} describes it")
    optimizer: str
    names: list[str] = Field(description="the swept hyperparameters")
    settings: list[list[float | list[float]]] = Field(description="each row's values of names")


class BasinResult(BaseModel):
    """``POST /api/basins``: the minimum each start of the grid ends in and the steps it took
    (``labels[j][i]`` and ``nit[j][i]`` belong to the start (x[i], y[j]))."""

    surface: dict[str, Any] = Field(description="as GET /api/surfaces/{id} describes it")
    optimizer: str
    x: list[float] = Field(description="the grid's nx abscissae: starts, not end points")
    y: list[float] = Field(description="the grid's ny ordinates")
    labels: list[list[int]] = Field(description="an index into minima; -1: did not converge")
    minima: list[list[float]]
    listed: int = Field(ge=0, description="minima[:listed] are the surface's own list")
    kinds: list[Literal["minimum", "saddle", "maximum", "degenerate", "undefined"]]
    tolerance: float
    nit: list[list[Annotated[int, Field(ge=0)]]] = Field(description="steps taken")
    counts: dict[Status, int] = Field(description="the rows that ended in each status")


class ViewExportBody(Model):
    """``POST /api/exports/html``: the view of ``run`` as one self-contained HTML file."""

    run: RunBody
    loss: bool = Field(default=True, description="the loss plot beside the surface")
    title: Annotated[str, Field(max_length=200)] | None = None
    labels: (
        Annotated[
            list[Annotated[str, Field(max_length=200)]], Field(max_length=limits.MAX_OPTIMIZERS)
        ]
        | None
    ) = Field(default=None, description="each optimiser's name in the legend, in order")
    view: Annotated[list[Range], Field(min_length=1, max_length=2)] | None = Field(
        default=None, description="[[xmin, xmax], [ymin, ymax]] (else the surface's domain)"
    )

    _ordered = field_validator("view")(ordered_view)


class AnimationBody(Model):
    """``POST /api/animations``: the runs of ``run`` animated into a video file."""

    run: RunBody
    format: Literal["mp4", "webm", "gif"] = "mp4"
    fps: int | None = Field(
        default=None, ge=1, le=limits.MAX_ANIMATION_FPS, description="default 30; a GIF 15"
    )
    width: int | None = Field(
        default=None,
        ge=limits.MIN_ANIMATION_SIDE,
        le=limits.MAX_ANIMATION_WIDTH,
        multiple_of=2,
        description="pixels, given with height (default 1920 x 1080; a GIF 960 x 540)",
    )
    height: int | None = Field(
        default=None,
        ge=limits.MIN_ANIMATION_SIDE,
        le=limits.MAX_ANIMATION_HEIGHT,
        multiple_of=2,
    )
    seconds: float = Field(
        default=8.0, gt=0, le=limits.MAX_ANIMATION_SECONDS, description="the paths' growth"
    )
    loss: bool = Field(default=False, description="the loss plot beside the surface")
    title: Annotated[str, Field(max_length=200)] | None = None
    view: Annotated[list[Range], Field(min_length=1, max_length=2)] | None = Field(
        default=None, description="[[xmin, xmax], [ymin, ymax]] (else the surface's domain)"
    )

    _ordered = field_validator("view")(ordered_view)
