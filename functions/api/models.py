"""The Studio API's request and response bodies. The OpenAPI document is generated from these.

Requests are strict (unknown fields are refused with 422, so a typo never passes silently);
responses are what the handlers build from the table and the buckets.
"""
from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.core.cost.models import CostReport
from functions.core.models import (
    AUTO_LANGUAGE,
    OPTIONAL_STAGES,
    TRANSCRIBE_VOCABULARY_PATTERN,
    CaptionEngineName,
    JobOptions,
    JobStatus,
    LabelEngineName,
    ManifestStage,
    ObjectRef,
    OptionalStage,
    TranscribeLanguage,
    VideoCodec,
    check_transcribe_options,
)

# The name becomes the last part of an S3 key, shown to editors: after NFKC (which folds fullwidth and
# compatibility forms), only letters, marks, numbers, punctuation, symbols and the plain space, and none of the
# characters that draw a slash. No control or format characters (bidi overrides, zero-width) but the joiner
# emoji sequences need.
_SLASH_LIKE = frozenset("/\\\u2044\u2215\u2216\u29f8\u29f9\u2571\u2572\u27cb\u27cd\u2afb\u2afd\u3033\u1735")
_ALLOWED_FORMAT = frozenset("\u200d")
# S3's limits: one PUT or POST carries at most 5 GiB; a multipart upload has parts of 5 MiB to 5 GiB (the
# last may be smaller), at most 10,000 of them, and at most 5 TiB in all.
MAX_SINGLE_UPLOAD_BYTES = 5 * 1024**3
MIN_PART_BYTES, MAX_PART_BYTES, MAX_PARTS = 5 * 1024**2, 5 * 1024**3, 10_000
MAX_UPLOAD_BYTES = 5 * 1024**4
MAX_FILENAME_BYTES = 255  # as on common file systems; keeps `<tenant>/uploads/<uuid>/<name>` far below S3's 1,024
MAX_KEY_BYTES = 1024

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
    stages: list[OptionalStage] | None = Field(
        default=None, min_length=1, max_length=len(OPTIONAL_STAGES), description="Stages to run (default: all)"
    )
    renditions: list[Annotated[int, Field(ge=144, le=2160, multiple_of=2)]] | None = Field(
        default=None, min_length=1, max_length=8, description="HLS rung heights, e.g. [720, 480]"
    )
    video_codec: VideoCodec = Field(
        default=VideoCodec.H264, description="The HLS ladder's video codec: `h264` (H.264 High in MPEG-TS segments, "
        "plays everywhere) or `hevc` (HEVC Main in fMP4 segments at about 60% of the bit rate, for players that "
        "decode HEVC, such as Apple's; about 3x the encode time)")
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
    max_cost_usd: float | None = Field(default=None, gt=0, description="Refuse the job before any encode if its "
                                       "estimated cost is higher (US dollars; default: the stack's, if set)")
    max_duration_seconds: float | None = Field(default=None, gt=0, description="Refuse the job before any encode "
                                               "if its estimated run time in AWS is longer (seconds)")

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
        default=None, description="Job options for the upload's job: signed into the upload as x-amz-meta-* "
                                  "fields (see upload_fields)",
    )
    size: int | None = Field(
        default=None, ge=1, le=MAX_UPLOAD_BYTES,
        description="The file's size in bytes: the upload may be no larger. Needed for a multipart upload; "
                    "without it a single upload may be up to 5 GiB",
    )
    multipart: bool = Field(
        default=False, description="Upload in parts (always, for files over 5 GiB): part URLs from "
                                   "POST /uploads/{asset_id}/parts, then POST /uploads/{asset_id}/complete",
    )
    part_size: int | None = Field(default=None, ge=MIN_PART_BYTES, le=MAX_PART_BYTES,
                                  description="Bytes per part of a multipart upload (default: the smallest "
                                              "of at least 64 MiB that needs no more than 10,000 parts)")

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return plain_filename(value)

    @model_validator(mode="after")
    def _parts(self) -> UploadRequest:
        if self.size is not None and self.size > MAX_SINGLE_UPLOAD_BYTES:
            self.multipart = True
        if self.multipart and self.size is None:
            raise ValueError("a multipart upload needs its size")
        if self.multipart and self.size is not None and -(-self.size // self.chosen_part_size) > MAX_PARTS:
            raise ValueError(f"part_size makes more than {MAX_PARTS} parts")
        return self

    @property
    def chosen_part_size(self) -> int:
        if self.part_size:
            return self.part_size
        size = self.size or 0
        return max(64 * 1024**2, -(-size // MAX_PARTS))


class PartsRequest(Request):
    """Presigned URLs for some parts of a multipart upload."""

    part_numbers: list[Annotated[int, Field(ge=1, le=MAX_PARTS)]] = Field(min_length=1, max_length=100)


class UploadedPart(Request):
    part_number: int = Field(ge=1, le=MAX_PARTS)
    etag: str = Field(min_length=1, max_length=128, description="The ETag header S3 answered the part's PUT with")


class CompleteRequest(Request):
    parts: list[UploadedPart] = Field(min_length=1, max_length=MAX_PARTS)


def plain_filename(value: str) -> str:
    """`value` NFKC-normalised, or ValueError if it is not a plain file name (see _SLASH_LIKE)."""
    name = unicodedata.normalize("NFKC", value)
    if name in (".", "..") or name.startswith(".") or not name.strip():
        raise ValueError("must be a plain file name, not hidden")
    for char in name:
        category = unicodedata.category(char)
        if char in _SLASH_LIKE or category in ("Zl", "Zp") or (category == "Zs" and char != " ") or (
                category[0] == "C" and char not in _ALLOWED_FORMAT):
            raise ValueError(f"must not contain U+{ord(char):04X} (a slash, control or format character)")
    if len(name.encode()) > MAX_FILENAME_BYTES:
        raise ValueError(f"must be at most {MAX_FILENAME_BYTES} bytes in UTF-8")
    return name


class JobRequest(Request):
    """Start (or re-run with new options) a job on an asset, or on any object already in the ingest bucket."""

    asset_id: Id | None = None
    source_key: str | None = Field(default=None, min_length=1, max_length=MAX_KEY_BYTES,
                                   description="Object key in the ingest bucket, under your tenant's folder "
                                               "(`<tenant>/...`), taken literally (no URL-decoding)")
    options: JobOptionsRequest = Field(default_factory=JobOptionsRequest)

    @field_validator("source_key")
    @classmethod
    def _key_bytes(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            size = len(value.encode())
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode (no lone surrogates)") from None
        if size > MAX_KEY_BYTES:
            raise ValueError(f"must be at most {MAX_KEY_BYTES} bytes in UTF-8")
        return value

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


class MultipartUpload(Body):
    upload_id: str
    part_size: int = Field(description="Bytes in every part but the last")
    part_count: int
    parts_url: str = Field(description="POST {part_numbers} here for presigned part URLs (PUT each part's bytes)")
    complete_url: str = Field(description="POST {parts: [{part_number, etag}]} here once every part is up")


class UploadCreated(Body):
    asset_id: str
    bucket: str
    key: str
    upload_method: Literal["POST", "MULTIPART"] = Field(
        description="POST: a multipart/form-data POST to upload_url with upload_fields, then the file as `file`; "
                    "MULTIPART: see multipart")
    upload_url: str | None = Field(default=None, description="Where to POST the form (upload_method POST)")
    upload_fields: dict[str, str] = Field(default_factory=dict, description="Form fields the POST must send, "
                                                                            "before the file")
    max_bytes: int = Field(description="The largest file the upload accepts")
    multipart: MultipartUpload | None = None
    expires_at: str = Field(description="When the upload URL (or the first part URLs) stop working")
    reserved_until: str = Field(description="The upload must reach S3 before this (URL expiry plus time for the "
                                            "transfer; a day for multipart); a later one starts no job and the "
                                            "asset reads EXPIRED")


class PartUrl(Body):
    part_number: int
    url: str = Field(description="Presigned PUT for this part's bytes")


class PartUrls(Body):
    parts: list[PartUrl]
    expires_at: str


class UploadCompleted(Body):
    asset_id: str
    key: str
    size: int


class JobAccepted(Body):
    job_id: str
    asset_id: str
    status: JobStatus
    duplicate: bool = Field(description="True when the same source version with the same options already has "
                                        "this job: no new execution was started")


class StageOut(ManifestStage):
    """One stage's result, as the manifest and the job record keep it."""


class SourceRef(ObjectRef):
    """The source object the job read, pinned to its version (or ETag)."""


class JobSummary(Body):
    job_id: str
    asset_id: str
    status: JobStatus
    created_at: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    error_code: str | None = Field(default=None, description="Set when the execution ended without recording "
                                   "results: ExecutionTimedOut, ExecutionAborted or ExecutionFailed")


class Job(JobSummary):
    source: SourceRef | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    started_at: str | None = None
    cancelled_at: str | None = None
    stages: dict[str, StageOut] = Field(default_factory=dict, description="Per-stage results, once finalized")
    outputs: dict[str, str] = Field(default_factory=dict, description="Output name -> path in the asset folder")
    execution_status: str | None = Field(default=None, description="Step Functions' view, for unfinished jobs")
    cost: CostReport | None = Field(default=None, description="What the job cost, measured once it finished")


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


class Playback(Body):
    """Signed access to the asset's folder on the playback distribution (CloudFront): one custom policy whose
    resource is every URL under the folder, carried as a signed URL's query or as signed cookies."""

    master_url: str | None = Field(default=None, description="The HLS master playlist as a signed URL: give it to "
                                                             "any HLS player (null without an HLS ladder)")
    review_url: str | None = Field(default=None, description="The review page as a signed URL: open it in a browser "
                                                             "(null without a review page)")
    resource: str = Field(description="What the policy covers: `https://<distribution>/assets/<asset_id>/*`")
    expires_at: str = Field(description="When the policy stops granting access")
    query: str = Field(description="`Policy=...&Signature=...&Key-Pair-Id=...`: valid on any URL under `resource`. "
                                   "A signed URL's response also sets them as cookies for the folder, so players "
                                   "that keep cookies need nothing else; others append this to every request")
    cookies: dict[str, str] = Field(description="The same values as CloudFront signed cookies (`CloudFront-Policy`, "
                                                "`CloudFront-Signature`, `CloudFront-Key-Pair-Id`), for players "
                                                "that send cookie headers")
    cookie_domain: str = Field(description="The distribution's host: where the cookies apply")
    cookie_path: str = Field(description="`/assets/<asset_id>/`: the folder the cookies apply to")


class Asset(AssetSummary):
    status: str = Field(description="The latest job's status; before the first job AWAITING_UPLOAD, or EXPIRED "
                                    "once the reservation ran out without an upload or the upload came after it")
    reserved_until: str | None = Field(default=None, description="Until when a reserved upload may arrive "
                                                                 "(AWAITING_UPLOAD)")
    error: str | None = Field(default=None, description="Why the asset has no job (EXPIRED)")
    source_info: dict[str, Any] | None = Field(default=None, description="What probing found")
    transcript: dict[str, Any] | None = Field(default=None, description="The captions stage's summary")
    latest_job: JobSummary | None = None
    outputs: Outputs | None = Field(default=None, description="Links to the outputs in the latest manifest")
    review_url: str | None = Field(default=None, description="The review page (playback.review_url); null when the "
                                                             "stack has no playback distribution or no page exists")
    playback: Playback | None = Field(default=None, description="What a player needs to play the outputs through "
                                                                "the playback distribution; null without one")
    cost: CostReport | None = Field(default=None, description="What the latest job cost, once it finished")


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
    source_purged: bool = Field(description="The source got a delete marker (or, with erase, lost every version)")
    source_erased: bool = Field(default=False, description="Every version of the source was deleted")
