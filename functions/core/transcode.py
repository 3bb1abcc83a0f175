"""HLS ladder encoding: one ffmpeg graph per chunk, then joining chunk playlists into the ladder.

A chunk's graph decodes the source once, splits it to every rung (and the proxy), and writes
segments whose timestamps continue from the chunk's start, so joined playlists play as one
continuous stream: MPEG-TS for H.264; fragmented MP4 for HEVC, each chunk with its own init
section, whose fragments carry the continued timestamps in their tfdt.
"""
from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from functions.core.ffmpeg import (
    Filter, ProgressCallback, run_ffmpeg, source_input, source_options, with_filters, work_concat_input,
)
from functions.core.ladder import MAXRATE_FACTOR, video_codecs, video_level
from functions.core.models import Chunk, Conversion, Rendition, RungStats, SourceInfo, TranscodePlan, VideoCodec
from functions.core.probe import keyframe_seek

AAC_CODEC = "mp4a.40.2"
PROXY_SHORT_SIDE = 540
PROXY_CRF = 26
MAX_OUTPUT_FPS = 60.0
MAX_OUTPUT_CHANNELS = 2
# HDR to SDR: linear light, BT.709 primaries, Hable's curve (keeps highlight detail), then BT.709's transfer and
# matrix in limited range. `npl` is the nominal peak in nits that linear 1.0 stands for (SDR reference white).
TONE_MAP_FILTERS: tuple[Filter, ...] = (
    ("zscale", {"t": "linear", "npl": 100}), ("format", {"pix_fmts": "gbrpf32le"}), ("zscale", {"p": "bt709"}),
    ("tonemap", {"tonemap": "hable", "desat": 0}), ("zscale", {"t": "bt709", "m": "bt709", "r": "tv"}),
)


# Interlaced fields woven frame for frame (bwdif: motion-adaptive, better than yadif on fine detail), only on frames
# flagged interlaced, so a progressive frame in a mixed stream passes untouched.
DEINTERLACE_FILTER: Filter = ("bwdif", {"mode": "send_frame", "parity": "auto", "deint": "interlaced"})
# x265's preset: `faster` costs about 3x x264's `veryfast` in CPU (rates.ENCODE_COST_FACTORS says what was measured).
X265_PRESET = "faster"
_EXTINF = re.compile(r"#EXTINF:([\d.]+)")
_MAP = re.compile(r'#EXT-X-MAP:URI="([^"]+)"')


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float
    size: int = 0
    init: str | None = None  # the fMP4 init section (EXT-X-MAP) the segment needs; None for MPEG-TS


@dataclass(frozen=True)
class SegmentFormat:
    """How a codec's HLS segments are written: ffmpeg's segment type, the segments' extension, the playlist
    version their tags need, and how much later than the chunk's offset the muxer starts timestamps."""

    segment_type: str
    extension: str
    playlist_version: int
    start_delay: float


def rung_stats(segments: list[Segment]) -> RungStats:
    return RungStats(
        bytes=sum(s.size for s in segments),
        seconds=round(sum(s.duration for s in segments), 6),
        peak_bps=max((s.size * 8 / s.duration for s in segments if s.duration > 0), default=0.0),
    )


# Seconds added to every chunk's timestamps, a single chunk's too. It keeps each chunk's first timestamps
# (B-frame delay, AAC priming) positive, so the muxer never shifts one chunk alone, nor the ladder by an
# amount that depends on the encoder: media time 0 is always at media_zero_pts.
CHUNK_TS_OFFSET = 1.0
MPEGTS_CLOCK = 90_000  # MPEG-TS timestamps count this many ticks a second
# ffmpeg's HLS muxer (its mpegts muxer) starts timestamps this much later; measured on our segments.
MPEGTS_START_DELAY = 1.4
# Apple's HLS authoring spec carries HEVC in fragmented MP4 only. Its playlists need version 6 for EXT-X-MAP (RFC
# 8216); 7 is what ffmpeg writes for fMP4. With movflags frag_discont each chunk's fragments carry the offset
# timestamps in their tfdt (without it, every chunk restarts at 0 behind an edit list); the edit list left covers
# only the B-frame delay, so media time 0 is at CHUNK_TS_OFFSET exactly (measured on our segments).
FMP4_SEGMENT_OPTIONS = "movflags=+frag_discont"
SEGMENT_FORMATS: dict[VideoCodec, SegmentFormat] = {
    VideoCodec.H264: SegmentFormat("mpegts", "ts", 3, MPEGTS_START_DELAY),
    VideoCodec.HEVC: SegmentFormat("fmp4", "m4s", 7, 0.0),
}


