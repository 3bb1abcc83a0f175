"""Trailer: the best moments of the footage cut into a short 16:9 trailer and a 9:16 one for social feeds.

Entry point: `make_trailer(media_path, source, scenes, out_dir, words=..., target_seconds=..., title=...,
burn_captions=..., on_progress=...)`, which writes trailer/trailer.mp4, trailer/trailer_vertical.mp4 and
trailer.json (the plan) and returns a TrailerOutcome.

Modules, in the order data flows through them:
- scoring: how interesting each scene is (motion, faces, loudness, speech, visual interest) and why
- selection, windows: which moments, how long, and where each cut lands (pure; no media is read)
- framing: where the 9:16 crop sits in each segment (faces, else motion, else centre)
- layout: output sizes and frame rate
- loudness, overlays: loudness measurement and targets; font, title and retimed captions
- graph: the single ffmpeg graph that renders both outputs
- make: wires the above together
"""
from functions.core.trailer.graph import trailer_args
from functions.core.trailer.make import make_trailer
from functions.core.trailer.models import (
    OUTPUT_FILES,
    LoudnessReport,
    SceneScore,
    ScoreBreakdown,
    SegmentReason,
    TrailerFallback,
    TrailerOutcome,
    TrailerPlan,
    TrailerSegment,
    TrailerSkip,
)
from functions.core.trailer.scoring import score_scene
from functions.core.trailer.selection import plan_trailer, target_length

__all__ = [
    "OUTPUT_FILES", "LoudnessReport", "SceneScore", "ScoreBreakdown", "SegmentReason", "TrailerFallback",
    "TrailerOutcome", "TrailerPlan", "TrailerSegment", "TrailerSkip", "make_trailer", "plan_trailer", "score_scene",
    "target_length", "trailer_args",
]
