"""Scene analysis: shot boundaries, per-scene features and tags, thumbnails and editor exports.

Entry point: `analyse_scenes(media, source, out_dir, words=..., labeller=..., on_progress=...)`.

Modules, in the order data flows through them:
- decode: the single ffmpeg pass (small frames, frame times, momentary loudness), of a file or a window
- parts: long footage in windows, one Lambda each, joined into what one pass would give
- features, colours, keyframes: per-frame measurements and keyframe candidates, streamed
- boundaries: hard cuts and gradual transitions from the per-frame series
- records, faces, audio, tags: Scene records with features and tags
- labels: optional keyframe labels by engine (`none`, `rekognition`)
- writers/: scenes.json, contact sheet, EDL, OTIO, FCPXML (timecodes: functions/core/timecode.py)
- analyse: wires the above together
"""
from functions.core.scenes.analyse import OUTPUT_FILES, analyse_scenes
from functions.core.scenes.boundaries import Boundary, DetectorSettings, detect_boundaries
from functions.core.scenes.labels import LABEL_ENGINES, LabelEngine, get_label_engine, label_tag
from functions.core.scenes.models import (
    ColourShare,
    Faces,
    Scene,
    SceneFeatures,
    SceneLabel,
    SceneSkip,
    ScenesDocument,
    ScenesOutcome,
    TimedWord,
    VideoSummary,
)

__all__ = [
    "LABEL_ENGINES", "OUTPUT_FILES", "Boundary", "ColourShare", "DetectorSettings", "Faces", "LabelEngine", "Scene",
    "SceneFeatures", "SceneLabel", "SceneSkip", "ScenesDocument", "ScenesOutcome", "TimedWord", "VideoSummary",
    "analyse_scenes", "detect_boundaries", "get_label_engine", "label_tag",
]