def media_zero_pts(codec: VideoCodec = VideoCodec.H264) -> int:
    """The timestamp (90 kHz ticks) that media time 0 has in the ladder's segments, MPEG-TS PTS or fMP4 media
    time: what a WebVTT rendition's X-TIMESTAMP-MAP maps its LOCAL 0 to, so cues line up with the video."""
    return round((CHUNK_TS_OFFSET + SEGMENT_FORMATS[codec].start_delay) * MPEGTS_CLOCK)


def tone_maps(info: SourceInfo) -> bool:
    """Whether the ladder tone-maps this source's picture to SDR (HDR video): the scene pass follows it, so it
    measures what viewers of the ladder see."""
    return info.has_video and info.hdr is not None


def source_conversions(info: SourceInfo) -> list[Conversion]:
    """What the ladder changes about this source (the transcode stage reports them)."""
    conversions = []
    if info.has_video and info.interlaced:
        conversions.append(Conversion.DEINTERLACED)
    if tone_maps(info):
        conversions.append(Conversion.TONE_MAPPED)
    if info.has_audio and info.audio_channels > MAX_OUTPUT_CHANNELS:
        conversions.append(Conversion.DOWNMIXED)
    if info.has_video and info.nominal_fps > MAX_OUTPUT_FPS:
        conversions.append(Conversion.FRAME_RATE_CAPPED)
    if len(info.audio_tracks) > 1:
        conversions.append(Conversion.FIRST_AUDIO_TRACK)
    return conversions


def scenes_on_chunks(run: Mapping[str, bool], info: SourceInfo) -> bool:
    """Whether the job's scene parts are measured on its transcode chunks' decode (scenes/chunk.py) instead of a
    decode of their own: whenever it runs both stages on a picture."""
    return run.get("transcode", False) and run.get("scenes", False) and info.has_video


def picture(stream, info: SourceInfo):
    """The source's video as every rung starts from it: deinterlaced and tone-mapped to SDR where it needs it."""
    return converted_picture(stream, source_conversions(info))


def converted_picture(stream, conversions: Iterable[Conversion]):
    """`stream` deinterlaced and tone-mapped as `conversions` say (the other conversions are not the picture's):
    what the ladder does, and the trailer too, so both show the source the same way."""
    conversions = set(conversions)
    if Conversion.DEINTERLACED in conversions:
        stream = with_filters(stream, [DEINTERLACE_FILTER])
    if Conversion.TONE_MAPPED in conversions:
        stream = with_filters(stream, TONE_MAP_FILTERS)
    return stream


def chunk_prefix(chunk: Chunk) -> str:
    return f"c{chunk.index:04d}"


def chunk_init(chunk: Chunk, rung: str) -> str:
    """A chunk's fMP4 init section in a rung's folder, named for the chunk: chunks are encoded apart and their
    segments share the folder."""
    return f"{chunk_prefix(chunk)}-{rung}-init.mp4"


