"""`make_trailer`: select highlights, place the vertical crops, measure loudness, then render both outputs."""
from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from functions.core.ffmpeg import ProgressCallback, run_ffmpeg
from functions.core.models import SkipCode, SourceInfo
from functions.core.scenes.models import Scene, TimedWord
from functions.core.trailer.framing import frame_segments
from functions.core.trailer.graph import Audio, Overlay, measuring_args, trailer_args
from functions.core.trailer.layout import Layout, layout_for
from functions.core.trailer.loudness import TARGET_LUFS, normalisation_type, read_meter
from functions.core.trailer.models import (
    OUTPUT_FILES,
    LoudnessReport,
    TrailerFallback,
    TrailerOutcome,
    TrailerPlan,
    TrailerSkip,
)
from functions.core.trailer.overlays import (
    Font,
    ass_document,
    find_font,
    read_captions,
    retime_captions,
    title_lines,
)
from functions.core.trailer.selection import FADE_SECONDS, plan_trailer

# Share of the progress each step reports (framing is quick; the final encode dominates).
_FRAMING, _MEASURING = 0.05, 0.15


def make_trailer(
    media_path: Path | str,
    source: SourceInfo,
    scenes: Sequence[Scene],
    out_dir: Path,
    *,
    words: Sequence[TimedWord] | None = None,
    target_seconds: float | None = None,
    title: str | None = None,
    burn_captions: Path | None = None,
    fade_seconds: float = FADE_SECONDS,
    on_progress: ProgressCallback | None = None,
) -> TrailerOutcome:
    """Write trailer/trailer.mp4 (16:9), trailer/trailer_vertical.mp4 (9:16) and trailer.json into `out_dir`.

    `words` keep cuts between words; `burn_captions` is an .srt/.vtt on the source timeline. Audio-only input
    or no scenes give a skipped outcome, not an exception; a file ffmpeg cannot decode raises MediaError.
    """
    if not source.has_video:
        return _skip(SkipCode.NO_VIDEO,
                     "the input has no video stream (audio-only), so there is nothing to cut a trailer from")
    layout = layout_for(source)
    planned = plan_trailer(scenes, source.duration, fps=float(layout.fps), words=words,
                           target_seconds=target_seconds, fade_seconds=fade_seconds)
    if isinstance(planned, TrailerSkip):
        return _skip(planned.code, planned.reason)

    plan = _with_vertical_crops(media_path, planned, layout, scenes)
    _report(on_progress, _FRAMING)

    notes = _Notes(list(plan.fallbacks), [plan.note] if plan.note else [])
    (out_dir / "trailer").mkdir(parents=True, exist_ok=True)
    outputs = (out_dir / OUTPUT_FILES["trailer"], out_dir / OUTPUT_FILES["trailer_vertical"])
    with tempfile.TemporaryDirectory(prefix="reelflow-trailer-") as tmp:
        work = Path(tmp)
        audio, loudness = _measure(media_path, source, plan, layout, work, on_progress, notes)
        font = find_font() if (title or burn_captions) else None
        if (title or burn_captions) and font is None:
            notes.add(TrailerFallback.NO_FONT, "no font found on this system, so the title and captions were left out")
        landscape, vertical = _overlays(plan, layout, font, title, burn_captions, work, notes)
        args = trailer_args(media_path, plan, layout, outputs, audio, font=font, landscape=landscape,
                            vertical=vertical)
        run_ffmpeg(args, duration=plan.expected_duration, what="trailer",
                   on_progress=_scaled(on_progress, _FRAMING + _MEASURING, 1.0))
        if loudness is not None and audio.stats_file is not None:
            loudness = loudness.model_copy(update={"normalisation": normalisation_type(audio.stats_file)})
    plan = plan.model_copy(update={"fallbacks": notes.fallbacks, "note": "; ".join(notes.texts) or None})
    (out_dir / OUTPUT_FILES["trailer_plan"]).write_text(plan.to_json())
    _report(on_progress, 1.0)
    return TrailerOutcome(outputs=dict(OUTPUT_FILES), plan=plan, loudness=loudness, note=plan.note)


