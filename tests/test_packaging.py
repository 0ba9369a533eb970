"""What can be checked of the setup without a Docker engine: one source of truth for installs,
the compose file, the image's entry command, CI, and the README's generated tables."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from descentlab.docs_tables import render

ROOT = Path(__file__).resolve().parents[1]


def _dockerfile_cmd() -> list[str]:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD "):
            return yaml.safe_load(line[4:])
    raise AssertionError("Dockerfile has no CMD")


def test_readme_tables_match_the_registries():
    readme = (ROOT / "README.md").read_text()
    assert render(readme) == readme, "run: python -m descentlab.docs_tables README.md"


def test_dockerfile_installs_the_way_make_does():
    text = (ROOT / "Dockerfile").read_text()
    assert "make install" in text  # the Makefile's install step, not a second list of deps
    assert "requirements" not in text
    assert "USER 10001" in text and "HEALTHCHECK" in text and "/healthz" in text
    assert text.count("FROM python:3.11-slim") == 2  # multi-stage, slim
    makefile = (ROOT / "Makefile").read_text()
    assert "$(VENV)/.installed: pyproject.toml" in makefile


def test_compose_file_names_the_port_and_the_command():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    (service,) = compose["services"].values()
    assert service["ports"] == ["8000:8000"]
    assert service["command"] == _dockerfile_cmd()
    assert service["restart"] == "unless-stopped"
    assert "/healthz" in " ".join(service["healthcheck"]["test"])


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "set -euo pipefail" in ci
    assert "make test" in (ROOT / "README.md").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_image_command_serves_outside_docker():
    cmd = _dockerfile_cmd()
    port = _free_port()
    # Same command, on loopback and a free port; the venv's bin directory first on PATH.
    cmd = [
        c if c not in ("0.0.0.0", "8000") else {"0.0.0.0": "127.0.0.1"}.get(c, str(port))
        for c in cmd
    ]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.terminate()  # (its output ends only once it has stopped)
                    out = proc.communicate(timeout=10)[0].decode()
                    raise AssertionError(f"{shlex.join(cmd)} did not serve:\n{out}") from None
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