def encode_chunk_args(
    source: str,
    info: SourceInfo,
    plan: TranscodePlan,
    chunk: Chunk,
    out_dir: Path,
    also: Callable[[Any, Any], list[Any]] | None = None,
    lead: float = 0.0,
) -> list[str]:
    """The ffmpeg arguments for one chunk: every rung into out_dir/hls/<rung>/, and the proxy part.

    `also` adds outputs that read the same decode: called with the chunk's picture as decoded (before the ladder
    deinterlaces or tone-maps it, as a decode of its own would read it) and its first audio stream (None without
    audio), it returns ffmpeg-python outputs (scenes/chunk.py). `lead` seconds before the chunk's start is where
    ffmpeg seeks (chunk_lead), and the picture and sound before the chunk's start are cut off again."""
    codec = plan.video_codec
    single = len(plan.chunks) == 1
    lead = 0.0 if single else lead
    seek = {} if single else {"ss": chunk.start - lead, "t": chunk.duration + lead}
    src = ffmpeg.input(source, **seek, **source_options(source))
    hls_dir = out_dir / "hls"
    streams: list = []
    var_map: list[str] = []
    codec_args: dict[str, object] = {}
    video_count = audio_count = 0
    fps = _output_fps(info)
    # The first video and audio streams (as captions and scenes read them): ffmpeg's bare `a` maps every track.
    audio_uses = len(plan.renditions) + 1 + (1 if also else 0)
    audio = _from_chunk_start(src["a:0"], lead, audio_uses) if info.has_audio else iter(())
    if info.has_video:
        video = src["v:0"]
        if not single:
            # The input's -t counts from the stream's first frame, so a chunk of a video that starts late would run
            # into the next chunk; its frames end at the chunk's end instead (times count from the seek point).
            video = video.filter("trim", **({"start": lead} if lead else {}), end=lead + chunk.duration)
            if lead:
                video = video.setpts(f"PTS-{lead:.6f}/TB")
        if also:
            decoded = video.filter_multi_output("split", 2)
            video, also_video = decoded[0], decoded[1]
        split = picture(video, info).filter_multi_output("split", len(plan.renditions) + 1)
    for i, rung in enumerate(plan.renditions):
        entry = []
        if info.has_video:
            streams.append(_scaled(split[i], rung.width, rung.height))
            codec_args |= {
                **_rung_encoder_args(codec, video_count, rung_level(rung, info, codec)),
                f"b:v:{video_count}": f"{rung.video_kbps}k",
                f"maxrate:v:{video_count}": f"{int(rung.video_kbps * MAXRATE_FACTOR)}k",
                f"bufsize:v:{video_count}": f"{rung.video_kbps * 2}k",
            }
            entry.append(f"v:{video_count}")
            video_count += 1
        if info.has_audio:
            streams.append(next(audio))
            codec_args[f"b:a:{audio_count}"] = f"{rung.audio_kbps}k"
            entry.append(f"a:{audio_count}")
            audio_count += 1
        var_map.append(",".join(entry + [f"name:{rung.name}"]))
        (hls_dir / rung.name).mkdir(parents=True, exist_ok=True)

    gop = max(1, round(fps * plan.segment_seconds)) if fps else None
    hls = ffmpeg.output(
        *streams,
        str(hls_dir / "%v" / f"{chunk_prefix(chunk)}.m3u8"),
        format="hls",
        hls_time=plan.segment_seconds,
        hls_playlist_type="vod",
        hls_list_size=0,
        hls_flags="independent_segments",
        **_segment_args(codec, chunk, hls_dir, [rung.name for rung in plan.renditions]),
        var_stream_map=" ".join(var_map),
        # Chunks share one timeline, media time plus CHUNK_TS_OFFSET.
        output_ts_offset=chunk.start + CHUNK_TS_OFFSET,
        **_video_args(codec, fps, gop, plan.segment_seconds) if info.has_video else {},
        **_audio_args() if info.has_audio else {},
        # A later chunk's first AAC packet is encoder priming that duplicates the previous
        # chunk's last packet; dropping it leaves one continuous audio timeline.
        **({"bsf:a": "noise=drop=eq(n\\,0)"} if chunk.index > 0 and info.has_audio else {}),
        **codec_args,
    )
    proxy_streams = []
    proxy_path = out_dir / "proxy" / f"{chunk_prefix(chunk)}.{'mp4' if info.has_video else 'm4a'}"
    proxy_path.parent.mkdir(parents=True, exist_ok=True)
    proxy_args: dict[str, object] = {"movflags": "+faststart"}
    if info.has_video:
        width, height = proxy_size(info)
        proxy_streams.append(_scaled(split[len(plan.renditions)], width, height))
        proxy_args |= {"c:v": "libx264", "preset": "veryfast", "crf": PROXY_CRF, "pix_fmt": "yuv420p", "r": fps}
    if info.has_audio:
        proxy_streams.append(next(audio))
        proxy_args |= {"c:a": "aac", "b:a": "96k", "ac": 2}
    proxy = ffmpeg.output(*proxy_streams, str(proxy_path), **proxy_args)
    extra = also(also_video, next(audio) if info.has_audio else None) if also and info.has_video else []
    return ffmpeg.merge_outputs(hls, proxy, *extra).get_args()


def _from_chunk_start(audio: Any, lead: float, uses: int) -> Iterator[Any]:
    """`uses` feeds of the chunk's sound: the input stream itself, or after a `lead` its sound from the chunk's
    start, split (a filtered stream feeds one output)."""
    if not lead:
        return itertools.repeat(audio, uses)
    split = audio.filter("atrim", start=lead).filter("asetpts", f"PTS-{lead:.6f}/TB").filter_multi_output(
        "asplit", uses)
    return (split[i] for i in range(uses))


def chunk_lead(source: str, info: SourceInfo, plan: TranscodePlan, chunk: Chunk) -> float:
    """How far before `chunk`'s start its encode must seek for ffmpeg to decode the chunk's first frames (see
    probe.keyframe_seek): 0 for indexed formats and for a file in one chunk."""
    if len(plan.chunks) == 1 or chunk.start <= 0:
        return 0.0
    return chunk.start - keyframe_seek(source, chunk.start, info.container)


