"""Probe a media file or URL with PyAV: streams, duration, display geometry, frame rate, VFR."""
from __future__ import annotations

import math
from fractions import Fraction
from statistics import median

import av
import av.logging

from functions.core.ffmpeg import INDIRECT_FORMATS, IndirectSource, MediaError, UnsupportedFormat, source_options
from functions.core.models import AudioTrack, Hdr, OtherStream, SourceInfo
from functions.core.redaction import redact
from functions.core.timecode import Rate, TimecodeError, is_drop_frame

VFR_SAMPLE_PACKETS = 240
VFR_TOLERANCE = 0.15
SPOT_CHECKS = (0.25, 0.5, 0.75)
SPOT_CHECK_FRAMES = 8
# From this far into a claimed duration (the first spot check's point) the data must be found there: shorter claims
# cost a chunk or two whatever they say, and a short file's sparse keyframes can leave a seek with nothing to decode.
PLAUSIBLE_SECONDS = 60.0
# The largest coded frame side accepted: DCI 8K is 8192 wide, and H.264/HEVC's highest levels stop at 8192x4320.
MAX_FRAME_SIDE = 8192
# ffmpeg's AVColorTransferCharacteristic values of the HDR transfer functions; AVFieldOrder's interlaced orders.
HDR_TRANSFERS = {16: Hdr.PQ, 18: Hdr.HLG}
INTERLACED_FIELD_ORDERS = frozenset({2, 3, 4, 5})  # TT, BB, TB, BT (0 unknown, 1 progressive)


# Probe's refusals, each its own type so the probe stage's `error_code` says which (the message says it to people).
# IndirectSource and UnsupportedFormat (functions.core.ffmpeg) are the two that name a format ffmpeg recognised.
class EmptySource(MediaError):
    """Raised at Probe when the upload has no bytes at all."""


class UnknownFormat(MediaError):
    """Raised at Probe when ffmpeg recognises no format in the upload (a text file, random bytes) or finds no
    index in a truncated one."""


class NoStreams(MediaError):
    """Raised at Probe when a container opens but holds neither an audio nor a video stream."""


class NoDuration(MediaError):
    """Raised at Probe when the streams have no playable duration (truncated or empty streams)."""


class CorruptMedia(MediaError):
    """Raised at Probe when the header reads but the data does not: a video stream without a frame size, no
    frame decodes at the start, or one of the spot checks along the file fails to decode."""


class SourceTooLarge(MediaError):
    """Raised at Probe when the upload is larger than MAX_SOURCE_BYTES (before anything is read)."""


class SourceTooLong(MediaError):
    """Raised at Probe when the footage is longer than MAX_DURATION_SECONDS."""


class FrameTooLarge(MediaError):
    """Raised at Probe when the header claims a frame wider or taller than MAX_FRAME_SIDE (checked before any frame
    is decoded: a forged 16000x9000 header would otherwise have every stage allocate frames of that size)."""


class ImplausibleDuration(MediaError):
    """Raised at Probe when the header claims a duration the media data does not reach: a quarter of the way in
    (at least a minute) nothing decodes from past half of that. Planning from the claim would run (and bill) hours
    of chunks over a few seconds of footage."""


def probe_source(location: str, size: int | None, max_bytes: int, max_duration: float) -> SourceInfo:
    """What Probe decides about an upload: refused with SourceTooLarge before anything is read, with SourceTooLong
    after probing, or with any of probe_media's refusals; else what it is."""
    if (size or 0) > max_bytes:
        raise SourceTooLarge(
            f"The file is {size / 1024**3:.1f} GiB; the limit is {max_bytes / 1024**3:.0f} GiB (MAX_SOURCE_BYTES).")
    info = probe_media(location, size=size)
    if info.duration > max_duration:
        raise SourceTooLong(
            f"The footage is {info.duration / 3600:.1f} h long; the limit is "
            f"{max_duration / 3600:.1f} h (MAX_DURATION_SECONDS).")
    return info


