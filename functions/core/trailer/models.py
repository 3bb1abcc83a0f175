"""The trailer records that leave this package: the plan (`trailer.json`) and what `make_trailer` reports."""
from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.core.models import SkipCode

OUTPUT_FILES = {
    "trailer": "trailer/trailer.mp4",
    "trailer_vertical": "trailer/trailer_vertical.mp4",
    "trailer_plan": "trailer.json",
}

Framing = Literal["faces", "motion", "centre"]


class SegmentReason(StrEnum):
    """Why a scene scored or a segment was picked: the labels editors read in trailer.json and the review page."""

    HIGH_MOTION = "high motion"  # scoring: motion at 0.6 or more
    CLOSE_UP_FACE = "close-up face"  # scoring: a face of close-up size
    FACES = "faces"  # scoring: a smaller face
    DIALOGUE = "dialogue"  # scoring: words cover the scene's dialogue share
    LOUD = "loud"  # scoring: loudness at 0.8 or more
    COLOURFUL = "colourful, high contrast"  # scoring: visual interest at 0.75 or more
    TOP_SCORE = "top score"  # selection: the best candidate, always picked first
    OPENING = "opening"  # selection: the best candidate in the first third of the timeline...
    MIDDLE = "middle"  # ...the middle third...
    ENDING = "ending"  # ...and the last third, when nothing picked covers it yet
    QUICK_CUTS = "quick cuts"  # selection: a run of scenes each too short to show alone
    WHOLE_CLIP = "whole clip"  # selection: the source is not longer than the target


class TrailerFallback(StrEnum):
    """Where the trailer is not what was asked for and why; each comes with a sentence in the note for editors."""

    WHOLE_CLIP = "WHOLE_CLIP"  # the source is not longer than the target: the trailer is all of it, with fades
    SHORT_OF_TARGET = "SHORT_OF_TARGET"  # too little distinct footage to fill the target length
    CUT_IN_WORD = "CUT_IN_WORD"  # continuous speech: at least one cut could not fall between words
    SILENT_TRACK = "SILENT_TRACK"  # the source has no audio: the trailer carries a silent track
    SILENT_AUDIO = "SILENT_AUDIO"  # the selected audio is digital silence: not normalised
    NO_FONT = "NO_FONT"  # a title or burnt-in captions were asked for, but no font was found: left out
    NO_CAPTIONS_IN_CUT = "NO_CAPTIONS_IN_CUT"  # captions were asked for, but none fall inside the segments


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ScoreBreakdown(_Model):
    """Each component on 0..1; the score is their weighted sum (weights in `scoring.WEIGHTS`)."""

    motion: float = 0.0
    faces: float = 0.0
    loudness: float = 0.0
    speech: float = 0.0
    visual: float = Field(0.0, description="Colourfulness and contrast, damped for dark shots")


class SceneScore(_Model):
    """How interesting one scene is, and why."""

    scene_index: int
    start: float
    end: float
    score: float = Field(ge=0, le=1)
    breakdown: ScoreBreakdown
    reasons: list[SegmentReason] = Field(default_factory=list, description='e.g. "high motion", "dialogue"')


class TrailerSegment(_Model):
    """One cut of the trailer: a window of the source, in source seconds (end exclusive)."""

    source_start: float
    source_end: float
    scene_indexes: list[int] = Field(description="The scenes the window comes from (more than one for quick cuts)")
    score: float
    breakdown: ScoreBreakdown
    reasons: list[SegmentReason] = Field(default_factory=list)
    vertical_centre: float | None = Field(
        None, ge=0, le=1, description="Horizontal centre of the 9:16 crop, as a fraction of the frame width")
    framing: Framing | None = Field(None, description="What placed the vertical crop")

    @property
    def duration(self) -> float:
        return self.source_end - self.source_start


class TrailerPlan(_Model):
    """What goes into the trailer and how long it will be. Saved as `trailer.json`.

    Crossfades overlap neighbouring segments, so expected_duration = sum(segment durations) - (n - 1) * fade_seconds.
    """

    version: Literal[1] = 1
    source_duration: float
    target_seconds: float
    fade_seconds: float = Field(description="Crossfade between segments, also the fade in and out at the ends")
    fps: float
    expected_duration: float
    segments: list[TrailerSegment]
    scores: list[SceneScore] = Field(default_factory=list, description="Every scene, in source order")
    fallbacks: list[TrailerFallback] = Field(default_factory=list, description="What the note explains, as codes")
    note: str | None = None

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


class TrailerSkip(_Model):
    """Why there is no trailer (audio-only input, no scenes). Not an error."""

    code: SkipCode
    reason: str


class LoudnessReport(_Model):
    """Integrated loudness of the assembled audio before normalisation, and how it was brought to the target."""

    input_lufs: float | None = Field(description="None for digital silence")
    target_lufs: float
    normalisation: Literal["linear", "dynamic", "none"]


class TrailerOutcome(_Model):
    """What `make_trailer` hands the Lambda handler. `outputs` maps manifest names to paths relative to out_dir."""

    outputs: dict[str, str] = Field(default_factory=dict)
    plan: TrailerPlan | None = None
    loudness: LoudnessReport | None = None
    note: str | None = None
    skipped: TrailerSkip | None = None

    @property
    def fallbacks(self) -> list[TrailerFallback]:
        return self.plan.fallbacks if self.plan else []
