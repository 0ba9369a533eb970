"""The ``descentlab`` command, through ``main(argv)`` and once as ``python -m descentlab``."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from descentlab.cli import REUSE_PORT, main
from descentlab.optimizers import REGISTRY
from descentlab.problems import CATALOG


def test_lists(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["surfaces"]) == 0
    out = capsys.readouterr().out
    assert all(s in out for s in CATALOG.by_id)
    assert main(["optimizers"]) == 0
    out = capsys.readouterr().out
    assert all(o in out for o in REGISTRY.by_id)


def test_run_summary(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "run",
        "rosenbrock",
        "adam",
        "--param",
        "lr=0.05",
        "--param",
        "betas=0.9,0.999",
        "--steps",
        "50",
        "--restarts",
        "2",
        "--seed",
        "3",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and out[0].startswith("adam row 0")


def test_run_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "run",
                "parabola",
                "gd",
                "--start=-3",
                "--steps",
                "4",
                "--format",
                "json",
                "--schedule",
                "step",
                "--schedule-param",
                "step_size=1",
                "--schedule-param",
                "gamma=0.5",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["runs"][0]["path"][0] == [-3.0] and result["runs"][0]["lr"][1:3] == [
        0.001,
        0.0005,
    ]
    assert (
        main(
            [
                "run",
                "rosenbrock",
                "momentum",
                "--steps",
                "3",
                "--format",
                "csv",
                "--grad-norm",
                "l1",
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["step"] for r in rows] == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["run", "nope", "gd"], "surface.id"),
        (["run", "rosenbrock", "nope"], "optimizers.0.id"),
        (["run", "rosenbrock", "gd", "--param", "lr=50"], "optimizers.0.params.lr"),
        (["run", "rosenbrock", "gd", "--param", "zz=1"], "optimizers.0.params.zz"),
        (["run", "rosenbrock", "gd", "--param", "lr"], "params"),
        (["run", "rosenbrock", "gd", "--param", "lr=abc"], "params.lr"),
        (["run", "rosenbrock", "gd", "--start=1,nan"], "start.1"),
        (["run", "rosenbrock", "gd", "--steps", "999999"], "max_steps"),
        (["run", "rosenbrock", "gd", "--schedule", "nope"], "optimizers.0.schedule.id"),
        (["run", "rosenbrock"], "optimizers"),
        (["run", "rosenbrock", "--param", "lr=0.1"], "params"),
        (["run", "rosenbrock", "gd", "--opt", "adam:lr=abc"], "optimizers.1.params.lr"),
        (["run", "rosenbrock", "--opt", "adam:lr"], "optimizers.0.params"),
        (["run", "rosenbrock", "--opt", "adam:lr=50"], "optimizers.0.params.lr"),
        (["run", "rosenbrock", "--opt", "gd", "--opt", "nope"], "optimizers.1.id"),
        (["sweep", "rosenbrock", "gd", "--vary", "lr"], "sweep"),
        (["sweep", "rosenbrock", "gd", "--vary", "lr=1:2"], "sweep.lr"),
        (["sweep", "rosenbrock", "gd", "--vary", "lr=0:1:5:log"], "sweep.lr"),
        (["sweep", "rosenbrock", "gd", "--vary", "lr=1e-3:1:0"], "sweep.lr"),
        (["sweep", "rosenbrock", "gd", "--vary", "lr=0.1,x"], "sweep.lr.1"),
        (["sweep", "rosenbrock", "gd", "--vary", "lr=0.1", "--vary", "lr=1"], "sweep.lr"),
        (["sweep", "rosenbrock", "gd", "--vary", "zz=1,2"], "sweep.zz"),
        (["sweep", "rosenbrock", "gd", "--vary", "lr=50"], "sweep.lr.0"),
        (["sweep", "rosenbrock", "nope", "--vary", "lr=0.1"], "optimizer.id"),
    ],
)
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], field: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"descentlab: error: {field}:") and "Traceback" not in err


def test_run_compares_optimisers(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "rosenbrock", "adam", "--param", "lr=0.02", "--start=-1.5,2", "--steps", "50"]
    argv += ["--opt", "momentum:lr=0.001,momentum=0.9", "--opt", "adam:lr=0.05,betas=0.5/0.99"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    labels = [line.split(" row ")[0] for line in out]
    assert labels == [
        "adam:lr=0.02",
        "momentum:lr=0.001,momentum=0.9",
        "adam:lr=0.05,betas=0.5/0.99",
    ]
    assert main([*argv, "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["optimizer"] for r in runs] == ["adam", "momentum", "adam"]
    assert runs[2]["params"]["betas"] == [0.5, 0.99] and runs[1]["params"]["momentum"] == 0.9
    assert main([*argv, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["run"], r["optimizer"]) for r in rows} == {
        ("0", "adam"),
        ("1", "momentum"),
        ("2", "adam"),
    }


def test_run_draws_the_paths(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from descentlab import figures

    drawn = []
    monkeypatch.setattr(figures, "write_png", lambda fig, path: drawn.append((fig, path)))
    argv = ["run", "rosenbrock", "--opt", "adam:lr=0.02", "--opt", "gd", "--steps", "20"]
    assert main([*argv, "--restarts", "1", "--png", str(tmp_path / "a.png")]) == 0
    ((fig, path),) = drawn
    assert path == str(tmp_path / "a.png") and len(fig.data) == 2 + 2 * 2
    assert {"adam", "gd"} <= {t.name for t in fig.data}


@pytest.mark.parametrize("fmt", ["summary", "json", "csv"])
def test_run_with_a_png_runs_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str
) -> None:
    from descentlab import engine, figures

    calls = []
    real = engine.run
    monkeypatch.setattr(engine, "run", lambda spec: calls.append(spec) or real(spec))
    monkeypatch.setattr(figures, "write_png", lambda fig, path: None)
    argv = ["run", "rosenbrock", "--opt", "adam:lr=0.02", "--opt", "gd", "--steps", "20"]
    assert main([*argv, "--format", fmt, "--png", str(tmp_path / "a.png")]) == 0
    assert len(calls) == 2  # one run per optimiser: printed and drawn from the same runs
    assert "adam" in capsys.readouterr().out


def test_run_writes_the_view_as_html(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "view.html"
    argv = ["run", "himmelblau", "--opt", "adam:lr=0.05", "--opt", "gd", "--steps", "30"]
    assert main([*argv, "--html", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert (
        text.lstrip().lower().startswith("<!doctype html>")
        and "Himmelblau" in text
        and '"name":"adam"' in text
    )
    assert "<script src=" not in text


def test_run_writes_a_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("kaleido")
    if not any(shutil.which(b) for b in ("chromium", "google-chrome", "chrome")):
        pytest.skip("Plotly's image export needs a Chrome or Chromium")
    out = tmp_path / "paths.png"
    assert (
        main(["run", "himmelblau", "--opt", "adam:lr=0.05", "--opt", "gd", "--png", str(out)]) == 0
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sweep", "quadratic", "momentum", "--vary", "lr=1e-4:1e-2:3:log"]
    argv += ["--vary", "momentum=0,0.9", "--steps", "300"]
    assert main(argv) == 0
    head, *rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert head == ["lr", "momentum", "fun", "grad_norm", "nit", "status"]
    assert [r[:2] for r in rows] == [
        ["0.0001", "0"], ["0.0001", "0.9"], ["0.001", "0"], ["0.001", "0.9"], ["0.01", "0"],
        ["0.01", "0.9"],
    ]  # fmt: skip
    assert rows[-1][4:] == ["283", "converged"] and rows[0][4:] == ["300", "max_steps"]
    assert main([*argv, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["names"] == ["lr", "momentum"] and len(result["fun"]) == 6
    assert result["settings"][2] == [pytest.approx(1e-3), 0.0]
    pair = ["sweep", "rosenbrock", "adam", "--vary", "betas=0.9/0.999,0.5/0.999", "--format", "csv"]
    assert main([*pair, "--param", "lr=0.1", "--steps", "50"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["betas"] for r in rows] == ["0.9/0.999", "0.5/0.999"]
    assert all(r["status"] == "max_steps" and r["nit"] == "50" for r in rows)


def test_sweep_is_the_api_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    from descentlab.api import service
    from descentlab.api.schemas import SweepBody

    argv = ["sweep", "rosenbrock", "gd", "--vary", "lr=1e-4:1e-3:4", "--format", "json"]
    assert main(argv) == 0
    body = SweepBody.model_validate(
        {
            "surface": {"id": "rosenbrock"},
            "optimizer": {"id": "gd"},
            "sweep": {"lr": [1e-4, 4e-4, 7e-4, 1e-3]},
        }
    )
    expected = json.loads(service.dumps(service.sweep_result(body)))
    got = json.loads(capsys.readouterr().out)
    assert got["fun"] == pytest.approx(expected["fun"], rel=1e-12)
    assert got["status"] == expected["status"] and got["nit"] == expected["nit"]


def test_python_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "descentlab", "run", "rosenbrock", "gd", "--param", "lr=99"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "optimizers.0.params.lr" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_a_typed_expression(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "run",
        "(x - a)^2 + 10*y^2",
        "gd",
        "--surface-param",
        "a=1",
        "--domain=-3,3,-3,3",
        "--start=2,2",
        "--param",
        "lr=0.05",
        "--format",
        "json",
    ]
    assert main(argv) == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["status"] == "converged"
    assert run["path"][-1] == pytest.approx([1.0, 0.0], abs=1e-6)
    assert main(["run", "x + __import__", "gd"]) == 2
    assert "unknown name `__import__` at column 5" in capsys.readouterr().err


def test_run_minibatch_sgd(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "run",
        "linear-regression",
        "gd",
        "--batch-size",
        "10",
        "--epochs",
        "5",
        "--param",
        "lr=0.05",
        "--seed",
        "2",
        "--format",
        "json",
    ]
    assert main(argv) == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["nit"] == 50 and run["epoch_size"] == 10 and len(run["batches"][1]) == 10
    assert main(["run", "nightmare", "gd", "--batch-size", "10"]) == 2
    assert "stochastic.batch_size" in capsys.readouterr().err


def _serve(port: int, workers: int) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "descentlab", "serve", "--port", str(port)]
    argv += ["--workers", str(workers), "--log-level", "warning"]
    return subprocess.Popen(argv, stderr=subprocess.PIPE, start_new_session=True)


def _stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # the workers too
    server.wait(timeout=15)


def _tcp(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 sockets on local ``port`` in ``state`` ("0A" listening, "01" open)."""
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return {r[9] for r in rows if r[3] == state and int(r[1].rsplit(":", 1)[1], 16) == port}


