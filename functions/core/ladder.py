"""Plan the ABR ladder and the chunks of a transcode from what probing found."""
from __future__ import annotations

import math
from dataclasses import dataclass

from functions.core.models import Chunk, Rendition, SourceInfo, TranscodePlan, VideoCodec

# (short side in pixels, H.264 video kbps) — a conventional ladder for 16:9 at up to 30 fps; UHD sources start at
# 2160p or 1440p (each rung's level is chosen per rung, see video_level). HEVC rungs take HEVC_BITRATE_FACTOR of it.
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
    codec: VideoCodec = VideoCodec.H264,
) -> TranscodePlan:
    return TranscodePlan(
        renditions=plan_renditions(source, heights, codec),
        chunks=plan_chunks(source.duration, chunk_seconds),
        segment_seconds=SEGMENT_SECONDS,
        video_codec=codec,
    )


def plan_renditions(source: SourceInfo, heights: list[int] | None = None,
                    codec: VideoCodec = VideoCodec.H264) -> list[Rendition]:
    """Rungs sized by the source's short side, never upscaled, keeping the display aspect; bit rates for `codec`."""
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
                video_kbps=int(round(_kbps_for(short_side, source.fps) * BITRATE_FACTORS[codec])),
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


@dataclass(frozen=True)
class Level:
    """One row of a codec's level table: the largest picture and picture rate (in the table's own unit of luma
    samples), and the highest VCL bit rate in kbit/s at the table's base bit rate factor."""

    name: str
    max_picture: int
    max_rate: int
    max_kbps: int


@dataclass(frozen=True)
class LevelTable:
    """A codec's levels as its standard tabulates them, with what turns a rung into the table's terms: the block
    coded sizes round up to, the luma samples the table counts in, and the profile's bit rate factor."""

    codec: str
    levels: tuple[Level, ...]
    block: int
    sample_unit: int
    bitrate_factor: float


# ITU-T H.264 Table A-1: max macroblocks a second, max frame size in macroblocks, max bit rate for Baseline/Main;
# High profile allows 1.25x (cpbBrVclFactor 1250).
H264_LEVELS = LevelTable("H.264", block=16, sample_unit=16 * 16, bitrate_factor=1.25, levels=tuple(
    Level(name, max_frame, max_rate, max_kbps) for name, max_rate, max_frame, max_kbps in (
        ("3.0", 40_500, 1_620, 10_000), ("3.1", 108_000, 3_600, 14_000), ("3.2", 216_000, 5_120, 20_000),
        ("4.0", 245_760, 8_192, 20_000), ("4.1", 245_760, 8_192, 50_000), ("4.2", 522_240, 8_704, 50_000),
        ("5.0", 589_824, 22_080, 135_000), ("5.1", 983_040, 36_864, 240_000), ("5.2", 2_073_600, 36_864, 240_000),
        ("6.0", 4_177_920, 139_264, 240_000), ("6.1", 8_355_840, 139_264, 480_000),
        ("6.2", 16_711_680, 139_264, 800_000))))
# ITU-T H.265 Annex A: MaxLumaPs (Table A.8, general tier and level limits), MaxLumaSr and MaxBR for the Main tier
# (Table A.9; Main profile's CpbBrVclFactor is 1000, so the table's kbit/s as they are). Coded sizes are whole
# minimum coding blocks, 8x8 for x265.
HEVC_LEVELS = LevelTable("HEVC", block=8, sample_unit=1, bitrate_factor=1.0, levels=tuple(
    Level(name, max_ps, max_sr, max_kbps) for name, max_ps, max_sr, max_kbps in (
        ("1", 36_864, 552_960, 128), ("2", 122_880, 3_686_400, 1_500), ("2.1", 245_760, 7_372_800, 3_000),
        ("3", 552_960, 16_588_800, 6_000), ("3.1", 983_040, 33_177_600, 10_000),
        ("4", 2_228_224, 66_846_720, 12_000), ("4.1", 2_228_224, 133_693_440, 20_000),
        ("5", 8_912_896, 267_386_880, 25_000), ("5.1", 8_912_896, 534_773_760, 40_000),
        ("5.2", 8_912_896, 1_069_547_520, 60_000), ("6", 35_651_584, 1_069_547_520, 60_000),
        ("6.1", 35_651_584, 2_139_095_040, 120_000), ("6.2", 35_651_584, 4_278_190_080, 240_000))))
