"""The single ffmpeg pass: small BGR frames piped to Python, exact frame times, and momentary loudness.

One process demuxes the file once. Its first output is raw video scaled to the analysis size
(ffmpeg autorotates, and scaling to the display size applies the sample aspect ratio). The frames
cross the pipe as BT.601 limited-range I420, half the bytes of BGR, and are handed on as I420:
the per-frame features convert a quarter-size copy to BGR, and only keyframe candidates are
converted at the analysis size. The decoder is asked for less than a viewer needs
(`DECODER_OPTIONS`): shot detection at 320 px cannot see the deblocking filter, which is about a
fifth of H.264's decode time. Frame times come from ffmpeg's per-frame encoder stats with `-fps_mode passthrough`,
so variable frame rate and start-time offsets survive. Its second output runs `ebur128` on the
audio and writes each 100 ms block's momentary loudness with `ametadata`.
"""
from __future__ import annotations

import fcntl
import math
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from functions.core.ffmpeg import (
    Filter, ProgressCallback, ffmpeg_exe, ffmpeg_failure, filter_chain, flags, source_input,
)
from functions.core.models import FALLBACK_FPS, SourceInfo
from functions.core.probe import keyframe_seek
from functions.core.transcode import TONE_MAP_FILTERS

ANALYSIS_LONG_SIDE = 320
# Decoder options before `-i`: skip the in-loop deblocking filter and allow the decoder's
# non-conformant shortcuts (both for H.264/HEVC; other decoders ignore them). The benchmark times its
# decode floor with these too.
DECODER_OPTIONS: tuple[str, ...] = ("-skip_loop_filter:v", "all", "-flags2:v", "fast")
_FRAME_TIMES = "frames.txt"
_LOUDNESS = "loudness.txt"
_PIPE_BYTES = 1 << 20  # room for about a dozen frames, so ffmpeg and Python stall on each other less
LOUDNESS_BLOCK = 0.1  # ebur128 metadata frames are 100 ms long
AUDIO_PREROLL = 0.5  # momentary loudness looks 400 ms back


@dataclass(frozen=True)
class LoudnessTrack:
    """Momentary loudness (LUFS, 400 ms window) at the centre time of each window."""

    times: np.ndarray
    momentary: np.ndarray


@dataclass(frozen=True)
class Decoded:
    timestamps: np.ndarray  # seconds, one per frame handed to on_frame
    loudness: LoudnessTrack | None


@dataclass(frozen=True)
class Window:
    """A part of the media, in seconds from its start: frames with start <= t < end, after the frames
    of the `preroll` seconds before `start`, which prime per-frame history (they are decoded twice).

    Windows that share their bounds split the frames exactly: ffmpeg keeps the original timestamps
    (-copyts) and a trim filter selects by them."""

    start: float
    end: float | None = None
    preroll: float = 0.0
    audio_end: float | None = None  # where the audio stops, when not at `end`


def analysis_size(source: SourceInfo, long_side: int = ANALYSIS_LONG_SIDE) -> tuple[int, int]:
    """Even (width, height) with the source's display aspect and `long_side` pixels on its longer side."""
    w, h = source.width, source.height
    if w <= 0 or h <= 0:
        w, h = _display_size_guess(source)
    scale = min(1.0, long_side / max(w, h))
    return max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2)


def _display_size_guess(source: SourceInfo) -> tuple[int, int]:
    if source.coded_width and source.coded_height:
        w = source.coded_width * (source.sample_aspect or 1.0)
        h = float(source.coded_height)
        return (round(h), round(w)) if source.rotation % 180 else (round(w), round(h))
    return 16 * 20, 9 * 20  # unknown: 16:9 is the least surprising guess


