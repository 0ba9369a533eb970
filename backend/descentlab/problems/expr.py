"""Expression trees: the single definition every surface is built from.

A surface, whether from the catalog or typed by a user, is one tree of :class:`Node`. From that
tree come its value, its gradient and its Hessian (by symbolic differentiation, here), the fast
numpy evaluator (:mod:`.tape`), the LaTeX shown in the UI (:mod:`.latex`) and an autograd
function (:func:`to_autograd`) that the tests use as the oracle for every derivative.

Nodes are immutable. The smart constructors fold constants and drop ``+0``, ``*1`` and ``*0``
so derivatives stay small; sharing is by object identity (a derivative reuses the subtrees of
its primal), and :mod:`.tape` removes the remaining common subexpressions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import autograd.numpy as anp
import numpy as np


class Node:
    """One node: ``op`` is ``const``, ``var``, ``param``, ``data`` (a column of a data-fit
    loss) or an operator/function name."""

    __slots__ = ("args", "name", "op", "value")

    def __init__(
        self, op: str, args: tuple[Node, ...] = (), value: float = 0.0, name: str = ""
    ) -> None:
        self.op = op
        self.args = args
        self.value = value  # the number of a const, the coordinate index of a var
        self.name = name  # the name of a var or a param

    def __repr__(self) -> str:
        if self.op == "const":
            return repr(self.value)
        if self.op in ("var", "param", "data"):
            return self.name
        return f"{self.op}({', '.join(map(repr, self.args))})"

    def walk(self) -> Iterator[Node]:
        """Every distinct node once, children before parents."""
        seen: set[int] = set()
        stack: list[tuple[Node, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in seen:
                continue
            if expanded or not node.args:
                seen.add(id(node))
                yield node
            else:
                stack.append((node, True))
                stack.extend((a, False) for a in reversed(node.args))


def const(value: float) -> Node:
    return Node("const", value=float(value))


def var(index: int, name: str) -> Node:
    return Node("var", value=index, name=name)


def param(name: str) -> Node:
    return Node("param", name=name)


def data(name: str) -> Node:
    return Node("data", name=name)


ZERO, ONE, TWO = const(0.0), const(1.0), const(2.0)


def is_const(node: Node, value: float | None = None) -> bool:
    return node.op == "const" and (value is None or node.value == value)


# --- smart constructors -------------------------------------------------------------------


def _fold(op: str, *args: Node) -> Node | None:
    """The constant a node of constants evaluates to, or None (also when it is not finite)."""
    if not all(is_const(a) for a in args):
        return None
    with np.errstate(all="ignore"):
        out = FUNCTIONS[op].numpy(*(np.float64(a.value) for a in args))
    return const(float(out)) if np.isfinite(out) else None


def add(a: Node, b: Node) -> Node:
    if is_const(a, 0.0):
        return b
    if is_const(b, 0.0):
        return a
    if b.op == "neg":
        return sub(a, b.args[0])
    return _fold("add", a, b) or Node("add", (a, b))


def sub(a: Node, b: Node) -> Node:
    if is_const(b, 0.0):
        return a
    if is_const(a, 0.0):
        return neg(b)
    if b.op == "neg":
        return add(a, b.args[0])
    return _fold("sub", a, b) or Node("sub", (a, b))


def neg(a: Node) -> Node:
    if a.op == "neg":
        return a.args[0]
    return _fold("neg", a) or Node("neg", (a,))


def mul(a: Node, b: Node) -> Node:
    if is_const(a, 0.0) or is_const(b, 0.0):
        return ZERO
    if is_const(a, 1.0):
        return b
    if is_const(b, 1.0):
        return a
    if is_const(a, -1.0):
        return neg(b)
    if is_const(b, -1.0):
        return neg(a)
    if is_const(b):  # constants first: reads as "2 x", and folds with a leading constant
        a, b = b, a
    if is_const(a) and b.op == "mul" and is_const(b.args[0]):
        return mul(const(a.value * b.args[0].value), b.args[1])
    return _fold("mul", a, b) or Node("mul", (a, b))


def div(a: Node, b: Node) -> Node:
    if is_const(a, 0.0) and not is_const(b, 0.0):
        return ZERO
    if is_const(b, 1.0):
        return a
    return _fold("div", a, b) or Node("div", (a, b))


def power(a: Node, b: Node) -> Node:
    if is_const(b, 1.0):
        return a
    if is_const(b, 0.0):
        return ONE
    return _fold("pow", a, b) or Node("pow", (a, b))


def call(name: str, *args: Node) -> Node:
    """A node for the function ``name`` of the table, folded when its arguments are constant."""
    if name in _CONSTRUCTORS:
        return _CONSTRUCTORS[name](*args)
    return _fold(name, *args) or Node(name, tuple(args))


# --- the function table -------------------------------------------------------------------

Deriv = Callable[[tuple[Node, ...], tuple[Node, ...], Node], Node]
"""(arguments, their derivatives, this node) -> derivative of this node."""


@dataclass(frozen=True)
class Function:
    """An operator or function that expressions may use, with everything derived from it."""

    arity: int
    numpy: Callable[..., Any]
    autograd: Callable[..., Any]
    deriv: Deriv
    latex: str = ""  # LaTeX command for a named function; operators format in latex.py
    public: bool = True  # False: internal (made by differentiation), not typeable


def _sigmoid(a: Any, np_: Any = np) -> Any:
    # Split by sign so neither branch overflows: 1/(1+e^-a) for a >= 0, e^a/(1+e^a) below.
    e = np_.exp(-np_.abs(a))
    return np_.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(a: Any, np_: Any = np) -> Any:
    # log(1 + e^a) = max(a, 0) + log1p(e^-|a|): exact and overflow-free.
    return np_.maximum(a, 0.0) + np_.log1p(np_.exp(-np_.abs(a)))


def _heaviside(a: Any, np_: Any = np) -> Any:
    return np_.where(a > 0, 1.0, 0.0)


def _div0(a: Any, b: Any, np_: Any = np) -> Any:
    return np_.where(a == 0, 0.0, a / np_.where(a == 0, 1.0, b))


def _select_le(a: Any, b: Any, p: Any, q: Any, np_: Any = np) -> Any:
    return np_.where(a <= b, p, q)


def _d_pow(args: tuple[Node, ...], ds: tuple[Node, ...], node: Node) -> Node:
    a, b = args
    da, db = ds
    if is_const(b):  # n a^(n-1) da: valid for negative a too
        return mul(mul(b, power(a, const(b.value - 1.0))), da)
    # a^b (db log a + b da / a)
    return mul(node, add(mul(db, call("log", a)), div(mul(b, da), a)))


def _chain(outer: Callable[[Node, Node], Node]) -> Deriv:
    """Derivative of f(a) as f'(a) * da, where ``outer(a, node)`` builds f'(a)."""
    return lambda args, ds, node: mul(outer(args[0], node), ds[0])


def _zero(args: tuple[Node, ...], ds: tuple[Node, ...], node: Node) -> Node:
    return ZERO


_LN10 = const(math.log(10.0))

FUNCTIONS: dict[str, Function] = {
    "add": Function(2, np.add, anp.add, lambda a, d, n: add(d[0], d[1])),
    "sub": Function(2, np.subtract, anp.subtract, lambda a, d, n: sub(d[0], d[1])),
    "mul": Function(
        2, np.multiply, anp.multiply, lambda a, d, n: add(mul(d[0], a[1]), mul(a[0], d[1]))
    ),
    "div": Function(
        2,
        np.divide,
        anp.divide,
        lambda a, d, n: sub(div(d[0], a[1]), div(mul(n, d[1]), a[1])),
    ),
    "pow": Function(2, np.power, anp.power, _d_pow),
    "neg": Function(1, np.negative, anp.negative, lambda a, d, n: neg(d[0])),
    "sin": Function(1, np.sin, anp.sin, _chain(lambda a, n: call("cos", a)), r"\sin"),
    "cos": Function(1, np.cos, anp.cos, _chain(lambda a, n: neg(call("sin", a))), r"\cos"),
    "tan": Function(1, np.tan, anp.tan, _chain(lambda a, n: add(ONE, mul(n, n))), r"\tan"),
    "exp": Function(1, np.exp, anp.exp, _chain(lambda a, n: n), r"\exp"),
    "log": Function(1, np.log, anp.log, lambda a, d, n: div(d[0], a[0]), r"\log"),
    "log10": Function(
        1, np.log10, anp.log10, lambda a, d, n: div(d[0], mul(_LN10, a[0])), r"\log_{10}"
    ),
    # d sqrt(u) = du / (2 sqrt u), taken as 0 where du = 0: at a cone's tip (Ackley's, or
    # sqrt(x^2 + y^2) at the origin) that is the subgradient 0 rather than 0/0 = NaN.
    "sqrt": Function(
        1, np.sqrt, anp.sqrt, lambda a, d, n: call("div0", d[0], mul(TWO, n)), r"\sqrt"
    ),
    "abs": Function(1, np.abs, anp.abs, _chain(lambda a, n: call("sign", a))),
    "tanh": Function(1, np.tanh, anp.tanh, _chain(lambda a, n: sub(ONE, mul(n, n))), r"\tanh"),
    "sinh": Function(1, np.sinh, anp.sinh, _chain(lambda a, n: call("cosh", a)), r"\sinh"),
    "cosh": Function(1, np.cosh, anp.cosh, _chain(lambda a, n: call("sinh", a)), r"\cosh"),
    "arctan": Function(
        1,
        np.arctan,
        anp.arctan,
        lambda a, d, n: div(d[0], add(ONE, mul(a[0], a[0]))),
        r"\arctan",
    ),
    "arctan2": Function(
        2,
        np.arctan2,
        anp.arctan2,
        # atan2(a, b): (b da - a db) / (a^2 + b^2)
        lambda a, d, n: div(
            sub(mul(a[1], d[0]), mul(a[0], d[1])), add(mul(a[0], a[0]), mul(a[1], a[1]))
        ),
        r"\operatorname{arctan2}",
    ),
    "min": Function(
        2, np.minimum, anp.minimum, lambda a, d, n: call("select_le", a[0], a[1], d[0], d[1])
    ),
    "max": Function(
        2, np.maximum, anp.maximum, lambda a, d, n: call("select_le", a[1], a[0], d[0], d[1])
    ),
    "sigmoid": Function(
        1,
        _sigmoid,
        lambda a: _sigmoid(a, anp),
        _chain(lambda a, n: mul(n, sub(ONE, n))),
        r"\sigma",
    ),
    "relu": Function(
        1,
        lambda a: np.maximum(a, 0.0),
        lambda a: anp.maximum(a, 0.0),
        _chain(lambda a, n: call("heaviside", a)),
        r"\operatorname{relu}",
    ),
    "softplus": Function(
        1,
        _softplus,
        lambda a: _softplus(a, anp),
        _chain(lambda a, n: call("sigmoid", a)),
        r"\operatorname{softplus}",
    ),
    # Internal: made by differentiation, never typed.
    "sign": Function(1, np.sign, anp.sign, _zero, r"\operatorname{sign}", public=False),
    "heaviside": Function(1, _heaviside, lambda a: _heaviside(a, anp), _zero, public=False),
    "div0": Function(
        2,
        _div0,
        lambda a, b: _div0(a, b, anp),
        lambda a, d, n: call("div0", sub(d[0], mul(n, d[1])), a[1]),
        public=False,
    ),
    "select_le": Function(
        4,
        _select_le,
        lambda a, b, p, q: _select_le(a, b, p, q, anp),
        lambda a, d, n: call("select_le", a[0], a[1], d[2], d[3]),
        public=False,
    ),
}

_CONSTRUCTORS: dict[str, Callable[..., Node]] = {
    "add": add,
    "sub": sub,
    "neg": neg,
    "mul": mul,
    "div": div,
    "pow": power,
}


# --- operations on trees ------------------------------------------------------------------


def substitute(root: Node, values: dict[str, float]) -> Node:
    """The tree with each ``param`` named in ``values`` replaced by its number (then folded)."""
    memo: dict[int, Node] = {}
    for node in root.walk():
        if node.op == "param" and node.name in values:
            memo[id(node)] = const(values[node.name])
        elif node.args:
            args = tuple(memo[id(a)] for a in node.args)
            same = all(x is y for x, y in zip(args, node.args, strict=True))
            memo[id(node)] = node if same else call(node.op, *args)
        else:
            memo[id(node)] = node
    return memo[id(root)]


class TooComplex(Exception):
    """Differentiation ran past its deadline (a typed expression's compile budget)."""


def for_evaluation(roots: list[Node]) -> list[Node]:
    """The trees rewritten to cost fewer numpy calls: a division by a constant becomes a
    product with its reciprocal, and negations fold into constant factors, so chains of
    constants collapse. Only for evaluation: the LaTeX keeps the written form. (x * (1/c) and
    x / c may differ in the last bit.)"""
    memo: dict[int, Node] = {}

    def rebuild(node: Node) -> Node:
        args = tuple(memo[id(a)] for a in node.args)
        if node.op == "div" and is_const(args[1]) and args[1].value != 0:
            return mul(const(1.0 / args[1].value), args[0])
        if node.op == "neg" and args[0].op == "mul" and is_const(args[0].args[0]):
            return mul(const(-args[0].args[0].value), args[0].args[1])
        if node.op == "mul" and is_const(args[0]) and args[1].op == "neg":
            return mul(const(-args[0].value), args[1].args[0])
        same = all(x is y for x, y in zip(args, node.args, strict=True))
        return node if same else call(node.op, *args)

    for root in roots:
        for node in root.walk():
            if id(node) not in memo:
                memo[id(node)] = rebuild(node) if node.args else node
    return [memo[id(r)] for r in roots]


def derivative(root: Node, index: int, deadline: float | None = None) -> Node:
    """d root / d x_index, symbolically, sharing subtrees with ``root``.

    ``deadline`` (a ``time.perf_counter()`` value) bounds the work: past it, :class:`TooComplex`.
    """
    memo: dict[int, Node] = {}
    for count, node in enumerate(root.walk()):
        if deadline is not None and count % 256 == 255 and time.perf_counter() > deadline:
            raise TooComplex
        if node.op == "var":
            memo[id(node)] = ONE if node.value == index else ZERO
        elif not node.args:
            memo[id(node)] = ZERO
        else:
            ds = tuple(memo[id(a)] for a in node.args)
            if all(is_const(d, 0.0) for d in ds):
                memo[id(node)] = ZERO
            else:
                memo[id(node)] = FUNCTIONS[node.op].deriv(node.args, ds, node)
    return memo[id(root)]


def polynomial_degree(root: Node) -> int | None:
    """The degree of ``root`` as a polynomial in the coordinates, or None when it is not one.

    Constants, parameters, data columns and any function of those alone count as degree 0; a
    coordinate is degree 1; sums, products, negation, division by a degree-0 term and powers
    by a whole constant combine degrees as polynomials do. Anything else applied to a
    coordinate (exp, abs, relu, ...) is not a polynomial, whatever its derivatives look like.
    """
    degree: dict[int, int | None] = {}
    for node in root.walk():
        known = [degree[id(a)] for a in node.args]
        ds = [k for k in known if k is not None]
        d: int | None = None
        if node.op == "var":
            d = 1
        elif len(ds) < len(known):
            d = None
        elif not any(ds):
            d = 0
        elif node.op in ("add", "sub"):
            d = max(ds)
        elif node.op == "neg":
            d = ds[0]
        elif node.op == "mul":
            d = ds[0] + ds[1]
        elif node.op == "div" and ds[1] == 0:
            d = ds[0]
        elif node.op == "pow" and is_const(node.args[1]):
            n = node.args[1].value
            d = ds[0] * int(n) if n >= 0 and float(n).is_integer() else None
        degree[id(node)] = d
    return degree[id(root)]


def to_autograd(root: Node, columns: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    """The tree as a function of a 1-D array ``x``, built from autograd.numpy (averaged over
    the data ``columns`` for a data-fit loss).

    Used as the oracle: ``autograd.grad`` of this function must agree with the symbolic
    derivatives that the fast path evaluates.
    """

    def f(x: Any) -> Any:
        memo: dict[int, Any] = {}
        for node in root.walk():
            if node.op == "const":
                memo[id(node)] = node.value
            elif node.op == "var":
                memo[id(node)] = x[int(node.value)]
            elif node.op == "data":
                memo[id(node)] = (columns or {})[node.name]
            elif node.op == "param":
                raise ValueError(f"unbound parameter {node.name}")
            else:
                memo[id(node)] = FUNCTIONS[node.op].autograd(*(memo[id(a)] for a in node.args))
        out = memo[id(root)] + 0.0 * x[0]  # a constant surface still depends on x
        return anp.mean(out) if columns else out

    return f
