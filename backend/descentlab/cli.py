"""The ``descentlab`` command: serve the app, run and compare optimisers, sweep their
hyperparameters, list the registries.

Bad input is the user's to fix, so it prints one line naming the field on stderr and exits 2
(argparse's own convention), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .errors import DescentLabError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from uvicorn import Config

    from .api.schemas import OptimizerRef, RunBody
    from .engine import Trajectory

    M = TypeVar("M", bound=BaseModel)

APP = "descentlab.api:create_app"
# Linux spreads a port's connections over the sockets listening on it with SO_REUSEPORT.
REUSE_PORT = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .api.settings import MAX_BODY_BYTES

    options: dict[str, Any] = dict(
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        ws_max_size=4 * MAX_BODY_BYTES,  # the app answers `too_large` itself below this
        # permessage-deflate halves the bytes of a frame (JSON of 17-digit floats) for ~0.7 ms
        # of server CPU per 256 points, as much as computing them: off unless asked for.
        ws_per_message_deflate=args.ws_compression,
        log_level=args.log_level,
    )
    if args.workers > 1 and args.port != 0 and REUSE_PORT:
        _serve_workers(uvicorn.Config(APP, **options))
    else:
        uvicorn.run(APP, **options)
    return 0


def _serve_workers(config: Config) -> None:
    """uvicorn's worker processes, each listening on a socket of its own.

    uvicorn's workers share one listening socket, and the first to wake accepts every
    connection waiting: 20 WebSockets opened at once were split anywhere from 0/20 to 10/10
    between two workers (5/15 or worse in 12 of 40 trials), and a WebSocket stays with its
    worker. With a socket per worker (SO_REUSEPORT) the kernel spreads connections by a hash
    of their addresses: 6/14 at worst in 35 trials.
    """
    from uvicorn.supervisors import Multiprocess

    # Bound without SO_REUSEPORT and closed: fails now (logged, exit 3) if the port is taken,
    # even by a server sharing it through SO_REUSEPORT, and logs the address served.
    config.bind_socket().close()
    own_socket = cast(socket.socket, _WorkerListener(config))
    Multiprocess(config, sockets=[own_socket]).run()


class _WorkerListener:
    """Unpickled in each (re)started worker (uvicorn spawns them) as its own socket."""

    def __init__(self, config: Config) -> None:
        self.family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        self.address = (config.host, config.port)

    def __reduce__(self) -> tuple[Any, ...]:
        return (bind_reuse_port, (self.family, self.address))


def bind_reuse_port(family: int, address: tuple[str, int]) -> socket.socket:
    """A socket bound to ``address`` beside the other workers' (as uvicorn binds, plus
    SO_REUSEPORT). Not listening yet: uvicorn listens once the app has started, so the kernel
    sends no connection to a worker still starting."""
    from uvicorn.config import STARTUP_FAILURE

    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError as err:  # taken since the parent's check: stop, rather than respawn forever
        print(f"descentlab: error: cannot bind {address}: {err}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)
    return sock


MAX_DEFAULT_WORKERS = 4  # each worker process holds ~210 MB (~150 MB its own); more: --workers


def default_workers() -> int:
    """One worker per core this process may use (a container's CPU set, not the host's count),
    at most MAX_DEFAULT_WORKERS."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_DEFAULT_WORKERS, cores or 1))


def _numbers(text: str, field: str) -> float | list[float]:
    """``"0.9"`` -> 0.9, ``"0.9,0.999"`` -> [0.9, 0.999]."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise DescentLabError(field, f"{text!r} is not a number or a list of numbers") from None
    return values[0] if len(values) == 1 else values


def _number(text: str, field: str) -> float:
    value = _numbers(text, field)
    if isinstance(value, list):
        raise DescentLabError(field, f"{text!r} is not a number")
    return value


def _pairs(items: list[str], field: str) -> dict[str, float | list[float]]:
    """``["lr=0.01", "betas=0.9/0.999"]`` -> {"lr": 0.01, "betas": [0.9, 0.999]} (a pair's
    numbers separated by "/", or by "," where one item holds one name)."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise DescentLabError(field, f"{item!r} is not NAME=VALUE")
        out[name] = _numbers(value.replace("/", ","), f"{field}.{name}")
    return out


