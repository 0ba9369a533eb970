"""The README's examples run as written: each ```python block in a fresh interpreter, each
`descentlab ...` line of its shell blocks through the command (`python -m descentlab`, the
same entry point); `descentlab serve` lines only parse, since a server does not return."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import descentlab
from descentlab import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
# The descentlab package under test, first on the path of every interpreter started here.
SOURCE = str(Path(descentlab.__file__).resolve().parents[1])


def fenced(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.M | re.S)


PYTHON_BLOCKS = fenced("python")
COMMANDS = [
    shlex.split(line, comments=True)[1:]
    for block in fenced("sh")
    for line in block.splitlines()
    if line.startswith("descentlab ")
]


def python(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([SOURCE, *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_readme_has_examples() -> None:
    assert PYTHON_BLOCKS and len(COMMANDS) >= 4
    assert any(argv[0] == "serve" for argv in COMMANDS)


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda b: b.splitlines()[0])
def test_python_blocks_run(block: str, tmp_path: Path) -> None:
    done = python(["-c", block], tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("argv", COMMANDS, ids=shlex.join)
def test_commands_run(argv: list[str], tmp_path: Path) -> None:
    if argv[0] == "serve":
        args = cli.build_parser().parse_args(argv)
        assert args.func is cli._serve
        return
    done = python(["-m", "descentlab", *argv], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
