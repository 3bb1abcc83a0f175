"""Typed payloads that cross a boundary: S3 references, stage inputs/outputs and the manifest.

The state machine passes these as JSON; every handler parses its input with them, so a
payload that drifts from the contract fails loudly at the edge instead of deep inside a stage.
"""
from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from functions.core.cost.models import CostReport
from functions.core.redaction import redact_optional

# The one list of stage names. A job may leave out the optional ones (JobOptions.stages, the API's `stages`); every
# stage reports a result under its name (StageResult.stage, the manifest's and the job record's `stages`). The
# state machine in infra/pipeline.py spells them in its Pass states and Choices: tests/infra keeps it to these.
OptionalStage = Literal["transcode", "captions", "scenes", "trailer"]
OPTIONAL_STAGES: tuple[OptionalStage, ...] = get_args(OptionalStage)
StageName = Literal["probe", OptionalStage, "scene_speech", "finalize"]
STAGE_NAMES: tuple[StageName, ...] = get_args(StageName)


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ObjectRef(Model):
    """One S3 object, pinned to the version (or ETag) that started the job."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None
    # The object's x-amz-meta-* values, read by ingest; never part of ids or stage payloads.
    metadata: dict[str, str] = Field(default_factory=dict, exclude=True)
    # When S3 stored it (HEAD's Last-Modified): whether it came before its reservation expired. Not in ids or payloads.
    last_modified: datetime | None = Field(default=None, exclude=True)


LabelEngineName = Literal["none", "rekognition"]
# The caption engines' names; the registry in functions.core.captions.engines is kept equal to it by a test.
CaptionEngineName = Literal["whisper", "pocketsphinx", "transcribe"]
DEFAULT_CAPTION_ENGINE: CaptionEngineName = "whisper"
# Amazon Transcribe's own formats (its API model): a language code such as `en-US` or `ckb-IQ`, and the name of a
# custom vocabulary. `AUTO_LANGUAGE` asks the engine to identify the language instead.
TRANSCRIBE_LANGUAGE_PATTERN = r"^[a-z]{2,3}-[A-Z]{2}$"
TRANSCRIBE_VOCABULARY_PATTERN = r"^[0-9a-zA-Z._-]+$"
AUTO_LANGUAGE = "auto"
TranscribeLanguage = Annotated[str, Field(pattern=TRANSCRIBE_LANGUAGE_PATTERN)]


class VideoCodec(StrEnum):
    """The HLS ladder's video codec (JobOptions.video_codec): the one list, which the CLI's and the API's choices
    and functions.core.ladder's per-codec tables (levels, bit rates) follow."""

    H264 = "h264"  # H.264 High in MPEG-TS segments: plays everywhere
    HEVC = "hevc"  # HEVC (H.265) Main, 8-bit, in fragmented MP4 segments (Apple's HLS spec: HEVC is not carried in TS)


class JobOptions(Model):
    caption_engine: CaptionEngineName | None = Field(
        default=None, description=f"Speech recognition engine (default: the stack's, {DEFAULT_CAPTION_ENGINE})")
    label_engine: LabelEngineName | None = Field(default=None, description="Scene keyframe labels (default: none)")
    language: str = "en-US"
    trailer_seconds: float | None = Field(default=None, gt=0, le=600)
    stages: list[OptionalStage] | None = Field(default=None, description="Stages to run (default: all)")
    renditions: list[int] | None = Field(default=None, description="Rung heights, e.g. [720, 480]")
    video_codec: VideoCodec = Field(default=VideoCodec.H264, description="The ladder's video codec: h264 (MPEG-TS "
                                    "segments) or hevc (fMP4 segments, lower bit rates, slower to encode)")
    trailer_title: str | None = Field(default=None, max_length=80, description="Title card text for the trailer")
    burn_captions: bool = Field(default=False, description="Burn the captions into the trailer")
    transcribe_vocabulary: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=TRANSCRIBE_VOCABULARY_PATTERN,
        description="Amazon Transcribe custom vocabulary to apply (transcribe engine)")
    language_options: list[TranscribeLanguage] | None = Field(
        default=None, min_length=2, max_length=5,
        description="Languages the speech may be in, for language `auto` (transcribe engine), e.g. [en-US, es-US]")
    speaker_labels: bool = Field(default=False, description="Label each word with its speaker (transcribe engine)")
    max_speakers: int | None = Field(
        default=None, ge=2, le=30, description="Most speakers to tell apart (transcribe engine); implies speaker_labels")
    max_cost_usd: float | None = Field(
        default=None, gt=0, description="Refuse the job at Probe if its estimated cost is higher (US dollars; "
                                        "default: the stack's, if set)")
    max_duration_seconds: float | None = Field(
        default=None, gt=0, description="Refuse the job at Probe if its estimated run time in AWS is longer "
                                        "(seconds; default: the stack's, if set)")

    @model_validator(mode="after")
    def _transcribe_options_agree(self) -> JobOptions:
        check_transcribe_options(self.language, self.language_options, self.transcribe_vocabulary)
        return self


