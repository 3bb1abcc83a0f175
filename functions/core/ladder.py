"""Plan the ABR ladder and the chunks of a transcode from what probing found."""
from __future__ import annotations

import math

from functions.core.models import Chunk, Rendition, SourceInfo, TranscodePlan

# (short side in pixels, H.264 video kbps) — a conventional ladder for 16:9 at up to 30 fps; UHD sources start at
# 2160p or 1440p (each rung's H.264 level is chosen per rung, see h264_level).
LADDER: tuple[tuple[int, int], ...] = (
    (2160, 16000), (1440, 8000), (1080, 5000), (720, 2800), (480, 1400), (360, 800), (240, 400))
DEFAULT_MAX_RUNGS = 4
AUDIO_KBPS = 128
SEGMENT_SECONDS = 4.0
DEFAULT_CHUNK_SECONDS = 120.0


def plan_transcode(
    source: SourceInfo,
    heights: list[int] | None = None,
    chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
) -> TranscodePlan:
    return TranscodePlan(
        renditions=plan_renditions(source, heights),
        chunks=plan_chunks(source.duration, chunk_seconds),
        segment_seconds=SEGMENT_SECONDS,
    )


def plan_renditions(source: SourceInfo, heights: list[int] | None = None) -> list[Rendition]:
    """Rungs sized by the source's short side, never upscaled, keeping the display aspect."""
    if not source.has_video:
        return [Rendition(name="audio", width=0, height=0, video_kbps=0, audio_kbps=AUDIO_KBPS)]
    short = min(source.width, source.height)
    wanted = sorted(set(heights), reverse=True) if heights else [h for h, _ in LADDER]
    rungs = [h for h in wanted if h <= short]
    if not heights:
        rungs = rungs[:DEFAULT_MAX_RUNGS]
    if not rungs:
        rungs = [_even(short)]
    aspect = source.width / source.height
    portrait = aspect < 1
    renditions = []
    for short_side in rungs:
        long_side = _even(short_side * (1 / aspect if portrait else aspect))
        width, height = (short_side, long_side) if portrait else (long_side, short_side)
        renditions.append(
            Rendition(
                name=f"{short_side}p",
                width=width,
                height=height,
                video_kbps=_kbps_for(short_side, source.fps),
                audio_kbps=AUDIO_KBPS if source.has_audio else 0,
            )
        )
    return renditions


def plan_chunks(duration: float, chunk_seconds: float = DEFAULT_CHUNK_SECONDS) -> list[Chunk]:
    """Chunks of whole segments; a short tail is folded into the last chunk rather than left alone."""
    step = max(SEGMENT_SECONDS, math.floor(chunk_seconds / SEGMENT_SECONDS) * SEGMENT_SECONDS)
    count = max(1, math.floor(duration / step))
    if duration - count * step > step / 4:
        count += 1
    chunks = []
    for index in range(count):
        start = index * step
        end = duration if index == count - 1 else start + step
        chunks.append(Chunk(index=index, start=start, duration=round(end - start, 3)))
    return chunks


# H.264 levels (ITU-T H.264 Table A-1): (level, max macroblocks per second, max frame size in macroblocks,
# max video bit rate in kbit/s for Baseline/Main; High profile allows 1.25x).
H264_LEVELS: tuple[tuple[str, int, int, int], ...] = (
    ("3.0", 40_500, 1_620, 10_000), ("3.1", 108_000, 3_600, 14_000), ("3.2", 216_000, 5_120, 20_000),
    ("4.0", 245_760, 8_192, 20_000), ("4.1", 245_760, 8_192, 50_000), ("4.2", 522_240, 8_704, 50_000),
    ("5.0", 589_824, 22_080, 135_000), ("5.1", 983_040, 36_864, 240_000), ("5.2", 2_073_600, 36_864, 240_000),
    ("6.0", 4_177_920, 139_264, 240_000), ("6.1", 8_355_840, 139_264, 480_000), ("6.2", 16_711_680, 139_264, 800_000),
)
HIGH_PROFILE_BITRATE_FACTOR = 1.25
MAXRATE_FACTOR = 1.1  # the encoder's VBV maxrate over the rung's target bit rate


class LevelTooLow(ValueError):
    """Raised when no H.264 level allows a rung's frame size, frame rate and bit rate."""


def h264_level(width: int, height: int, fps: float, video_kbps: int) -> str:
    """The lowest H.264 (High profile) level that allows a rung: its frame size, macroblock rate and peak bit rate,
    and a frame no wider or taller than sqrt(8 x max frame size) macroblocks."""
    mb_w, mb_h = math.ceil(width / 16), math.ceil(height / 16)
    frame = mb_w * mb_h
    peak = video_kbps * MAXRATE_FACTOR
    for level, max_rate, max_frame, max_kbps in H264_LEVELS:
        if (frame <= max_frame and frame * fps <= max_rate and peak <= max_kbps * HIGH_PROFILE_BITRATE_FACTOR
                and max(mb_w, mb_h) <= math.isqrt(8 * max_frame)):
            return level
    raise LevelTooLow(f"no H.264 level allows {width}x{height} at {fps:g} fps and {video_kbps} kbps")


def h264_codecs(level: str) -> str:
    """The RFC 6381 CODECS value of H.264 High profile at `level`, e.g. avc1.640033 for 5.1."""
    return f"avc1.6400{round(float(level) * 10):02x}"


def _kbps_for(short_side: int, fps: float) -> int:
    """Interpolate by pixel count from the ladder table; high frame rates get 1.5x."""
    table = sorted(LADDER)
    kbps = table[0][1] * (short_side / table[0][0]) ** 2
    for (h0, k0), (h1, k1) in zip(table, table[1:]):
        if h0 <= short_side <= h1:
            kbps = k0 + (k1 - k0) * (short_side**2 - h0**2) / (h1**2 - h0**2)
    if short_side > table[-1][0]:
        kbps = table[-1][1] * (short_side / table[-1][0]) ** 2
    return int(round(kbps * (1.5 if fps > 31 else 1.0)))


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)
