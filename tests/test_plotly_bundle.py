"""The Plotly.js the page gets: the package's bundle with its load-time functions marked
(api/plotly_bundle.py says why), and the brace matcher that finds where those functions end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from descentlab.api import plotly_bundle
from descentlab.api.plotly_bundle import brace_pairs, mark_run_on_load


def blocks_of(src: str) -> list[str]:
    """The text from each matched `{` to its `}`, in order of the `{`."""
    return [src[a : b + 1] for a, b in sorted(brace_pairs(src).items())]


@pytest.mark.parametrize(
    ("src", "blocks"),
    [
        ("a={b:\"}\",c:'{'}", ["{b:\"}\",c:'{'}"]),  # braces in strings
        ('s="\\"}";{x}', ["{x}"]),  # an escaped quote
        ("t=`}${ {b:1}.b }{`;{y}", ["{b:1}", "{y}"]),  # a template's text and its ${}
        ("t=`${`${ {} }`}}`;{z}", ["{}", "{z}"]),  # templates nested in ${}
        ("if(a){return /}/.test(s)}", ["{return /}/.test(s)}"]),  # a regex after a keyword
        ("x=/[}]\\//g;{w}", ["{w}"]),  # a class and an escaped slash in a regex
        ("f(/{/);g(a,/}/)", []),  # regexes after ( and ,
        ("a=b/c/d;{v}", ["{v}"]),  # division after names
        ("a=(b)/2/(c);{u}", ["{u}"]),  # division after )
        ("a=x[1]/2;{t}", ["{t}"]),  # division after ]
        ("// }\n{s}", ["{s}"]),  # a line comment
        ("/* } { */{r}", ["{r}"]),  # a block comment
        ("a={b:{c:1}}", ["{b:{c:1}}", "{c:1}"]),  # nested
        ("typeof /}/;{q}", ["{q}"]),
        ("returns/2/x;{p}", ["{p}"]),  # a name that starts with a keyword divides
    ],
)
def test_brace_pairs_skip_what_is_not_code(src: str, blocks: list[str]) -> None:
    assert blocks_of(src) == blocks


@pytest.mark.parametrize("src", ["{", "}", "{}}", '{"}', "`${", "{/}", "a=`x"])
def test_brace_pairs_refuse_what_does_not_match(src: str) -> None:
    with pytest.raises(ValueError):
        brace_pairs(src)


# The shape of the bundle in a few lines: the UMD wrapper, esbuild's two lazy-module helpers,
# modules whose bodies hold braces in strings, templates and regexes, and the text `W(x=>{` in
# a string, which is not a call.
BUNDLE = (
    "(function(root, factory) {\n  root.moduleName = factory();\n"
    '} (typeof self !== "undefined" ? self : this, () => {\n'
    '"use strict";var Plotly=(()=>{;var W=(e,t)=>()=>{try{return t||e((t={exports:{}}).exports,'
    "t),t.exports}catch(r){throw t=0,r}};var Ea=(e,t,r)=>()=>{return e&&(t=e(e=0)),t};"
    'var a=W((e,t)=>{t.exports="W(x=>{"}),b=Ea(()=>{var s=`}${1}`}),'
    "c=W(e=>{if(/}/.test(e))e.x={}});return a()})();\nreturn Plotly;\n}));"
)
MARKED = (
    "(function(root, factory) {\n  root.moduleName = factory();\n"
    '} (typeof self !== "undefined" ? self : this, (() => {\n'
    '"use strict";var Plotly=(()=>{;var W=(e,t)=>()=>{try{return t||e((t={exports:{}}).exports,'
    "t),t.exports}catch(r){throw t=0,r}};var Ea=(e,t,r)=>()=>{return e&&(t=e(e=0)),t};"
    'var a=W(((e,t)=>{t.exports="W(x=>{"})),b=Ea((()=>{var s=`}${1}`})),'
    "c=W((e=>{if(/}/.test(e))e.x={}}));return a()})();\nreturn Plotly;\n})));"
)


def test_the_factory_and_each_module_body_are_parenthesised() -> None:
    assert mark_run_on_load(BUNDLE) == MARKED


@pytest.mark.parametrize(
    "src",
    [
        BUNDLE.replace("typeof self", "typeof window"),  # another UMD wrapper
        BUNDLE.replace("var W=", "var W=1,V=").replace("var Ea=", "var Ea=1,U="),  # no helpers
        BUNDLE.replace("e.x={}})", "e.x={}},1)"),  # a module body that is not the last argument
        BUNDLE.replace('"W(x=>{"', '"W(x=>{'),  # a string that does not end
    ],
)
def test_a_bundle_of_another_shape_is_refused(src: str) -> None:
    with pytest.raises(ValueError):
        mark_run_on_load(src)


def test_a_bundle_of_another_shape_is_served_as_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "plotly.min.js"
    other.write_text("var Plotly = {};\n")
    monkeypatch.setattr(plotly_bundle, "PLOTLY_JS", other)
    assert plotly_bundle.plotly_source.__wrapped__() == b"var Plotly = {};\n"


@pytest.mark.parametrize(("bundle", "modules"), [("full", 1000), ("cartesian", 500)])
def test_each_bundle_is_served_with_its_modules_marked(bundle: str, modules: int) -> None:
    """Each plotly.js has the expected shape (a plotly upgrade that changes it fails here, not
    silently as a slower page), and only parentheses were added."""
    original = plotly_bundle.bundle_path(bundle).read_bytes()  # type: ignore[arg-type]
    served = plotly_bundle.plotly_source(bundle)  # type: ignore[arg-type]
    added = served.count(b"(") - original.count(b"(")
    assert added > modules  # the factory and its modules (~1,200 in the full bundle)
    assert served.count(b")") - original.count(b")") == added
    assert len(served) == len(original) + 2 * added

    def strip(b: bytes) -> bytes:
        return b.replace(b"(", b"").replace(b")", b"")

    assert strip(served) == strip(original)


def test_the_cartesian_bundle_is_plotly_js_of_the_installed_version_or_its_own() -> None:
    """The page's bundle is plotly.js's cartesian one, MIT licensed beside it; its version is
    read from its header (the URL carries it, so a new one is never served stale)."""
    head = plotly_bundle.CARTESIAN_JS.read_text(encoding="utf-8")[:200]
    assert "plotly.js (cartesian - minified)" in head
    assert "MIT" in (plotly_bundle.CARTESIAN_JS.parent / "LICENSE-plotly.js").read_text()
    assert re.fullmatch(r"\d+\.\d+\.\d+", plotly_bundle.plotly_js_version("cartesian"))