def check_transcribe_options(language: str, language_options: list[str] | None, vocabulary: str | None) -> None:
    """Raise ValueError for Transcribe options that cannot go together. Language options narrow automatic
    identification, so they need language `auto`; a vocabulary belongs to one language, so with `auto` Transcribe
    can only apply it through LanguageIdSettings, which needs the candidate languages listed."""
    if language_options and language != AUTO_LANGUAGE:
        raise ValueError(f"language_options need language {AUTO_LANGUAGE!r}")
    if language_options and len(set(language_options)) != len(language_options):
        raise ValueError("language_options must not repeat a language")
    if vocabulary and language == AUTO_LANGUAGE and not language_options:
        raise ValueError(f"a transcribe_vocabulary with language {AUTO_LANGUAGE!r} needs language_options")


# A tenant id is also the first segment of its S3 keys (`<tenant>/uploads/...`) and part of its table keys.
TENANT_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
DEFAULT_TENANT = "default"
TenantId = Annotated[str, Field(pattern=TENANT_PATTERN, description="The studio the job belongs to")]


class JobInput(Model):
    """Input of a state machine execution."""

    job_id: str
    asset_id: str
    tenant: TenantId = DEFAULT_TENANT
    source: ObjectRef
    options: JobOptions = Field(default_factory=JobOptions)
    # Set by ingest (the name is the job id), so Finalize can read its own execution's history for the cost.
    execution_arn: str | None = None


class StageStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class SkipCode(StrEnum):
    """Why a stage reported SKIPPED: the one list, recorded as `details["skip"]` beside the stage's human note
    (StageResult.skipped), so the manifest and the job record say it in a form a program can test."""

    NOT_REQUESTED = "NOT_REQUESTED"  # the job's `stages` option left the stage out (the state machine's Pass state)
    NO_VIDEO = "NO_VIDEO"  # the source has no video stream (audio-only): scenes, trailer
    NO_FRAMES = "NO_FRAMES"  # the video stream decoded to no frames: scenes
    NOT_MEASURED = "NOT_MEASURED"  # no ScenePart measured any footage: scenes
    NO_SCENES = "NO_SCENES"  # no scenes to work from (the scenes stage did not succeed, or found none): trailer,
    #                          scene_speech
    NO_CAPTIONS = "NO_CAPTIONS"  # the captions stage did not succeed: scene_speech
    NO_DURATION = "NO_DURATION"  # the source has no duration to place cuts on: trailer
    TOO_SHORT = "TOO_SHORT"  # no scene (or run of quick cuts) is long enough to show: trailer


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


# The frame rate assumed where probing found none (a stream without a rate, an image sequence).
FALLBACK_FPS = 25.0


class Hdr(StrEnum):
    """The source's high-dynamic-range transfer function (its `color_trc`), which the ladder tone-maps to SDR."""

    PQ = "PQ"  # SMPTE ST 2084 (HDR10, Dolby Vision's base layer)
    HLG = "HLG"  # ARIB STD-B67 (broadcast HDR)


