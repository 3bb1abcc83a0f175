"""Driving a job on the local cloud: upload a source, wait for its execution, fetch its outputs."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from functions.core.ids import asset_id_for, job_id_for
from functions.core.ingest import metadata_for, options_from_metadata
from functions.core.models import JobOptions, ObjectRef
from functions.core.repository import Repository
from functions.core.settings import asset_prefix
from reelflow.local.cloud import LocalCloud
from reelflow.local.outputs import MANIFEST, output_files


class JobTimeout(Exception):
    pass


@dataclass
class JobOutcome:
    job_id: str
    asset_id: str
    status: str
    error: str | None
    job: dict
    execution_status: str


def upload_source(
    cloud: LocalCloud, path: Path, key: str | None = None, options: JobOptions | None = None
) -> ObjectRef:
    """Put the file in the ingest bucket, as an editor would, with job options as object metadata;
    the upload event does the rest."""
    key = key or path.name
    s3 = cloud.client("s3")
    metadata = metadata_for(options or JobOptions())
    with path.open("rb") as body:
        put = s3.put_object(Bucket=cloud.ingest_bucket, Key=key, Body=body, Metadata=metadata)
    return ObjectRef(
        bucket=cloud.ingest_bucket,
        key=key,
        version_id=put.get("VersionId"),
        etag=put["ETag"].strip('"'),
        size=path.stat().st_size,
        metadata=metadata,
    )


def expected_job(source: ObjectRef) -> tuple[str, str]:
    """The ids ingest will give this upload (they are derived, not random)."""
    options, _ = options_from_metadata(source.metadata)
    return job_id_for(source, options), asset_id_for(source.bucket, source.key)


def execution_arn(cloud: LocalCloud, job_id: str) -> str:
    return cloud.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"


def wait_for_job(cloud: LocalCloud, job_id: str, asset_id: str, timeout: float = 1800) -> JobOutcome:
    """Poll the execution the upload started until it ends; then read the settled Job record."""
    sfn = cloud.client("stepfunctions")
    arn = execution_arn(cloud, job_id)
    deadline = time.monotonic() + timeout
    status = "PENDING"
    while time.monotonic() < deadline:
        try:
            status = sfn.describe_execution(executionArn=arn)["status"]
        except sfn.exceptions.ExecutionDoesNotExist:
            status = "PENDING"
        if status not in ("PENDING", "RUNNING"):
            break
        time.sleep(0.25)
    else:
        raise JobTimeout(f"Job {job_id} did not finish within {timeout:.0f} s (execution {status}).")
    job = Repository(cloud.table_name).get_job(job_id) or {}
    return JobOutcome(
        job_id=job_id,
        asset_id=asset_id,
        status=job.get("status", status),
        error=job.get("error"),
        job=job,
        execution_status=status,
    )


def download_outputs(cloud: LocalCloud, asset_id: str, out_dir: Path) -> Path:
    """Copy the job's outputs, as its manifest names them (`reelflow.local.outputs`), to out_dir/<asset_id>/.
    Without a manifest (the job never reached Finalize) the folder stays empty."""
    s3 = cloud.client("s3")
    prefix = asset_prefix(asset_id) + "/"
    target = out_dir / asset_id
    target.mkdir(parents=True, exist_ok=True)

    def read_text(relative: str) -> str:
        return s3.get_object(Bucket=cloud.output_bucket, Key=prefix + relative)["Body"].read().decode()

    try:
        manifest = json.loads(read_text(MANIFEST))
    except s3.exceptions.NoSuchKey:
        return target
    for relative in output_files(manifest, read_text):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(cloud.output_bucket, prefix + relative, str(path))
    return target