def _surface(args: argparse.Namespace) -> dict[str, Any]:
    """A catalog id, or else the text of a typed surface (parsed, never evaluated)."""
    from .problems import CATALOG
    from .problems.parse import VARIABLES

    params = _pairs(args.surface_param, "surface.params")
    # A bare word (not a variable) is a surface id, so a typo lists the known ones.
    if args.surface in CATALOG.by_id or (
        re.fullmatch(r"[A-Za-z][\w-]*", args.surface) and args.surface not in VARIABLES
    ):
        if args.data:  # a data-fit surface on the user's own data
            return {"id": args.surface, "params": params, "data": _data(args.data)}
        return {"id": args.surface, "params": params}
    if args.data:
        raise DescentLabError("surface.data", "only a data-fit surface takes --data")
    surface: dict[str, Any] = {"expression": args.surface, "params": params}
    if args.domain:
        bounds = _numbers(args.domain, "surface.domain")
        if not isinstance(bounds, list) or len(bounds) not in (2, 4):
            raise DescentLabError("surface.domain", "must be XMIN,XMAX or XMIN,XMAX,YMIN,YMAX")
        surface["domain"] = [bounds[i : i + 2] for i in range(0, len(bounds), 2)]
    return surface


def _data(path: str) -> dict[str, Any]:
    from .problems.userdata import read_csv

    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise DescentLabError("surface.data", f"cannot read {path}: {err}") from None
    return read_csv(text)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """What a run and a sweep share: the surface, the start, the steps and the stopping rules."""
    start = None if args.start is None else _numbers(args.start, "start")
    return {
        "surface": _surface(args),
        "start": [start] if isinstance(start, float) else start,
        "max_steps": args.steps,
        "stop": {"grad_tol": args.grad_tol, "grad_norm": args.grad_norm, "loss_tol": args.loss_tol},
        "seed": args.seed,
    }


def _schedule(args: argparse.Namespace) -> dict[str, Any] | None:
    if not args.schedule:
        return None
    return {"id": args.schedule, "params": _pairs(args.schedule_param, "schedule.params")}


def run_body(args: argparse.Namespace) -> dict[str, Any]:
    """The command line as a ``POST /api/runs`` body: the API's models validate both."""
    stochastic = None
    if args.batch_size is not None or args.noise:
        stochastic = {"batch_size": args.batch_size, "sampling": args.sampling, "noise": args.noise}
    return {
        **_settings(args),
        "restarts": args.restarts,
        "stochastic": stochastic,
        "epochs": args.epochs,
        "optimizers": _optimizer_refs(args),
    }


def _optimizer_refs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """OPTIMIZER with its --param, then each --opt; every one under the --schedule."""
    refs = []
    if args.optimizer:
        refs.append({"id": args.optimizer, "params": _pairs(args.param, "params")})
    elif args.param:
        raise DescentLabError("params", "--param sets OPTIMIZER's; with --opt write ID:NAME=VALUE")
    refs += [_opt(text, len(refs) + i) for i, text in enumerate(args.opt)]
    if not refs:
        raise DescentLabError("optimizers", "name an OPTIMIZER or --opt ID[:NAME=VALUE,...]")
    return [{**ref, "schedule": _schedule(args)} for ref in refs]


def _opt(text: str, i: int) -> dict[str, Any]:
    """``adam:lr=0.01,betas=0.9/0.999`` -> {"id": "adam", "params": {...}}."""
    optimizer, _, params = text.partition(":")
    items = params.split(",") if params else []
    return {"id": optimizer, "params": _pairs(items, f"optimizers.{i}.params")}


def _validate(model: type[M], body: dict[str, Any]) -> M:
    """``body`` validated by the API's model; its first error names the field."""
    from pydantic import ValidationError

    try:
        return model.model_validate(body)
    except ValidationError as err:
        first = err.errors()[0]
        raise DescentLabError(".".join(map(str, first["loc"])), first["msg"]) from None


def _run(args: argparse.Namespace) -> int:
    from .api import service
    from .api.schemas import RunBody

    body = _validate(RunBody, run_body(args))
    with _machine_code_if_it_pays(body.max_steps * (1 + body.restarts) * len(body.optimizers)):
        trajectories = service.run_model(body)  # once: printed, then drawn
    _print_runs(body, trajectories, args.format)
    if args.png:
        from .figures import figure, write_png

        write_png(figure(*trajectories), args.png)
    if args.html:
        from .viewpage import view_html

        view_html(trajectories, args.html)
    return 0


