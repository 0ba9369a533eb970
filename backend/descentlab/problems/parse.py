"""A parser of our own for surface expressions: text in, :class:`~.expr.Node` tree out.

Nothing the user typed is ever evaluated as code: the text is tokenised here, every name is
looked up in fixed tables (variables, constants, declared parameters, :data:`~.expr.FUNCTIONS`)
and anything else is refused with the column it starts at. Sizes are bounded before any work
that could grow with them (see :mod:`descentlab.limits`).

Grammar (``^`` and ``**`` are both power, right-associative, binding tighter than unary minus,
so ``-x^2`` is ``-(x^2)``):

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := atom (("^" | "**") unary)?
    atom    := number | name | name "(" expr ("," expr)* ")" | "(" expr ")"
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .. import limits
from ..errors import DescentLabError
from . import expr
from .expr import FUNCTIONS, Node

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
ALIASES = {"ln": "log", "atan": "arctan", "atan2": "arctan2", "arctan2": "arctan2"}
OPERATORS = ("add", "sub", "mul", "div", "pow", "neg")  # written with symbols, not by name
TYPEABLE_FUNCTIONS = tuple(
    sorted(n for n, f in FUNCTIONS.items() if f.public and n not in OPERATORS)
)

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # number | name | op | end
    text: str
    column: int  # 1-based, for messages


def tokenize(text: str) -> list[Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # reported when the parser reaches it, so earlier errors come first
            tokens.append(Token("error", text[pos], pos + 1))
            break
        if m.lastgroup != "space":
            tokens.append(Token(m.lastgroup or "", m.group(), pos + 1))
        pos = m.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(
        self,
        text: str,
        params: Iterable[str],
        dim_names: tuple[str, ...],
        data_names: Iterable[str] = (),
    ) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.nodes = 0
        self.params = set(params)
        self.dim_names = dim_names
        self.data_names = set(data_names)
        self.used_vars: set[str] = set()

    # -- helpers -----------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        token = self.tokens[self.i]
        if token.kind == "error":
            raise self.fail(f"unexpected character {token.text!r}", token)
        return token

    def fail(self, message: str, token: Token | None = None) -> DescentLabError:
        column = (token or self.tokens[self.i]).column
        return DescentLabError("expression", f"{message} at column {column}", position=column)

    def accept(self, *texts: str) -> Token | None:
        if self.tok.kind == "op" and self.tok.text in texts:
            self.i += 1
            return self.tokens[self.i - 1]
        return None

    def expect(self, text: str) -> None:
        if not self.accept(text):
            found = f"{self.tok.text!r}" if self.tok.kind != "end" else "the end"
            raise self.fail(f"expected {text!r} but found {found}")

    def node(self, built: Node) -> Node:
        self.nodes += 1
        if self.nodes > limits.MAX_EXPRESSION_NODES:
            raise self.fail(f"expression has more than {limits.MAX_EXPRESSION_NODES} nodes")
        return built

    def enter(self) -> None:
        self.depth += 1
        if self.depth > limits.MAX_EXPRESSION_DEPTH:
            raise self.fail(f"expression nests deeper than {limits.MAX_EXPRESSION_DEPTH}")

    # -- grammar -----------------------------------------------------------------------------
    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.fail("expression is empty")
        root = self.expr()
        if self.tok.kind != "end":
            if self.tok.kind in ("name", "number") or self.tok.text == "(":
                raise self.fail(f"missing operator before {self.tok.text!r} (write 2*x, not 2x)")
            raise self.fail(f"unexpected {self.tok.text!r}")
        return root

    def expr(self) -> Node:
        self.enter()
        left = self.term()
        while op := self.accept("+", "-"):
            right = self.term()
            left = self.node(expr.add(left, right) if op.text == "+" else expr.sub(left, right))
        self.depth -= 1
        return left

    def term(self) -> Node:
        left = self.unary()
        while op := self.accept("*", "/"):
            right = self.unary()
            left = self.node(expr.mul(left, right) if op.text == "*" else expr.div(left, right))
        return left

    def unary(self) -> Node:
        if op := self.accept("-", "+"):
            self.enter()
            inner = self.unary()
            self.depth -= 1
            return self.node(expr.neg(inner)) if op.text == "-" else inner
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if op := self.accept("^", "**"):
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            if (
                expr.is_const(exponent)
                and float(exponent.value).is_integer()
                and abs(exponent.value) > limits.MAX_INTEGER_POWER
            ):
                raise self.fail(
                    f"power too large: |{exponent.value:g}| > {limits.MAX_INTEGER_POWER}", op
                )
            if expr.is_const(base) and expr.is_const(exponent):
                folded = _checked_power(base.value, exponent.value)
                if folded is None:
                    raise self.fail("power too large", op)
            return self.node(expr.power(base, exponent))
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            return self.node(expr.const(float(tok.text.replace("_", ""))))
        if tok.kind == "name":
            self.i += 1
            if self.accept("("):
                return self.call(tok)
            return self.node(self.name(tok))
        if self.accept("("):
            inner = self.expr()
            self.expect(")")
            return inner
        found = repr(tok.text) if tok.kind != "end" else "the end of the expression"
        raise self.fail(f"expected a number, a name or '(' but found {found}")

    def name(self, tok: Token) -> Node:
        if tok.text in self.dim_names:
            self.used_vars.add(tok.text)
            return expr.var(self.dim_names.index(tok.text), tok.text)
        if tok.text in self.params:
            return expr.param(tok.text)
        if tok.text in self.data_names:
            return expr.data(tok.text)
        if tok.text in CONSTANTS:
            return expr.const(CONSTANTS[tok.text])
        if _function_name(tok.text):
            raise self.fail(f"function `{tok.text}` needs arguments in parentheses", tok)
        raise self.fail(f"unknown name `{tok.text}`", tok)

    def call(self, tok: Token) -> Node:
        name = _function_name(tok.text)
        if name is None:
            raise self.fail(f"unknown function `{tok.text}`", tok)
        self.enter()
        args = [self.expr()]
        while self.accept(","):
            args.append(self.expr())
        self.expect(")")
        self.depth -= 1
        arity = FUNCTIONS[name].arity
        if len(args) != arity:
            raise self.fail(
                f"`{tok.text}` takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}",
                tok,
            )
        return self.node(expr.call(name, *args))


def _function_name(text: str) -> str | None:
    name = ALIASES.get(text, text)
    return name if name in TYPEABLE_FUNCTIONS else None


def _checked_power(base: float, exponent: float) -> float | None:
    try:
        out = math.pow(base, exponent)
    except (OverflowError, ValueError, ZeroDivisionError):
        return math.nan if base < 0 else None
    return out if math.isfinite(out) or math.isnan(out) else None


@dataclass(frozen=True)
class Parsed:
    tree: Node
    dim: int  # 1 when only x appears, else 2


def parse(text: str, params: Iterable[str] = (), data: Iterable[str] = ()) -> Parsed:
    """Parse ``text`` into a tree over x (and y), the declared ``params`` and, for a data-fit
    loss, the names of its ``data`` columns (the per-sample loss is then averaged over them).

    Raises :class:`DescentLabError` (field ``expression``) with the column of the problem.
    """
    if not isinstance(text, str):
        raise DescentLabError("expression", "must be a string")
    if len(text) > limits.MAX_EXPRESSION_LENGTH:
        raise DescentLabError(
            "expression",
            f"is {len(text)} characters long; the limit is {limits.MAX_EXPRESSION_LENGTH}",
        )
    params = tuple(params)
    for p in params:
        if p in VARIABLES or p in CONSTANTS or _function_name(p) or not p.isidentifier():
            raise DescentLabError(f"params.{p}", "is not a usable parameter name")
    parser = _Parser(text, params, VARIABLES, data)
    tree = parser.parse()
    dim = 2 if "y" in parser.used_vars else 1
    return Parsed(tree, dim)
