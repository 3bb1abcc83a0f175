"""The scene records that leave this package: scenes.json, DynamoDB items and the stage result."""
from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from functions.core.models import SkipCode

ShotSize = Literal["close-up", "medium"]  # no wide: see tags.py
TransitionKind = Literal["start", "cut", "dissolve"]


class TimedWord(Protocol):
    """Anything with start/end seconds, e.g. a transcript word from the captions stage."""

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ColourShare(_Model):
    name: str
    share: float = Field(ge=0, le=1, description="Fraction of the scene's pixels nearest this named colour")


class Faces(_Model):
    count: int = Field(0, ge=0, description="Most faces seen at once on a sampled frame")
    largest_share: float = Field(0.0, ge=0, le=1, description="Largest face box area / frame area")
    shot_size: ShotSize | None = Field(None, description="From largest_share; None when no face was seen")


class SceneLabel(_Model):
    name: str = Field(description="What the label engine saw on the keyframe, e.g. `Mobile Phone`")
    confidence: float = Field(ge=0, le=100, description="The engine's confidence, percent")


class SceneFeatures(_Model):
    """Measurements of one scene. Image values are on 0..1 unless stated."""

    brightness: float = Field(description="Mean luma")
    contrast: float = Field(description="Mean per-frame luma standard deviation")
    colourfulness: float = Field(description="Hasler-Süsstrunk M (0 = grey, >100 = extremely colourful)")
    dominant_colours: list[ColourShare] = Field(default_factory=list)
    motion: float = Field(description="Mean absolute luma change between consecutive frames, per 1/25 s")
    faces: Faces = Field(default_factory=Faces)
    loudness_lufs: float | None = Field(None, description="Energy mean of momentary loudness; None without audio")
    silence_share: float | None = Field(None, description="Fraction of the scene below the silence level")
    speech_share: float | None = Field(None, description="Fraction covered by transcript words; None without")


class Scene(_Model):
    """One shot. Frames count decoded frames from 0; `end_frame` and `end`/`end_timecode` are exclusive.

    Timecodes follow the convention in functions/core/timecode.py: the first decoded frame carries the source's
    start timecode and later frames count on from it, so `start_timecode` is `VideoSummary.start_timecode` +
    `start_frame` at a constant frame rate, even when the video's first presentation time is not zero. `start` and
    `end` are presentation times in seconds from the start of the media."""

    index: int = Field(ge=1)
    start: float = Field(description="Seconds from the start of the media")
    end: float
    duration: float
    start_frame: int
    end_frame: int
    start_timecode: str = Field(description="HH:MM:SS:FF (HH:MM:SS;FF drop-frame) at the nominal frame rate, "
                                "counted from the source's start timecode")
    end_timecode: str
    transition_in: TransitionKind = "cut"
    thumbnail: str = Field(description="Keyframe JPEG, relative to scenes.json")
    keyframe_time: float
    features: SceneFeatures
    labels: list[SceneLabel] = Field(default_factory=list, description="From the label engine; empty without one")
    tags: list[str] = Field(default_factory=list)


class VideoSummary(_Model):
    """The timeline the scenes refer to (exports use the same frame rate)."""

    fps: float
    frames: int
    duration: float
    width: int
    height: int
    media_name: str
    start_timecode: str = Field("00:00:00:00", description="Timecode of the first frame: the source's own (tmcd "
                                "track or timecode metadata), else zero")
    drop_frame: bool = Field(False, description="Timecodes count in drop-frame (29.97 and 59.94 fps)")
    audio_channels: int = Field(0, ge=0, description="Channels of the source's first audio stream; 0 without audio")
    audio_sample_rate: int = Field(0, ge=0, description="Its sample rate in Hz; 0 without audio")


class ActivityTimeline(_Model):
    """Motion and loudness over the whole media in equal bins, for drawing it at a glance (the review page's
    timeline). Bin i covers [i * step, (i + 1) * step); the last may be shorter."""

    step: float = Field(gt=0, description="Seconds per bin")
    motion: list[float | None] = Field(description="Mean motion of the bin's frames (as Scene motion); None: no frame")
    loudness: list[float | None] = Field(
        default_factory=list, description="Energy-mean momentary loudness (LUFS) of the bin; empty without audio")


class ScenesDocument(_Model):
    """The content of scenes.json."""

    version: Literal[1] = 1
    video: VideoSummary
    scenes: list[Scene]
    timeline: ActivityTimeline | None = Field(None, description="Motion and loudness over time, binned")


class SceneSkip(_Model):
    """Why there is nothing to analyse (e.g. the input has no video). Not an error."""

    code: SkipCode
    reason: str


class ScenesOutcome(_Model):
    """What `analyse_scenes` hands the Lambda handler."""

    outputs: dict[str, str] = Field(default_factory=dict, description="Manifest name -> path relative to out_dir")
    scenes: list[Scene] = Field(default_factory=list)
    note: str | None = None
    skipped: SceneSkip | None = None
    label_engine: str | None = Field(None, description="The engine that labelled the keyframes; None without one")
    label_error_code: str | None = Field(None, description="Why labelling stopped early (the engine's error code)")