def encode_chunk(
    source: str,
    info: SourceInfo,
    plan: TranscodePlan,
    chunk: Chunk,
    out_dir: Path,
    on_progress: ProgressCallback | None = None,
) -> dict[str, list[Segment]]:
    """Encode one chunk; returns each rung's segments in order (URIs relative to the rung folder)."""
    run_ffmpeg(
        encode_chunk_args(source, info, plan, chunk, out_dir, lead=chunk_lead(source, info, plan, chunk)),
        duration=chunk.duration,
        on_progress=on_progress,
        what=f"Encoding chunk {chunk.index}",
    )
    return chunk_segments(plan, chunk, out_dir)


def chunk_segments(plan: TranscodePlan, chunk: Chunk, out_dir: Path) -> dict[str, list[Segment]]:
    """Each rung's segments of an encoded chunk, in order, from its playlists in out_dir/hls/<rung>/."""
    return {
        rung.name: read_media_playlist(out_dir / "hls" / rung.name / f"{chunk_prefix(chunk)}.m3u8")
        for rung in plan.renditions
    }


def read_media_playlist(path: Path) -> list[Segment]:
    """Segments of a local playlist, with their file sizes."""
    return [
        Segment(s.uri, s.duration, (path.parent / s.uri).stat().st_size, s.init)
        for s in parse_media_playlist(path.read_text())
    ]


def parse_media_playlist(text: str) -> list[Segment]:
    """The segments a media playlist lists, each with the init section (EXT-X-MAP) in force where it is."""
    segments, duration, init = [], None, None
    for line in text.splitlines():
        match = _EXTINF.match(line)
        if match:
            duration = float(match.group(1))
        elif map_match := _MAP.match(line):
            init = map_match.group(1)
        elif line and not line.startswith("#") and duration is not None:
            segments.append(Segment(uri=line, duration=duration, init=init))
            duration = None
    return segments


def join_chunk_playlists(playlists: Iterable[str]) -> str:
    """A rung's playlist: its chunks' playlists (in chunk order) as one, each segment with its chunk's init section."""
    return media_playlist([segment for text in playlists for segment in parse_media_playlist(text)])


def join_rung_stats(parts: list[RungStats]) -> RungStats:
    return RungStats(
        bytes=sum(p.bytes for p in parts),
        seconds=round(sum(p.seconds for p in parts), 6),
        peak_bps=max(p.peak_bps for p in parts),
    )


def media_playlist(segments: list[Segment]) -> str:
    """One VOD media playlist of `segments`. fMP4 segments get an EXT-X-MAP wherever their init section changes (at
    each chunk). No EXT-X-DISCONTINUITY: the chunks' timestamps continue one another and their init sections
    describe the same tracks with the same encoder settings (the tests check both)."""
    target = max((math.ceil(s.duration) for s in segments), default=1)
    fmp4 = any(s.init for s in segments)
    version = SEGMENT_FORMATS[VideoCodec.HEVC if fmp4 else VideoCodec.H264].playlist_version
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{version}",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    init = None
    for segment in segments:
        if segment.init != init:
            init = segment.init
            lines.append(f'#EXT-X-MAP:URI="{init}"')
        lines += [f"#EXTINF:{segment.duration:.6f},", segment.uri]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def master_playlist(info: SourceInfo, ladder: list[tuple[Rendition, RungStats]],
                    codec: VideoCodec = VideoCodec.H264) -> str:
    """Master playlist, rungs highest first, with measured peak and average bandwidth and each rung's CODECS."""
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{SEGMENT_FORMATS[codec].playlist_version}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung, stats in sorted(ladder, key=lambda item: -item[0].height):
        video = video_codecs(codec, rung_level(rung, info, codec)) if info.has_video else None
        codecs = ",".join(c for c in (video, AAC_CODEC if info.has_audio else None) if c)
        average = stats.bytes * 8 / (stats.seconds or 1.0)
        attrs = [f"BANDWIDTH={int(max(stats.peak_bps, average))}", f"AVERAGE-BANDWIDTH={int(average)}", f'CODECS="{codecs}"']
        if info.has_video:
            attrs += [f"RESOLUTION={rung.width}x{rung.height}", f"FRAME-RATE={_output_fps(info):.3f}"]
        lines += [f"#EXT-X-STREAM-INF:{','.join(attrs)}", f"{rung.name}/index.m3u8"]
    return "\n".join(lines) + "\n"


