"""The basin map's colours (frontend/js/palette.js): distinct, and every one at least 3:1
against the black markers drawn over them (WCAG's contrast for graphics), the grey of −1 too."""

from __future__ import annotations

import re
from pathlib import Path

PALETTE = Path(__file__).resolve().parents[1] / "frontend" / "js" / "palette.js"


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _constant(name: str) -> list[str]:
    text = PALETTE.read_text(encoding="utf-8")
    match = re.search(rf"export const {name} = (\[[^\]]*\]|\"[^\"]*\");", text)
    assert match, name
    return re.findall(r"#[0-9A-Fa-f]{6}", match.group(1))


def test_contrast_helper_can_fail() -> None:
    assert contrast("#000000", "#FFFFFF") == 21
    assert contrast("#000000", "#333333") < 3


def test_basin_colours_carry_black_markers_and_are_distinct() -> None:
    colours = _constant("BASIN_COLOURS") + _constant("NO_BASIN")
    assert len(colours) == 9 and len({c.upper() for c in colours}) == 9
    for c in colours:
        assert contrast(c, "#000000") >= 3, c
