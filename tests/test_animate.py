"""Animations: rendered small (a few frames, a few hundred pixels) from the CLI, from Python and
through the REST job, decoded again and held to what they should show: the frame count, the
size, a path that grows, and the start ring and the head where the pixel mapping puts them."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

import descentlab
from descentlab import figures
from descentlab.animation import draw, scene, timeline
from descentlab.cli import main

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
Image = pytest.importorskip("PIL.Image")
pytest.importorskip("kaleido")
if not any(shutil.which(b) for b in ("chromium", "google-chrome", "chrome")):
    pytest.skip("the still picture needs a Chrome or Chromium", allow_module_level=True)

SIZE = (320, 180)
FPS = 10
SECONDS = 1.0
FRAMES = round(SECONDS * FPS) + FPS  # the motion, then the last frame held a second
BLUE = np.array([0x00, 0x72, 0xB2])  # the first run's colour (figures.PALETTE[0])
BODY = {
    "surface": "booth",
    "start": [-8.0, 8.0],
    "max_steps": 30,
    "optimizers": [{"id": "gd", "params": {"lr": 0.02}}],
}


def decode_video(path: Path) -> tuple[list[np.ndarray], tuple[int, int]]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]
    return frames, (w, h)


def decode_gif(path: Path) -> tuple[list[np.ndarray], tuple[int, int]]:
    frames = []
    with Image.open(path) as gif:
        for k in range(gif.n_frames):
            gif.seek(k)
            frames.append(np.asarray(gif.convert("RGB")))
        return frames, gif.size


def expected_pixel(point: tuple[float, float], domain: list[list[float]]) -> np.ndarray:
    """Where (x, y) lands in the video, as the scene lays it out (its own panel, built again)."""
    traj = descentlab.run(BODY["surface"], "gd", start=BODY["start"], lr=0.02, max_steps=30)
    built = scene.build((traj,), SIZE, "t", loss=False)
    assert built.surface.x_range == tuple(domain[0])
    px = built.surface.to_pixels(np.array([point[0]]), np.array([point[1]]))[0]
    return px + built.surface.box[:2]


def near(frame: np.ndarray, at: np.ndarray, colour: np.ndarray, radius: int = 3) -> float:
    """The smallest colour distance to ``colour`` within ``radius`` pixels of ``at``."""
    x, y = np.round(at).astype(int)
    patch = frame[y - radius : y + radius + 1, x - radius : x + radius + 1].astype(float)
    return float(np.min(np.linalg.norm(patch - colour, axis=-1)))


def tint(frame: np.ndarray, at: np.ndarray, radius: int = 3) -> int:
    """How blue the bluest pixel within ``radius`` of ``at`` is (B - R; 0 on the grey surface)."""
    x, y = np.round(at).astype(int)
    patch = frame[y - radius : y + radius + 1, x - radius : x + radius + 1].astype(int)
    return int((patch[..., 2] - patch[..., 0]).max())


def blue_pixels(frame: np.ndarray) -> int:
    """Pixels tinted blue: the surface is grey and white (R = G = B), the run blue."""
    rgb = frame.astype(int)
    return int((rgb[..., 2] - rgb[..., 0] > 40).sum())


def check_frames(frames: list[np.ndarray], size: tuple[int, int], wanted: tuple[int, int]) -> None:
    assert size == wanted
    assert len(frames) == FRAMES
    # the path grows: more of the run's colour over time, then the held end does not change
    counts = [blue_pixels(f) for f in frames]
    moving = FRAMES - FPS
    assert counts[0] < counts[moving // 2] < counts[moving - 1] <= counts[-1] * 1.1
    assert np.abs(frames[-1].astype(int) - frames[-2].astype(int)).max() < 40
    domain = [[-10.0, 10.0], [-10.0, 10.0]]
    start = expected_pixel((-8.0, 8.0), domain)
    assert near(frames[0], start, BLUE) < 70  # the start ring, where the mapping puts it
    assert tint(frames[0], start + np.array([30, 30])) < 20  # and not everywhere
    end = descentlab.run("booth", "gd", start=(-8, 8), lr=0.02, max_steps=30).x[0]
    head = expected_pixel((end[0], end[1]), domain)
    assert tint(frames[0], head) < 20 and near(frames[-1], head, BLUE) < 70  # the end, at last


def test_the_cli_renders_an_mp4_of_a_run_body(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "run.json"
    body.write_text(json.dumps(BODY))
    out = tmp_path / "gd.mp4"
    argv = ["animate", str(body), "-o", str(out), "--fps", str(FPS), "--size", "320x180"]
    assert main([*argv, "--seconds", str(SECONDS)]) == 0
    assert str(out) in capsys.readouterr().out
    frames, size = decode_video(out)
    check_frames(frames, size, SIZE)
    assert not list(tmp_path.glob(".*part*"))  # the partial file was renamed


def test_python_renders_a_gif_of_trajectories(tmp_path: Path) -> None:
    traj = descentlab.run("booth", "gd", start=(-8, 8), lr=0.02, max_steps=30)
    seen: list[float] = []
    out = descentlab.animate(
        traj, tmp_path / "gd.gif", fps=FPS, size=SIZE, seconds=SECONDS, progress=seen.append
    )
    assert out == tmp_path / "gd.gif"
    frames, size = decode_gif(out)
    check_frames(frames, size, SIZE)
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_the_timeline_spreads_the_steps_and_holds_the_end() -> None:
    positions = timeline(30, fps=10, seconds=2)
    assert len(positions) == 20 + 10
    assert positions[0] == 0 and positions[19] == 30 and set(positions[19:]) == {30.0}
    assert np.all(np.diff(positions[:20]) > 0)
    assert len(timeline(100_000, fps=30, seconds=10)) == 300 + 30  # many steps a frame


def test_a_diverging_path_is_clipped_not_drawn_off_to_infinity() -> None:
    window = (0.0, 0.0, 100.0, 100.0)
    runs = draw._runs(np.array([[10, 10], [50, 50], [1e30, 50], [np.nan, 0]]), window)
    assert [r.tolist() for r in runs] == [[[10, 10], [50, 50]], [[50, 50], [100, 50]]]


def test_dashes_follow_the_pattern_across_calls() -> None:
    line = np.array([[0.0, 0.0], [40.0, 0.0]])
    pieces = draw._dashes(line, np.array([40.0]), (8.0, 4.0), phase=0.0)
    starts = [round(p[0, 0]) for p in pieces]
    assert starts == [0, 12, 24, 36]  # on 8, off 4
    shifted = draw._dashes(line, np.array([40.0]), (8.0, 4.0), phase=6.0)
    assert round(shifted[0][-1, 0]) == 2  # the dash begun in the previous call ends first


def test_a_preset_uses_its_view_and_title() -> None:
    built = scene.build(
        descentlab.animation._preset("duke-rosenbrock-newton-cg")[0],
        (640, 360),
        "Rosenbrock: Newton-CG",
        loss=True,
        domain=[[-5.0, 5.0], [-5.0, 5.0]],
    )
    assert built.surface.x_range == (-5.0, 5.0) and built.loss is not None
    assert built.surface.box[2] < built.loss.box[0]  # side by side
    assert abs(built.surface.width - built.surface.height) <= 1  # equal scales, to a pixel
    title = built.figure.layout.title
    assert title.text == "Rosenbrock: Newton-CG" and "<sup>2</sup>" in title.subtitle.text


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fps": 0}, "fps"),
        ({"size": (321, 180)}, "width"),
        ({"size": (320, 10_000)}, "height"),
        ({"seconds": 0}, "seconds"),
        ({"fps": 60, "seconds": 60}, "seconds"),
        ({"view": [[1, 0], [0, 1]]}, "view.0"),
    ],
)
def test_bad_options_name_the_field(kwargs: dict, field: str, tmp_path: Path) -> None:
    with pytest.raises(descentlab.DescentLabError) as err:
        descentlab.animate(BODY, tmp_path / "a.mp4", **kwargs)
    assert err.value.field == field


def test_bad_sources_and_extensions_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(descentlab.DescentLabError) as err:
        descentlab.animate("no-such-preset", tmp_path / "a.mp4")
    assert err.value.field == "source" and "duke-bowl-adam" in err.value.message
    with pytest.raises(descentlab.DescentLabError) as err:
        descentlab.animate(BODY, tmp_path / "a.avi")
    assert err.value.field == "path"
    with pytest.raises(descentlab.DescentLabError) as err:
        descentlab.animate({**BODY, "optimizers": [{"id": "nope"}]}, tmp_path / "a.gif")
    assert err.value.field == "optimizers.0.id"
    assert main(["animate", "nope.json", "-o", str(tmp_path / "a.mp4")]) == 2
    assert not list(tmp_path.iterdir())


def test_the_palette_holds_every_run_colour() -> None:
    from descentlab.animation.encode import _palette

    still = Image.new("RGB", (64, 64), (200, 200, 200))
    palette = np.asarray(_palette(still)).reshape(-1, 3)
    colours = set(map(tuple, palette.tolist()))
    assert len(palette) == 256
    assert all(tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) in colours
               for c in figures.PALETTE)  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    from descentlab.api import Settings, create_app
    from descentlab.api.settings import default_frontend_dir

    settings = Settings(
        frontend_dir=default_frontend_dir(), animation_dir=tmp_path / "jobs", warm_up=False
    )
    return TestClient(create_app(settings))


def test_the_rest_job_reports_progress_and_serves_the_file(
    client: TestClient, tmp_path: Path
) -> None:
    body = {"run": BODY, "format": "webm", "width": 320, "height": 180, "fps": FPS,
            "seconds": SECONDS}  # fmt: skip
    with client:
        created = client.post("/api/animations", json=body)
        assert created.status_code == 202, created.text
        job = created.json()["id"]
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = client.get(f"/api/animations/{job}").json()
            seen.append(state["progress"])
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert state["status"] == "done", state
        assert seen == sorted(seen) and seen[-1] == 1.0
        got = client.get(f"/api/animations/{job}/file")
    assert got.status_code == 200 and got.headers["content-type"] == "video/webm"
    assert got.headers["content-disposition"] == 'attachment; filename="descentlab-booth-gd.webm"'
    assert int(state["bytes"]) == len(got.content) and got.content[:4] == b"\x1a\x45\xdf\xa3"
    (tmp_path / "got.webm").write_bytes(got.content)
    check_frames(*decode_video(tmp_path / "got.webm"), SIZE)


def test_without_ffmpeg_the_error_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def missing() -> str:
        raise RuntimeError("No ffmpeg exe could be found")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", missing)
    traj = descentlab.run("booth", "gd", max_steps=3)
    with pytest.raises(descentlab.DescentLabError) as err:
        descentlab.animate(traj, tmp_path / "a.mp4", size=SIZE, fps=FPS, seconds=SECONDS)
    assert err.value.field == "format" and "animate` extra" in err.value.message
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"format": "avi"}, ["body", "format"]),
        ({"width": 322, "height": None}, ["body", "height"]),
        ({"width": 321, "height": 180}, ["body", "width"]),
        ({"fps": 61}, ["body", "fps"]),
        ({"fps": 60, "seconds": 60}, ["body", "seconds"]),
        ({"view": [[0, 1]]}, ["body", "view"]),
        ({"view": [[0, 1e300], [0, 1]]}, ["body", "view"]),
        ({"run": {**BODY, "optimizers": [{"id": "nope"}]}}, ["body", "run", "optimizers", 0, "id"]),
        ({"run": {**BODY, "max_steps": 0}}, ["body", "run", "max_steps"]),
    ],
)
def test_bad_rest_input_is_a_422_naming_the_field(
    client: TestClient, change: dict, loc: list
) -> None:
    body = {"run": BODY, "format": "gif", **change}
    answer = client.post("/api/animations", json={k: v for k, v in body.items() if v is not None})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == loc


def test_unknown_jobs_are_404_and_ids_are_not_paths(client: TestClient) -> None:
    assert client.get("/api/animations/abcdefghijklmnopqrstuv").status_code == 404
    assert client.get("/api/animations/..%2F..%2Fetc").status_code == 404
    assert client.get("/api/animations/abcdefghijklmnopqrstuv/file").status_code == 404


def test_finished_jobs_expire(tmp_path: Path) -> None:
    from descentlab.api.animations import STATUS, AnimationJobs

    jobs = AnimationJobs(tmp_path, keep=60)
    state = {"error": None, "format": "gif", "updated": time.time() - 61}
    old, fresh = tmp_path / ("a" * 22), tmp_path / ("b" * 22)
    for folder, status in ((old, "done"), (fresh, "rendering")):
        folder.mkdir()
        (folder / STATUS).write_text(json.dumps({**state, "status": status, "progress": 0.5}))
    jobs.expire()
    assert not old.exists() and fresh.exists()  # a job still rendering is kept
    assert jobs.status("b" * 22)["progress"] == 0.5
    jobs.shutdown()


def test_the_limits_are_published(client: TestClient) -> None:
    limits = client.get("/api/limits").json()["limits"]
    assert limits["max_animation_width"] == 3840 and limits["max_animation_frames"] == 1800


def test_the_loss_axis_keeps_the_start_in_view() -> None:
    diverging = descentlab.run("rosenbrock", "gd", lr=0.01, max_steps=200)
    assert diverging.status == ["diverged"] and diverging.loss[0, diverging.nit[0]] > 1e30
    converging = descentlab.run("quadratic", "newton", max_steps=20)
    for traj in (diverging, converging):
        built = scene.build((traj,), SIZE, "t", loss=True)
        assert built.loss is not None
        lo, hi = built.loss.y_range
        start = np.log10(traj.loss[0, 0] - traj.problem.value(traj.problem.minima).min())
        assert lo < start < hi and hi - lo <= scene.LOSS_DECADES
