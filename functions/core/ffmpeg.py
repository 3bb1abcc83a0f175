"""Running the bundled ffmpeg: one place that finds the binary, runs it and turns failures into MediaError."""
from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from functools import cache

import imageio_ffmpeg

ProgressCallback = Callable[[float], None]
_TIME = re.compile(rb"out_time_us=(\d+)")


class MediaError(Exception):
    """The input cannot be processed; the message is shown to users as the reason."""


@cache
def ffmpeg_exe() -> str:
    """The static ffmpeg shipped by imageio-ffmpeg (the same binary locally and in the Lambda image)."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(
    args: Sequence[str],
    *,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
    what: str = "ffmpeg",
) -> None:
    """Run ffmpeg with `args` (without the binary); report progress as a 0..1 fraction of `duration`."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    if on_progress and duration:
        cmd += ["-progress", "pipe:1", "-nostats"]
    cmd += list(args)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    if on_progress and duration:
        for line in proc.stdout:
            m = _TIME.match(line)
            if m:
                on_progress(min(1.0, int(m.group(1)) / 1e6 / duration))
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise ffmpeg_failure(what, err, proc.returncode)


def ffmpeg_failure(what: str, stderr: bytes, returncode: int) -> MediaError:
    """The MediaError for a failed ffmpeg run: its last three error lines, or the exit code."""
    tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
    return MediaError(f"{what} failed: {' | '.join(tail) or f'exit code {returncode}'}")

