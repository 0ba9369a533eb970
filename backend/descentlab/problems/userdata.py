"""A data-fit surface on the user's own data: ``{"id": "linear-regression", "data": {...}}``.

The data replace what the surface's generator would make, column for column, so the contour
(least squares: from sums over the data), the exact minimiser and minibatch SGD work on them as
on the generated data. What the surface's ``model`` says the columns mean decides the shape:

- a line (least squares): ``{"x": [x₁, ...], "y": [y₁, ...]}``;
- a boundary (logistic regression): ``{"x": [[u₁, v₁], ...], "y": [label₁, ...]}`` with labels
  0 or 1 (the loss's tᵢ = ±1); with one feature per row (``[u₁, ...]`` or ``[[u₁], ...]``) the
  second weight multiplies a constant 1: an intercept.

Every refusal names its field (``surface.data.y.17``). Such a problem is never cached (its
data are the user's, and large): it is built for the request that carries them.
"""

from __future__ import annotations

import csv
import dataclasses
from typing import Any

import numpy as np

from .. import limits
from ..errors import DescentLabError
from .base import Problem, Surface

FIELDS = ("x", "y")
MIN_ROWS = 2
# Past this condition number of AᵀA, the normal equations' solution has lost most of its digits
# (about cond x 1e-16 of it is rounding).
MAX_CONDITION = 1e10
# The Hessian's smallest eigenvalue at a logistic loss's minimiser, below which it is no minimum
# (λ/2‖w‖² alone gives λ; non-separable data some hundredths).
MIN_CURVATURE = 1e-8


def takes_data(surface: Surface) -> bool:
    return surface.model is not None and surface.model.get("kind") in ("line", "boundary")


def max_rows(surface: Surface) -> int:
    """The surface's own bound on n: what its contour grid can afford."""
    for p in surface.params:
        if p.name == "n":
            return int(p.high)
    return limits.MAX_DATA_POINTS


def generator_params(surface: Surface) -> set[str]:
    """The parameters that only shape the generated data (n, noise, seed): not in the loss."""
    return {p.name for p in surface.params if p.name not in surface.loss_params}


def problem_with_data(
    surface: Surface, data: Any, params: dict[str, Any] | None, field_path: str = "surface"
) -> Problem:
    """``surface`` bound to ``params`` on ``data`` (see the module's docstring)."""
    where = f"{field_path}.data"
    if not takes_data(surface):
        raise DescentLabError(
            where, f"surface {surface.id!r} fits no data: only a data-fit surface takes `data`"
        )
    columns = _columns(surface, data, where)
    generated = generator_params(surface)
    for name in params or {}:
        if name in generated:
            raise DescentLabError(
                f"{field_path}.params.{name}", "shapes the generated data: not used with `data`"
            )
    n = len(next(iter(columns.values())))
    own = dataclasses.replace(
        surface,
        name=f"{surface.name}, your data",
        params=tuple(p for p in surface.params if p.name not in generated),
        make_data=None,
        description=f"{surface.name} on your {n:,} data points.",
    )
    try:
        values = own.resolve_params(params, "params")
    except DescentLabError as err:
        raise err.within(field_path) from None
    try:
        with np.errstate(all="ignore"):
            problem = Problem(own, values, data=columns)
    except np.linalg.LinAlgError:
        raise _no_minimum(values, field_path) from None
    if surface.model and surface.model["kind"] == "boundary":
        _check_minimum(problem, field_path)
    problem.domain = _view(problem)
    return problem


def _columns(surface: Surface, data: Any, where: str) -> dict[str, np.ndarray]:
    if not isinstance(data, dict):
        raise DescentLabError(where, 'must be an object {"x": [...], "y": [...]}')
    for name in data:
        if name not in FIELDS:
            raise DescentLabError(f"{where}.{name}", "unknown field (the fields are x and y)")
    for name in FIELDS:
        if name not in data:
            raise DescentLabError(f"{where}.{name}", "missing")
    x, y = data["x"], data["y"]
    top = max_rows(surface)
    for name, column in (("x", x), ("y", y)):
        if not isinstance(column, (list, tuple, np.ndarray)):
            raise DescentLabError(f"{where}.{name}", "must be a list")
        if not MIN_ROWS <= len(column) <= top:
            raise DescentLabError(
                f"{where}.{name}",
                f"has {len(column):,} rows: {surface.id!r} takes {MIN_ROWS} to {top:,}",
            )
    if len(x) != len(y):
        raise DescentLabError(
            f"{where}.y", f"has {len(y):,} rows but x has {len(x):,}: they must be as many"
        )
    model = surface.model or {}
    if model["kind"] == "line":
        xi = _numbers(x, f"{where}.x")
        _check_line(xi, f"{where}.x")
        return {model["x"]: xi, model["y"]: _numbers(y, f"{where}.y")}
    features = _features(x, f"{where}.x")
    labels = _labels(y, f"{where}.y")
    u = features[:, 0]
    v = features[:, 1] if features.shape[1] == 2 else np.ones(len(u))
    return {model["u"]: u, model["v"]: v, model["label"]: 2.0 * labels - 1.0}


