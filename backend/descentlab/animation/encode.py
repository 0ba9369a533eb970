"""Frames into a file through the ffmpeg that the imageio-ffmpeg wheel ships (x86_64 and
aarch64 Linux, macOS, Windows; elsewhere a system ffmpeg on the PATH or in IMAGEIO_FFMPEG_EXE).

MP4 is H.264 in yuv420p (what every player and slide program plays), its index first
(``faststart``) so a browser starts it before it has all of it; WebM is VP9; GIF gets one
palette for the whole animation, made from the still picture and the runs' colours, so that
frames differ only where the paths moved (ffmpeg's GIF encoder then stores only that).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DescentLabError

if TYPE_CHECKING:
    from PIL import Image

FORMATS = ("mp4", "webm", "gif")
MEDIA_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "gif": "image/gif"}
MP4_CRF = 23  # x264's default quality: a 10 s 1080p animation is well under 1 MB (bench/)
# x264's preset: the encoder is most of an animation's time, and paths over a still picture
# compress so well that "medium" (~1.75x the time) saves little
MP4_PRESET = "veryfast"
WEBM_CRF = 34


def format_of(path: str | os.PathLike[str]) -> str:
    """The format a file's extension names."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise DescentLabError(
            "path", f"unknown extension {Path(path).suffix or '(none)'!r}: use .mp4, .webm or .gif"
        )
    return suffix


def ffmpeg() -> str:
    """The ffmpeg executable, or a DescentLabError saying how to get one."""
    try:
        import imageio_ffmpeg

        exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as err:
        why = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DescentLabError(
            "format",
            f"no ffmpeg to encode with ({why}): install the `animate` extra "
            "(imageio-ffmpeg ships ffmpeg for x86_64 and aarch64 Linux, macOS and Windows), "
            "or put an ffmpeg on the PATH",
        ) from None
    return exe


class Encoder:
    """Writes RGB frames of ``size`` to ``path`` (a temporary name beside it until closed, so
    a failed animation leaves no half file)."""

    def __init__(
        self, path: Path, fmt: str, size: tuple[int, int], fps: int, still: Image.Image
    ) -> None:
        import imageio_ffmpeg

        ffmpeg()
        self.path = path
        self.partial = path.with_name(f".{path.stem}.part.{fmt}")
        self.tmp = tempfile.TemporaryDirectory(prefix="descentlab-")
        options: dict[str, Any] = dict(
            fps=fps, quality=None, macro_block_size=2, ffmpeg_log_level="error"
        )
        if fmt == "mp4":
            options |= dict(codec="libx264", pix_fmt_out="yuv420p", output_params=[
                "-crf", str(MP4_CRF), "-preset", MP4_PRESET, "-tune", "animation",
                "-movflags", "+faststart"])  # fmt: skip
        elif fmt == "webm":
            options |= dict(codec="libvpx-vp9", pix_fmt_out="yuv420p", output_params=[
                "-crf", str(WEBM_CRF), "-b:v", "0", "-deadline", "realtime", "-cpu-used", "8",
                "-row-mt", "1"])  # fmt: skip
        else:
            palette = Path(self.tmp.name) / "palette.png"
            _palette(still).save(palette)
            options |= dict(codec="gif", pix_fmt_out="pal8", output_params=[
                "-vf", f"movie='{palette}'[p];[in][p]paletteuse=dither=none:diff_mode=rectangle"
            ])  # fmt: skip
        self.writer: Generator[None, bytes, None] = imageio_ffmpeg.write_frames(
            str(self.partial), size, **options
        )
        self.writer.send(None)  # starts ffmpeg

    def write(self, frame: Image.Image) -> None:
        self.writer.send(frame.tobytes())

    def close(self) -> None:
        """Finish the file and give it its name."""
        try:
            self.writer.close()
        except (OSError, RuntimeError) as err:
            self.abort()
            raise DescentLabError("format", f"ffmpeg failed: {err}") from None
        self.tmp.cleanup()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        """Stop at once: ffmpeg killed rather than left to encode the frames it holds (the
        writer kills it on an exception that is not an Exception), the file deleted."""
        with contextlib.suppress(_Abort, Exception):  # (Exception: ffmpeg already gone)
            self.writer.throw(_Abort())
        self.tmp.cleanup()
        self.partial.unlink(missing_ok=True)


class _Abort(BaseException):
    """Thrown into imageio-ffmpeg's writer: it kills ffmpeg for a BaseException only."""


def _palette(still: Image.Image) -> Image.Image:
    """256 colours as a 16 x 16 picture (what paletteuse takes): the still's 232 commonest
    after median cut, then every run colour and their light (restart) forms over white."""
    from PIL import Image

    from ..figures import PALETTE
    from .draw import LIGHT

    colours = still.quantize(colors=232, method=Image.Quantize.MEDIANCUT).getpalette() or []
    rgb = [tuple(colours[i : i + 3]) for i in range(0, len(colours), 3)][:232]
    for hex_colour in PALETTE:
        c = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        light = tuple(round(v * LIGHT / 255 + 255 * (1 - LIGHT / 255)) for v in c)
        rgb += [c, light]
    rgb += [(255, 255, 255), (0, 0, 0)]
    rgb += [rgb[-1]] * (256 - len(rgb))
    image = Image.new("RGB", (16, 16))
    image.putdata(rgb[:256])
    return image
