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
from functions.api.errors import BadRequest, Conflict, NotFound
from functions.api.pagination import decode_token, encode_token
from functions.core import aws
from functions.core.ids import asset_id_for
from functions.core.ingest import job_for, metadata_for, resolve_upload, start_job
from functions.core.models import JobStatus, Manifest
from functions.core.repository import Repository, now_iso
from functions.core.settings import asset_prefix

UPLOAD_PREFIX = "uploads"
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
# What Step Functions' view of an execution means for a job whose record still says it is active.
EXECUTION_OUTCOME = {"ABORTED": JobStatus.CANCELLED, "FAILED": JobStatus.FAILED, "TIMED_OUT": JobStatus.FAILED}


@dataclass(frozen=True)
class ApiConfig:
    table_name: str
    output_bucket: str
    ingest_bucket: str
    state_machine_arn: str
    upload_url_seconds: int = 3600
    download_url_seconds: int = 3600

    @classmethod
    def from_env(cls) -> ApiConfig:
        env = os.environ
        return cls(
            table_name=env["TABLE_NAME"],
            output_bucket=env["OUTPUT_BUCKET"],
            ingest_bucket=env["INGEST_BUCKET"],
            state_machine_arn=env["STATE_MACHINE_ARN"],
            upload_url_seconds=int(env.get("UPLOAD_URL_SECONDS", 3600)),
            download_url_seconds=int(env.get("DOWNLOAD_URL_SECONDS", 3600)),
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


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _expiry(seconds: int) -> str:
    return _iso(datetime.now(UTC) + timedelta(seconds=seconds))


class StudioService:
    def __init__(self, config: ApiConfig) -> None:
        self.config = config
        self.repo = Repository(config.table_name)

    # ---- uploads ---------------------------------------------------------------------------------
    def create_upload(self, request: m.UploadRequest) -> m.UploadCreated:
        """A presigned PUT to a fresh key; the upload then takes the normal event path to ingest."""
        bucket = self.config.ingest_bucket
        key = f"{UPLOAD_PREFIX}/{uuid.uuid4().hex}/{request.filename}"
        asset_id = asset_id_for(bucket, key)  # what ingest will compute for this object
        params = {"Bucket": bucket, "Key": key}
        headers = {}
        if request.content_type:
            params["ContentType"] = headers["Content-Type"] = request.content_type
        if request.options:
            # The same x-amz-meta-* options an editor can set on any upload; ingest reads them.
            params["Metadata"] = metadata_for(request.options.to_job_options())
            headers |= {f"x-amz-meta-{name}": value for name, value in params["Metadata"].items()}
        url = _s3().generate_presigned_url("put_object", Params=params, ExpiresIn=self.config.upload_url_seconds)
        self.repo.reserve_asset(asset_id, bucket, key, request.title)
        return m.UploadCreated(asset_id=asset_id, bucket=bucket, key=key, upload_url=url, upload_headers=headers,
                               expires_at=_expiry(self.config.upload_url_seconds))

    # ---- jobs ------------------------------------------------------------------------------------
    def start(self, request: m.JobRequest) -> m.JobAccepted:
        if request.asset_id is not None:
            asset = self.repo.get_asset(request.asset_id)
            if asset is None:
                raise NotFound(f"No asset {request.asset_id}")
            bucket, key = asset["source_bucket"], asset["source_key"]
        else:
            bucket, key = self.config.ingest_bucket, request.source_key or ""
        source = resolve_upload(bucket, key)
        if source is None:
            raise NotFound(f"The source s3://{bucket}/{key} does not exist (not uploaded yet, or deleted)")
        job = job_for(source, request.options.to_job_options())
        started = start_job(job, repo=self.repo, state_machine_arn=self.config.state_machine_arn)
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
        index, partition = ("gsi2", f"JOBSTATUS#{status.value}") if status else ("gsi1", "JOBS")
        items, last = self.repo.query_page(partition, index=index, limit=limit, newest_first=True,
                                           start_key=decode_token(next_token, partition, index))
        summaries = []
        for item in items:
            summaries.append(m.JobSummary.model_validate(item))
        return m.JobPage(items=summaries, next_token=encode_token(partition, last))

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
        return m.Asset(
            **m.AssetSummary.model_validate(record).model_dump(),
            status=summary.status.value if summary else "AWAITING_UPLOAD",
            source_info=record.get("source"),
            transcript=record.get("transcript"),
            latest_job=summary,
            outputs=self._outputs(asset_id),
        )

    def assets(self, limit: int, next_token: str | None) -> m.AssetPage:
        items, last = self.repo.query_page("ASSETS", index="gsi1", limit=limit, newest_first=True,
                                           start_key=decode_token(next_token, "ASSETS", "gsi1"))
        return m.AssetPage(items=[m.AssetSummary.model_validate(i) for i in items],
                           next_token=encode_token("ASSETS", last))

    def delete_asset(self, asset_id: str, purge_source: bool) -> m.AssetDeleted:
        """Outputs and records go; the source stays unless purged. Refused while a job still runs."""
        record = self._asset_record(asset_id)
        jobs = self.repo.jobs_of_asset(asset_id)
        running = [j["job_id"] for j in jobs
                   if j.get("status") in ACTIVE and self._execution_status(j["job_id"]) == "RUNNING"]
        if running:
            raise Conflict(f"Asset {asset_id} has running jobs ({', '.join(running)}): cancel them first")
        deleted_objects = self._delete_prefix(self.config.output_bucket, asset_prefix(asset_id) + "/")
        keys = self.repo.asset_item_keys(asset_id) + [{"pk": f"JOB#{j['job_id']}", "sk": "JOB"} for j in jobs]
        deleted_records = self.repo.delete_keys(keys)
        purged = False
        if purge_source and record.get("source_key"):
            purged = self._delete_versions(record.get("source_bucket") or self.config.ingest_bucket,
                                           record["source_key"]) > 0
        return m.AssetDeleted(asset_id=asset_id, deleted_objects=deleted_objects, deleted_records=deleted_records,
                              source_purged=purged)

    # ---- scenes ----------------------------------------------------------------------------------
    def asset_scenes(self, asset_id: str, tag: str | None, limit: int, next_token: str | None) -> m.ScenePage:
        self._asset_record(asset_id)
        partition = f"ASSET#{asset_id}"
        prefix = f"SCENETAG#{tag.lower()}#" if tag else "SCENE#"
        start = decode_token(next_token, partition, None)
        if start and not start["sk"].startswith(prefix):
            raise BadRequest("next_token does not belong to this listing")
        items, last = self.repo.query_page(partition, sk_prefix=prefix, limit=limit, start_key=start)
        return m.ScenePage(items=[self._scene(i) for i in items], next_token=encode_token(partition, last))

    def scenes(self, tag: str, limit: int, next_token: str | None) -> m.ScenePage:
        partition = f"TAG#{tag.lower()}"
        items, last = self.repo.query_page(partition, index="gsi1", limit=limit,
                                           start_key=decode_token(next_token, partition, "gsi1"))
        return m.ScenePage(items=[self._scene(i) for i in items], next_token=encode_token(partition, last))

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

    def _outputs(self, asset_id: str) -> m.Outputs | None:
        prefix = asset_prefix(asset_id)
        try:
            body = _s3().get_object(Bucket=self.config.output_bucket, Key=f"{prefix}/manifest.json")["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        manifest = Manifest.model_validate_json(body)
        links = {name: m.OutputLink(path=path, url=self._presign(f"{prefix}/{path}"))
                 for name, path in manifest.outputs.items()}
        return m.Outputs(job_id=manifest.job_id, status=manifest.status, links=links,
                         manifest_url=self._presign(f"{prefix}/manifest.json"),
                         expires_at=_expiry(self.config.download_url_seconds))

    def _scene(self, item: dict) -> m.Scene:
        scene = m.Scene.model_validate({"asset_id": str(item.get("pk", "")).removeprefix("ASSET#"), **item})
        if scene.thumbnail:
            # The scenes stage stores the object key; a bare path is relative to the asset folder.
            prefix = asset_prefix(scene.asset_id) + "/"
            key = scene.thumbnail if scene.thumbnail.startswith(prefix) else prefix + scene.thumbnail
            scene.thumbnail_url = self._presign(key)
        return scene

    def _delete_prefix(self, bucket: str, prefix: str) -> int:
        count = 0
        for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objects:
                _s3().delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
                count += len(objects)
        return count

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
