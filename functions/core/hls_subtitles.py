"""Captions inside the HLS ladder: a segmented WebVTT subtitle rendition and its master playlist group.

Players only offer captions that the master playlist names (RFC 8216 §4.3.4.1, Apple's HLS authoring
spec): an `#EXT-X-MEDIA:TYPE=SUBTITLES` rendition whose media playlist lists WebVTT segments as long
as the video's, each with an `X-TIMESTAMP-MAP` that ties its cue clock to the video's timestamps (MPEG-TS
PTS, or fMP4 media time in the same 90 kHz ticks), and `SUBTITLES="<group>"` on every variant. A cue
that spans a segment boundary is repeated in each segment it overlaps, as the spec asks; cue times stay
on the media timeline (LOCAL 0 is media time 0).

Everything above `publish_hls_subtitles` is pure text in, text out.
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import webvtt
from botocore.exceptions import ClientError
from webvtt.errors import MalformedFileError

from functions.core.captions.models import OUTPUT_VTT, Cue
from functions.core.captions.writers import to_webvtt
from functions.core.models import FinalizeInput, HlsSubtitles, HlsSubtitlesStatus, Manifest, StageStatus
from functions.core.s3io import UPLOAD_WORKERS, get_bytes, put_bytes
from functions.core.transcode import Segment, media_playlist, media_zero_pts

GROUP_ID = "subs"
OUTPUT_HLS_SUBTITLES = "hls_subtitles"
HLS_DIR = "hls"
MASTER = f"{HLS_DIR}/master.m3u8"  # where PackageHls writes it
# NAME is what a player's caption menu shows; the spec asks for it in the rendition's own language.
LANGUAGE_NAMES = {
    "en": "English", "es": "Español", "fr": "Français", "de": "Deutsch", "it": "Italiano", "pt": "Português",
    "nl": "Nederlands", "sv": "Svenska", "pl": "Polski", "ru": "Русский", "ja": "日本語", "zh": "中文",
    "ko": "한국어", "ar": "العربية", "hi": "हिन्दी", "tr": "Türkçe",
}
_STREAM_INF = "#EXT-X-STREAM-INF:"
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


class UnreadableCaptions(Exception):
    """Raised when the captions stage's WebVTT cannot be parsed, so no rendition can be cut from it."""


@dataclass(frozen=True)
class SubtitleSegment:
    uri: str
    duration: float
    text: str


@dataclass(frozen=True)
class Rendition:
    """One language's subtitle playlist and segments, named relative to the playlist's folder."""

    language: str
    playlist: str
    segments: list[SubtitleSegment]
    cue_count: int


def parse_webvtt(text: str) -> list[Cue]:
    """Cues from a WebVTT document (ours: `to_webvtt` output). Entities are decoded, so writing the
    cues again with `to_webvtt` gives back the same text."""
    try:
        document = webvtt.from_string(text)
    except MalformedFileError as exc:
        raise UnreadableCaptions(f"The captions are not valid WebVTT: {exc}") from exc
    return [
        Cue(start=c.start_time.in_milliseconds() / 1000, end=c.end_time.in_milliseconds() / 1000,
            lines=[html.unescape(line) for line in c.lines], words=[])
        for c in document.captions
    ]


def segment_cues(cues: Sequence[Cue], duration: float, segment_seconds: float) -> list[list[Cue]]:
    """Cues per segment of `segment_seconds` covering `duration`: each cue in every segment it overlaps."""
    count = max(1, math.ceil(round(duration / segment_seconds, 6)))
    segments: list[list[Cue]] = [[] for _ in range(count)]
    for cue in cues:
        first = min(count - 1, max(0, math.floor(cue.start / segment_seconds)))
        for index in range(first, count):
            if index > first and cue.end <= index * segment_seconds:
                break
            segments[index].append(cue)
    return segments


def webvtt_segment(cues: Sequence[Cue], mpegts: int) -> str:
    """One WebVTT segment whose LOCAL 0 is media time 0, at MPEG-TS PTS `mpegts`."""
    header, body = to_webvtt(cues).split("\n", 1)
    return f"{header}\nX-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000\n{body}"


def subtitle_rendition(
    cues: Sequence[Cue], language: str, duration: float, segment_seconds: float, mpegts: int
) -> Rendition:
    """The playlist and WebVTT segments (`seg_00000.vtt`, ...) of one language; the last segment is
    as short as the media's, so the playlist's length is the media's."""
    parts = segment_cues(cues, duration, segment_seconds)
    segments = [
        SubtitleSegment(
            uri=f"seg_{index:05d}.vtt",
            duration=round(min(segment_seconds, duration - index * segment_seconds), 6),
            text=webvtt_segment(part, mpegts),
        )
        for index, part in enumerate(parts)
    ]
    playlist = media_playlist([Segment(s.uri, s.duration) for s in segments])
    return Rendition(language=language, playlist=playlist, segments=segments, cue_count=len(cues))


def rendition_uri(language: str) -> str:
    """Where a language's subtitle playlist lives, relative to the master playlist."""
    return f"{GROUP_ID}/{language}/index.m3u8"


