"""The page uses Plotly through its public API only: no module reads Plotly's private state
(`_fullLayout`, `__data__`, `_size`, `._width`) or finds its way around the SVG Plotly drew
(its internal class names), so a Plotly upgrade cannot break the figures silently."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[1] / "frontend" / "js"
PRIVATE = ["_fullLayout", "__data__", "_size", "_width", "nsewdrag", "scatterlayer", "js-line"]


def private_reads(source: str) -> list[str]:
    """The private names a module's source mentions."""
    return [n for n in PRIVATE if re.search(r"(?<![\w$-])" + re.escape(n) + r"\b", source)]


@pytest.mark.parametrize(
    "source",
    [
        "const fl = gd._fullLayout;",
        "g.__data__[0].trace",
        "fl._size.t",
        "legend._width > 0",
        "gd.querySelector('.nsewdrag')",
    ],
)
def test_the_check_finds_private_reads(source: str) -> None:
    assert private_reads(source)


def test_no_module_reads_plotlys_private_state() -> None:
    modules = sorted(JS.glob("*.js"))
    assert len(modules) > 10
    found = {m.name: private_reads(m.read_text(encoding="utf-8")) for m in modules}
    assert {name: words for name, words in found.items() if words} == {}
