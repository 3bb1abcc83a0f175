"""The trailer as one ffmpeg graph, built with ffmpeg-python: both outputs from a single decode of each segment.

    segment i: input -ss/-t ─ display size ─ fps ─ exact frame count ─ split ┬ letterbox 16:9 ─┐
                                                                             └ 9:16 crop ───────┤
    16:9 segments ─ xfade chain ─ title ─ captions ─ fade in/out ─ trailer.mp4
    9:16 segments ─ xfade chain ─ title ─ captions ─ fade in/out ─ trailer_vertical.mp4
    segment audio ─ acrossfade chain ─ fade in/out ─ loudnorm ─ asplit ─ both files

Every join needs equal time base, frame rate and pixel format (settb=AVTB, fps, format=yuv420p). Lengths are
whole frames and whole samples, so join i sits at (sum of the earlier lengths) - i * fade exactly.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg

from functions.core.ffmpeg import source_options
from functions.core.transcode import converted_picture
from functions.core.trailer.layout import Layout
from functions.core.trailer.loudness import Measurement, meter_options, normalising_filter
from functions.core.trailer.models import TrailerPlan
from functions.core.trailer.overlays import Font

AUDIO_RATE = 48000
TITLE_SECONDS = 3.0
TITLE_FADE = 0.4
BITS_PER_PIXEL = 0.12  # bitrate cap: grainy footage at plain CRF would run to 6 Mbit/s at 360p
ENCODE = {
    "c:v": "libx264", "preset": "veryfast", "crf": 23, "profile:v": "high", "pix_fmt": "yuv420p",
    "c:a": "aac", "b:a": "128k", "ar": AUDIO_RATE, "movflags": "+faststart",
}


@dataclass(frozen=True)
class Overlay:
    """Text for one output: a title file for drawtext and an ASS file for the subtitles filter (each optional)."""

    title_file: Path | None = None
    captions_file: Path | None = None


@dataclass(frozen=True)
class Audio:
    """Where the trailer's sound comes from. Without source audio the trailer gets a silent track."""

    from_source: bool
    measurement: Measurement | None = None  # the metering pass; None leaves the level alone (silence)
    stats_file: Path | None = None  # where the second pass reports what it did


def trailer_args(
    media: Path | str,
    plan: TrailerPlan,
    layout: Layout,
    outputs: tuple[Path, Path],
    audio: Audio,
    *,
    font: Font | None = None,
    landscape: Overlay = Overlay(),
    vertical: Overlay = Overlay(),
) -> list[str]:
    """ffmpeg arguments that write the 16:9 and 9:16 trailers. Each segment's 9:16 crop is centred on its
    `vertical_centre` (the middle of the frame when unset)."""
    inputs, frames, fade = _segment_inputs(media, plan, layout.fps)
    wide, tall = [], []
    for seg, inp, n in zip(plan.segments, inputs, frames, strict=True):
        both = _segment_video(inp, n, layout).split()
        wide.append(_letterbox(both[0], layout))
        tall.append(_vertical_crop(both[1], layout, 0.5 if seg.vertical_centre is None else seg.vertical_centre))
    total = sum(frames) - (len(frames) - 1) * fade
    videos = [
        _finish(_crossfaded(segments, frames, fade, layout.fps), size, total, fade, layout.fps, font, overlay)
        for segments, size, overlay in ((wide, layout.landscape, landscape), (tall, layout.vertical, vertical))
    ]
    if audio.from_source:
        sound = _assembled_audio(inputs, frames, fade, layout.fps)
        if audio.measurement is not None and not audio.measurement.silent:
            sound = sound.filter("loudnorm", **normalising_filter(audio.measurement, audio.stats_file))
        sound = sound.filter("aresample", AUDIO_RATE)
    else:
        sound = ffmpeg.input(f"anullsrc=r={AUDIO_RATE}:cl=stereo", f="lavfi", t=_seconds(total, layout.fps)).audio
    sounds = sound.asplit()
    gop = max(1, round(2 * layout.fps))
    cap = round(BITS_PER_PIXEL * layout.unit ** 2 * 16 * 9 * layout.fps / 1000)
    streams = [ffmpeg.output(v, sounds[i], str(path), g=gop, maxrate=f"{cap}k", bufsize=f"{2 * cap}k", **ENCODE)
               for i, (v, path) in enumerate(zip(videos, outputs, strict=True))]
    return ffmpeg.merge_outputs(*streams).get_args()


def measuring_args(media: Path | str, plan: TrailerPlan, fps: Fraction, meter_log: Path) -> list[str]:
    """ffmpeg arguments that meter exactly the audio the trailer will carry (read the log with `read_meter`)."""
    inputs, frames, fade = _segment_inputs(media, plan, fps)
    sound = (_assembled_audio(inputs, frames, fade, fps).filter("ebur128", **meter_options())
             .filter("ametadata", mode="print", file=str(meter_log)))
    return ffmpeg.output(sound, "-", f="null").get_args()


def segment_frames(plan: TrailerPlan, fps: Fraction) -> list[int]:
    return [max(1, round(s.duration * fps)) for s in plan.segments]


