"""LaTeX for an expression tree, so the formula shown is generated from the definition itself."""

from __future__ import annotations

import math

from .expr import FUNCTIONS, Node, is_const

# Binding strength: a child weaker than its parent gets parentheses.
_PRECEDENCE = {"add": 1, "sub": 1, "neg": 2, "mul": 3, "div": 3, "pow": 5}
_ATOM = 9
_KNOWN_CONSTANTS = {math.pi: r"\pi", math.e: "e"}


def _number(value: float) -> str:
    if value in _KNOWN_CONSTANTS:
        return _KNOWN_CONSTANTS[value]
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    return text


def _leading_minus(node: Node) -> bool:
    """Prints starting with a minus: -x, -2, and a product led by one (-x y)."""
    if node.op == "const":
        return node.value < 0
    return node.op == "neg" or (node.op == "mul" and _leading_minus(node.args[0]))


def _precedence(node: Node) -> int:
    if _leading_minus(node):
        return 2  # binds like neg
    return _PRECEDENCE.get(node.op, _ATOM)


def to_latex(node: Node) -> str:
    op = node.op
    if op == "const":
        return _number(node.value)
    if op in ("var", "param"):
        return node.name if len(node.name) == 1 else rf"\mathrm{{{node.name}}}"
    if op == "data":
        return f"{node.name}_i"
    prec = _precedence(node)

    def wrap(child: Node, stronger: bool = False) -> str:
        text = to_latex(child)
        weaker = _precedence(child) < prec or (stronger and _precedence(child) == prec)
        return rf"\left({text}\right)" if weaker else text

    def term(child: Node, stronger: bool) -> str:  # right of + or -: a + (-b), never a + -b
        if _leading_minus(child):
            return rf"\left({to_latex(child)}\right)"
        return wrap(child, stronger)

    if op == "add":
        return f"{to_latex(node.args[0])} + {term(node.args[1], False)}"
    if op == "sub":
        return f"{to_latex(node.args[0])} - {term(node.args[1], True)}"
    if op == "neg":
        return f"-{wrap(node.args[0])}"
    if op == "mul":
        a, b = node.args
        sep = r" \cdot " if is_const(b) or (is_const(a) and _leading_minus(b)) else " "
        # a leading minus needs no parentheses: (-x) y = -(x y) prints as -x y
        left = to_latex(a) if _leading_minus(a) else wrap(a)
        return f"{left}{sep}{wrap(b)}"
    if op == "div":
        return rf"\frac{{{to_latex(node.args[0])}}}{{{to_latex(node.args[1])}}}"
    if op == "pow":
        base, exponent = node.args
        base_text = to_latex(base)
        if _precedence(base) <= prec or (base.op in FUNCTIONS and base.op not in _PRECEDENCE):
            base_text = rf"\left({base_text}\right)"
        return f"{{{base_text}}}^{{{to_latex(exponent)}}}"
    if op == "abs":
        return rf"\left|{to_latex(node.args[0])}\right|"
    if op == "sqrt":
        return rf"\sqrt{{{to_latex(node.args[0])}}}"
    if op == "select_le":
        left, right, then, otherwise = (to_latex(x) for x in node.args)
        return (
            rf"\begin{{cases}}{then} & {left} \le {right} \\ {otherwise} & "
            rf"\text{{otherwise}}\end{{cases}}"
        )
    name = FUNCTIONS[op].latex or rf"\operatorname{{{op}}}"
    args = ", ".join(to_latex(a) for a in node.args)
    return rf"{name}\left({args}\right)"
