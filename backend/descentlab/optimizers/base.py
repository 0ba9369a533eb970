"""What an optimiser is: hyperparameters as data, and a pure ``init``/``step`` over a batch.

Every array carries a leading batch axis: ``x`` is (B, D), a hyperparameter is a float or an
array of shape (B, 1) (one value per row, for sweeps), so one code path serves a single run,
restarts, particle clouds and sweeps.

``init(x0, hp) -> state``; ``step(hp, state, x, f, g, ctx) -> (x_new, state, info)`` where
``f`` (B,) and ``g`` (B, D) are the loss and gradient at ``x`` (the engine evaluates them once
and records them), ``ctx`` gives the step count, an oracle for further evaluations and
seeded random draws (:mod:`.draws`), and ``info`` maps names to (B, D) arrays worth drawing
(velocity, per-coordinate effective step). Rules never mutate their inputs.

Optimisers that scipy implements are wrapped instead (``driver``): they run a whole row at a
time and their callback records the path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..params import Param, resolve
from ..problems import Problem
from . import draws


class Oracle:
    """Further evaluations a step asks for, counted (the engine's own per-step one is not).

    In minibatch SGD the engine sets ``batch`` to the step's samples, so a rule that asks for
    more (Newton's Hessian, a zeroth-order probe) sees the same minibatch as its gradient.
    """

    __slots__ = ("batch", "nfev", "ngev", "nhev", "problem")

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.batch: np.ndarray | None = None
        self.nfev = 0
        self.ngev = 0
        self.nhev = 0

    def value(self, X: np.ndarray) -> np.ndarray:
        self.nfev += 1
        return self.problem.value(X, self.batch)

    def value_and_grad(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.nfev += 1
        self.ngev += 1
        return self.problem.value_and_grad(X, self.batch)

    def hess(self, X: np.ndarray) -> np.ndarray:
        self.nhev += 1
        return self.problem.hess(X, self.batch)


class ArrayOps:
    """The array functions elementwise rules use, on (B, D) arrays: numpy's, and ``power``
    (``a ** b``) computed once per distinct base when the base is a sweep's (B, 1) column: a grid
    axis holds few values, and ``beta ** t`` on 10,000 rows is the costliest op of an Adam step.
    The same function on the same numbers: results are those of ``a ** b``, bit for bit."""

    sqrt = staticmethod(np.sqrt)
    maximum = staticmethod(np.maximum)
    where = staticmethod(np.where)

    def __init__(self) -> None:
        # id(base) -> (base, its distinct values or None, where each row's value is)
        self._factors: dict[int, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]] = {}

    def power(self, a: Any, b: Any) -> Any:
        if not isinstance(a, np.ndarray) or a.size < 256 or a.dtype != np.float64 or np.ndim(b):
            return a**b
        known = self._factors.get(id(a))
        if known is None or known[0] is not a:
            # distinct by bit pattern, so that -0.0 and 0.0 stay apart
            bits, inverse = np.unique(np.ascontiguousarray(a).view(np.int64), return_inverse=True)
            if 4 * len(bits) > a.size:
                known = (a, None, None)  # hardly repeats: not worth a gather
            else:
                known = (a, bits.view(np.float64), inverse.reshape(a.shape))
            self._factors[id(a)] = known
        _, levels, where = known
        return a**b if levels is None or where is None else (levels**b)[where]


class ScalarOps:
    """The array functions elementwise rules use, for plain floats: what the tracer
    (engine/trace.py) computes where an operand is a constant, and the names the compiled
    loop's opcodes are given by. NaN propagates as in numpy; nothing raises."""

    @staticmethod
    def power(a: float, b: float) -> float:
        return a**b

    @staticmethod
    def sqrt(a: float) -> float:
        return math.sqrt(a) if a >= 0.0 else math.nan

    @staticmethod
    def maximum(a: float, b: float) -> float:
        return a if a >= b or a != a else b

    @staticmethod
    def where(condition: bool, a: float, b: float) -> float:
        return a if condition else b


class StepContext:
    """What a step may use besides its state: step count, oracle, randomness, the domain, and
    the array functions (``ops``: :class:`ArrayOps`, or the tracer's, engine/trace.py)."""

    __slots__ = ("_keys", "domain", "ops", "oracle", "seed", "t")

    def __init__(self, oracle: Oracle, seed: int, domain: np.ndarray, ops: Any = None) -> None:
        self.oracle = oracle
        self.seed = seed
        self.domain = domain  # (D, 2): the surface's view box, for global random search
        self.ops: Any = ArrayOps() if ops is None else ops
        self.t = 0  # 1 on the first step, as torch.optim counts
        self._keys: tuple[tuple[int, int], np.ndarray] | None = None  # (t, rows) -> keys

    def advance(self) -> None:
        self.t += 1
        self._keys = None

    def _step_keys(self, rows: int) -> np.ndarray:
        if self._keys is None or self._keys[0] != (self.t, rows):
            self._keys = ((self.t, rows), draws.step_keys(self.seed, self.t, rows))
        return self._keys[1]

    def uniform(self, rows: int, n: int, first: int = 0) -> np.ndarray:
        """This step's draws ``first .. first + n - 1`` of each row as uniforms in [0, 1),
        shape (rows, n): a pure function of (seed, row, t, draw), :mod:`.draws`' scheme."""
        return draws.uniforms(self._step_keys(rows), n, first)

    def normal(self, rows: int, n: int, first: int = 0) -> np.ndarray:
        """This step's standard normals ``first .. first + n - 1`` of each row (``first`` even;
        they take the draws of the same numbers, in pairs), shape (rows, n)."""
        return draws.normals(self._step_keys(rows), n, first)


State = Any
# x, f, g (and what a step returns) are arrays over the batch, or one coordinate's symbols
# while the tracer records an elementwise rule for the compiled loop (engine/trace.py).
StepResult = tuple[Any, State, Mapping[str, Any]]
InitFn = Callable[[np.ndarray, Mapping[str, Any]], State]
StepFn = Callable[[Mapping[str, Any], State, Any, Any, Any, StepContext], StepResult]


@dataclass(frozen=True)
class DriverResult:
    """What a wrapped (scipy) method returns for one row: the iterates and its own verdict."""

    path: np.ndarray  # (T + 1, D), the start included
    message: str
    nfev: int
    ngev: int
    nhev: int


@dataclass
class TrialLog:
    """What a wrapped method evaluated, when asked (the optimiser-state view): every point
    with its loss, in order, and ``marks[k]``, how many points had been evaluated when the
    method reported iterate k + 1."""

    points: list[tuple[np.ndarray, float]] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)


DriverFn = Callable[..., DriverResult]
"""(problem, x0 of shape (D,), hyperparameters, max_steps, log: TrialLog | None = None) ->
DriverResult."""


@dataclass(frozen=True)
class Optimizer:
    """A registry entry: everything about one optimiser, as data plus two pure functions."""

    id: str
    name: str
    family: str  # first-order | second-order | quasi-newton | zeroth-order
    hypers: tuple[Param, ...]
    formula: str  # the update rule in LaTeX, as the docstring states it
    description: str
    init: InitFn | None = None
    step: StepFn | None = None
    driver: DriverFn | None = None
    torch: str | None = None  # the torch.optim class it equals, if any
    uses_gradient: bool = True
    info: tuple[str, ...] = ()  # names of the per-step state it reports (each (B, D))
    # The step treats each coordinate on its own (written with arithmetic and ctx.ops only),
    # so a single trajectory may run it on plain floats, coordinate by coordinate.
    elementwise: bool = False
    hyper_by_name: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.driver is None) == (self.step is None or self.init is None):
            raise ValueError(f"{self.id}: give either init and step, or a driver")
        object.__setattr__(self, "hyper_by_name", {h.name: h for h in self.hypers})

    @property
    def uses_lr(self) -> bool:
        return "lr" in self.hyper_by_name

    def resolve(self, given: Mapping[str, Any] | None, prefix: str = "params") -> dict[str, Any]:
        """Defaults filled in, every value checked; errors name ``prefix.<name>``."""
        return resolve(self.hypers, given, prefix, f"optimizer {self.id!r}")

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "family": self.family,
            "formula": self.formula,
            "description": self.description,
            "torch": self.torch,
            "uses_gradient": self.uses_gradient,
            "uses_lr": self.uses_lr,
            "one_at_a_time": self.driver is not None,  # scipy's: a batch's rows run in turn
            "info": list(self.info),
            "hyperparameters": [h.describe() for h in self.hypers],
        }
