"""Animation export: time and file size of a 10 s 1920x1080 MP4 (and a GIF, a WebM) of a preset,
against two baselines measured in the same run: drawing each frame as a whole figure through
kaleido (what the still picture costs, paid per frame; timed on a few frames and multiplied
out), and encoding alone (the still frame piped to ffmpeg as often, nothing drawn).

    python bench/animate.py [--preset duke-rosenbrock-gd-100k] [--seconds 10] [--kaleido-frames 3]

One run of each (an animation is seconds long; the machine's other load shows in every row
alike). Needs the `animate` extra and a Chromium.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import kaleido
import numpy as np

import descentlab
from descentlab import animation
from descentlab.animation import encode, scene
from descentlab.api.plotly_bundle import PLOTLY_JS

SIZE = (1920, 1080)
FPS = 30


def animate(preset: str, path: Path, seconds: float, **options: object) -> tuple[float, float]:
    """Seconds to write ``path`` and seconds until its still picture was drawn."""
    marks: dict[str, float] = {}
    began = time.perf_counter()

    def progress(done: float) -> None:
        if done >= 0.15 and "still" not in marks:
            marks["still"] = time.perf_counter() - began

    descentlab.animate(preset, path, seconds=seconds, progress=progress, **options)  # type: ignore[arg-type]
    return time.perf_counter() - began, marks.get("still", float("nan"))


def kaleido_per_frame(preset: str, frames: int) -> float:
    """Seconds per frame drawing the whole figure (paths up to the frame's step) by kaleido,
    its browser started once beforehand (its best case)."""
    trajectories, title, view = animation._resolve(preset)
    built = scene.build(trajectories, SIZE, title, loss=False, domain=view)
    traj = trajectories[0]
    steps = int(traj.nit[0])
    times = []
    kaleido.start_sync_server(plotlyjs=str(PLOTLY_JS), mathjax=False, silence_warnings=True)
    for k in range(frames):
        upto = max(1, steps * (k + 1) // frames)
        fig = descentlab.figure(*trajectories, domain=view)
        fig.update_layout(built.figure.layout)
        path = fig.data[-1]
        path.update(
            x=traj.path[0, : upto + 1, 0], y=traj.path[0, : upto + 1, 1], marker={"size": 0}
        )
        t0 = time.perf_counter()
        kaleido.calc_fig_sync(
            fig,
            opts={
                "format": "png",
                "width": built.layout_width,
                "height": 720,
                "scale": built.scale,
            },
        )
        times.append(time.perf_counter() - t0)
    kaleido.stop_sync_server(silence_warnings=True)
    return float(np.median(times))


def encode_only(preset: str, path: Path, frames: int) -> float:
    """Seconds to pipe the still picture ``frames`` times into an MP4 (nothing drawn)."""
    trajectories, title, view = animation._resolve(preset)
    built = scene.build(trajectories, SIZE, title, loss=False, domain=view)
    still = scene.render(built)
    t0 = time.perf_counter()
    writer = encode.Encoder(path, "mp4", SIZE, FPS, still)
    for _ in range(frames):
        writer.write(still)
    writer.close()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="duke-rosenbrock-gd-100k")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--kaleido-frames", type=int, default=3)
    args = parser.parse_args()
    frames = len(animation.timeline(1, FPS, args.seconds))
    rows: list[tuple[str, float, float | None, float | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        per_frame = kaleido_per_frame(args.preset, args.kaleido_frames)
        rows.append(
            (
                f"baseline: kaleido, a whole figure per frame x {frames} (from "
                f"{args.kaleido_frames})",
                per_frame * frames,
                per_frame,
                None,
            )
        )
        took = encode_only(args.preset, out / "still.mp4", frames)
        rows.append(
            (
                "baseline: encode only, the still frame into H.264",
                took,
                took / frames,
                (out / "still.mp4").stat().st_size,
            )
        )
        cases = [
            ("MP4 1920x1080 30 fps", "a.mp4", {}),
            ("MP4 1920x1080 30 fps, --loss", "b.mp4", {"loss": True}),
            ("WebM 1920x1080 30 fps", "c.webm", {}),
            ("GIF 960x540 15 fps", "d.gif", {}),
        ]
        for name, file, options in cases:
            took, still = animate(args.preset, out / file, args.seconds, **options)
            n = len(animation.timeline(1, 15 if file.endswith(".gif") else FPS, args.seconds))
            rows.append(
                (
                    f"animate: {name} ({n} frames; still picture {still:.1f} s)",
                    took,
                    (took - still) / n,
                    (out / file).stat().st_size,
                )
            )
    base = rows[0][1]
    print(f"{args.preset}, {args.seconds:g} s of motion + 1 s held")
    print(f"{'what':78} {'total s':>8} {'ms/frame':>9} {'MB':>7} {'vs kaleido':>10}")
    for name, total, frame, size in rows:
        mb = f"{size / 1e6:7.2f}" if size is not None else f"{'-':>7}"
        ms = f"{frame * 1000:9.1f}" if frame is not None else f"{'-':>9}"
        print(f"{name:78} {total:8.1f} {ms} {mb} {base / total:9.1f}x")


if __name__ == "__main__":
    main()
