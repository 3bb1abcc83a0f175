"""`analyse_scenes`: one decode pass, shot detection, scene records, then every output file.

The two halves also stand alone: `measure_frames` is the decode pass (over the whole file or one
window of it), `scenes_from_frames` everything after it, for a pass or for parts joined by parts.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from functions.core.ffmpeg import ProgressCallback
from functions.core.models import SkipCode, SourceInfo
from functions.core.scenes.boundaries import DEFAULT_SETTINGS, DetectorSettings, detect_boundaries, gradual_windows
from functions.core.scenes.decode import DECODER_OPTIONS, Window, analysis_size, decode
from functions.core.scenes.features import FrameAnalyser
from functions.core.scenes.keyframes import Candidate, KeyframeSampler, candidate_stride
from functions.core.scenes.labels import LabelEngine, label_scenes
from functions.core.scenes.models import SceneSkip, ScenesDocument, ScenesOutcome, TimedWord, VideoSummary
from functions.core.scenes.parts import FramePass
from functions.core.scenes.records import build_scenes
from functions.core.scenes.timeline import activity_timeline
from functions.core.timecode import RECORD_START, source_timeline
from functions.core.transcode import tone_maps
from functions.core.wording import counted
from functions.core.scenes.writers.contact_sheet import MAX_TILES
from functions.core.scenes.writers import contact_sheet_jpeg, edl_text, fcpxml_text, otio_text, scenes_json_text

NO_VIDEO = "the input has no video stream (audio-only), so there are no scenes to detect"
OUTPUT_FILES = {
    "scenes": "scenes.json",
    "contact_sheet": "contact_sheet.jpg",
    "edl": "scenes.edl",
    "otio": "scenes.otio",
    "fcpxml": "scenes.fcpxml",
}


def analyse_scenes(
    media: Path | str,
    source: SourceInfo,
    out_dir: Path,
    *,
    words: Sequence[TimedWord] | None = None,
    on_progress: ProgressCallback | None = None,
    media_name: str | None = None,
    labeller: LabelEngine | None = None,
    settings: DetectorSettings = DEFAULT_SETTINGS,
    record_start: str = RECORD_START,
) -> ScenesOutcome:
    """Split `media` (a file, or a URL ffmpeg reads such as a presigned S3 GET) into scenes and write
    scenes.json, thumbs/, the contact sheet and editor exports.

    `words` (anything with .start/.end seconds) adds each scene's speech share. `media_name` is how the
    exports name the source (default: the file or URL's last part). `labeller` labels each keyframe (see labels.py).
    `record_start` is the timecode the exports' record timeline (EDL record side, FCPXML tcStart) starts at.
    Input without video is skipped, not an error;
    a file ffmpeg cannot decode raises MediaError.
    """
    if not source.has_video:
        return _skip(SkipCode.NO_VIDEO, NO_VIDEO)
    frames = measure_frames(media, source, settings=settings, on_progress=on_progress)
    return scenes_from_frames(frames, source, out_dir, words=words, media_name=media_name or _name_of(media),
                              labeller=labeller, settings=settings, on_progress=on_progress,
                              record_start=record_start)


def measure_frames(
    media: Path | str,
    source: SourceInfo,
    *,
    window: Window | None = None,
    settings: DetectorSettings = DEFAULT_SETTINGS,
    on_progress: ProgressCallback | None = None,
    decoder_options: tuple[str, ...] = DECODER_OPTIONS,
) -> FramePass:
    """The single decode pass over `media`, or over one `window` of it: every per-frame measurement,
    frame times, loudness and keyframe candidates (see parts.py for joining windows). `decoder_options` as
    decode's."""
    fps = source.nominal_fps
    analyser = FrameAnalyser(gradual_windows(fps, settings))
    sampler = KeyframeSampler(candidate_stride(fps, source.duration))

    def on_frame(frame: np.ndarray) -> None:
        analyser.push(frame)
        sampler.push(frame)

    span = source.duration if window is None else (window.end or source.duration) - window.start + window.preroll
    report = (lambda f: on_progress(0.9 * f)) if on_progress else None
    decoded = decode(media, analysis_size(source), on_frame, with_audio=source.has_audio,
                     tone_map=tone_maps(source), window=window,
                     start_time=source.start_time, audio_start=source.audio_start, container=source.container,
                     expected_frames=round(span * fps), on_progress=report,
                     decoder_options=decoder_options)
    preroll = int(np.sum(decoded.timestamps < window.start - 1e-6)) if window is not None else 0
    return FramePass(analyser.finish(), decoded.timestamps, decoded.loudness, sampler.candidates, preroll)


def scenes_from_frames(
    frames: FramePass,
    source: SourceInfo,
    out_dir: Path,
    *,
    media_name: str,
    words: Sequence[TimedWord] | None = None,
    labeller: LabelEngine | None = None,
    settings: DetectorSettings = DEFAULT_SETTINGS,
    on_progress: ProgressCallback | None = None,
    record_start: str = RECORD_START,
) -> ScenesOutcome:
    """Shots, scene records, labels and every output file from a finished pass (or joined parts)."""
    series, timestamps = frames.series, frames.timestamps
    if len(series) == 0:
        return _skip(SkipCode.NO_FRAMES, "the video stream has no decodable frames")
    size = analysis_size(source)
    fps = source.nominal_fps
    if source.vfr or source.fps <= 0:
        fps = _measured_fps(timestamps, fps)
    rate, start_timecode = source_timeline(fps, source.timecode)
    boundaries = detect_boundaries(series, fps, settings)
    built = build_scenes(boundaries, series, timestamps, rate, KeyframeSampler.of(frames.candidates),
                         frames.loudness, words, start_timecode)
    scenes = [b.scene for b in built]
    label_error = label_error_code = None
    if labeller is not None:
        labelled = label_scenes(scenes, [b.keyframe.jpeg if b.keyframe else None for b in built], labeller)
        scenes, label_error, label_error_code = labelled.scenes, labelled.error, labelled.error_code
    doc = ScenesDocument(
        video=VideoSummary(fps=round(float(rate.exact), 3), frames=len(series), duration=scenes[-1].end,
                           width=source.width or size[0], height=source.height or size[1],
                           media_name=media_name, start_timecode=start_timecode, drop_frame=rate.drop_frame,
                           audio_channels=source.audio_channels if source.has_audio else 0,
                           audio_sample_rate=source.audio_sample_rate if source.has_audio else 0),
        scenes=scenes,
        timeline=activity_timeline(timestamps, series.motion, frames.loudness, scenes[-1].end),
    )
    _write_outputs(doc, [b.keyframe for b in built], out_dir, aspect=size[0] / size[1], record_start=record_start)
    if on_progress:
        on_progress(1.0)
    cuts = sum(b.kind == "cut" for b in boundaries)
    note = (f"{counted(len(scenes), 'scene')} in {counted(len(series), 'frame')} "
            f"({counted(cuts, 'cut')}, {counted(len(boundaries) - cuts, 'gradual transition')})")
    if labeller is not None:
        note += f"; {label_error}" if label_error else f"; labels by {labeller.name}"
    return ScenesOutcome(outputs=dict(OUTPUT_FILES), scenes=scenes, note=note,
                         label_engine=labeller.name if labeller else None, label_error_code=label_error_code)


def _name_of(media: Path | str) -> str:
    return media.name if isinstance(media, Path) else Path(urlparse(media).path).name


def _skip(code: SkipCode, reason: str) -> ScenesOutcome:
    return ScenesOutcome(skipped=SceneSkip(code=code, reason=reason), note=f"scenes skipped: {reason}")


def _measured_fps(timestamps: np.ndarray, fallback: float) -> float:
    if len(timestamps) < 2 or timestamps[-1] <= timestamps[0]:
        return fallback
    return (len(timestamps) - 1) / float(timestamps[-1] - timestamps[0])


def _write_outputs(doc: ScenesDocument, keyframes: list[Candidate | None], out_dir: Path, aspect: float,
                   record_start: str) -> None:
    thumbs = out_dir / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    for scene, keyframe in zip(doc.scenes, keyframes, strict=True):
        if keyframe is not None:
            (out_dir / scene.thumbnail).write_bytes(keyframe.jpeg)
    images = [k.image() if k else None for k in keyframes[:MAX_TILES]]  # the sheet shows the first MAX_TILES
    (out_dir / OUTPUT_FILES["contact_sheet"]).write_bytes(contact_sheet_jpeg(doc.scenes, images, aspect))
    write_documents(doc, out_dir, record_start)


def write_documents(doc: ScenesDocument, out_dir: Path, record_start: str = RECORD_START) -> None:
    """scenes.json and the editor exports: everything that changes when scene tags do. The exports' record
    timeline starts at `record_start`."""
    (out_dir / OUTPUT_FILES["scenes"]).write_text(scenes_json_text(doc))
    (out_dir / OUTPUT_FILES["edl"]).write_text(edl_text(doc, record_start=record_start))
    (out_dir / OUTPUT_FILES["otio"]).write_text(otio_text(doc, record_start=record_start))
    (out_dir / OUTPUT_FILES["fcpxml"]).write_text(fcpxml_text(doc, record_start=record_start))