def _segment_inputs(media: Path | str, plan: TrailerPlan, fps: Fraction) -> tuple[list, list[int], int]:
    """One seeking input per segment (a little longer than needed; trims make it exact), the segment lengths
    and the fade, in frames."""
    frames = segment_frames(plan, fps)
    inputs = [ffmpeg.input(str(media), ss=f"{s.source_start:.6f}", t=_seconds(n + 2, fps), **source_options(str(media)))
              for s, n in zip(plan.segments, frames, strict=True)]
    return inputs, frames, round(plan.fade_seconds * fps)


def _segment_video(inp, frames: int, layout: Layout):
    """The segment at the source's display size in square pixels, at the output rate, exactly `frames` long."""
    return (
        converted_picture(inp.video, layout.conversions).filter("setpts", "PTS-STARTPTS")
        .filter("scale", layout.source_width, layout.source_height)
        .filter("setsar", 1)
        .filter("fps", str(layout.fps))
        .filter("tpad", stop_mode="clone", stop=-1)  # a source that ends a frame early still fills the segment
        .filter("trim", end_frame=frames)
    )


def _letterbox(stream, layout: Layout):
    w, h = layout.landscape
    return _normalised(
        stream.filter("scale", w, h, force_original_aspect_ratio="decrease", force_divisible_by=2)
        .filter("pad", w, h, "(ow-iw)/2", "(oh-ih)/2", color="black")
    )


def _vertical_crop(stream, layout: Layout, centre: float):
    w, h, x, y = layout.vertical_crop(centre)
    return _normalised(stream.filter("crop", w, h, x, y).filter("scale", *layout.vertical))


def _normalised(stream):
    return stream.filter("setsar", 1).filter("settb", "AVTB").filter("format", "yuv420p")


def _crossfaded(segments: list, frames: Sequence[int], fade: int, fps: Fraction):
    out, offset = segments[0], frames[0] - fade
    for seg, n in zip(segments[1:], frames[1:], strict=True):
        out = ffmpeg.filter([out, seg], "xfade", transition="fade", duration=_seconds(fade, fps),
                            offset=_seconds(offset, fps))
        offset += n - fade
    return out


def _assembled_audio(inputs: list, frames: Sequence[int], fade: int, fps: Fraction):
    """Segment audio as stereo 48 kHz, each exactly as long as its video, crossfaded, faded in and out."""
    parts = []
    for inp, n in zip(inputs, frames, strict=True):
        parts.append(
            inp.audio.filter("asetpts", "PTS-STARTPTS")
            .filter("aresample", AUDIO_RATE)
            .filter("aformat", sample_fmts="fltp", channel_layouts="stereo")
            .filter("apad")
            .filter("atrim", end_sample=_samples(n, fps))
        )
    overlap = _samples(fade, fps)
    out = parts[0]
    for part in parts[1:]:
        out = ffmpeg.filter([out, part], "acrossfade", ns=overlap)
    total = _samples(sum(frames) - (len(frames) - 1) * fade, fps)
    if fade:
        out = (out.filter("afade", type="in", start_sample=0, nb_samples=overlap)
               .filter("afade", type="out", start_sample=total - overlap, nb_samples=overlap))
    return out


def _finish(stream, size: tuple[int, int], total: int, fade: int, fps: Fraction, font: Font | None,
            overlay: Overlay):
    if overlay.title_file is not None and font is not None:
        stream = ffmpeg.overlay(stream, _title_layer(size, fps, font, overlay.title_file), eof_action="pass")
    if overlay.captions_file is not None and font is not None:
        stream = stream.filter("subtitles", filename=str(overlay.captions_file), fontsdir=str(font.directory))
    if fade:
        stream = (stream.filter("fade", type="in", start_frame=0, nb_frames=fade)
                  .filter("fade", type="out", start_frame=total - fade, nb_frames=fade))
    return stream.filter("format", "yuv420p")


def _title_layer(size: tuple[int, int], fps: Fraction, font: Font, text_file: Path):
    """A transparent layer with the title, fading in and out; expressions avoided, as they need comma escapes."""
    w, h = size
    font_size = max(12, round(min(w, h) / 9))
    return (
        # The alpha format goes inside the lavfi source: converted later, the transparent layer turns opaque black.
        ffmpeg.input(f"color=c=black@0:s={w}x{h}:r={fps}:d={TITLE_SECONDS},format=yuva420p", f="lavfi")
        .drawtext(fontfile=str(font.path), textfile=str(text_file), expansion="none", fontsize=font_size,
                  fontcolor="white", box=1, boxcolor="black@0.45", boxborderw=round(font_size / 2),
                  line_spacing=round(font_size / 4), text_align="C", x="(w-text_w)/2", y="(h-text_h)/2",
                  escape_text=False)
        .filter("fade", type="in", start_time=0, duration=TITLE_FADE, alpha=1)
        .filter("fade", type="out", start_time=TITLE_SECONDS - TITLE_FADE, duration=TITLE_FADE, alpha=1)
    )


def _samples(frames: int, fps: Fraction) -> int:
    return round(frames * AUDIO_RATE / fps)


def _seconds(frames: int, fps: Fraction) -> str:
    return f"{float(frames / fps):.6f}"