def _numbers(column: Any, where: str) -> np.ndarray:
    """A column of numbers (no strings, no booleans), finite and within MAX_DATA_ABS."""
    try:
        values = np.asarray(column, dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim != 1 or not _all_numbers(column):
        row = next((i for i, v in enumerate(column) if not _is_number(v)), None)
        raise DescentLabError(where if row is None else f"{where}.{row}", "must be a number")
    bad = ~np.isfinite(values) | (np.abs(values) > limits.MAX_DATA_ABS)
    if bad.any():
        row = int(np.argmax(bad))
        raise DescentLabError(
            f"{where}.{row}", f"must be finite and at most {limits.MAX_DATA_ABS:g} in size"
        )
    return values


def _is_number(v: Any) -> bool:
    return _number_type(type(v))


def _number_type(t: type) -> bool:
    return issubclass(t, (int, float, np.number)) and not issubclass(t, (bool, np.bool_))


def _all_numbers(column: Any) -> bool:
    if isinstance(column, np.ndarray):
        return column.dtype.kind in "iuf"
    return all(map(_number_type, set(map(type, column))))  # the distinct types: a few


def _features(x: Any, where: str) -> np.ndarray:
    """Rows of one or two features: ``[u, ...]``, ``[[u], ...]`` or ``[[u, v], ...]``."""
    if len(x) and not isinstance(x[0], (list, tuple, np.ndarray)):
        return _numbers(x, where)[:, None]
    width = len(x[0])
    if width not in (1, 2):
        raise DescentLabError(
            f"{where}.0", f"has {width} features: the model has two weights, so 1 or 2"
        )
    for i, row in enumerate(x):
        if not isinstance(row, (list, tuple, np.ndarray)) or len(row) != width:
            raise DescentLabError(f"{where}.{i}", f"must be a list of {width} feature(s), as row 0")
    columns = [_numbers([row[k] for row in x], where) for k in range(width)]
    return np.column_stack(columns)


def _labels(y: Any, where: str) -> np.ndarray:
    labels = _numbers(y, where)
    bad = (labels != 0) & (labels != 1)
    if bad.any():
        row = int(np.argmax(bad))
        raise DescentLabError(f"{where}.{row}", f"must be 0 or 1, not {labels[row]:g}")
    return labels


def _check_line(x: np.ndarray, where: str) -> None:
    """The normal equations AᵀA θ = Aᵀy, A = [1, x], need two distinct x and a usable AᵀA."""
    if float(np.ptp(x)) == 0.0:
        raise DescentLabError(
            where,
            f"every x is {x[0]:g}: any line through (x̄, ȳ) with any slope fits as well, "
            "so the normal equations are singular (give at least two different x)",
        )
    A = np.column_stack([np.ones(len(x)), x])
    condition = float(np.linalg.cond(A.T @ A))
    if not condition < MAX_CONDITION:
        raise DescentLabError(
            where,
            f"the normal equations are too ill-conditioned to solve (condition number of "
            f"AᵀA {condition:.1e}, over {MAX_CONDITION:g}): centre or rescale x",
        )


def _check_minimum(problem: Problem, field_path: str) -> None:
    """Newton's answer is a minimum: a logistic loss without a penalty has none on separable
    data, where Newton walks off while the loss flattens (gradient and curvature ~1e-44)."""
    m = problem.minima[:1]
    if not len(m):  # Newton did not converge
        raise _no_minimum(problem.params, field_path)
    with np.errstate(all="ignore"):
        curvature = np.linalg.eigvalsh(problem.hess(m)[0]) if np.isfinite(m).all() else [0.0]
    if not min(curvature) > MIN_CURVATURE:
        raise _no_minimum(problem.params, field_path)


def _no_minimum(params: dict[str, float], field_path: str) -> DescentLabError:
    return DescentLabError(
        f"{field_path}.params.lam" if "lam" in params else f"{field_path}.data",
        "the loss has no finite minimum on this data (are the classes separable?): "
        "a penalty lam > 0 keeps it finite",
    )


def _view(problem: Problem) -> np.ndarray:
    """A square view centred between the default start and the minimiser, holding both with a
    margin: square, as the page draws a catalog bowl at equal scale (so a loss stretched by
    badly scaled data looks stretched)."""
    start, best = problem.start, problem.minima[0]
    centre = (start + best) / 2
    half = 0.75 * float(np.abs(best - start).max()) or max(1.0, 0.5 * float(np.abs(best).max()))
    return np.column_stack([centre - half, centre + half])


def read_csv(text: str, where: str = "surface.data") -> dict[str, list[Any]]:
    """CSV text as ``data``: the last column is y (or the label), the others x (one column:
    plain numbers; two: rows of features). A first line that is not all numbers is a header;
    empty lines and lines starting with # are skipped: as the page's parser reads it."""
    rows: list[list[float]] = []
    first = True
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = next(csv.reader([line], delimiter=_delimiter(line)))
        header, first = first, False
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            if header:
                continue
            raise DescentLabError(
                where, f"line {number}: {line.strip()!r} is not numbers"
            ) from None
        if len(rows[-1]) != len(rows[0]) or not 2 <= len(rows[0]) <= 3:
            raise DescentLabError(
                where, f"line {number}: {len(rows[-1])} columns (x,y or features then a label)"
            )
    x = [r[0] if len(r) == 2 else r[:-1] for r in rows]
    return {"x": x, "y": [r[-1] for r in rows]}


def _delimiter(line: str) -> str:
    if "\t" in line:
        return "\t"
    return ";" if ";" in line and "," not in line else ","
