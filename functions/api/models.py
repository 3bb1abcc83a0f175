"""The Studio API's request and response bodies. The OpenAPI document is generated from these.

Requests are strict (unknown fields are refused with 422, so a typo never passes silently);
responses are what the handlers build from the table and the buckets.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.core.models import (
    AUTO_LANGUAGE,
    TRANSCRIBE_VOCABULARY_PATTERN,
    CaptionEngineName,
    JobOptions,
    JobStatus,
    LabelEngineName,
    StageStatus,
    TranscribeLanguage,
    check_transcribe_options,
)

ANALYSIS_STAGES = ("transcode", "captions", "scenes", "trailer")
# Not a path, not hidden, no control characters: the name becomes the last part of an S3 key.
_BAD_FILENAME = re.compile(r"[/\\\x00-\x1f\x7f]")

Id = Annotated[str, Field(min_length=1, max_length=64, description="An asset or job id")]
TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
Tag = Annotated[str, Field(min_length=1, max_length=64, pattern=TAG_PATTERN,
                           description="A scene tag, e.g. `faces`, `dark`, `high-motion` (case-insensitive)")]
NextToken = Annotated[str, Field(min_length=1, max_length=2048, description="From the previous page's next_token")]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ---- requests ----------------------------------------------------------------------------------
class JobOptionsRequest(Request):
    caption_engine: CaptionEngineName | None = None
    label_engine: LabelEngineName | None = Field(
        default=None, description="Scene keyframe labels: `none` (default) or `rekognition` (Amazon Rekognition)")
    language: str = Field(default="en-US",
                          pattern=rf"^({AUTO_LANGUAGE}|[a-z]{{2,3}}(-[A-Z][a-z]{{3}})?(-([A-Z]{{2}}|[0-9]{{3}}))?)$",
                          description=f"BCP 47 language tag of the speech, e.g. `en-US`, or `{AUTO_LANGUAGE}` to "
                                      "identify it")
    trailer_seconds: float | None = Field(default=None, gt=0, le=600)
    stages: list[Literal[ANALYSIS_STAGES]] | None = Field(  # type: ignore[valid-type]
        default=None, min_length=1, max_length=len(ANALYSIS_STAGES), description="Stages to run (default: all)"
    )
    renditions: list[Annotated[int, Field(ge=144, le=2160, multiple_of=2)]] | None = Field(
        default=None, min_length=1, max_length=8, description="HLS rung heights, e.g. [720, 480]"
    )
    trailer_title: str | None = Field(default=None, min_length=1, max_length=80,
                                      description="Title card text for the trailer")
    burn_captions: bool = Field(default=False, description="Burn the captions into the trailer")
    transcribe_vocabulary: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=TRANSCRIBE_VOCABULARY_PATTERN,
        description="Amazon Transcribe custom vocabulary to apply (caption engine `transcribe`)")
    language_options: list[TranscribeLanguage] | None = Field(
        default=None, min_length=2, max_length=5,
        description=f"Languages the speech may be in, with language `{AUTO_LANGUAGE}` (caption engine `transcribe`); "
                    "required when a vocabulary is combined with `auto`")
    speaker_labels: bool = Field(default=False, description="Label each word and cue with its speaker "
                                                            "(caption engine `transcribe`)")
    max_speakers: int | None = Field(default=None, ge=2, le=30,
                                     description="Most speakers to tell apart; implies speaker_labels")

    @field_validator("stages", "renditions", "language_options")
    @classmethod
    def _unique(cls, value: list | None) -> list | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("must not repeat a value")
        return value

    @model_validator(mode="after")
    def _transcribe_options_agree(self) -> JobOptionsRequest:
        check_transcribe_options(self.language, self.language_options, self.transcribe_vocabulary)
        return self

    def to_job_options(self) -> JobOptions:
        return JobOptions.model_validate(self.model_dump(exclude_none=True))


class UploadRequest(Request):
    filename: str = Field(min_length=1, max_length=255, description="File name of the upload, e.g. `take 1.mov`",
                          examples=["interview.mp4"])
    content_type: str | None = Field(
        default=None, max_length=127, pattern=r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$",
        description="Signed into the URL: the PUT must send this Content-Type", examples=["video/mp4"],
    )
    title: str | None = Field(default=None, min_length=1, max_length=200)
    options: JobOptionsRequest | None = Field(
        default=None, description="Job options for the upload's job: signed into the URL as x-amz-meta-* headers, "
                                  "which the PUT must send (see upload_headers)",
    )

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if _BAD_FILENAME.search(value) or value in (".", "..") or value.startswith("."):
            raise ValueError("must be a plain file name: no slashes, control characters or leading dot")
        return value


class JobRequest(Request):
    """Start (or re-run with new options) a job on an asset, or on any object already in the ingest bucket."""

    asset_id: Id | None = None
    source_key: str | None = Field(default=None, min_length=1, max_length=1024,
                                   description="Object key in the ingest bucket")
    options: JobOptionsRequest = Field(default_factory=JobOptionsRequest)

    @model_validator(mode="after")
    def _one_source(self) -> JobRequest:
        if (self.asset_id is None) == (self.source_key is None):
            raise ValueError("give exactly one of asset_id and source_key")
        return self


# ---- responses ---------------------------------------------------------------------------------
class ErrorDetail(Body):
    code: str = Field(examples=["NotFound"])
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorBody(Body):
    error: ErrorDetail


class UploadCreated(Body):
    asset_id: str
    bucket: str
    key: str
    upload_url: str = Field(description="Presigned URL: PUT the file's bytes to it")
    upload_method: Literal["PUT"] = "PUT"
    upload_headers: dict[str, str] = Field(default_factory=dict, description="Headers the PUT must send")
    expires_at: str


class JobAccepted(Body):
    job_id: str
    asset_id: str
    status: JobStatus
    duplicate: bool = Field(description="True when the same source version with the same options already has "
                                        "this job: no new execution was started")


class StageOut(Body):
    status: StageStatus
    seconds: float = 0.0
    error: str | None = None
    note: str | None = None


class SourceRef(Body):
    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None


class JobSummary(Body):
    job_id: str
    asset_id: str
    status: JobStatus
    created_at: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None
    error: str | None = None


class Job(JobSummary):
    source: SourceRef | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    started_at: str | None = None
    cancelled_at: str | None = None
    stages: dict[str, StageOut] = Field(default_factory=dict, description="Per-stage results, once finalized")
    outputs: dict[str, str] = Field(default_factory=dict, description="Output name -> path in the asset folder")
    execution_status: str | None = Field(default=None, description="Step Functions' view, for unfinished jobs")


class JobPage(Body):
    items: list[JobSummary]
    next_token: str | None = None


class OutputLink(Body):
    path: str = Field(description="Path relative to the asset folder")
    url: str = Field(description="Presigned GET")


class Outputs(Body):
    job_id: str
    status: JobStatus
    expires_at: str
    manifest_url: str
    links: dict[str, OutputLink]


class AssetSummary(Body):
    asset_id: str
    title: str | None = None
    source_bucket: str | None = None
    source_key: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    latest_job_id: str | None = None


class Asset(AssetSummary):
    status: str = Field(description="The latest job's status, or AWAITING_UPLOAD before the first job")
    source_info: dict[str, Any] | None = Field(default=None, description="What probing found")
    transcript: dict[str, Any] | None = Field(default=None, description="The captions stage's summary")
    latest_job: JobSummary | None = None
    outputs: Outputs | None = Field(default=None, description="Links to the outputs in the latest manifest")


class AssetPage(Body):
    items: list[AssetSummary]
    next_token: str | None = None


class SceneLabel(Body):
    name: str
    confidence: float


class Scene(Body):
    asset_id: str
    index: int
    start: float
    end: float
    duration: float | None = None
    start_timecode: str | None = None
    end_timecode: str | None = None
    tags: list[str] = Field(default_factory=list)
    labels: list[SceneLabel] = Field(default_factory=list, description="From the job's label engine, if any")
    thumbnail: str | None = Field(default=None, description="Object key of the scene's thumbnail")
    thumbnail_url: str | None = None


class ScenePage(Body):
    items: list[Scene]
    next_token: str | None = None


class AssetDeleted(Body):
    asset_id: str
    deleted_objects: int
    deleted_records: int
    source_purged: bool