def decode(
    media: Path | str,
    size: tuple[int, int],
    on_frame: Callable[[np.ndarray], None],
    *,
    with_audio: bool,
    tone_map: bool = False,
    window: Window | None = None,
    start_time: float = 0.0,
    audio_start: float = 0.0,
    container: str | None = None,
    expected_frames: int = 0,
    on_progress: ProgressCallback | None = None,
    decoder_options: tuple[str, ...] = DECODER_OPTIONS,
) -> Decoded:
    """Decode `media` (a file or a URL) once, calling `on_frame` with each frame in display order as a
    (h * 3 / 2, w) uint8 I420 array (BT.601 limited range, as OpenCV's COLOR_YUV2BGR_I420 reads it).

    With `tone_map` (HDR sources) the picture is tone-mapped to SDR as the ladder does, after shrinking it to the
    analysis size, so brightness, contrast and colour read as viewers of the ladder see them.
    The array passed to `on_frame` is only valid during the call; copy what you keep. With a
    `window`, `start_time` must be the media's start time (SourceInfo.start_time): times are
    reported from the media's start either way. `audio_start` (SourceInfo.audio_start) puts a window's loudness
    blocks on the grid one pass has, which counts from the audio's first sample, and `container`
    (SourceInfo.container) spares formats with a keyframe index the check that a window's seek lands before a
    keyframe (probe.keyframe_seek). `decoder_options` are DECODER_OPTIONS unless the frames must match another
    decode of the media (chunk.py's preroll).
    """
    seek, vtrim, atrim, shift = [], "", "", 0.0
    if window is not None:
        end = start_time + window.end if window.end is not None else None
        first = max(0.0, window.start - window.preroll)
        # On the audio's 100 ms block grid, so parts report loudness at the same times a single pass does.
        audio_first = max(0.0, block_start(window.start - max(window.preroll, AUDIO_PREROLL), audio_start))
        # Seek a little early (and before a keyframe, where the format has no index), then select exactly by
        # (unshifted) timestamp.
        at = keyframe_seek(str(media), max(0.0, min(first, audio_first) - 1.0), container)
        seek = ["-ss", f"{at:.6f}", "-noaccurate_seek", "-copyts"]
        vtrim = f"trim={_bounds(start_time + first, end)},"
        audio_end = start_time + window.audio_end if window.audio_end is not None else end
        atrim = f"atrim={_bounds(start_time + audio_first, audio_end)},"
        shift = start_time
    with tempfile.TemporaryDirectory(prefix="reelflow-scenes-") as tmp:
        cmd = [
            ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *seek, *decoder_options,
            *source_input(str(media.resolve()) if isinstance(media, Path) else media),
            "-map", "0:v:0", "-vf", f"{vtrim}{filter_chain(analysis_filters(size, tone_map))}",
            *flags(FRAME_OUTPUT), "pipe:1",
        ]
        if with_audio:
            cmd += ["-map", "0:a:0", "-af", f"{atrim}{filter_chain(LOUDNESS_FILTERS)}", "-f", "null", "-"]
        count = stream_frames(cmd, Path(tmp), size, on_frame, what="scene decode",
                              expected_frames=expected_frames, on_progress=on_progress)
        timestamps = read_frame_times(Path(tmp), count) - shift
        loudness = read_loudness(Path(tmp), shift) if with_audio else None
    if loudness is not None and window is not None:
        # The part before ends its audio at `window.start`: its last value is the 400 ms window ending on the last
        # block boundary before it, timed at that window's centre, two blocks earlier. The next value is this part's.
        keep = loudness.times >= block_start(window.start, audio_start) - LOUDNESS_BLOCK - 1e-6
        loudness = LoudnessTrack(loudness.times[keep], loudness.momentary[keep])
    return Decoded(timestamps, loudness)


# The frame output's options (to stdout, after its filter): I420 frames, and their exact times (passthrough, in the
# filter's time base) written per frame by the encoder stats.
FRAME_OUTPUT: dict[str, str] = {
    "fps_mode": "passthrough", "enc_time_base:v": "filter", "pix_fmt": "yuv420p", "f": "rawvideo",
    "stats_enc_pre": _FRAME_TIMES, "stats_enc_pre_fmt": "{pts} {tb}",
}
# Momentary loudness (ebur128's 400 ms window) of every 100 ms block, written to a file in the working folder.
LOUDNESS_FILTERS: tuple[Filter, ...] = (
    ("ebur128", {"metadata": 1}), ("ametadata", {"mode": "print", "file": _LOUDNESS}))


def analysis_filters(size: tuple[int, int], tone_map: bool = False) -> tuple[Filter, ...]:
    """The picture shrunk to `size` in the colours OpenCV's I420 conversion reads (BT.601, limited range), with
    square pixels. With `tone_map` (HDR sources) tone-mapped to SDR as the ladder does, after shrinking: tone mapping
    works in linear light on float planes, which costs per pixel."""
    shrink = ("scale", {"w": size[0], "h": size[1], "flags": "area"})
    return (*((shrink, *TONE_MAP_FILTERS) if tone_map else ()),
            ("scale", {**shrink[1], "out_color_matrix": "bt601", "out_range": "tv"}), ("setsar", {"sar": 1}))