def _with_vertical_crops(media: Path | str, plan: TrailerPlan, layout: Layout, scenes: Sequence[Scene]) -> TrailerPlan:
    """The plan with each segment's 9:16 crop centre, looking for faces only where the scenes stage saw one."""
    faces = {s.index: s.features.faces.count > 0 for s in scenes}
    centres = frame_segments(
        media, plan.segments, crop_fraction=layout.vertical_crop(0.5)[0] / layout.source_width,
        faces_seen=[any(faces.get(i, True) for i in seg.scene_indexes) for seg in plan.segments],
    )
    return plan.model_copy(update={"segments": [
        seg.model_copy(update={"vertical_centre": round(c.centre, 4), "framing": c.framing})
        for seg, c in zip(plan.segments, centres, strict=True)
    ]})


def _measure(media: Path | str, source: SourceInfo, plan: TrailerPlan, layout: Layout, work: Path,
             on_progress: ProgressCallback | None, notes: _Notes) -> tuple[Audio, LoudnessReport | None]:
    """Loudnorm's first pass over the trailer's audio; a silent track when the source has none."""
    if not source.has_audio:
        notes.add(TrailerFallback.SILENT_TRACK, "the source has no audio, so the trailer has a silent track")
        return Audio(from_source=False), None
    log = work / "r128.txt"
    run_ffmpeg(measuring_args(media, plan, layout.fps, log), duration=plan.expected_duration,
               on_progress=_scaled(on_progress, _FRAMING, _FRAMING + _MEASURING), what="loudness measurement")
    measured = read_meter(log)
    if measured.silent:
        notes.add(TrailerFallback.SILENT_AUDIO, "the selected audio is silent, so it was not normalised")
        return Audio(from_source=True), LoudnessReport(input_lufs=None, target_lufs=TARGET_LUFS,
                                                       normalisation="none")
    report = LoudnessReport(input_lufs=round(measured.integrated, 2), target_lufs=TARGET_LUFS, normalisation="linear")
    return Audio(from_source=True, measurement=measured, stats_file=work / "normalised.json"), report


def _overlays(plan: TrailerPlan, layout: Layout, font: Font | None, title: str | None, captions: Path | None,
              work: Path, notes: _Notes) -> tuple[Overlay, Overlay]:
    """Title text files and retimed caption files for the two outputs (none without a font)."""
    if font is None:
        return Overlay(), Overlay()
    overlays = []
    cues = retime_captions(read_captions(captions.read_text(errors="replace")), plan) if captions else []
    if captions and not cues:
        notes.add(TrailerFallback.NO_CAPTIONS_IN_CUT, "no captions fall inside the trailer's segments")
    for name, size, chars in (("landscape", layout.landscape, 28), ("vertical", layout.vertical, 14)):
        title_file = captions_file = None
        if title and title.strip():
            title_file = work / f"title-{name}.txt"
            title_file.write_text(title_lines(title, chars))
        if cues:
            captions_file = work / f"captions-{name}.ass"
            captions_file.write_text(ass_document(cues, size, font))
        overlays.append(Overlay(title_file, captions_file))
    return overlays[0], overlays[1]


@dataclass
class _Notes:
    """The trailer's fallbacks so far, and the note's sentences (a summary, then one for each fallback)."""

    fallbacks: list[TrailerFallback] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def add(self, fallback: TrailerFallback, text: str) -> None:
        self.fallbacks.append(fallback)
        self.texts.append(text)


def _skip(code: SkipCode, reason: str) -> TrailerOutcome:
    return TrailerOutcome(skipped=TrailerSkip(code=code, reason=reason), note=f"trailer skipped: {reason}")


def _report(on_progress: ProgressCallback | None, done: float) -> None:
    if on_progress:
        on_progress(done)


def _scaled(on_progress: ProgressCallback | None, lo: float, hi: float) -> ProgressCallback | None:
    if on_progress is None:
        return None
    return lambda f: on_progress(lo + (hi - lo) * f)