def _print_runs(body: RunBody, trajectories: tuple[Trajectory, ...], fmt: str) -> None:
    from .api import service

    if fmt == "csv":
        sys.stdout.write(service.csv_of(trajectories))
        return
    result = service.result_of(trajectories)
    if fmt == "json":
        sys.stdout.write(service.dumps(result).decode() + "\n")
        return
    compared = len(body.optimizers) > 1
    for run, ref in zip(result["runs"], body.optimizers, strict=True):
        label = _label(ref) if compared else ref.id
        rows = [run, *run["restarts"]]
        for b, row in enumerate(rows):
            best = " (best)" if len(rows) > 1 and b == run["best"] else ""
            x = ", ".join(f"{v:.6g}" for v in row["x"])
            print(
                f"{label} row {b}{best}: {row['status']} after {row['nit']} steps,"
                f" x = ({x}), loss = {row['fun']:.6g}  [{row['message']}]"
            )


def _label(ref: OptimizerRef) -> str:
    """An optimiser as --opt writes it: ``adam:lr=0.01,betas=0.9/0.999``."""
    given = ",".join(f"{k}={_show(v, '/')}" for k, v in ref.params.items())
    return f"{ref.id}:{given}" if given else ref.id


def sweep_body(args: argparse.Namespace) -> dict[str, Any]:
    """The command line as a ``POST /api/sweeps`` body."""
    sweep: dict[str, list[Any]] = {}
    for text in args.vary:
        name, values = _vary(text)
        if name in sweep:
            raise DescentLabError(f"sweep.{name}", "varied twice")
        sweep[name] = values
    optimizer = {"id": args.optimizer, "params": _pairs(args.param, "optimizer.params")}
    return {**_settings(args), "optimizer": {**optimizer, "schedule": _schedule(args)},
            "sweep": sweep}  # fmt: skip


def _vary(text: str) -> tuple[str, list[Any]]:
    """``lr=1e-4:1:20:log`` (20 values, evenly spaced in log), ``momentum=0:0.99:10`` (evenly
    spaced), ``betas=0.9/0.999,0.5/0.999`` (these values) -> (name, values)."""
    name, sep, spec = text.partition("=")
    if not sep or not name:
        raise DescentLabError("sweep", f"{text!r} is not NAME=FROM:TO:N[:log] or NAME=V1,V2,...")
    field = f"sweep.{name}"
    if ":" in spec:
        return name, _range(spec, field)
    values = [_numbers(v.replace("/", ","), f"{field}.{i}") for i, v in enumerate(spec.split(","))]
    return name, values


def _range(spec: str, field: str) -> list[float]:
    """``FROM:TO:N`` -> N values from FROM to TO, evenly spaced (in log with ``:log``)."""
    import numpy as np

    from .limits import MAX_SWEEP_POINTS

    log = spec.endswith(":log")
    parts = spec.removesuffix(":log").split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        raise DescentLabError(field, f"{spec!r} is not FROM:TO:N or FROM:TO:N:log")
    lo, hi, n = _number(parts[0], field), _number(parts[1], field), int(parts[2])
    if not 1 <= n <= MAX_SWEEP_POINTS:
        raise DescentLabError(field, f"N must be from 1 to {MAX_SWEEP_POINTS}")
    if log and min(lo, hi) <= 0:
        raise DescentLabError(field, "a log range needs FROM and TO above 0")
    return [float(v) for v in (np.geomspace if log else np.linspace)(lo, hi, n)]


def _sweep(args: argparse.Namespace) -> int:
    from .api import service
    from .api.schemas import SweepBody

    result = service.sweep_result(_validate(SweepBody, sweep_body(args)))
    if args.format == "json":
        sys.stdout.write(service.dumps(result).decode() + "\n")
        return 0
    rows = _sweep_rows(result)
    if args.format == "csv":
        csv.writer(sys.stdout, lineterminator="\n").writerows(rows)
    else:
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        for r in rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _sweep_rows(result: dict[str, Any]) -> list[list[str]]:
    """A header, then each setting: its values, then its final loss, gradient norm, steps and
    status under the answer's names for them."""
    columns = ("fun", "grad_norm", "nit", "status")
    rows = [[*result["names"], *columns]]
    for b, setting in enumerate(result["settings"]):
        values = (result[name][b] for name in columns)
        rows.append(
            [
                *(_show(v, "/") for v in setting),
                *(f"{v:.6g}" if isinstance(v, float) else str(v) for v in values),
            ]
        )
    return rows


