"""Plotly.js as the page gets it, with parentheses that tell V8 which of its functions run while
the page loads. Two bundles, both served from this machine (no CDN, works offline):

- ``cartesian``: plotly.js's own partial bundle of its 2-D traces (contour, heatmap, scatter, …:
  every figure but the 3-D view), a third of the full bundle's size. The page loads it first;
  parsing and starting Plotly is the longest thing before the first contour. It ships with this
  package (``descentlab/vendor``, from npm's ``plotly.js-cartesian-dist-min``, MIT licence).
- ``full``: the installed ``plotly`` package's bundle, which the 3-D view loads when it opens
  (its ``surface`` and ``scatter3d`` traces are not in the cartesian one) and videos use.

Why the parentheses: Chromium hands a script to V8 as it downloads, and V8 parses it on a
background thread meanwhile. A function inside is only pre-parsed there (its extent found, its
code not generated) unless V8 expects it to run at once, which it guesses from a parenthesis
before it: ``(function…`` or ``((a) => …``. Every other function is parsed again, in full and
on the main thread, the first time it is called. The bundle's factory and its module wrappers
(esbuild's ``__commonJS``/``__esm``: each module's body as an arrow function, run when Plotly
starts) were all such functions: the main thread re-parsed nearly the whole bundle while Plotly
started. In parentheses they are compiled on the streaming thread instead. Functions the
modules define stay lazy; V8's ``//# allFunctionsCalledOnLoad``, which compiles all of them
eagerly, makes the main thread wait for the whole compile, no faster overall.

Where a bundle is not of the expected shape (another plotly.js build), it is served as
installed; a test holds both to the expected shape.
"""

from __future__ import annotations

import functools
import gzip
import logging
import re
from pathlib import Path
from typing import Literal

import plotly

from ..figures import CARTESIAN_JS

log = logging.getLogger(__name__)

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

Bundle = Literal["cartesian", "full"]

# The UMD wrapper's call: `}(typeof self !== "undefined" ? self : this, () => {...}));`
_FACTORY = re.compile(r'\(typeof self !== "undefined" \? self : this, (\(\) => \{)')
# esbuild's lazy-module helpers take a module's body and return a function that runs it once:
# `var W=(e,t)=>()=>{…}` (__commonJS) and `var Ea=(e,t,r)=>()=>{…}` (__esm).
_HELPER = re.compile(r"[;,]var ([\w$]+)=\([\w$]+(?:,[\w$]+)+\)=>\(\)=>\{")
# An arrow function with a block body: `(e,t)=>{`, `e=>{`, `() => {`.
_ARROW = re.compile(r"(?:\([\w$,\s]*\)|[\w$]+)\s*=>\s*\{")


def bundle_path(bundle: Bundle) -> Path:
    return CARTESIAN_JS if bundle == "cartesian" else PLOTLY_JS


@functools.cache
def plotly_js_version(bundle: Bundle = "full") -> str:
    """The version of a plotly.js bundle (its file header), not of the Python package."""
    try:
        with bundle_path(bundle).open("rb") as f:
            head = f.read(512).decode("ascii", "replace")
    except OSError:
        return "missing"
    found = re.search(r"plotly\.js (?:\(\w+ - minified\) )?v(\d+\.\d+\.\d+\S*)", head)
    return found.group(1) if found else "unknown"


@functools.cache
def plotly_source(bundle: Bundle = "full") -> bytes:
    """A bundle as served (see the module's docstring)."""
    src = bundle_path(bundle).read_text(encoding="utf-8")
    try:
        return mark_run_on_load(src).encode()
    except ValueError as exc:
        log.warning("%s is served as installed (%s): it starts slower", bundle_path(bundle), exc)
        return src.encode()


@functools.cache
def plotly_gzipped(bundle: Bundle = "full") -> bytes:
    """A third of the size for a classroom's Wi-Fi; compressed once, then kept."""
    return gzip.compress(plotly_source(bundle), compresslevel=6, mtime=0)


def warm_up() -> None:
    """Prepare the served bundles (~0.5 s of CPU) before the first page asks for them."""
    plotly_gzipped("cartesian")
    plotly_gzipped("full")


