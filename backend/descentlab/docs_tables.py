"""The README's tables of surfaces, optimisers and schedules, generated from the registries.

``python -m descentlab.docs_tables`` rewrites them in place between their markers; a test fails
when the README and the registries disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .optimizers import REGISTRY
from .params import Param
from .presets import LECTURES, PRESETS
from .problems import CATALOG
from .schedules import SCHEDULES


def _hyper_text(h: Param) -> str:
    if isinstance(h.default, tuple):
        return f"`{h.name}`=({', '.join(f'{v:g}' for v in h.default)})"
    return f"`{h.name}`={h.default:g}"


def surfaces_table() -> str:
    lines = ["| id | name | dim | parameters | lecture |", "|---|---|---|---|---|"]
    for s in CATALOG:
        params = ", ".join(f"`{p.name}`={p.default:g}" for p in s.params) or "–"
        lines.append(f"| `{s.id}` | {s.name} | {s.dim} | {params} | {'yes' if s.lecture else ''} |")
    return "\n".join(lines)


def optimizers_table() -> str:
    lines = [
        "| id | name | family | hyperparameters (defaults) | equals |",
        "|---|---|---|---|---|",
    ]
    for o in REGISTRY:
        hypers = ", ".join(_hyper_text(h) for h in o.hypers) or "–"
        equals = f"`torch.optim.{o.torch}`" if o.torch else ("scipy" if o.driver else "")
        lines.append(f"| `{o.id}` | {o.name} | {o.family} | {hypers} | {equals} |")
    return "\n".join(lines)


def schedules_table() -> str:
    lines = ["| id | parameters (defaults) | equals |", "|---|---|---|"]
    for s in SCHEDULES:
        params = ", ".join(_hyper_text(h) for h in s.hypers) or "–"
        equals = f"`torch.optim.lr_scheduler.{s.torch}`" if s.torch else ""
        lines.append(f"| `{s.id}` | {params} | {equals} |")
    return "\n".join(lines)


def presets_table() -> str:
    titles = {lecture.id: f"{lecture.id.title()} ({lecture.notes})" for lecture in LECTURES}
    lines = ["| id | figure | lecture (notes) | section |", "|---|---|---|---|"]
    for p in PRESETS:
        lines.append(f"| `{p.id}` | {p.title} | {titles[p.lecture]} | {p.section} |")
    return "\n".join(lines)


TABLES = {
    "surfaces": surfaces_table,
    "optimizers": optimizers_table,
    "schedules": schedules_table,
    "presets": presets_table,
}


def render(readme: str) -> str:
    """``readme`` with each generated table replaced by the registries' current one."""
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        match = pattern.search(readme)
        if match is None:
            raise ValueError(f"README has no {name} table markers")
        readme = readme[: match.end(1)] + make() + "\n" + readme[match.start(2) :]
    return readme


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(render(path.read_text()))


if __name__ == "__main__":
    main()