@contextlib.contextmanager
def _machine_code_if_it_pays(row_steps: int) -> Iterator[None]:
    """Load the machine-code loop (:mod:`.engine.vm`, ~0.6 s) for a command whose trajectories
    are long enough to repay it; otherwise run them on numpy (the reference: the same results
    to rounding) rather than wait for the load in a command that then exits."""
    from .engine import vm

    if row_steps >= 300_000:
        vm.load()
        yield
        return
    enabled, vm.enabled = vm.enabled, False
    try:
        yield
    finally:
        vm.enabled = enabled


def _animate(args: argparse.Namespace) -> int:
    """A preset id, or a JSON file holding a run body, animated into --output."""
    import json
    import time

    from .animation import animate

    source: Any = args.source
    if args.source.endswith(".json") or os.path.sep in args.source:
        try:
            with open(args.source, encoding="utf-8") as f:
                source = json.load(f)
        except (OSError, ValueError) as err:
            raise DescentLabError(
                "source", f"cannot read a run body from {args.source!r}: {err}"
            ) from None
    began = time.perf_counter()
    path = animate(
        source,
        args.output,
        fps=args.fps,
        size=args.size,
        seconds=args.seconds,
        loss=args.loss,
        title=args.title,
    )
    took = time.perf_counter() - began
    print(f"{path}: {path.stat().st_size / 1e6:.2f} MB in {took:.1f} s")
    return 0


def _size(text: str) -> tuple[int, int]:
    """``1920x1080`` -> (1920, 1080)."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1920x1080")
    return int(width), int(height)


def _surfaces(args: argparse.Namespace) -> int:
    from .problems import CATALOG

    for s in CATALOG:
        params = ", ".join(f"{p.name}={p.default:g}" for p in s.params)
        print(f"{s.id:18} {s.dim}-D  {s.name}" + (f"  ({params})" if params else ""))
    return 0


def _optimizers(args: argparse.Namespace) -> int:
    from .optimizers import REGISTRY

    for o in REGISTRY:
        hypers = ", ".join(f"{h.name}={_show(h.default)}" for h in o.hypers)
        print(f"{o.id:20} {o.family:13} {hypers}")
    return 0


def _show(value: Any, sep: str = ",") -> str:
    """A number, or a pair's numbers joined by ``sep``."""
    if isinstance(value, (tuple, list)):
        return sep.join(f"{v:g}" for v in value)
    return f"{value:g}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="descentlab", description="Watch optimisers move on loss surfaces."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the web app and the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="worker processes (default: one per core, at most 4; the GIL gives a process "
        "one core, and each holds ~210 MB, ~150 MB of it its own)",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--ws-compression",
        action="store_true",
        help="compress WebSocket frames (permessage-deflate): for slow links, costs CPU",
    )
    serve.set_defaults(func=_serve)

    run = sub.add_parser(
        "run",
        help="run optimisers on a surface and print the results",
        description="Run one optimiser (OPTIMIZER with --param) or compare several (--opt, "
        "repeatable; with OPTIMIZER too) from the same start. "
        "Negative numbers need '=': --start=-1.5,2 --domain=-3,3,-3,3.",
        epilog="example: descentlab run rosenbrock --opt adam:lr=0.02 "
        "--opt momentum:lr=0.001,momentum=0.9 --png paths.png",
    )
    _surface_options(run)
    run.add_argument("optimizer", nargs="?", help="an optimiser id (see `descentlab optimizers`)")
    _run_options(run, steps=1000)
    run.add_argument(
        "--opt",
        action="append",
        default=[],
        metavar="ID[:NAME=VALUE,...]",
        help="another optimiser to compare, with its hyperparameters, a pair's numbers "
        "separated by '/': adam:lr=0.01,betas=0.9/0.999 (repeatable)",
    )
    run.add_argument("--batch-size", type=int, help="minibatch SGD on a data-fit surface")
    run.add_argument("--sampling", choices=("shuffle", "replacement"), default="shuffle")
    run.add_argument("--epochs", type=int, help="minibatch SGD: epochs (sets --steps)")
    run.add_argument("--noise", type=float, default=0.0, help="simulated gradient noise σ")
    run.add_argument("--restarts", type=int, default=0)
    run.add_argument(
        "--png", metavar="FILE", help="also draw the contours and the paths into FILE (kaleido)"
    )
    run.add_argument(
        "--html",
        metavar="FILE",
        help="also write the view (paths, legend, title, formula, loss plot) as one HTML file "
        "that opens offline",
    )
    run.set_defaults(func=_run)

    sweep = sub.add_parser(
        "sweep",
        help="run one optimiser over a grid of hyperparameters and print each final loss",
        description="Every combination of the --vary values is one setting (as POST "
        "/api/sweeps); each prints its final loss, gradient norm, steps and status (fun, "
        "grad_norm, nit, status, as the API names them). "
        "Negative numbers need '=': --start=-1.5,2.",
        epilog="example: descentlab sweep quadratic momentum --vary lr=1e-4:1e-2:5:log "
        "--vary momentum=0:0.9:3 --steps 300",
    )
    _surface_options(sweep)
    sweep.add_argument("optimizer", help="an optimiser id (see `descentlab optimizers`)")
    sweep.add_argument(
        "--vary",
        action="append",
        default=[],
        required=True,
        metavar="NAME=VALUES",
        help="a hyperparameter's values: FROM:TO:N (N evenly spaced), FROM:TO:N:log (evenly "
        "in log), or V1,V2,... (a pair as 0.9/0.999); up to 3 names",
    )
    _run_options(sweep, steps=500)
    sweep.set_defaults(func=_sweep)

    animate = sub.add_parser(
        "animate",
        help="animate runs into an MP4, WebM or GIF",
        description="Animate a preset (see GET /api/presets) or the runs of a run body (a JSON "
        "file as POST /api/runs takes it): the contours, title, formula and legend drawn once, "
        "the paths growing over --seconds, the end held a second. The format is the file's "
        "extension: .mp4 (H.264), .webm (VP9) or .gif.",
        epilog="example: descentlab animate duke-bowl-momentum -o momentum.mp4 --loss",
    )
    animate.add_argument("source", help="a preset id, or a JSON file holding a run body")
    animate.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the file: .mp4, .webm or .gif"
    )
    animate.add_argument("--fps", type=int, help="frames per second (default 30; a GIF 15)")
    animate.add_argument(
        "--size", type=_size, metavar="WxH", help="pixels (default 1920x1080; a GIF 960x540)"
    )
    animate.add_argument(
        "--seconds", type=float, default=8.0, help="the paths' growth (default 8; then 1 s held)"
    )
    animate.add_argument("--loss", action="store_true", help="the loss plot beside the surface")
    animate.add_argument("--title", help="the title (default: the preset's, or the surface's)")
    animate.set_defaults(func=_animate)

    sub.add_parser("surfaces", help="list the surfaces").set_defaults(func=_surfaces)
    sub.add_parser("optimizers", help="list the optimisers").set_defaults(func=_optimizers)
    return parser