class Conversion(StrEnum):
    """What the transcode changes about a source so that every rung plays as H.264 High (or HEVC Main), SDR,
    progressive, stereo, at most 60 fps; recorded in the transcode stage's `details["conversions"]`
    (functions.core.transcode)."""

    DEINTERLACED = "DEINTERLACED"  # interlaced fields woven into progressive frames (bwdif, frame for frame)
    TONE_MAPPED = "TONE_MAPPED"  # HDR (PQ or HLG, BT.2020) mapped to SDR BT.709
    DOWNMIXED = "DOWNMIXED"  # more than two audio channels mixed down to stereo
    FRAME_RATE_CAPPED = "FRAME_RATE_CAPPED"  # above 60 fps: frames dropped to 60
    FIRST_AUDIO_TRACK = "FIRST_AUDIO_TRACK"  # several audio tracks: the ladder carries the first (manifest: all)


class AudioTrack(Model):
    """One audio stream of the source, as the manifest names it. `index` counts audio streams only (ffmpeg's `a:N`)."""

    index: int
    codec: str | None = None
    channels: int = 0
    language: str | None = None
    title: str | None = None


class OtherStream(Model):
    """A stream that is neither picture nor sound (subtitles, timecode, data): recorded, never transcoded."""

    kind: str
    codec: str | None = None
    language: str | None = None


class SourceInfo(Model):
    """What probing learnt about the source. Sizes are display sizes (SAR and rotation applied)."""

    duration: float
    container: str
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    coded_width: int = 0
    coded_height: int = 0
    sample_aspect: float = 1.0
    display_aspect: float = 0.0
    rotation: int = 0
    fps: float = 0.0
    vfr: bool = False
    video_codec: str | None = None
    audio_codec: str | None = None
    audio_channels: int = 0
    audio_sample_rate: int = 0
    start_time: float = 0.0
    audio_start: float = Field(default=0.0, description="Where the first audio stream starts, in seconds after "
                               "start_time: its 100 ms loudness blocks count from here")
    bit_rate: int | None = None
    timecode: str | None = Field(
        default=None, description="Timecode of the first video frame, from a tmcd track or timecode metadata "
        "(HH:MM:SS;FF when drop-frame); None when the source has none")
    pixel_format: str | None = None
    interlaced: bool = Field(default=False, description="The video is coded as interlaced fields")
    hdr: Hdr | None = Field(default=None, description="The video's HDR transfer function; None for SDR")
    audio_tracks: list[AudioTrack] = Field(default_factory=list, description="Every audio stream, in file order")
    other_streams: list[OtherStream] = Field(default_factory=list, description="Subtitle, timecode and data streams")

    @property
    def nominal_fps(self) -> float:
        """The probed frame rate, or FALLBACK_FPS when probing found none."""
        return self.fps if self.fps > 0 else FALLBACK_FPS


class Billed(Model):
    """What Lambda bills for the invocation that returned this result, which job_handler records: the duration
    rounded up to Lambda's 1 ms, the configured memory, and the paid calls to other services it made
    (functions.core.cost.calls; left out of the JSON when there were none)."""

    billed_ms: int = 0
    memory_mb: int = 0
    paid_calls: dict[str, int] = Field(default_factory=dict)


class Rendition(Model):
    name: str
    width: int
    height: int
    video_kbps: int
    audio_kbps: int = 128


class Chunk(Model):
    index: int
    start: float
    duration: float


class TranscodePlan(Model):
    renditions: list[Rendition]
    chunks: list[Chunk]
    segment_seconds: float
    video_codec: VideoCodec = VideoCodec.H264

    @property
    def starts(self) -> list[float]:
        """Each chunk's start in seconds, in order: where the captions' and scenes' parts begin too."""
        return [c.start for c in self.chunks]

    def position(self, chunk: Chunk) -> int:
        """Where `chunk` (as a Map item carries it) is in the plan: the index of its part among the parts."""
        return [c.index for c in self.chunks].index(chunk.index)


class TranscribeSpan(Model):
    """One Amazon Transcribe job's stretch of the soundtrack: whole chunks of the plan, within Transcribe's
    limit on a file's length (functions.core.captions.spans), and how often the state machine polls that job."""

    index: int
    start: float
    duration: float
    first_chunk: int
    chunk_count: int
    poll_seconds: int