def _connections(pid: int, port: int) -> int:
    """The open connections to ``port`` that process ``pid`` holds."""
    inodes = _tcp(port, "01")
    links = (os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir())
    return sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)


@pytest.mark.skipif(not REUSE_PORT, reason="SO_REUSEPORT spreads connections on Linux")
def test_serve_workers_share_a_burst_of_connections() -> None:
    """Each worker listens on a socket of its own, so a burst of connections is spread over
    them; a port already taken stops the server rather than respawning workers that cannot
    bind."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = _serve(port, 2)
        try:
            assert server.wait(timeout=30) == 3  # uvicorn's STARTUP_FAILURE
        finally:
            if server.poll() is None:
                _stop(server)
    server = _serve(port, 2)
    try:
        deadline = time.monotonic() + 60
        while len(_tcp(port, "0A")) < 2:  # both workers started
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.2)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        cmdlines = {int(p): Path(f"/proc/{p}/cmdline").read_bytes() for p in children}
        workers = [pid for pid, cmdline in cmdlines.items() if b"spawn_main" in cmdline]
        burst = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        while sum(held := [_connections(pid, port) for pid in workers]) < 20:  # accepted
            assert time.monotonic() < deadline
            time.sleep(0.1)
        for conn in burst:
            conn.close()
        # A hash of each address picks the worker: one of them takes all 20 with p = 2e-6.
        assert len(workers) == 2 and min(held) > 0, held
    finally:
        _stop(server)


def test_a_short_run_leaves_the_loop_unloaded_and_a_long_one_loads_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-off command does not load numba for a run numpy ends in ~10 ms, and
    leaves the process's setting as it found it."""
    from descentlab.api import service
    from descentlab.engine import vm

    seen = []
    monkeypatch.setattr(vm, "load", lambda: seen.append("load"))
    run_model = service.run_model

    def spy(body):  # what the run saw
        seen.append(vm.enabled)
        return run_model(body)

    monkeypatch.setattr(service, "run_model", spy)
    assert main(["run", "rosenbrock", "adam", "--steps", "100", "--format", "json"]) == 0
    assert seen == [False] and vm.enabled
    argv = ["run", "rosenbrock", "gd", "--steps", "20000", "--restarts", "15", "--format", "json"]
    assert main(argv) == 0
    assert seen[:3] == [False, "load", True]  # (a background load may follow: not loaded)
