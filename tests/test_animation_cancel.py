"""Cancelling an animation (``DELETE /api/animations/{id}``): a job rendering stops, its ffmpeg
killed and its folder deleted; a queued one never starts; unknown ids are 404."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytest.importorskip("imageio_ffmpeg")
pytest.importorskip("PIL.Image")
pytest.importorskip("kaleido")

BODY = {"surface": "booth", "optimizers": [{"id": "gd"}], "max_steps": 200}


def ffmpeg_children() -> list[int]:
    """This process's child processes that run ffmpeg."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"ffmpeg" in cmdline:
            found.append(int(entry.name))
    return found


def wait_for(check: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    from descentlab.api import Settings, create_app
    from descentlab.api.settings import default_frontend_dir

    settings = Settings(
        frontend_dir=default_frontend_dir(), animation_dir=tmp_path / "jobs", warm_up=False
    )
    return TestClient(create_app(settings))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_cancelling_a_rendering_job_kills_ffmpeg_and_deletes_it(
    client: TestClient, tmp_path: Path
) -> None:
    # a minute of video at 30 fps: it is still rendering when cancelled
    body = {"run": BODY, "format": "mp4", "width": 640, "height": 360, "fps": 30, "seconds": 60}
    with client:
        job = client.post("/api/animations", json=body).json()["id"]
        folder = tmp_path / "jobs" / job
        wait_for(lambda: client.get(f"/api/animations/{job}").json()["progress"] > 0.2)
        assert ffmpeg_children(), "ffmpeg runs while the frames are encoded"
        assert any(folder.glob(".*part*"))  # the partial file
        answer = client.delete(f"/api/animations/{job}")
        assert answer.status_code == 204 and answer.content == b""
        jobs = client.app.state.animations  # type: ignore[attr-defined]
        wait_for(lambda: not jobs.pending, seconds=10)  # the rendering thread has stopped
        assert not folder.exists() and ffmpeg_children() == []
        assert client.get(f"/api/animations/{job}").status_code == 404
        assert client.delete(f"/api/animations/{job}").status_code == 404


def test_a_cancelled_queued_job_never_starts_and_a_finished_one_is_deleted(
    tmp_path: Path,
) -> None:
    from descentlab.api.animations import AnimationJobs
    from descentlab.api.schemas import AnimationBody

    started: list[str] = []
    release = threading.Event()

    def render(source: Any, out: Path, **options: Any) -> Path:
        started.append(out.parent.name)
        release.wait(10)
        out.write_bytes(b"video")
        return out

    jobs = AnimationJobs(tmp_path, render=render)
    body = AnimationBody.model_validate({"run": BODY, "format": "gif"})
    first, second = jobs.submit(body), jobs.submit(body)
    wait_for(lambda: started == [first], seconds=10)
    assert jobs.cancel(second) and not (tmp_path / second).exists()
    release.set()
    wait_for(lambda: not jobs.pending, seconds=10)
    assert started == [first] and jobs.status(first)["status"] == "done"  # type: ignore[index]
    assert jobs.cancel(first) and not (tmp_path / first).exists()  # its file freed
    assert not jobs.cancel(first) and not jobs.cancel("../../etc")
    jobs.shutdown()


def test_cancel_when_the_renderer_deletes_the_job_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renderer may see the cancel mark and delete the job's folder before cancel writes
    the job's status: the job is cancelled all the same (no error, no 500)."""
    import importlib
    import shutil

    from descentlab.api.animations import AnimationJobs, Cancelled
    from descentlab.api.schemas import AnimationBody

    animations = importlib.import_module("descentlab.api.animations")
    release = threading.Event()

    def render(source: Any, out: Path, **options: Any) -> Path:
        release.wait(10)
        raise Cancelled  # (as the real one does at its next frame, seeing the mark)

    jobs = AnimationJobs(tmp_path, render=render)
    job = jobs.submit(AnimationBody.model_validate({"run": BODY, "format": "gif"}))
    wait_for(lambda: jobs.pending and (tmp_path / job).is_dir(), seconds=10)
    write = animations._write

    def renderer_first(folder: Path, state: dict[str, Any]) -> None:
        shutil.rmtree(folder)  # as _render does once it sees the mark
        write(folder, state)

    monkeypatch.setattr(animations, "_write", renderer_first)
    assert jobs.cancel(job) and not (tmp_path / job).exists()
    monkeypatch.undo()
    release.set()
    wait_for(lambda: not jobs.pending, seconds=10)