def probe_media(location: str, size: int | None = None) -> SourceInfo:
    """Read what a source is. Raises MediaError with a plain reason for anything unusable: IndirectSource
    for playlists and the like, UnsupportedFormat for other formats outside SOURCE_FORMATS, and the refusals
    above for empty, unknown, stream-less, duration-less and corrupt files."""
    if size == 0:
        raise EmptySource("The file is empty (0 bytes).")
    container = _open(location)
    with container:
        video = next((s for s in container.streams.video if not _is_cover_art(s)), None)
        audio = next(iter(container.streams.audio), None)
        if video is None and audio is None:
            raise NoStreams("The file has no audio or video stream.")
        if video is not None:
            _check_frame_size(video)
        duration = _duration(container, [s for s in (video, audio) if s is not None])
        if duration <= 0:
            raise NoDuration("The file has no playable duration (truncated or empty streams).")
        info = dict(
            duration=round(duration, 3),
            container=container.format.name,
            has_video=video is not None,
            has_audio=audio is not None,
            start_time=float(container.start_time or 0) / av.time_base,
            bit_rate=container.bit_rate or None,
        )
        if audio is not None:
            info |= dict(
                audio_codec=audio.codec_context.name,
                audio_channels=audio.codec_context.channels,
                audio_sample_rate=audio.codec_context.sample_rate,
                audio_start=_stream_start(audio, info["start_time"]),
            )
        info |= _streams(container, video)
        if video is not None:
            info |= _frame_rate(container, video)
            info["timecode"] = _start_timecode(container, video, info["fps"])
        first = _first_frame(container, video or audio)
        _spot_check(container, video or audio, _stream_span(video or audio, duration))
        if video is not None:
            # PyAV exposes the display matrix on frames only; ffmpeg's sign is counter-clockwise.
            info |= _video_geometry(video, rotation=int(round(-first.rotation / 90.0)) * 90 % 360)
            info |= _picture(video, first)
    return SourceInfo(**info)


# How far before a time keyframe_seek looks for a seek point whose keyframe comes at or before it (seconds, in turn).
_SEEK_BACKOFF = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
# Demuxers that seek by an index of keyframes (read or built as they go): their seeks land on a keyframe.
_KEYFRAME_INDEXED = frozenset({"mov", "matroska"})


def keyframe_seek(location: str, at: float, container: str | None = None) -> float:
    """A time at or before `at` (seconds from the media's start) from which ffmpeg's `-ss` decodes the picture at `at`.

    ffmpeg seeks formats without a keyframe index (MPEG-TS, MPEG-PS) to a packet at or before the time it is given,
    and the picture starts at the next keyframe, which may come after that time: a chunk or scene part seeking
    there would lose up to a GOP of frames. This seeks the way ffmpeg's `-ss` does (the default stream, backwards,
    a fresh demuxer each try) and reads packets to the first video keyframe, stepping further back until it is at or
    before `at`. Indexed formats (MP4, Matroska) land on a keyframe at once: given the probed `container`
    (SourceInfo.container), `at` comes back unchanged without opening the file."""
    if at <= 0:
        return 0.0
    if container is not None and container.split(",")[0] in _KEYFRAME_INDEXED:
        return at
    for back in _SEEK_BACKOFF:
        seek = max(0.0, at - back)
        if seek <= 0 or _keyframe_after_seek(location, seek) <= at + 1e-3:
            return seek
    return 0.0


def _keyframe_after_seek(location: str, seek: float) -> float:
    """The time of the first video keyframe demuxed after seeking to `seek` (inf when none; -inf without video)."""
    with _open(location) as container:
        video = next((s for s in container.streams.video if not _is_cover_art(s)), None)
        if video is None:
            return -math.inf
        start = container.start_time or 0
        container.seek(start + round(seek * av.time_base), backward=True)
        for packet in container.demux(video):
            if packet.is_keyframe and packet.pts is not None:
                return float(packet.pts * packet.time_base) - start / av.time_base
    return math.inf


def _open(location: str) -> av.container.InputContainer:
    """Open with `source_options`. ffmpeg checks the format whitelist after detecting the format and
    before the demuxer reads anything, so a playlist is refused before any URL in it is fetched; the
    refusal is logged in the format's name, which is how it is told from other errors."""
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(local=True):
            return av.open(location, options=source_options(location), timeout=30)
    except av.error.InvalidDataError:
        raise UnknownFormat(
            "This is not a media file ffmpeg can read: an unknown format, or a truncated file whose index is missing."
        ) from None
    except av.error.ArgumentError as exc:
        refused = _refused_format(exc)
        if refused in INDIRECT_FORMATS:
            raise IndirectSource(
                f"Playlists and indirection formats are not accepted (this file is {refused}): "
                "upload the media file itself."
            ) from None
        if refused:
            raise UnsupportedFormat(
                f"This is not a media file Reelflow accepts: ffmpeg reads it as {refused}, "
                "not as a video or audio container."
            ) from None
        raise MediaError(f"The file could not be opened as media: {_plain(exc)}") from None
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"The file could not be opened as media: {_plain(exc)}") from None
    finally:
        av.logging.set_level(previous)