def mark_run_on_load(src: str) -> str:
    """``src`` with the UMD factory and each esbuild module body, arrow functions all passed as
    an argument, in parentheses: ``W((e,t)=>{…})`` becomes ``W(((e,t)=>{…}))``. Raises
    ValueError where ``src`` is not of that shape."""
    factory = _FACTORY.search(src)
    if factory is None:
        raise ValueError("no UMD factory found")
    helpers = set(_HELPER.findall(src))
    if not helpers:
        raise ValueError("no esbuild module helpers found")
    closing = brace_pairs(src)
    edits: list[tuple[int, str]] = []
    for start, brace in [factory.span(1), *_arrows_called(src, helpers)]:
        end = closing.get(brace - 1)
        if end is None:  # the text of a string or a comment
            continue
        if src[end + 1] != ")":  # the function is not the call's last argument
            raise ValueError(f"unexpected code after the function at {end}")
        edits += [(start, "("), (end + 1, ")")]
    edits.sort()
    pieces, last = [], 0
    for at, text in edits:
        pieces += [src[last:at], text]
        last = at
    return "".join(pieces) + src[last:]


def _arrows_called(src: str, names: set[str]) -> list[tuple[int, int]]:
    """Where the arrow function's head starts and ends (after its ``{``) in each call
    ``name(`` of one of ``names`` whose argument is one (str.find: a regular expression with a
    look-behind took 0.25 s)."""
    arrows = []
    for name in names:
        at = src.find(name + "(")
        while at >= 0:
            start = at + len(name) + 1
            whole_name = at == 0 or not (src[at - 1].isalnum() or src[at - 1] in "_$.")
            if whole_name and (arrow := _ARROW.match(src, start)):
                arrows.append(arrow.span())
            at = src.find(name + "(", start)
    return arrows


# --- brace matching in JavaScript source --------------------------------------------------
# Enough of JavaScript's lexical grammar to match braces in minified code: strings, template
# literals (with `${…}` nested to any depth), comments and regular expression literals are
# skipped. Whether a `/` starts a regular expression or divides depends on what precedes it:
# after a value (a name, a number, `)`, `]`, `}`, a string), it divides, except after the
# keywords below, which precede an expression.

_SPECIAL = re.compile(r"[{}`\"'/]")
_STRING = {
    '"': re.compile(r'"(?:[^"\\\n]|\\.)*"', re.S),
    "'": re.compile(r"'(?:[^'\\\n]|\\.)*'", re.S),
}
_TEMPLATE_PART = re.compile(r"(?:[^`\\$]|\\.|\$(?!\{))*(`|\$\{)", re.S)  # up to ` or ${
_REGEX = re.compile(r"/(?:[^/\\\[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/[a-z]*")
_LINE_COMMENT = re.compile(r"//[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_BEFORE_EXPRESSION = frozenset(
    "return typeof instanceof in of new delete void throw case do else yield await".split()
)
_IN_TEMPLATE = -1  # on the brace stack: a `${` whose `}` goes back into a template literal


def brace_pairs(src: str) -> dict[int, int]:
    """The position of each ``{`` in JavaScript source mapped to its ``}``'s. Raises
    ValueError on braces that do not match or a literal that does not end."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    i = 0
    while (found := _SPECIAL.search(src, i)) is not None:
        i = found.start()
        c = src[i]
        if c == "{":
            stack.append(i)
            i += 1
        elif c == "}" and (not stack or stack[-1] != _IN_TEMPLATE):
            if not stack:
                raise ValueError(f"unmatched '}}' at {i}")
            pairs[stack.pop()] = i
            i += 1
        elif c in "`}":  # a template literal starts, or goes on after a `${…}`
            if c == "}":
                stack.pop()
            part = _match(_TEMPLATE_PART, src, i + 1, "template literal")
            if part.group(1) == "${":
                stack.append(_IN_TEMPLATE)
            i = part.end()
        elif c in "\"'":
            i = _match(_STRING[c], src, i, "string").end()
        elif src.startswith("//", i):
            i = _match(_LINE_COMMENT, src, i, "comment").end()
        elif src.startswith("/*", i):
            i = _match(_BLOCK_COMMENT, src, i, "comment").end()
        elif _regex_may_start(src, i):
            i = _match(_REGEX, src, i, "regular expression").end()
        else:  # division
            i += 1
    if stack:
        raise ValueError(f"{len(stack)} braces not closed")
    return pairs


def _match(pattern: re.Pattern[str], src: str, at: int, what: str) -> re.Match[str]:
    found = pattern.match(src, at)
    if found is None:
        raise ValueError(f"a {what} at {at} does not end")
    return found


def _regex_may_start(src: str, slash: int) -> bool:
    end = slash  # what precedes the slash, blanks skipped
    while end > 0 and src[end - 1] in " \t\r\n":
        end -= 1
    if end == 0:
        return True
    start = end  # the name or number that ends there, if any
    while start > 0 and (src[start - 1].isalnum() or src[start - 1] in "_$"):
        start -= 1
    if start < end:
        return src[start:end] in _BEFORE_EXPRESSION
    return src[end - 1] not in ")]}\"'`"