def _surface_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "surface",
        help="a surface id (see `descentlab surfaces`) or an expression in x and y, "
        "e.g. 'x^2 + 100*y^2'",
    )
    parser.add_argument(
        "--surface-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a surface parameter, or a parameter an expression declares (repeatable)",
    )
    parser.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX", help="view box of an expression")
    parser.add_argument(
        "--data",
        metavar="FILE.csv",
        help="a data-fit surface on your own data: x,y for least squares, or 1-2 feature "
        "columns then a 0/1 label for logistic regression (a header line is optional)",
    )


def _run_options(parser: argparse.ArgumentParser, steps: int) -> None:
    """The options of a run and a sweep alike: start, hyperparameters, schedule, stopping."""
    parser.add_argument("--start", metavar="X,Y", help="start point (default: the surface's)")
    parser.add_argument("--steps", type=int, default=steps, help=f"max steps (default {steps})")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a hyperparameter of OPTIMIZER, e.g. lr=0.01 or betas=0.9/0.999 (repeatable)",
    )
    parser.add_argument("--schedule", help="a learning-rate schedule id, e.g. step")
    parser.add_argument("--schedule-param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--grad-tol", type=float, default=1e-6)
    parser.add_argument("--grad-norm", choices=("l1", "l2", "inf"), default="l2")
    parser.add_argument("--loss-tol", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("json", "csv", "summary"), default="summary")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except DescentLabError as err:
        print(f"descentlab: error: {err.field}: {err.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `descentlab ... | head`
        sys.stderr.close()
        return 0
    return code
