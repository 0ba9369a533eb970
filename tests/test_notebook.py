"""docs/lectures.ipynb runs as written: its code cells, in order, in one namespace, the last line
of a cell evaluated as a notebook shows it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "lectures.ipynb"


def code_cells() -> list[str]:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def run_cell(source: str, namespace: dict[str, Any]) -> Any:
    """Run a cell; what its last line shows, if that line is an expression of its own."""
    *body, last = source.strip().splitlines()
    try:
        shown = compile(last, str(NOTEBOOK), "eval")
    except SyntaxError:  # a statement, or the inside of a block
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)
        return None
    exec(compile("\n".join(body), str(NOTEBOOK), "exec"), namespace)
    return eval(shown, namespace)


def test_the_notebook_runs_and_its_labs_have_no_error() -> None:
    from descentlab.lab import Lab

    namespace: dict[str, Any] = {}
    labs = [shown for s in code_cells() if isinstance(shown := run_cell(s, namespace), Lab)]
    assert len(labs) >= 6
    assert all(lab.error == "" and lab.paths for lab in labs)
    assert namespace["lab"].trajectories[0].problem.dim == 2