class ProbeResult(Billed):
    source: SourceInfo
    plan: TranscodePlan
    seconds: float = 0.0
    caption_engine: CaptionEngineName = DEFAULT_CAPTION_ENGINE
    run: dict[str, bool] = Field(default_factory=lambda: dict.fromkeys(OPTIONAL_STAGES, True))
    scenes_on_chunks: bool = Field(default=False, description=(
        "EncodeChunk measures the scene parts on its own decode, and Scenes joins them beside PackageHls"))
    transcribe_spans: list[TranscribeSpan] = Field(
        default_factory=list, description="With Amazon Transcribe (and audio): one Transcribe job per span")


class RungStats(Model):
    bytes: int
    seconds: float
    peak_bps: float


class StageInput(JobInput):
    """What every analysis stage gets: the job and what probing found."""

    probe: ProbeResult


class TranscribeJob(Billed):
    """An Amazon Transcribe job the state machine started and waits for."""

    job_name: str
    output_key: str


class TranscribePoll(Model):
    """The state machine's last GetTranscriptionJob answer."""

    status: str


class TranscribeSpanInput(StageInput):
    """What TranscribeStart gets: the job and the span of the soundtrack its Transcribe job covers."""

    span: TranscribeSpan


class TranscribeSpanResult(Model):
    """One iteration of the Transcribe Map: the span, the Transcribe job started for it and how it ended."""

    span: TranscribeSpan
    transcribe: TranscribeJob
    status: str


class CaptionPartResult(Billed):
    """What one CaptionPart returns: where its transcript is, so a long job's Map output stays small."""

    index: int
    start: float
    seconds: float = 0.0
    key: str
    words: int = 0


class CaptionsInput(StageInput):
    transcribe_spans: list[TranscribeSpanResult] = Field(default_factory=list)
    caption_parts: list[CaptionPartResult] = Field(default_factory=list)


class ChunkInput(StageInput):
    chunk: Chunk


class ScenePartResult(Billed):
    """What one ScenePart returns: where its measurements are (none for footage without video)."""

    index: int
    seconds: float = 0.0
    key: str | None = None
    frames: int = 0
    on_chunk: bool = False  # measured by EncodeChunk on its own decode (probe.scenes_on_chunks)


class ChunkResult(Billed):
    """What one EncodeChunk returns: aggregates only, so a long job's Map output stays small."""

    index: int
    seconds: float = 0.0
    rungs: dict[str, RungStats]
    proxy_key: str
    scene_part: ScenePartResult | None = None  # measured on the chunk's decode (probe.scenes_on_chunks)


class PackageInput(StageInput):
    chunks: list[ChunkResult]


class ScenesInput(StageInput):
    scene_parts: list[ScenePartResult] = Field(default_factory=list)
    chunks: list[ChunkResult] = Field(default_factory=list, description=(
        "EncodeChunk's results, each with the scene part it measured on its decode (probe.scenes_on_chunks)"))

    @property
    def parts(self) -> list[ScenePartResult]:
        """The measured parts, from ScenePart or from the transcode's chunks."""
        return self.scene_parts or [c.scene_part for c in self.chunks if c.scene_part is not None]


class StageError(Model):
    """The shape Step Functions' Catch puts at `ResultPath` (Error/Cause)."""

    Error: str = "States.TaskFailed"
    Cause: str | None = None

    @property
    def reason(self) -> str:
        """The handler's own message when the cause is a Lambda error document, else the raw cause."""
        try:
            cause = json.loads(self.Cause or "")
        except ValueError:
            return self.Cause or self.Error
        if isinstance(cause, dict):
            return str(cause.get("errorMessage") or cause.get("Cause") or self.Error)
        return str(cause)


class StageResult(Billed):
    """What one stage reports to Finalize. `outputs` maps manifest output names to paths in the asset folder."""

    stage: StageName
    status: StageStatus
    seconds: float = 0.0
    error: str | None = None
    note: str | None = None
    outputs: dict[str, str] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    failure: StageError | None = None

    @property
    def error_reason(self) -> str | None:
        """The stage's own error, or the reason Step Functions caught for it."""
        return self.error or (self.failure.reason if self.failure else None)

    @classmethod
    def skipped(cls, stage: StageName, code: SkipCode, reason: str, **fields: Any) -> StageResult:
        """The stage did not run its work: `code` says why for programs (`details["skip"]`), `reason` for people."""
        details = {"skip": code.value, **fields.pop("details", {})}
        return cls(stage=stage, status=StageStatus.SKIPPED, note=reason, details=details, **fields)