def add_subtitle_group(master: str, language: str, uri: str, group: str = GROUP_ID) -> str:
    """The master playlist with `language`'s rendition in `group` and every variant referring to the
    group. Applying it twice changes nothing; other attributes (CODECS included) are kept as they are."""
    lines = master.splitlines()
    media = (
        f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{group}",NAME="{LANGUAGE_NAMES.get(language, language)}",'
        f'LANGUAGE="{language}",DEFAULT={_default(lines, group)},AUTOSELECT=YES,URI="{uri}"'
    )
    if not any(_is_rendition(line, group, language) for line in lines):
        first_variant = next((i for i, line in enumerate(lines) if line.startswith(_STREAM_INF)), len(lines))
        lines.insert(first_variant, media)
    lines = [
        f'{line},SUBTITLES="{group}"'
        if line.startswith(_STREAM_INF) and "SUBTITLES" not in _attributes(line) else line
        for line in lines
    ]
    return "\n".join(lines) + "\n"


def _attributes(line: str) -> dict[str, str]:
    return {name: value.strip('"') for name, value in _ATTRIBUTE.findall(line.split(":", 1)[1])}


def _is_rendition(line: str, group: str, language: str) -> bool:
    if not line.startswith("#EXT-X-MEDIA:"):
        return False
    attributes = _attributes(line)
    return attributes.get("GROUP-ID") == group and attributes.get("LANGUAGE") == language


def _default(lines: list[str], group: str) -> str:
    """YES for the group's first rendition only: a group has at most one default."""
    taken = any(
        line.startswith("#EXT-X-MEDIA:") and _attributes(line).get("GROUP-ID") == group
        and _attributes(line).get("DEFAULT") == "YES"
        for line in lines
    )
    return "NO" if taken else "YES"


def publish_hls_subtitles(run: FinalizeInput, manifest: Manifest, bucket: str, prefix: str) -> Manifest:
    """Finalize's step: when both the ladder and the captions exist, write the captions' language as a
    subtitle rendition under `hls/subs/<lang>/` and add it to the master playlist. The manifest gets the
    `hls_subtitles` output and says in `hls_subtitles` whether the rendition has cues, is empty (no
    speech) or was not made, and why; without one the master stays as the transcoder wrote it."""
    if run.probe is None:
        return _recorded(manifest, HlsSubtitles(status=HlsSubtitlesStatus.NONE, reason="probe FAILED"))
    results = {r.stage: r for r in run.stages}
    for name in ("transcode", "captions"):
        result = results.get(name)
        if result is None or result.status != StageStatus.SUCCEEDED:
            status = result.status.value if result else "not run"
            return _recorded(manifest, HlsSubtitles(status=HlsSubtitlesStatus.NONE, reason=f"{name} {status}"))
    vtt = results["captions"].outputs.get(OUTPUT_VTT)
    if vtt is None:
        return _recorded(manifest, HlsSubtitles(status=HlsSubtitlesStatus.NONE, reason="captions wrote no WebVTT"))
    language = vtt.rsplit("/", 1)[-1].removesuffix(".vtt")
    try:
        cues = parse_webvtt(get_bytes(bucket, f"{prefix}/{vtt}").decode("utf-8"))
        master = get_bytes(bucket, f"{prefix}/{MASTER}").decode("utf-8")
    except (ClientError, UnreadableCaptions) as exc:
        return _recorded(manifest, HlsSubtitles(status=HlsSubtitlesStatus.NONE, reason=str(exc)))

    plan = run.probe.plan
    rendition = subtitle_rendition(cues, language, run.probe.source.duration, plan.segment_seconds,
                                   media_zero_pts(plan.video_codec))
    playlist = f"{HLS_DIR}/{rendition_uri(language)}"
    folder = f"{prefix}/{playlist.rsplit('/', 1)[0]}"
    # One object per HLS segment (7,200 for 12 h): written UPLOAD_WORKERS at once, as round trips dominate.
    with ThreadPoolExecutor(max_workers=UPLOAD_WORKERS) as pool:
        list(pool.map(lambda seg: put_bytes(bucket, f"{folder}/{seg.uri}", seg.text.encode("utf-8")),
                      rendition.segments))
    put_bytes(bucket, f"{prefix}/{playlist}", rendition.playlist.encode("utf-8"))
    put_bytes(bucket, f"{prefix}/{MASTER}", add_subtitle_group(master, language, rendition_uri(language)).encode())
    subtitles = HlsSubtitles(
        status=HlsSubtitlesStatus.WRITTEN if rendition.cue_count else HlsSubtitlesStatus.EMPTY,
        language=language, cues=rendition.cue_count, segments=len(rendition.segments),
        reason=None if rendition.cue_count else "captions found no speech: the segments have no cues",
    )
    return _recorded(manifest, subtitles, {OUTPUT_HLS_SUBTITLES: playlist})


def _recorded(manifest: Manifest, subtitles: HlsSubtitles, outputs: dict[str, str] | None = None) -> Manifest:
    return manifest.model_copy(update={"hls_subtitles": subtitles, "outputs": manifest.outputs | (outputs or {})})