def _refused_format(exc: av.error.FFmpegError) -> str | None:
    """The demuxer ffmpeg detected, when it refused to open it because of the format whitelist."""
    if exc.log and exc.log[2].startswith("Format not on whitelist"):
        return exc.log[1]
    return None


def _is_cover_art(stream: av.video.stream.VideoStream) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _stream_start(stream, media_start: float) -> float:
    """Seconds from the media's start to `stream`'s first timestamp (0 when the stream does not say)."""
    if stream.start_time is None:
        return 0.0
    return round(max(0.0, float(stream.start_time * stream.time_base) - media_start), 6)


def _duration(container: av.container.InputContainer, media_streams: list) -> float:
    """The container's duration, shortened to where the picture and sound end when the file has other streams
    (a subtitle cue or a data track past the picture lengthens the container's duration, and chunks planned past
    the picture would have nothing to encode). A file of picture and sound alone keeps its header's claim, which
    the spot check then tests. Without a container duration, the first of `media_streams` (video, else audio)
    says."""
    if container.duration:
        claimed = container.duration / av.time_base
        if len(container.streams) > len(media_streams):
            ends = [_stream_end(s) for s in media_streams]
            if all(end is not None for end in ends):
                start = float(container.start_time or 0) / av.time_base
                return min(claimed, max(ends) - start)
        return claimed
    stream = media_streams[0]
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return 0.0


def _stream_end(stream) -> float | None:
    """Where a stream ends (seconds on the container's clock): from its own start and duration, or from the
    DURATION tag Matroska writers give each track, or None when neither says."""
    if stream.duration and stream.time_base:
        return float(((stream.start_time or 0) + stream.duration) * stream.time_base)
    tag = stream.metadata.get("DURATION")
    try:
        hours, minutes, seconds = tag.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except (AttributeError, ValueError):
        return None


def _video_geometry(video: av.video.stream.VideoStream, rotation: int) -> dict:
    ctx = video.codec_context
    coded_w, coded_h = ctx.width, ctx.height
    if not coded_w or not coded_h:
        raise CorruptMedia("The video stream has no frame size (corrupt header).")
    sar = video.sample_aspect_ratio or ctx.sample_aspect_ratio or Fraction(1)
    sar = Fraction(sar) if sar else Fraction(1)
    display_w = _even(coded_w * sar)
    display_h = _even(coded_h)
    if rotation in (90, 270):
        display_w, display_h = display_h, display_w
    return dict(
        width=display_w,
        height=display_h,
        coded_width=coded_w,
        coded_height=coded_h,
        sample_aspect=round(float(sar), 4),
        display_aspect=round(display_w / display_h, 4),
        rotation=rotation,
        video_codec=ctx.name,
    )


def _check_frame_size(video: av.video.stream.VideoStream) -> None:
    width, height = video.codec_context.width, video.codec_context.height
    if max(width, height) > MAX_FRAME_SIDE:
        raise FrameTooLarge(
            f"The header claims a {width}x{height} frame; Reelflow takes frames up to {MAX_FRAME_SIDE} pixels a side "
            "(8K). The header is wrong, or the footage needs downscaling before upload.")


def _picture(video: av.video.stream.VideoStream, first: av.VideoFrame) -> dict:
    """Pixel format, interlacing (the stream's field order, or the first frame's flag) and the HDR transfer."""
    ctx = video.codec_context
    return dict(
        pixel_format=ctx.pix_fmt,
        interlaced=ctx.field_order in INTERLACED_FIELD_ORDERS or bool(first.interlaced_frame),
        hdr=HDR_TRANSFERS.get(ctx.color_trc) or HDR_TRANSFERS.get(first.color_trc),
    )


def _streams(container: av.container.InputContainer, video) -> dict:
    """Every audio track, and the streams no stage reads (subtitles, timecode, data), as the manifest names them."""
    audio_tracks = [
        AudioTrack(index=n, codec=s.codec_context.name, channels=s.codec_context.channels,
                   language=_language(s.metadata), title=_lower_keys(s.metadata).get("title")
                   or _lower_keys(s.metadata).get("name"))
        for n, s in enumerate(container.streams.audio)
    ]
    other = [
        OtherStream(kind=s.type, codec=s.codec_context.name if s.codec_context else s.metadata.get("handler_name"),
                    language=_language(s.metadata))
        for s in container.streams
        if s.type not in ("audio", "video") or (s.type == "video" and s is not video)
    ]
    return dict(audio_tracks=audio_tracks, other_streams=other)


def _language(metadata: dict) -> str | None:
    language = _lower_keys(metadata).get("language")
    return None if language in (None, "und") else language


