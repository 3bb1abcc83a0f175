"""What the Studio API does, behind its routes: uploads, jobs, assets and scenes.

Jobs start the one way every job starts (`functions.core.ingest`): resolve the source with a HEAD,
build the JobInput with `job_for`, and `start_job`. The route handlers only translate HTTP.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from functions.api import models as m
from functions.api.errors import BadRequest, Conflict, NotFound, SourceNotPurgeable, UploadExpired, UploadTooLarge
from functions.api.models import MAX_KEY_BYTES
from functions.api.pagination import decode_token, encode_token
from functions.core import aws
from functions.core.ids import asset_id_for
from functions.core.ingest import (
    LATE_UPLOAD,
    api_upload_prefix,
    job_for,
    metadata_for,
    resolve_upload,
    start_job,
    tenant_of_key,
)
from functions.core.models import DEFAULT_TENANT, JobStatus, Manifest
from functions.core.observability import logger
from functions.core.playback import MASTER, REVIEW, PlaybackKeyInvalid, SignedAccess, load_private_key, sign_asset
from functions.core.repository import (
    RESERVATION_EXPIRES,
    UPLOAD_EXPIRED,
    Claim,
    Listing,
    Repository,
    TenantDirectory,
    now_iso,
    reservation_state,
)
from functions.core.s3io import delete_prefix
from functions.core.settings import INCOMPLETE_UPLOAD_DAYS, asset_prefix

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
UNUSED_RESERVATION = "No upload arrived before the reservation expired. Reserve a new upload."
# What Step Functions' view of an execution means for a job whose record still says it is active.
EXECUTION_OUTCOME = {"ABORTED": JobStatus.CANCELLED, "FAILED": JobStatus.FAILED, "TIMED_OUT": JobStatus.FAILED}


@dataclass(frozen=True)
class ApiConfig:
    table_name: str
    output_bucket: str
    ingest_bucket: str
    state_machine_arn: str
    upload_url_seconds: int = 900
    # A POST that starts just before its URL expires still has to travel: the reservation lasts this much longer.
    upload_grace_seconds: int = 3600
    download_url_seconds: int = 3600
    default_tenant: str = DEFAULT_TENANT  # must match the Ingest function's DEFAULT_TENANT
    # The playback distribution (infra/playback.py); all None when the stack has none.
    playback_base_url: str | None = None
    playback_key_pair_id: str | None = None
    playback_key_secret: str | None = None
    playback_url_seconds: int = 4 * 3600

    @classmethod
    def from_env(cls) -> ApiConfig:
        env = os.environ
        return cls(
            table_name=env["TABLE_NAME"],
            output_bucket=env["OUTPUT_BUCKET"],
            ingest_bucket=env["INGEST_BUCKET"],
            state_machine_arn=env["STATE_MACHINE_ARN"],
            upload_url_seconds=int(env.get("UPLOAD_URL_SECONDS", 900)),
            upload_grace_seconds=int(env.get("UPLOAD_GRACE_SECONDS", 3600)),
            download_url_seconds=int(env.get("DOWNLOAD_URL_SECONDS", 3600)),
            default_tenant=env.get("DEFAULT_TENANT", DEFAULT_TENANT),
            # PLAYBACK_URL overrides the https://<domain> form (the local runtime's distribution is plain HTTP).
            playback_base_url=env.get("PLAYBACK_URL") or (
                f"https://{env['PLAYBACK_DOMAIN']}" if env.get("PLAYBACK_DOMAIN") else None),
            playback_key_pair_id=env.get("PLAYBACK_KEY_PAIR_ID"),
            playback_key_secret=env.get("PLAYBACK_KEY_SECRET"),
            playback_url_seconds=int(env.get("PLAYBACK_URL_SECONDS", 4 * 3600)),
        )


def _s3():
    return _presigning_s3(os.environ.get("AWS_ENDPOINT_URL"))


@cache
def _presigning_s3(endpoint: str | None):
    # SigV4 presigning; "auto" addressing keeps path-style URLs for a loopback endpoint (reelflow serve).
    # Cached per endpoint, like functions.core.aws.
    return boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "auto"}))


def _sfn():
    return aws.client("stepfunctions")


def playback_block(access: SignedAccess, outputs: dict[str, str]) -> m.Playback:
    """What a player needs, from one signed policy over the asset's folder and the manifest's outputs."""
    master = outputs.get("hls_master")
    review = outputs.get("review")
    return m.Playback(
        master_url=access.url(master) if master == MASTER else None,
        review_url=access.url(review) if review == REVIEW else None,
        resource=access.resource, expires_at=_iso(access.expires), query=access.query, cookies=access.cookies,
        cookie_domain=access.base_url.split("://", 1)[1], cookie_path=access.cookie_path)


def _signing_key(secret_id: str):
    """The playback private key from its secret, cached for 5 minutes (Powertools parameters)."""
    from aws_lambda_powertools.utilities import parameters

    return load_private_key(parameters.get_secret(secret_id, max_age=300))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _expiry(seconds: int) -> str:
    return _iso(datetime.now(UTC) + timedelta(seconds=seconds))


def _epoch_iso(seconds: int | float) -> str:
    return _iso(datetime.fromtimestamp(int(seconds), UTC))


class StudioService:
    """One tenant's view: every read, listing and change goes through a repository scoped to `tenant`,
    so another tenant's ids are unknown ids (404), not forbidden ones."""

    def __init__(self, config: ApiConfig, tenant: str) -> None:
        self.config = config
        self.tenant = tenant
        self.repo = Repository(config.table_name, tenant)

    @property
    def upload_prefix(self) -> str:
        """Where this tenant's API uploads go: the first folder names the tenant, as ingest expects."""
        return api_upload_prefix(self.tenant)

    # ---- uploads ---------------------------------------------------------------------------------
    def create_upload(self, request: m.UploadRequest) -> m.UploadCreated:
        """A fresh key and a short-lived way to write it, no larger than asked: a presigned POST whose policy
        holds the size range, or a multipart upload for big files. The finished upload takes the normal
        event path to ingest, which runs one job for it."""
        bucket = self.config.ingest_bucket
        key = f"{self.upload_prefix}{uuid.uuid4().hex}/{request.filename}"
        if len(key.encode()) > MAX_KEY_BYTES:
            raise BadRequest(f"The file name makes an object key over {MAX_KEY_BYTES} bytes")
        asset_id = asset_id_for(bucket, key, self.tenant)  # what ingest will compute for this object
        # The same x-amz-meta-* options an editor can set on any upload; ingest reads them.
        metadata = metadata_for(request.options.to_job_options()) if request.options else {}
        seconds, now = self.config.upload_url_seconds, datetime.now(UTC)
        if request.multipart:
            # S3 aborts a multipart upload this long after it began (lifecycle rule): the reservation ends with it.
            reserved_until = now + timedelta(days=INCOMPLETE_UPLOAD_DAYS)
            size, part_size = request.size or 0, request.chosen_part_size
            params = {"Bucket": bucket, "Key": key, "Metadata": metadata}
            if request.content_type:
                params["ContentType"] = request.content_type
            upload_id = _s3().create_multipart_upload(**params)["UploadId"]
            self.repo.reserve_asset(asset_id, bucket, key, reserved_until, request.title,
                                    upload={"upload_id": upload_id, "upload_size": size, "part_size": part_size})
            return m.UploadCreated(
                asset_id=asset_id, bucket=bucket, key=key, upload_method="MULTIPART", max_bytes=size,
                multipart=m.MultipartUpload(upload_id=upload_id, part_size=part_size, part_count=-(-size // part_size),
                                            parts_url=f"/uploads/{asset_id}/parts",
                                            complete_url=f"/uploads/{asset_id}/complete"),
                expires_at=_expiry(seconds), reserved_until=_iso(reserved_until))
        reserved_until = now + timedelta(seconds=seconds + self.config.upload_grace_seconds)
        max_bytes = request.size or m.MAX_SINGLE_UPLOAD_BYTES
        fields = {f"x-amz-meta-{name}": value for name, value in metadata.items()}
        if request.content_type:
            fields["Content-Type"] = request.content_type
        post = _s3().generate_presigned_post(
            bucket, key, Fields=fields, ExpiresIn=seconds,
            Conditions=[["content-length-range", 1, max_bytes], *({name: v} for name, v in fields.items())])
        self.repo.reserve_asset(asset_id, bucket, key, reserved_until, request.title)
        return m.UploadCreated(asset_id=asset_id, bucket=bucket, key=key, upload_method="POST", upload_url=post["url"],
                               upload_fields=post["fields"], max_bytes=max_bytes, expires_at=_expiry(seconds),
                               reserved_until=_iso(reserved_until))

    def part_urls(self, asset_id: str, request: m.PartsRequest) -> m.PartUrls:
        record = self._multipart_record(asset_id)
        count = -(-int(record["upload_size"]) // int(record["part_size"]))
        if any(n > count for n in request.part_numbers):
            raise BadRequest(f"This upload has {count} parts")
        seconds = self.config.upload_url_seconds
        urls = [m.PartUrl(part_number=n, url=_s3().generate_presigned_url(
            "upload_part", ExpiresIn=seconds, Params={"Bucket": record["source_bucket"], "Key": record["source_key"],
                                                      "UploadId": record["upload_id"], "PartNumber": n}))
            for n in sorted(set(request.part_numbers))]
        return m.PartUrls(parts=urls, expires_at=_expiry(seconds))

    def complete_upload(self, asset_id: str, request: m.CompleteRequest) -> m.UploadCompleted:
        """Join the parts, unless together they exceed the size reserved: then the upload is aborted (the
        parts are deleted) and refused."""
        record = self._multipart_record(asset_id)
        bucket, key, upload_id = record["source_bucket"], record["source_key"], record["upload_id"]
        try:
            sizes = {p["PartNumber"]: p["Size"] for page in _s3().get_paginator("list_parts").paginate(
                Bucket=bucket, Key=key, UploadId=upload_id) for p in page.get("Parts", [])}
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchUpload", "404"):
                raise Conflict("This upload was already completed or aborted") from None
            raise
        total = sum(sizes.get(p.part_number, 0) for p in request.parts)
        if total > int(record["upload_size"]):
            self._abort_upload(record)
            raise UploadTooLarge(f"The parts hold {total} bytes; the upload was reserved for {record['upload_size']}")
        if any(p.part_number not in sizes for p in request.parts):
            raise BadRequest("A part named was never uploaded")
        parts = [{"PartNumber": p.part_number, "ETag": p.etag} for p in sorted(request.parts, key=lambda p: p.part_number)]
        try:
            _s3().complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall"):
                raise BadRequest("S3 refused the parts as listed (wrong ETag, order, or a part under 5 MiB)") from None
            raise
        return m.UploadCompleted(asset_id=asset_id, key=key, size=total)

    def _abort_upload(self, record: dict) -> None:
        """Drop the parts of a multipart upload never completed (a completed one is already gone)."""
        try:
            _s3().abort_multipart_upload(Bucket=record["source_bucket"], Key=record["source_key"],
                                         UploadId=record["upload_id"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("NoSuchUpload", "404"):
                raise

    def _multipart_record(self, asset_id: str) -> dict:
        """The reservation of a multipart upload still open; an expired one is aborted (S3's lifecycle rule would
        abort it about now anyway) and refused."""
        record = self._asset_record(asset_id)
        if not record.get("upload_id"):
            raise NotFound(f"Asset {asset_id} has no multipart upload")
        if reservation_state(record) == UPLOAD_EXPIRED:
            self._abort_upload(record)
            raise UploadExpired(f"Asset {asset_id}'s upload reservation expired; reserve a new upload")
        return record

    # ---- jobs ------------------------------------------------------------------------------------
    def start(self, request: m.JobRequest) -> m.JobAccepted:
        """A job on one of the tenant's assets, or on a key the tenant owns (as ingest decides: under its
        folder `<tenant>/`, or for the default tenant any key outside every tenant's folder); any other key is
        answered like a missing one, so a tenant never makes an asset of what it does not own."""
        version = None
        if request.asset_id is not None:
            asset = self._asset_record(request.asset_id)
            bucket, key = asset["source_bucket"], asset["source_key"]
            version = asset.get("upload_version") if asset.get("uploaded_by_api") else None  # the one its upload made
        else:
            bucket, key = self.config.ingest_bucket, request.source_key or ""
        owned = tenant_of_key(key, TenantDirectory(self.config.table_name).exists,
                              self.config.default_tenant) == self.tenant
        source = resolve_upload(bucket, key, version, literal=True) if owned else None
        if source is None:
            raise NotFound("The source does not exist (not uploaded yet, or deleted)")
        job = job_for(source, request.options.to_job_options(), tenant=self.tenant)
        started = start_job(job, repo=self.repo, state_machine_arn=self.config.state_machine_arn)
        if started.refused in LATE_UPLOAD:
            raise UploadExpired(LATE_UPLOAD[started.refused])
        if started.refused == Claim.TAKEN:
            raise Conflict("This upload's key already has its job; a new version there starts nothing. "
                           "Re-run the asset with asset_id, or reserve a new upload")
        record = self.repo.get_job(started.job_id) or {}
        return m.JobAccepted(job_id=started.job_id, asset_id=started.asset_id,
                             status=record.get("status", JobStatus.QUEUED), duplicate=started.duplicate)

    def job(self, job_id: str) -> m.Job:
        record = self._job_record(job_id)
        job = m.Job.model_validate(record)
        if job.status in ACTIVE:
            execution = self._execution_status(job_id)
            job.execution_status = execution
            if execution in EXECUTION_OUTCOME:
                job.status = self._settle(job_id, EXECUTION_OUTCOME[execution], execution)
        return job

    def _settle(self, job_id: str, status: JobStatus, execution: str) -> JobStatus:
        """Read repair: the execution ended without Finalize settling the record (it was stopped, or
        Finalize itself failed). Record what really happened."""
        if status == JobStatus.CANCELLED:
            self.repo.cancel_job(job_id, ACTIVE)
        else:
            self.repo.update_job(job_id, status, error=f"The execution ended {execution} before the job was finalized",
                                 finished_at=now_iso())
        return status

    def jobs(self, status: JobStatus | None, limit: int, next_token: str | None) -> m.JobPage:
        listing = self.repo.jobs_listing(status)
        items, last = self.repo.page(listing, limit=limit, start_key=decode_token(next_token, listing))
        return m.JobPage(items=[m.JobSummary.model_validate(i) for i in items], next_token=encode_token(listing, last))

    def cancel(self, job_id: str) -> m.Job:
        job = self.job(job_id)
        if job.status not in ACTIVE:
            raise Conflict(f"Job {job_id} is {job.status.value}: only QUEUED or RUNNING jobs can be cancelled")
        try:
            _sfn().stop_execution(executionArn=self._execution_arn(job_id), error="Cancelled",
                                  cause="Cancelled through the Studio API")
        except _sfn().exceptions.ExecutionDoesNotExist:
            pass  # not started yet: the CANCELLED record is what counts
        if not self.repo.cancel_job(job_id, ACTIVE):
            raise Conflict(f"Job {job_id} finished before it could be cancelled")
        return self.job(job_id)

    # ---- assets ----------------------------------------------------------------------------------
    def asset(self, asset_id: str) -> m.Asset:
        record = self._asset_record(asset_id)
        latest = self.repo.get_job(record["latest_job_id"]) if record.get("latest_job_id") else None
        summary = m.JobSummary.model_validate(latest) if latest else None
        expired = reservation_state(record) == UPLOAD_EXPIRED
        return m.Asset(
            **m.AssetSummary.model_validate(record).model_dump(),
            status=summary.status.value if summary else UPLOAD_EXPIRED if expired else "AWAITING_UPLOAD",
            reserved_until=_epoch_iso(record[RESERVATION_EXPIRES]) if RESERVATION_EXPIRES in record else None,
            error=(record.get("upload_error") or UNUSED_RESERVATION) if expired else None,
            source_info=record.get("source"),
            transcript=record.get("transcript"),
            latest_job=summary,
            outputs=self._outputs(asset_id, manifest := self._manifest(asset_id)),
            playback=(playback := self._playback(asset_id, manifest)),
            review_url=playback.review_url if playback else None,
            cost=latest.get("cost") if latest else None,
        )

    def assets(self, limit: int, next_token: str | None) -> m.AssetPage:
        listing = self.repo.assets_listing()
        items, last = self.repo.page(listing, limit=limit, start_key=decode_token(next_token, listing))
        return m.AssetPage(items=[m.AssetSummary.model_validate(i) for i in items],
                           next_token=encode_token(listing, last))

    def delete_asset(self, asset_id: str, purge_source: bool, erase: bool = False) -> m.AssetDeleted:
        """Outputs and records go; the source stays unless purged. Refused while a job still runs.

        Only a source this tenant uploaded through the API can be purged: its key was minted for this asset
        alone (`<tenant>/uploads/<uuid>/<name>`). A purge puts a delete marker on it, so the versioned
        bucket keeps the bytes for its noncurrent-version retention (a purge can be undone); `erase`
        deletes every version of that one key now. Editors' own uploads are never deleted here."""
        record = self._asset_record(asset_id)
        purge = purge_source or erase
        if purge and not self._purgeable(record):
            raise SourceNotPurgeable(f"Asset {asset_id}'s source was not uploaded through this API; it is kept")
        jobs = self.repo.jobs_of_asset(asset_id)
        running = [j["job_id"] for j in jobs
                   if j.get("status") in ACTIVE and self._execution_status(j["job_id"]) == "RUNNING"]
        if running:
            raise Conflict(f"Asset {asset_id} has running jobs ({', '.join(running)}): cancel them first")
        purged = erased = False
        if purge:
            bucket, key = record["source_bucket"], record["source_key"]
            if erase:
                purged = erased = self._delete_versions(bucket, key) > 0
            else:
                _s3().delete_object(Bucket=bucket, Key=key)
                purged = True
        if record.get("upload_id"):
            self._abort_upload(record)
        deleted_objects = delete_prefix(self.config.output_bucket, asset_prefix(asset_id) + "/")
        deleted_records = self.repo.delete_asset_records(asset_id, [j["job_id"] for j in jobs])
        return m.AssetDeleted(asset_id=asset_id, deleted_objects=deleted_objects, deleted_records=deleted_records,
                              source_purged=purged, source_erased=erased)

    def _purgeable(self, record: dict) -> bool:
        return (bool(record.get("uploaded_by_api"))
                and record.get("source_bucket") == self.config.ingest_bucket
                and str(record.get("source_key", "")).startswith(self.upload_prefix))

    # ---- scenes ----------------------------------------------------------------------------------
    def asset_scenes(self, asset_id: str, tag: str | None, limit: int, next_token: str | None) -> m.ScenePage:
        self._asset_record(asset_id)
        return self._scene_page(self.repo.asset_scenes_listing(asset_id, tag), limit, next_token)

    def scenes(self, tag: str, limit: int, next_token: str | None) -> m.ScenePage:
        return self._scene_page(self.repo.tag_listing(tag), limit, next_token)

    def _scene_page(self, listing: Listing, limit: int, next_token: str | None) -> m.ScenePage:
        items, last = self.repo.page(listing, limit=limit, start_key=decode_token(next_token, listing))
        return m.ScenePage(items=[self._scene(i) for i in items], next_token=encode_token(listing, last))

    # ---- helpers ---------------------------------------------------------------------------------
    def _job_record(self, job_id: str) -> dict:
        record = self.repo.get_job(job_id)
        if record is None:
            raise NotFound(f"No job {job_id}")
        return record

    def _asset_record(self, asset_id: str) -> dict:
        record = self.repo.get_asset(asset_id)
        if record is None:
            raise NotFound(f"No asset {asset_id}")
        return record

    def _execution_arn(self, job_id: str) -> str:
        return self.config.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"

    def _execution_status(self, job_id: str) -> str | None:
        """Step Functions' status of the job's execution; None when it does not exist (yet) or cannot be read."""
        try:
            return _sfn().describe_execution(executionArn=self._execution_arn(job_id))["status"]
        except _sfn().exceptions.ExecutionDoesNotExist:
            return None

    def _presign(self, key: str) -> str:
        return _s3().generate_presigned_url("get_object", Params={"Bucket": self.config.output_bucket, "Key": key},
                                            ExpiresIn=self.config.download_url_seconds)

    def _manifest(self, asset_id: str) -> Manifest | None:
        try:
            body = _s3().get_object(Bucket=self.config.output_bucket,
                                    Key=f"{asset_prefix(asset_id)}/manifest.json")["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return Manifest.model_validate_json(body)

    def _playback(self, asset_id: str, manifest: Manifest | None) -> m.Playback | None:
        """Signed access to the asset's folder, once a job wrote outputs there; None without a distribution or
        a usable signing key (logged without the key or any part of it)."""
        config = self.config
        if manifest is None or not (config.playback_base_url and config.playback_key_pair_id
                                    and config.playback_key_secret):
            return None
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            key = _signing_key(config.playback_key_secret)
        except PlaybackKeyInvalid as exc:
            logger.warning("Playback is not signed: the signing key is unusable", extra={"reason": str(exc)})
            return None
        except GetParameterError as exc:
            # The cause is the service's error (not found, access denied), never the secret's value.
            logger.warning("Playback is not signed: the signing key could not be read",
                           extra={"cause": type(exc.__cause__ or exc).__name__})
            return None
        access = sign_asset(base_url=config.playback_base_url, asset_id=asset_id,
                            key_pair_id=config.playback_key_pair_id, private_key=key,
                            expires=datetime.now(UTC).replace(microsecond=0)
                            + timedelta(seconds=config.playback_url_seconds))
        return playback_block(access, manifest.outputs)

    def _outputs(self, asset_id: str, manifest: Manifest | None) -> m.Outputs | None:
        prefix = asset_prefix(asset_id)
        if manifest is None:
            return None
        links = {name: m.OutputLink(path=path, url=self._presign(f"{prefix}/{path}"))
                 for name, path in manifest.outputs.items()}
        return m.Outputs(job_id=manifest.job_id, status=manifest.status, links=links,
                         manifest_url=self._presign(f"{prefix}/manifest.json"),
                         expires_at=_expiry(self.config.download_url_seconds))

    def _scene(self, item: dict) -> m.Scene:
        scene = m.Scene.model_validate(item)
        if scene.thumbnail:
            # The scenes stage stores the object key; a bare path is relative to the asset folder.
            prefix = asset_prefix(scene.asset_id) + "/"
            key = scene.thumbnail if scene.thumbnail.startswith(prefix) else prefix + scene.thumbnail
            scene.thumbnail_url = self._presign(key)
        return scene

    def _delete_versions(self, bucket: str, key: str) -> int:
        """Every version and delete marker of one key: a versioned bucket keeps footage after a plain delete."""
        count = 0
        for page in _s3().get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in page.get("Versions", []) + page.get("DeleteMarkers", []) if v["Key"] == key]
            if objects:
                _s3().delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
                count += len(objects)
        return count