def rung_level(rung: Rendition, info: SourceInfo, codec: VideoCodec = VideoCodec.H264) -> str:
    """The level a rung is encoded at in `codec` (and its CODECS string names): the lowest that allows it."""
    return video_level(codec, rung.width, rung.height, _output_fps(info), rung.video_kbps)


def concat_args(part_urls: list[str], list_file: Path, output: Path) -> list[str]:
    """Join our own proxy parts without re-encoding, each streamed from S3 (presigned GETs of the job's work
    objects: ffmpeg.work_concat_input says why that is safe), so only the joined proxy lands in /tmp: a 12 h
    source's parts and proxy together would not fit Lambda's 10 GB."""
    return [*work_concat_input(part_urls, list_file, "mov"), "-c", "copy", "-movflags", "+faststart", str(output)]


def poster_args(proxy: Path, info: SourceInfo, output: Path) -> list[str]:
    """A representative frame near 10% in (ffmpeg's `thumbnail` picks the least unusual of 50),
    or, for audio, the waveform."""
    if info.has_video:
        at = min(info.duration * 0.1, max(0.0, info.duration - 2.0))
        return ["-ss", f"{at:.3f}", *source_input(str(proxy)), "-vf", "thumbnail=50", "-frames:v", "1", "-q:v", "3",
                str(output)]
    return [
        *source_input(str(proxy)),
        "-filter_complex", "aformat=channel_layouts=mono,showwavespic=s=1280x360:colors=0x4fc3f7",
        "-frames:v", "1", "-q:v", "3", str(output),
    ]


def proxy_size(info: SourceInfo) -> tuple[int, int]:
    short = min(PROXY_SHORT_SIDE, min(info.width, info.height))
    scale = short / min(info.width, info.height)
    return _even(info.width * scale), _even(info.height * scale)


def _scaled(stream, width: int, height: int):
    # Scaling to the display size (and SAR 1) is what applies an anamorphic source's SAR;
    # ffmpeg has already applied the rotation (autorotate is on by default).
    return stream.filter("scale", width, height).filter("setsar", 1).filter("format", "yuv420p")


def _segment_args(codec: VideoCodec, chunk: Chunk, hls_dir: Path, rungs: list[str]) -> dict[str, object]:
    """The HLS muxer's segment options: MPEG-TS, or fMP4 with the chunk's own init section (SEGMENT_FORMATS). The
    muxer puts the init section beside the rung's playlist; with several rungs its name must hold their `%v`
    (which it leaves as it is when there is one)."""
    segment = SEGMENT_FORMATS[codec]
    args: dict[str, object] = {
        "hls_segment_filename": str(hls_dir / "%v" / f"{chunk_prefix(chunk)}-%05d.{segment.extension}")}
    if segment.segment_type == "fmp4":
        init = chunk_init(chunk, rungs[0] if len(rungs) == 1 else "%v")
        args |= {"hls_segment_type": "fmp4", "hls_fmp4_init_filename": init,
                 "hls_segment_options": FMP4_SEGMENT_OPTIONS}
    return args


def _video_args(codec: VideoCodec, fps: float, gop: int | None, segment_seconds: float) -> dict[str, object]:
    if codec == VideoCodec.HEVC:
        # hvc1: parameter sets in the sample entry only, as Apple's players require; forced keyframes as IDR frames,
        # so every segment starts one (with x265's closed GOPs, see _rung_encoder_args).
        args: dict[str, object] = {"c:v": "libx265", "preset": X265_PRESET, "profile:v": "main", "tag:v": "hvc1",
                                   "forced-idr": 1}
    else:
        args = {"c:v": "libx264", "preset": "veryfast", "profile:v": "high", "sc_threshold": 0}
    args |= {"force_key_frames": f"expr:gte(t,n_forced*{segment_seconds})", "r": fps}
    if gop:
        args |= {"g": gop, "keyint_min": gop}
    return args


def _rung_encoder_args(codec: VideoCodec, index: int, level: str) -> dict[str, object]:
    """Video stream `index`'s own encoder options: its level; for x265, in x265-params with the rest of its
    settings (per stream too): Main tier only, no scene-cut keyframes (segments cut on the forced ones), closed
    GOPs."""
    if codec == VideoCodec.HEVC:
        return {f"x265-params:v:{index}": f"level-idc={level}:high-tier=0:scenecut=0:open-gop=0:log-level=error"}
    return {f"level:v:{index}": level}


def _audio_args() -> dict[str, object]:
    return {"c:a": "aac", "ar": 48000, "ac": 2}


def _output_fps(info: SourceInfo) -> float:
    return round(min(info.nominal_fps, MAX_OUTPUT_FPS), 3)


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)
