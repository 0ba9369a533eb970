"""The ``descentlab`` command: serve the app, run an optimiser, list the registries.

Bad input is the user's to fix, so it prints one line naming the field on stderr and exits 2
(argparse's own convention), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from .errors import DescentLabError

if TYPE_CHECKING:
    from uvicorn import Config

    from .api.schemas import RunBody

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


def _pairs(items: list[str], field: str) -> dict[str, float | list[float]]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise DescentLabError(field, f"{item!r} is not NAME=VALUE")
        out[name] = _numbers(value, f"{field}.{name}")
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
        return {"id": args.surface, "params": params}
    surface: dict[str, Any] = {"expression": args.surface, "params": params}
    if args.domain:
        bounds = _numbers(args.domain, "surface.domain")
        if not isinstance(bounds, list) or len(bounds) not in (2, 4):
            raise DescentLabError("surface.domain", "must be XMIN,XMAX or XMIN,XMAX,YMIN,YMAX")
        surface["domain"] = [bounds[i : i + 2] for i in range(0, len(bounds), 2)]
    return surface


def run_body(args: argparse.Namespace) -> dict[str, Any]:
    """The command line as a ``POST /api/runs`` body: the API's models validate both."""
    start = None if args.start is None else _numbers(args.start, "start")
    schedule = None
    if args.schedule:
        schedule = {"id": args.schedule, "params": _pairs(args.schedule_param, "schedule.params")}
    stochastic = None
    if args.batch_size is not None or args.noise:
        stochastic = {"batch_size": args.batch_size, "sampling": args.sampling, "noise": args.noise}
    return {
        "surface": _surface(args),
        "start": [start] if isinstance(start, float) else start,
        "max_steps": args.steps,
        "stop": {"grad_tol": args.grad_tol, "grad_norm": args.grad_norm, "loss_tol": args.loss_tol},
        "seed": args.seed,
        "restarts": args.restarts,
        "stochastic": stochastic,
        "epochs": args.epochs,
        "optimizers": [
            {"id": args.optimizer, "params": _pairs(args.param, "params"), "schedule": schedule}
        ],
    }


def _run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from .api.schemas import RunBody

    try:
        body = RunBody.model_validate(run_body(args))
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(map(str, first["loc"]))
        raise DescentLabError(field, first["msg"]) from None
    with _machine_code_if_it_pays(body.max_steps * (1 + body.restarts) * len(body.optimizers)):
        return _print_runs(body, args.format)


def _print_runs(body: RunBody, fmt: str) -> int:
    from .api import service

    if fmt == "csv":
        sys.stdout.write(service.run_csv(body))
        return 0
    result = service.run_result(body)
    if fmt == "json":
        sys.stdout.write(service.dumps(result).decode() + "\n")
        return 0
    for run in result["runs"]:
        rows = [run, *run["restarts"]]
        for b, row in enumerate(rows):
            best = " (best)" if len(rows) > 1 and b == run["best"] else ""
            x = ", ".join(f"{v:.6g}" for v in row["path"][-1])
            loss = row["loss"][-1]
            print(
                f"{run['optimizer']} row {b}{best}: {row['status']} after {row['steps']} steps,"
                f" x = ({x}), loss = {loss:.6g}  [{row['message']}]"
            )
    return 0


@contextlib.contextmanager
def _machine_code_if_it_pays(row_steps: int) -> Iterator[None]:
    """Load the machine-code loop (:mod:`.engine.vm`, ~0.6 s) for a command whose trajectories
    are long enough to repay it; otherwise run them in the Python kernel (2-3 µs a step: the
    same results) rather than load it in the background while the command runs and exits."""
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


def _show(value: Any) -> str:
    return ",".join(f"{v:g}" for v in value) if isinstance(value, tuple) else f"{value:g}"


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
        help="run one optimiser and print the result",
        description="Negative numbers need '=': --start=-1.5,2 --domain=-3,3,-3,3.",
    )
    run.add_argument(
        "surface",
        help="a surface id (see `descentlab surfaces`) or an expression in x and y, "
        "e.g. 'x^2 + 100*y^2'",
    )
    run.add_argument("optimizer", help="an optimiser id (see `descentlab optimizers`)")
    run.add_argument("--start", metavar="X,Y", help="start point (default: the surface's)")
    run.add_argument("--steps", type=int, default=1000, help="max steps (default 1000)")
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a hyperparameter, e.g. lr=0.01 or betas=0.9,0.999 (repeatable)",
    )
    run.add_argument(
        "--surface-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a surface parameter, or a parameter an expression declares (repeatable)",
    )
    run.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX", help="view box of an expression")
    run.add_argument("--batch-size", type=int, help="minibatch SGD on a data-fit surface")
    run.add_argument("--sampling", choices=("shuffle", "replacement"), default="shuffle")
    run.add_argument("--epochs", type=int, help="minibatch SGD: epochs (sets --steps)")
    run.add_argument("--noise", type=float, default=0.0, help="simulated gradient noise σ")
    run.add_argument("--schedule", help="a learning-rate schedule id, e.g. step")
    run.add_argument("--schedule-param", action="append", default=[], metavar="NAME=VALUE")
    run.add_argument("--grad-tol", type=float, default=1e-6)
    run.add_argument("--grad-norm", choices=("l1", "l2", "inf"), default="l2")
    run.add_argument("--loss-tol", type=float, default=None)
    run.add_argument("--restarts", type=int, default=0)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--format", choices=("json", "csv", "summary"), default="summary")
    run.set_defaults(func=_run)

    sub.add_parser("surfaces", help="list the surfaces").set_defaults(func=_surfaces)
    sub.add_parser("optimizers", help="list the optimisers").set_defaults(func=_optimizers)
    return parser


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
