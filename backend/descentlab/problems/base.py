"""Surfaces as data, and the Problem that binds one to parameter values and evaluates it.

A :class:`Surface` is a catalog entry (or a typed expression): its formula in the expression
language of :mod:`.parse`, and metadata (domain, start, minima, contour hint, parameters).
:meth:`Surface.bind` gives a :class:`Problem`: value, gradient and Hessian over a batch of
points ``X`` of shape (B, D), all derived once from the one tree.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DescentLabError
from ..params import Param, resolve
from . import expr
from .latex import to_latex
from .parse import Parsed, parse
from .tape import Listing, Tape

REDUCTIONS = ("mean", "sum")


@dataclass(frozen=True)
class Surface:
    """One loss surface, declared as data. ``expression`` is its single definition."""

    id: str
    name: str
    expression: str
    domain: tuple[tuple[float, float], ...]  # (low, high) per coordinate: the default view
    start: tuple[float, ...]  # a good default start
    params: tuple[Param, ...] = ()
    minima: tuple[tuple[str, ...], ...] = ()  # known minimisers, each coordinate an expression
    log_contours: bool = False  # contours read better on a log scale
    description: str = ""
    lecture: bool = False  # appears in the lecture notes
    compile_budget: float | None = None  # seconds to derive gradient and Hessian (typed ones)
    # A data-fit loss: ``expression`` is the loss of one sample, over the columns ``data``
    # that ``make_data(params)`` generates; the surface is its mean over the samples, or their
    # sum when ``reduction`` is "sum". A minibatch is always the mean over its samples.
    data: tuple[str, ...] = ()
    reduction: str = "mean"
    make_data: Callable[[dict[str, float]], dict[str, np.ndarray]] | None = None
    # the exact minimiser, if known (None from it: the loss has none for these parameters)
    solve: Callable[[Problem], np.ndarray | None] | None = None
    formula_latex: str = ""  # shown instead of the generated LaTeX (a sum over samples)
    display: str = ""  # the formula in plain Unicode for the UI, when not the expression
    labels: tuple[str, ...] = ("x", "y")  # names of the coordinates, for the axes
    # How the coordinates map onto the model a data-fit loss fits, for drawing it over the
    # data: {"kind": "line", "x", "y" (columns), "slope", "intercept" (coordinate indices)}
    # for y = θ[slope]·x + θ[intercept]; {"kind": "boundary", "u", "v", "label" (columns),
    # "weights" (coordinate indices)} for the boundary θ[w₀]·u + θ[w₁]·v = 0.
    model: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"surface {self.id}: reduction must be one of {REDUCTIONS}")
        if self.model is not None:
            columns = {v for k, v in self.model.items() if k in ("x", "y", "u", "v", "label")}
            if not columns <= set(self.data):
                raise ValueError(f"surface {self.id}: its model names columns it has not")

    @functools.cached_property
    def parsed(self) -> Parsed:
        return parse(self.expression, [p.name for p in self.params], self.data)

    @property
    def dim(self) -> int:
        return self.parsed.dim

    @functools.cached_property
    def loss_params(self) -> frozenset[str]:
        """The parameters the loss uses; a data-fit surface's others (n, noise, seed) only
        shape its generated data."""
        return frozenset(node.name for node in self.parsed.tree.walk() if node.op == "param")

    @property
    def formula(self) -> str:
        """LaTeX generated from the definition, parameters shown by name."""
        return self.formula_latex or to_latex(self.parsed.tree)

    def resolve_params(self, given: dict[str, Any] | None, prefix: str = "params") -> dict:
        return resolve(self.params, given, prefix, f"surface {self.id!r}")

    def bind(self, params: dict[str, Any] | None = None) -> Problem:
        values = self.resolve_params(params)
        return _bind_cached(self, tuple(sorted(values.items())))


@functools.lru_cache(maxsize=256)
def _bind_cached(surface: Surface, values: tuple[tuple[str, float], ...]) -> Problem:
    return Problem(surface, dict(values))


class Problem:
    """A surface with its parameter values fixed: what optimisers minimise.

    ``value(X)`` -> (B,), ``value_and_grad(X)`` -> ((B,), (B, D)), ``hess(X)`` -> (B, D, D),
    for ``X`` of shape (B, D). Evaluation does not silence numpy's floating-point warnings;
    callers that expect non-finite values (the engine, the grid) wrap it in ``np.errstate``.

    ``data`` replaces the columns the surface would generate (the user's own data).
    A data-fit loss is evaluated over all its samples (the surface: their mean, or their sum
    when the surface's ``reduction`` is "sum") or, given ``batch``, over those samples only,
    always as their mean: minibatch SGD then steps by lr times the batch's mean gradient
    whichever the reduction (the notes' SGD divides the batch's summed gradient by its size).
    """

    def __init__(
        self,
        surface: Surface,
        params: dict[str, float],
        data: dict[str, np.ndarray] | None = None,
    ) -> None:
        budget = surface.compile_budget
        deadline = None if budget is None else time.perf_counter() + budget
        self.surface = surface
        self.params = params
        self.tree = expr.substitute(surface.parsed.tree, params)
        self.dim = surface.dim
        self.domain = np.array(surface.domain[: self.dim], dtype=float)
        self.start = np.array(surface.start[: self.dim], dtype=float)
        # the user's own columns (:mod:`.userdata`), else the generator's
        self.data = data if data is not None or not surface.make_data else surface.make_data(params)
        self.n_data = 0 if self.data is None else len(next(iter(self.data.values())))
        # what the mean over all samples is multiplied by: n for a summed loss
        self.scale = float(self.n_data) if self.data and surface.reduction == "sum" else 1.0
        try:
            self._gradient = [expr.derivative(self.tree, i, deadline) for i in range(self.dim)]
            self._hessian = [
                expr.derivative(self._gradient[i], j, deadline)
                for i in range(self.dim)
                for j in range(i, self.dim)
            ]
        except expr.TooComplex:
            raise DescentLabError(
                "expression", f"too complex: its derivatives took longer than {budget:g} s"
            ) from None
        self._value_tape = Tape([self.tree])
        self._value_grad_tape = Tape([self.tree, *self._gradient])
        if surface.solve is not None:
            solved = surface.solve(self)
            self.minima = (
                np.reshape(solved, (1, self.dim)) if solved is not None else np.empty((0, self.dim))
            )
        else:
            self.minima = np.array(
                [[_evaluate_constant(c, surface, params) for c in m] for m in surface.minima],
                dtype=float,
            ).reshape(-1, self.dim)

    @property
    def id(self) -> str:
        return self.surface.id

    @functools.cached_property
    def _hess_tape(self) -> Tape:
        return Tape(self._hessian)  # the upper triangle, row by row

    def columns(self, batch: np.ndarray | None = None) -> dict[str, np.ndarray] | None:
        """The data columns, or the rows ``batch`` of them (a minibatch)."""
        if self.data is None or batch is None:
            return self.data
        return {name: column[batch] for name, column in self.data.items()}

    def _scaled(self, values: np.ndarray, batch: np.ndarray | None) -> np.ndarray:
        """Mean values as the surface defines them: times n for a summed loss on all data."""
        if batch is None and self.scale != 1.0:
            values *= self.scale
        return values

    def value(self, X: np.ndarray, batch: np.ndarray | None = None) -> np.ndarray:
        """Loss at ``X``; over all the data, a least-squares loss is its exact expansion
        (see :attr:`expansion`), whose cost does not grow with n."""
        if batch is None and self.expansion is not None:
            return self.expansion.value(X)
        return self._scaled(self._value_tape(X, data=self.columns(batch))[:, 0], batch)

    def value_on_grid(self, axes: list[np.ndarray]) -> np.ndarray:
        """Values on the grid spanned by ``axes`` (one 1-D array per coordinate), shaped as
        ``np.meshgrid`` orders it: (ny, nx) in 2-D. Cheaper than :meth:`value` on the grid's
        points (nothing of shape (N, D) is built). A least-squares data-fit loss is its exact
        expansion (:attr:`expansion`): the grid's cost does not grow with n. Other data-fit
        losses evaluate every sample at every grid point."""
        if self.data is None:
            return self._value_tape.on_grid(axes)[0]
        if self.expansion is not None:
            return self.expansion.on_grid(axes)
        mesh = np.meshgrid(*axes)
        return self.value(np.column_stack([m.ravel() for m in mesh])).reshape(mesh[0].shape)

    @functools.cached_property
    def expansion(self) -> Expansion | None:
        """A data-fit loss of degree <= 2 in θ (least squares) over all its data, as its
        second-order expansion f(c) + g·d + ½ dᵀHd, d = θ - c: exact, since H is the same
        everywhere, and its coefficients are sums over the data computed once, so a full-batch
        value, gradient or Hessian costs O(1) whatever n (a sweep on 100,000 points steps as
        fast as one on 100). Expanded about c = the minimiser when known (g ≈ 0 there, so
        nothing cancels near it), else the origin. None for any other loss, and for a loss
        without data (its tape is already O(1))."""
        if self.data is None or not self.quadratic:
            return None
        c = self.minima[:1] if len(self.minima) else np.zeros((1, self.dim))
        f, g = self._summed_value_and_grad(c)
        return Expansion(c[0], float(f[0]), g[0], self._summed_hess(c)[0])

    @property
    def summed_per_step(self) -> int:
        """The samples a full-batch evaluation sums over: n for a data-fit loss that is not
        expanded (:attr:`expansion`), else 0. What limits the work of a sweep or basin map."""
        return self.n_data if self.data is not None and self.expansion is None else 0

    def value_and_grad(
        self, X: np.ndarray, batch: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Loss and gradient at ``X``; for a data-fit loss, over the samples ``batch`` only
        (a minibatch) when given, else over all of them: for least squares, from its exact
        expansion (:attr:`expansion`) instead of a sum over the data."""
        if batch is None and self.expansion is not None:
            return self.expansion.value_and_grad(X)
        return self._summed_value_and_grad(X, batch)

    def _summed_value_and_grad(
        self, X: np.ndarray, batch: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Loss and gradient summed over the data (or ``batch``): O(n) a point."""
        out = self._value_grad_tape(
            X, np.empty((X.shape[0], self.dim + 1), order="F"), data=self.columns(batch)
        )
        self._scaled(out, batch)
        return out[:, 0], out[:, 1:]

    def value_grad_listing(self) -> Listing:
        """The float program of the value and gradient (what :meth:`value_and_grad` computes
        at one point), for the engine to compile."""
        return self._value_grad_tape.listing()

    def value_listing(self) -> Listing:
        """The float program of the value alone (what :meth:`value` computes), for the engine
        to compile: a zeroth-order rule's candidates."""
        return self._value_tape.listing()

    def hess_listing(self) -> Listing:
        """The float program of the Hessian's upper triangle, row by row (what :meth:`hess`
        computes), for the engine to compile: Newton's step."""
        return self._hess_tape.listing()

    def grad(self, X: np.ndarray, batch: np.ndarray | None = None) -> np.ndarray:
        return self.value_and_grad(X, batch)[1]

    def hess(self, X: np.ndarray, batch: np.ndarray | None = None) -> np.ndarray:
        """Hessians at ``X``, (B, D, D); a least-squares loss's over all its data is the one
        constant H of its expansion (:attr:`expansion`)."""
        if batch is None and self.expansion is not None:
            return np.tile(self.expansion.H, (X.shape[0], 1, 1))
        return self._summed_hess(X, batch)

    def _summed_hess(self, X: np.ndarray, batch: np.ndarray | None = None) -> np.ndarray:
        upper = iter(self._scaled(self._hess_tape(X, data=self.columns(batch)), batch).T)
        H = np.empty((X.shape[0], self.dim, self.dim))
        for i in range(self.dim):
            for j in range(i, self.dim):
                H[:, i, j] = H[:, j, i] = next(upper)
        return H

    def autograd_function(self, batch: np.ndarray | None = None) -> Any:
        """The same tree as an autograd.numpy function of one point: the tests' oracle."""
        f = expr.to_autograd(self.tree, self.columns(batch))
        scale = self.scale if batch is None else 1.0
        return f if scale == 1.0 else lambda x: scale * f(x)

    @functools.cached_property
    def quadratic(self) -> bool:
        """Whether the loss is a polynomial of degree <= 2 in the coordinates (least squares,
        a quadratic bowl): its Hessian is the same everywhere, so the step-size bound taken
        at the minimum holds on the whole surface."""
        degree = expr.polynomial_degree(self.tree)
        return degree is not None and degree <= 2

    def describe(self) -> dict[str, Any]:
        """Metadata for the API and the UI. A data-fit surface's data is not here (100,000
        points are 3.7 MB of JSON) but its size; :meth:`sample` gives the data."""
        s = self.surface
        return {
            "id": s.id,
            "name": s.name,
            "expression": s.expression,
            "formula": s.formula,
            "display": s.display or f"f({', '.join(s.labels[: self.dim])}) = {s.expression}",
            "labels": list(s.labels[: self.dim]),
            "dim": self.dim,
            "domain": self.domain.tolist(),
            "start": self.start.tolist(),
            "minima": self.minima.tolist(),
            "log_contours": s.log_contours,
            "description": s.description,
            "lecture": s.lecture,
            "reduction": s.reduction if s.data else None,
            "quadratic": self.quadratic,
            "data_size": self.n_data if self.data is not None else None,
            "data_columns": list(s.data) if self.data is not None else None,
            "model": s.model,
            "user_data": s.make_data is None and self.data is not None,
            "params": [self._describe_param(p) for p in s.params],
        }

    def _describe_param(self, p: Param) -> dict[str, Any]:
        out = {**p.describe(), "value": self.params[p.name]}
        if self.data is not None and p.name not in self.surface.loss_params:
            out["generates"] = True  # shapes the generated data only: not with the user's
        return out

    def sample(self, max_points: int | None = None) -> dict[str, Any]:
        """The data, or a seeded subsample of at most ``max_points`` samples (the same
        samples for the same n, whatever the data's seed), in the data's order: ``index``
        holds each shown sample's row, which minibatches name."""
        if self.data is None:
            raise DescentLabError("surface", f"surface {self.id!r} has no data")
        n = self.n_data
        if max_points is None or max_points >= n:
            index = np.arange(n)
        else:
            index = np.sort(np.random.default_rng(0).choice(n, max_points, replace=False))
        return {
            "id": self.id,
            "size": n,
            "shown": len(index),
            "index": index.tolist(),
            "columns": {k: v[index].tolist() for k, v in self.data.items()},
        }


@dataclass(frozen=True)
class Expansion:
    """A loss of degree <= 2 in θ written exactly as f(θ) = f0 + g·d + ½ dᵀHd, ∇f(θ) = g + Hd,
    d = θ - c: what :attr:`Problem.expansion` evaluates a least-squares loss by."""

    c: np.ndarray  # (D,) the centre
    f0: float  # f(c)
    g: np.ndarray  # (D,) ∇f(c)
    H: np.ndarray  # (D, D) the Hessian, the same everywhere

    def value(self, X: np.ndarray) -> np.ndarray:
        d = X - self.c
        return self.f0 + np.sum(d * (self.g + 0.5 * (d @ self.H)), axis=1)

    def value_and_grad(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = X - self.c
        Hd = d @ self.H
        return self.f0 + np.sum(d * (self.g + 0.5 * Hd), axis=1), self.g + Hd

    def on_grid(self, axes: list[np.ndarray]) -> np.ndarray:
        """Values on the grid spanned by ``axes``, shaped as ``np.meshgrid`` orders it, with
        nothing of shape (N, D) built."""
        D = len(axes)
        d = [
            np.reshape(axes[k] - self.c[k], [-1 if i == D - 1 - k else 1 for i in range(D)])
            for k in range(D)
        ]
        Z = np.full(tuple(len(a) for a in reversed(axes)), self.f0)
        for k in range(D):
            Z += d[k] * (self.g[k] + 0.5 * self.H[k, k] * d[k])
            for j in range(k + 1, D):
                Z += self.H[k, j] * d[k] * d[j]
        return Z


def _evaluate_constant(text: str, surface: Surface, params: dict[str, float]) -> float:
    """A minimum's coordinate, written as an expression of the parameters (``a^2``, ``3``)."""
    tree = expr.substitute(parse(text, list(params)).tree, params)
    if not expr.is_const(tree):
        raise ValueError(f"surface {surface.id}: minimum {text!r} is not a constant")
    return tree.value