def _frame_rate(container: av.container.InputContainer, video) -> dict:
    """Nominal fps, and whether frame durations vary (VFR), from packet timestamps (no decoding)."""
    rate = video.average_rate or video.guessed_rate or video.base_rate
    stamps: list[int] = []
    for packet in container.demux(video):
        if packet.pts is not None:
            stamps.append(packet.pts)
        if len(stamps) >= VFR_SAMPLE_PACKETS:
            break
    container.seek(0)
    stamps.sort()
    deltas = [b - a for a, b in zip(stamps, stamps[1:], strict=False) if b > a]
    vfr = False
    if len(deltas) >= 3 and video.time_base:
        typical = median(deltas)
        irregular = sum(1 for d in deltas if abs(d - typical) > VFR_TOLERANCE * typical)
        vfr = irregular / len(deltas) > 0.05
        if not rate:
            rate = 1 / (typical * video.time_base)
    return dict(fps=round(float(rate), 3) if rate else 0.0, vfr=vfr)


def _start_timecode(container: av.container.InputContainer, video, fps: float) -> str | None:
    """The timecode of the first video frame as the file states it: a `tmcd` track's (ffmpeg's mov demuxer reports
    it as that track's metadata, and the video stream's), else the video stream's or the container's `timecode`
    metadata (MXF, Matroska). Metadata is the uploader's text: anything but a timecode valid at the video's rate
    is ignored."""
    tracks = [s for s in container.streams if s.type == "data" and "timecode" in _lower_keys(s.metadata)]
    for metadata in (*(s.metadata for s in tracks), video.metadata, container.metadata):
        value = _lower_keys(metadata).get("timecode")
        if not isinstance(value, str):
            continue
        rate = Rate.from_fps(fps, drop_frame=is_drop_frame(value))
        try:
            return rate.timecode(rate.count(value))  # normalised: two-digit fields, `;` for drop-frame
        except TimecodeError:
            return None
    return None


def _lower_keys(metadata: dict) -> dict:
    return {str(k).lower(): v for k, v in metadata.items()}


def _first_frame(container: av.container.InputContainer, stream):
    """Decode the first frames: a header can be intact while the data behind it is not."""
    try:
        for frame in container.decode(stream):
            return frame
    except av.error.FFmpegError as exc:
        raise CorruptMedia(f"The media data is corrupt or truncated: {_plain(exc)}") from None
    raise CorruptMedia("No frame could be decoded: the file is truncated or its streams are empty.")


def _spot_check(container: av.container.InputContainer, stream, duration: float) -> None:
    """Decode a few frames at quarter points: corruption past the header shows up here, not mid-encode. A seek
    lands on a keyframe at or before its target, so at the first quarter of a long claim (PLAUSIBLE_SECONDS and
    more) the frames must come from the second half of the way there: a header whose duration is several times
    what the file holds seeks back to its real data, or finds none."""
    for fraction in SPOT_CHECKS:
        at = duration * fraction
        reached = None
        try:
            container.seek(int(at / stream.time_base) + (stream.start_time or 0), stream=stream)
            for decoded, frame in enumerate(container.decode(stream), start=1):
                if frame.pts is not None:
                    reached = max(reached or 0.0, float((frame.pts - (stream.start_time or 0)) * stream.time_base))
                if decoded >= SPOT_CHECK_FRAMES:
                    break
        except av.error.FFmpegError as exc:
            raise CorruptMedia(f"The media data is corrupt near {at:.1f}s: {_plain(exc)}") from None
        if fraction == SPOT_CHECKS[0] and at >= PLAUSIBLE_SECONDS and (reached is None or reached < at / 2):
            ends = "no media data" if reached is None else f"its media data ends near {reached:.1f} s"
            raise ImplausibleDuration(
                f"The header says the footage runs {_hours(duration)}, but {ends} "
                f"(looked at {_hours(at)}): the header is wrong or the file is incomplete.")


def _stream_span(stream, duration: float) -> float:
    """The stream's own length where its header gives one (a picture shorter than the sound is spot-checked
    within itself), else the container's."""
    if stream.duration and stream.time_base:
        return min(duration, float(stream.duration * stream.time_base))
    return duration


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds:.1f} s"


def _even(value) -> int:
    return max(2, int(round(float(value) / 2)) * 2)


def _plain(exc: Exception) -> str:
    """ffmpeg's reason without the quoted location (which, for a presigned URL, carries credentials)."""
    text = getattr(exc, "strerror", None) or str(exc)
    return redact(text.split(": '")[0].strip())
