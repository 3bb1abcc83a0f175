"""Ingest: resolve an uploaded object, record the Asset and Job, start exactly one execution."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, get_args, get_origin

from botocore.exceptions import ClientError
from pydantic import TypeAdapter, ValidationError

from functions.core.aws import client
from functions.core.ids import asset_id_for, job_id_for, key_candidates
from functions.core.models import DEFAULT_TENANT, TENANT_PATTERN, JobInput, JobOptions, ObjectRef
from functions.core.repository import Claim, Repository


# `<tenant>/uploads/<uuid>/<name>`: keys the Studio API reserves (POST /uploads), one job each.
API_UPLOAD_FOLDER = "uploads"


LATE_UPLOAD = {
    Claim.EXPIRED: "The upload arrived after its reservation expired; no job was started. Reserve a new upload.",
    Claim.UNRESERVED: "No reservation for this upload key (never made, or expired and removed); no job was started. "
                      "Reserve a new upload.",
}


def api_upload_prefix(tenant: str) -> str:
    return f"{tenant}/{API_UPLOAD_FOLDER}/"


@dataclass(frozen=True)
class JobStarted:
    job_id: str
    asset_id: str
    duplicate: bool
    # Why no job was started for an upload under a reserved key: the upload URL used again (TAKEN), or the
    # upload came after its reservation expired, or to a key never reserved (EXPIRED, UNRESERVED). None: started.
    refused: Claim | None = None


# Job options an editor can set on the upload itself, e.g.
# `aws s3 cp clip.mov s3://ingest/ --metadata caption-engine=whisper,trailer-seconds=20,stages="transcode;scenes"`:
# every JobOptions field, its name written with dashes. List values are written `a;b;c`.
METADATA_OPTIONS = {name.replace("_", "-"): name for name in JobOptions.model_fields}
LIST_OPTIONS = tuple(
    name for name, info in JobOptions.model_fields.items()
    if any(get_origin(arg) is list for arg in (info.annotation, *get_args(info.annotation)))
)
# One field at a time, so a bad value drops only itself; the cross-field rules run on the whole set.
_FIELD_ADAPTERS = {name: TypeAdapter(Annotated[info.annotation, info]) for name, info in JobOptions.model_fields.items()}
_TRANSCRIBE_OPTIONS = ("language_options", "transcribe_vocabulary")  # dropped in this order


def metadata_for(options: JobOptions) -> dict[str, str]:
    """The x-amz-meta-* values that ask for `options` (the inverse of options_from_metadata)."""
    values = options.model_dump(exclude_none=True, exclude_defaults=True)
    metadata = {}
    for header, field in METADATA_OPTIONS.items():
        value = values.get(field)
        if isinstance(value, list):
            metadata[header] = ";".join(map(str, value))
        elif isinstance(value, bool):
            metadata[header] = str(value).lower()
        elif value is not None:
            metadata[header] = str(value)
    return metadata


def options_from_metadata(metadata: dict[str, str]) -> tuple[JobOptions, list[str]]:
    """Job options from x-amz-meta-* values; returns the options and a problem per value ignored."""
    options: dict[str, object] = {}
    problems = []
    for header, field in METADATA_OPTIONS.items():
        if header not in metadata:
            continue
        value: object = metadata[header]
        if field in LIST_OPTIONS:
            value = [part for part in str(value).replace(" ", "").split(";") if part]
        try:
            _FIELD_ADAPTERS[field].validate_python(value)
        except ValidationError as exc:
            problems.append(f"{header}={metadata[header]!r} ignored: {exc.errors()[0]['msg']}")
            continue
        options[field] = value
    # Each value is valid alone; the Transcribe options also have rules across fields: drop them one by one.
    for field in _TRANSCRIBE_OPTIONS:
        try:
            return JobOptions.model_validate(options), problems
        except ValidationError as exc:
            if options.pop(field, None) is not None:
                problems.append(f"{field.replace('_', '-')} ignored: {exc.errors()[0]['msg']}")
    return JobOptions.model_validate(options), problems


def tenant_of_key(key: str, tenant_exists: Callable[[str], bool], default: str = DEFAULT_TENANT) -> str:
    """Whose upload this is: the tenant its key's first folder names (`<tenant>/...`) if that tenant exists,
    else the default tenant. Asking the directory keeps an editor's `footage/clip.mov` with the default
    tenant rather than inventing a tenant `footage`."""
    first, slash, _ = key.partition("/")
    if slash and re.fullmatch(TENANT_PATTERN, first) and (first == default or tenant_exists(first)):
        return first
    return default


def resolve_upload(bucket: str, key: str, version_id: str | None = None, *, literal: bool = False) -> ObjectRef | None:
    """HEAD the object under each way its key may have been encoded (only as given when `literal`: keys
    a caller typed are never URL-decoded); None if it is gone."""
    s3 = client("s3")
    for candidate in [key] if literal else key_candidates(key):
        params = {"Bucket": bucket, "Key": candidate} | ({"VersionId": version_id} if version_id else {})
        try:
            head = s3.head_object(**params)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound", "400"):
                continue
            raise
        return ObjectRef(
            bucket=bucket,
            key=candidate,
            version_id=head.get("VersionId") if head.get("VersionId") not in (None, "null") else None,
            etag=head["ETag"].strip('"'),
            size=head["ContentLength"],
            metadata=head.get("Metadata", {}),
            last_modified=head.get("LastModified"),
        )
    return None


def job_for(source: ObjectRef, options: JobOptions | None = None, job_id: str | None = None,
            tenant: str = DEFAULT_TENANT) -> JobInput:
    options = options or JobOptions()
    return JobInput(
        job_id=job_id or job_id_for(source, options),
        asset_id=asset_id_for(source.bucket, source.key, tenant),
        tenant=tenant,
        source=source,
        options=options,
    )


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN Step Functions gives the execution `name` of the state machine."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def start_job(job: JobInput, *, repo: Repository, state_machine_arn: str, title: str | None = None) -> JobStarted:
    """Idempotent: the Job item is written once, and the execution is named after the job id,
    so Step Functions refuses a second execution for the same upload. `repo` is the job's tenant's.

    A key the API reserved runs for the first version uploaded to it only, if S3 stored it before the
    reservation expired: a reused upload URL (or any later write there) starts nothing, so the API's quota
    bounds the work too; a late upload starts nothing either, and its asset records why."""
    if job.source.key.startswith(api_upload_prefix(job.tenant)):
        uploaded_at = job.source.last_modified or datetime.now(UTC)
        claim = repo.claim_upload(job.asset_id, job.source.version_id or job.source.etag or "", uploaded_at)
        if claim in (Claim.EXPIRED, Claim.UNRESERVED):
            repo.expire_upload(job.asset_id, job.source.bucket, job.source.key, LATE_UPLOAD[claim])
        if claim != Claim.CLAIMED:
            return JobStarted(job.job_id, job.asset_id, duplicate=False, refused=claim)
    repo.put_asset(job, title)
    created = repo.create_job(job)
    execution = job.model_copy(update={"execution_arn": execution_arn(state_machine_arn, job.job_id)})
    try:
        client("stepfunctions").start_execution(stateMachineArn=state_machine_arn, name=job.job_id,
                                                input=execution.model_dump_json())
    except client("stepfunctions").exceptions.ExecutionAlreadyExists:
        return JobStarted(job.job_id, job.asset_id, duplicate=True)
    return JobStarted(job.job_id, job.asset_id, duplicate=not created)