LEVEL_TABLES: dict[VideoCodec, LevelTable] = {VideoCodec.H264: H264_LEVELS, VideoCodec.HEVC: HEVC_LEVELS}

HEVC_BITRATE_FACTOR = 0.6
"""An HEVC rung's bit rate against the H.264 ladder's for the same size and frame rate. HEVC reaches H.264's
quality at roughly 50-60% of its bit rate (the figure usually quoted for x265 against x264 at streaming rates);
0.6 is the cautious end, so an HEVC rung looks no worse than its H.264 counterpart while costing less to store
and deliver."""
BITRATE_FACTORS: dict[VideoCodec, float] = {VideoCodec.H264: 1.0, VideoCodec.HEVC: HEVC_BITRATE_FACTOR}
MAXRATE_FACTOR = 1.1  # the encoder's VBV maxrate over the rung's target bit rate


class LevelTooLow(ValueError):
    """Raised when no level of the rung's codec (H.264 or HEVC, see LEVEL_TABLES) allows a rung's frame size,
    frame rate and bit rate."""


def video_level(codec: VideoCodec, width: int, height: int, fps: float, video_kbps: int) -> str:
    """The lowest level of `codec` (H.264 High profile, HEVC Main profile Main tier) that allows a rung: its coded
    picture size, luma sample rate and peak bit rate, and no side longer than sqrt(8 x the largest picture)."""
    table = LEVEL_TABLES[codec]
    coded_width, coded_height = _round_up(width, table.block), _round_up(height, table.block)
    picture = coded_width * coded_height // table.sample_unit
    peak = video_kbps * MAXRATE_FACTOR
    for level in table.levels:
        if (picture <= level.max_picture and picture * fps <= level.max_rate
                and peak <= level.max_kbps * table.bitrate_factor
                and max(coded_width, coded_height) ** 2 <= 8 * level.max_picture * table.sample_unit):
            return level.name
    raise LevelTooLow(f"no {table.codec} level allows {width}x{height} at {fps:g} fps and {video_kbps} kbps")


def h264_level(width: int, height: int, fps: float, video_kbps: int) -> str:
    """The lowest H.264 High profile level that allows a rung (video_level)."""
    return video_level(VideoCodec.H264, width, height, fps, video_kbps)


def hevc_level(width: int, height: int, fps: float, video_kbps: int) -> str:
    """The lowest HEVC Main profile, Main tier level that allows a rung (video_level)."""
    return video_level(VideoCodec.HEVC, width, height, fps, video_kbps)


def h264_codecs(level: str) -> str:
    """The RFC 6381 CODECS value of H.264 High profile at `level`, e.g. avc1.640033 for 5.1."""
    return f"avc1.6400{round(float(level) * 10):02x}"


def hevc_codecs(level: str) -> str:
    """The RFC 6381 CODECS value (ISO/IEC 14496-15 Annex E) of HEVC Main profile, Main tier at `level`, as x265
    signals it: profile space 0 and profile_idc 1, compatibility flags 1 and 2 (6, bits reversed), tier L and
    level_idc 30 x the level, and the constraint byte 0x90 (progressive source, frame only), e.g. hvc1.1.6.L120.90
    for 4."""
    return f"hvc1.1.6.L{round(float(level) * 30)}.90"


def video_codecs(codec: VideoCodec, level: str) -> str:
    """The CODECS value of a rung of `codec` at `level`, for the master playlist."""
    return hevc_codecs(level) if codec == VideoCodec.HEVC else h264_codecs(level)


def _kbps_for(short_side: int, fps: float) -> int:
    """Interpolate by pixel count from the ladder table; high frame rates get 1.5x."""
    table = sorted(LADDER)
    kbps = table[0][1] * (short_side / table[0][0]) ** 2
    for (h0, k0), (h1, k1) in zip(table, table[1:], strict=False):
        if h0 <= short_side <= h1:
            kbps = k0 + (k1 - k0) * (short_side**2 - h0**2) / (h1**2 - h0**2)
    if short_side > table[-1][0]:
        kbps = table[-1][1] * (short_side / table[-1][0]) ** 2
    return int(round(kbps * (1.5 if fps > 31 else 1.0)))


def _round_up(value: int, block: int) -> int:
    return -(-value // block) * block


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)