SCENES_WITH_TRANSCODE = "measured on the transcode's chunks and joined in the transcode branch"
"""The note of the scenes branch's placeholder in the Parallel state's results, which the scenes result from the
transcode branch replaces before any step reads them (infra/pipeline.py)."""
NOT_REQUESTED = "not requested in the job's stages"
"""The note of a stage the job's `stages` option left out."""


SCENE_SPEECH_INPUTS: tuple[tuple[OptionalStage, SkipCode], ...] = (
    ("scenes", SkipCode.NO_SCENES), ("captions", SkipCode.NO_CAPTIONS))
"""What SceneSpeech works from, and its skip code without it (its handler, and the state machine's Choice that
does not invoke it when the job left one out)."""


def no_input_reason(needed: str, why: str) -> str:
    """The note of a step skipped because the stage it works from (`needed`) gave nothing to work from, and `why`."""
    return f"no {needed} to work from ({why})"


class AfterStagesInput(StageInput):
    """What the steps after the Parallel state get: the job, the probe and every branch's result."""

    stages: list[StageResult]


class FinalizeInput(JobInput):
    probe: ProbeResult | None = None
    stages: list[StageResult] = Field(default_factory=list)
    scene_speech: StageResult | None = None
    trailer: StageResult | None = None
    error: StageError | None = None
    failed_stage: Literal["probe", "pipeline"] | None = None


class FinalizeResult(Model):
    """What Finalize hands the state machine's Outcome choice: FAILED ends the execution failed, with `reason` as
    its cause."""

    status: JobStatus
    reason: str = ""
    manifest_key: str


class ManifestSource(Model):
    duration: float
    width: int
    height: int
    display_aspect: float
    fps: float
    has_audio: bool
    has_video: bool
    # Defaults: manifests written before timecodes were read still parse (the review page reads old ones too).
    timecode: str = Field(default="00:00:00:00", description="Timecode of the first video frame: the source's own, "
                          "else 00:00:00:00 (HH:MM:SS;FF when drop-frame)")
    drop_frame: bool = Field(default=False, description="Timecodes count in drop-frame (29.97 and 59.94 fps)")
    interlaced: bool = False
    hdr: Hdr | None = None
    audio_tracks: list[AudioTrack] = Field(default_factory=list, description="Every audio stream; the ladder, "
                                           "captions and scenes use the first")
    other_streams: list[OtherStream] = Field(default_factory=list, description="Streams no stage reads")


# Stage texts as recorded: a second line of defence behind the handlers, which raise clean messages.
RedactedText = Annotated[str | None, AfterValidator(redact_optional)]


class ManifestStage(Model):
    status: StageStatus
    seconds: float = 0.0
    error: RedactedText = None
    error_code: str | None = Field(default=None, description="The failure's type, as Step Functions caught it")
    note: RedactedText = None
    details: dict[str, Any] = Field(default_factory=dict, description="What the stage measured (counts, language)")


class HlsSubtitlesStatus(StrEnum):
    WRITTEN = "WRITTEN"  # a subtitle rendition with cues is in the ladder
    EMPTY = "EMPTY"  # a valid rendition whose segments hold no cues (no speech)
    NONE = "NONE"  # no rendition: the ladder or the captions are missing; the master is the transcoder's


class HlsSubtitles(Model):
    """Whether the captions made it into the HLS ladder as a subtitle rendition, and why not."""

    status: HlsSubtitlesStatus
    language: str | None = None
    cues: int = 0
    segments: int = 0
    reason: RedactedText = None


class Manifest(Model):
    asset_id: str
    job_id: str
    status: JobStatus
    source_key: str
    source: ManifestSource | None = None
    stages: dict[str, ManifestStage]
    outputs: dict[str, str] = Field(default_factory=dict)
    hls_subtitles: HlsSubtitles | None = None
    created_at: str
    cost: CostReport | None = None