def stream_frames(cmd: list[str], cwd: Path, size: tuple[int, int], on_frame: Callable[[np.ndarray], None], *,
                  what: str, expected_frames: int = 0, on_progress: ProgressCallback | None = None) -> int:
    """Run `cmd` (whose frame output is FRAME_OUTPUT, on stdout) in `cwd`, calling `on_frame` with each I420 frame
    of `size`; returns the number of frames. A failed run raises MediaError naming `what`."""
    width, height = size
    with open(cwd / "stderr.txt", "w+b") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        _widen_pipe(proc.stdout.fileno())
        i420 = np.empty((height * 3 // 2, width), np.uint8)
        into = memoryview(i420).cast("B")
        count = 0
        try:
            while proc.stdout.readinto(into) == i420.size:
                on_frame(i420)
                count += 1
                if on_progress and expected_frames and count % 50 == 0:
                    on_progress(min(1.0, count / expected_frames))
        finally:
            proc.stdout.close()
            returncode = proc.wait()
        if returncode != 0:
            err.seek(0)
            raise ffmpeg_failure(what, err.read(), returncode)
    return count


def block_start(t: float, audio_start: float = 0.0) -> float:
    """The start of the 100 ms loudness block holding `t`, on the grid of blocks counted from `audio_start` (where
    one pass's first block starts); a `t` on the grid is its own start, whatever the float division rounds to."""
    return audio_start + math.floor((t - audio_start) / LOUDNESS_BLOCK + 1e-6) * LOUDNESS_BLOCK


def _bounds(start: float, end: float | None) -> str:
    return f"start={start:.6f}" + (f":end={end:.6f}" if end is not None else "")


def _widen_pipe(fd: int) -> None:
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if set_size is None:
        return
    try:
        fcntl.fcntl(fd, set_size, _PIPE_BYTES)
    except OSError:  # above /proc/sys/fs/pipe-max-size: the default pipe still works
        pass


def read_frame_times(folder: Path, count: int) -> np.ndarray:
    """The `count` frame times (seconds, unshifted) FRAME_OUTPUT's stats wrote in `folder`."""
    path = folder / _FRAME_TIMES
    times: list[float] = []
    if path.exists():
        for line in path.read_text().splitlines():
            pts, _, tb = line.partition(" ")
            try:
                times.append(float(int(pts) * Fraction(tb)))
            except (ValueError, ZeroDivisionError):
                times.append(float("nan"))
    out = np.full(count, np.nan)
    out[: min(count, len(times))] = times[:count]
    return _fill_missing_times(out)


def _fill_missing_times(t: np.ndarray) -> np.ndarray:
    """Frames without a usable pts get a time on the line through the others (or FALLBACK_FPS spacing)."""
    ok = np.isfinite(t)
    if ok.all():
        return t
    idx = np.arange(t.size)
    if ok.sum() >= 2:
        slope, intercept = np.polyfit(idx[ok], t[ok], 1)
    else:
        slope, intercept = 1 / FALLBACK_FPS, (t[ok][0] - idx[ok][0] / FALLBACK_FPS) if ok.any() else 0.0
    filled = t.copy()
    filled[~ok] = slope * idx[~ok] + intercept
    return filled


def read_loudness(folder: Path, shift: float = 0.0) -> LoudnessTrack | None:
    """The momentary loudness LOUDNESS_FILTERS wrote in `folder`, its times less `shift`."""
    path = folder / _LOUDNESS
    if not path.exists():
        return None
    times: list[float] = []
    values: list[float] = []
    t = None
    for line in path.read_text().splitlines():
        if line.startswith("frame:"):
            t = float(line.rsplit("pts_time:", 1)[1]) - shift
        elif line.startswith("lavfi.r128.M=") and t is not None:
            times.append(t + LOUDNESS_BLOCK - 0.2)  # the 400 ms window ends with this block
            values.append(float(line.split("=", 1)[1]))
    if not times:
        return None
    return LoudnessTrack(np.asarray(times), np.asarray(values))
