"""Checks on produced media, as a player would see it: decode everything, measure what decoded."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import av

from functions.core.ffmpeg import ffmpeg_exe


@dataclass
class Decoded:
    duration: float
    width: int
    height: int
    display_aspect: float
    has_video: bool
    has_audio: bool


def decode_errors(path: Path) -> str:
    """ffmpeg's complaints while decoding every stream of `path` to nowhere ('' when clean)."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True
    )
    return proc.stderr.strip() if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr.strip()}"


def decode(path: Path) -> Decoded:
    """Decode all video and audio; duration is the span of decoded timestamps."""
    starts: list[float] = []
    ends: list[float] = []
    width = height = 0
    sar = 1.0
    kinds = set()
    for kind in ("video", "audio"):
        with av.open(str(path)) as container:  # reopened per stream: HLS inputs cannot seek back
            streams = getattr(container.streams, kind)
            if not streams:
                continue
            kinds.add(kind)
            stream = streams[0]
            first = last = None
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                first = frame.time if first is None else first
                if kind == "video":
                    step = 1 / float(stream.average_rate) if stream.average_rate else 0.0
                    sar = float(stream.codec_context.sample_aspect_ratio or 1)
                    width, height = frame.width, frame.height
                    if frame.rotation % 180:
                        width, height, sar = height, width, 1 / sar
                else:
                    step = frame.samples / frame.sample_rate
                last = frame.time + step
            if first is not None:
                starts.append(first)
                ends.append(last)
    return Decoded(
        duration=max(ends) - min(starts) if ends else 0.0,
        width=width,
        height=height,
        display_aspect=(width * sar / height) if height else 0.0,
        has_video="video" in kinds,
        has_audio="audio" in kinds,
    )


def frame_times(path: Path, kind: str) -> list[tuple[float, float]]:
    """(start, duration) in seconds of every decoded frame of the first `kind` ("video" or "audio") stream, in
    presentation order: what a player would show or play, and when."""
    times = []
    with av.open(str(path)) as container:
        stream = getattr(container.streams, kind)[0]
        for frame in container.decode(stream):
            if kind == "audio":
                duration = frame.samples / frame.sample_rate
            else:
                duration = float(frame.duration * frame.time_base) if frame.duration else 0.0
            times.append((float(frame.time), duration))
    return times


def hevc_sample_entry(init: Path) -> tuple[str, str]:
    """The sample entry (hvc1 or hev1) of the first track of an fMP4 init section, and the RFC 6381 CODECS value
    its hvcC box spells (ISO/IEC 14496-15 Annex E): profile space and idc, the compatibility flags bit-reversed in
    hex, tier and level_idc, then the constraint bytes without trailing zeros."""
    data = init.read_bytes()
    stsd = data.index(b"stsd")
    entry = data[stsd + 16:stsd + 20].decode()
    at = data.index(b"hvcC") + 4
    space, tier, profile = data[at + 1] >> 6, data[at + 1] >> 5 & 1, data[at + 1] & 0x1F
    compatibility = int(f"{int.from_bytes(data[at + 2:at + 6], 'big'):032b}"[::-1], 2)
    constraints = data[at + 6:at + 12].rstrip(b"\0")
    fields = [entry, f"{'' if space == 0 else 'ABC'[space - 1]}{profile}", f"{compatibility:X}",
              f"{'LH'[tier]}{data[at + 12]}", *(f"{byte:X}" for byte in constraints)]
    return entry, ".".join(fields)


def master_variants(master: Path) -> list[Path]:
    lines = master.read_text().splitlines()
    return [master.parent / line for line in lines if line and not line.startswith("#")]


def first_video_pts(playlist: Path) -> int:
    """The PTS (90 kHz) of the first video frame in a media playlist's first MPEG-TS segment."""
    first = next(line for line in playlist.read_text().splitlines() if line and not line.startswith("#"))
    with av.open(str(playlist.parent / first)) as container:
        return min(p.pts for p in container.demux(container.streams.video[0]) if p.pts is not None)


def subtitle_segments(playlist: Path) -> list[tuple[float, str]]:
    """(duration, WebVTT text) of every segment a subtitle media playlist lists."""
    from functions.core.transcode import parse_media_playlist

    return [(s.duration, (playlist.parent / s.uri).read_text()) for s in parse_media_playlist(playlist.read_text())]
