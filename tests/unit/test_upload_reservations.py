"""Upload reservations expire: in code, because DynamoDB's TTL deletes an expired item days later at the earliest
(and moto never does). An unused reservation reads EXPIRED; an upload arriving after its reservation starts no
job and leaves its asset EXPIRED with the reason; one in time claims the asset, which leaves the TTL's reach."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from functions.api import service as api_service
from functions.core import aws
from functions.api.errors import SourceNotPurgeable, UploadExpired
from functions.api.models import JobRequest, PartsRequest, UploadRequest
from functions.api.service import UNUSED_RESERVATION, ApiConfig, StudioService
from functions.core.ingest import LATE_UPLOAD, job_for, resolve_upload, start_job
from functions.core.repository import (
    RESERVATION_EXPIRES,
    UPLOAD_EXPIRED,
    Claim,
    Repository,
    TenantDirectory,
    reservation_state,
)

TENANT = "tenant-a"
NOT_MEDIA = b"not media: no stage runs here"


@pytest.fixture
def config(template, monkeypatch):
    """The job table as the stack declares it (keys, indexes, TTL), both buckets and a state machine, on moto."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    props = next(r["Properties"] for lid, r in template["Resources"].items()
                 if r["Type"] == "AWS::DynamoDB::GlobalTable" and lid.startswith("StorageJobs"))
    assert props["TimeToLiveSpecification"] == {"AttributeName": RESERVATION_EXPIRES, "Enabled": True}
    with mock_aws():
        # Clients cached by an earlier test in this process were made without mock_aws's credentials.
        aws._client.cache_clear()
        aws._resource.cache_clear()
        boto3.client("dynamodb").create_table(
            TableName="jobs", KeySchema=props["KeySchema"], AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[{k: g[k] for k in ("IndexName", "KeySchema", "Projection")}
                                    for g in props["GlobalSecondaryIndexes"]])
        s3 = boto3.client("s3")
        for bucket in ("ingest", "output"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket="ingest", VersioningConfiguration={"Status": "Enabled"})
        machine = boto3.client("stepfunctions").create_state_machine(
            name="pipeline", roleArn="arn:aws:iam::123456789012:role/pipeline",
            definition='{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}')["stateMachineArn"]
        TenantDirectory("jobs").register(TENANT)
        yield ApiConfig(table_name="jobs", output_bucket="output", ingest_bucket="ingest", state_machine_arn=machine)


def upload_arrives(config: ApiConfig, key: str):
    """The object lands, and ingest does what it does for its event."""
    boto3.client("s3").put_object(Bucket=config.ingest_bucket, Key=key, Body=NOT_MEDIA)
    source = resolve_upload(config.ingest_bucket, key)
    return start_job(job_for(source, tenant=TENANT), repo=Repository(config.table_name, TENANT),
                     state_machine_arn=config.state_machine_arn)


def executions(config: ApiConfig) -> list:
    return boto3.client("stepfunctions").list_executions(stateMachineArn=config.state_machine_arn)["executions"]


def test_an_upload_in_time_claims_its_reservation_which_leaves_the_ttls_reach(config):
    studio = StudioService(config, TENANT)
    created = studio.create_upload(UploadRequest(filename="in time.mp4"))
    reserved_until = datetime.fromisoformat(created.reserved_until)
    expected = datetime.now(UTC) + timedelta(seconds=config.upload_url_seconds + config.upload_grace_seconds)
    assert abs((reserved_until - expected).total_seconds()) < 5
    asset = studio.asset(created.asset_id)
    assert asset.status == "AWAITING_UPLOAD" and asset.reserved_until == created.reserved_until and asset.error is None

    started = upload_arrives(config, created.key)
    assert started.refused is None and len(executions(config)) == 1
    record = Repository(config.table_name, TENANT).get_asset(created.asset_id)
    assert RESERVATION_EXPIRES not in record and reservation_state(record) is None
    assert studio.asset(created.asset_id).status == "QUEUED"


def test_a_reservation_never_used_reads_expired(config):
    studio = StudioService(replace(config, upload_url_seconds=0, upload_grace_seconds=0), TENANT)
    created = studio.create_upload(UploadRequest(filename="never.mp4"))
    asset = studio.asset(created.asset_id)
    assert (asset.status, asset.error) == (UPLOAD_EXPIRED, UNUSED_RESERVATION)
    assert created.asset_id in {a.asset_id for a in studio.assets(100, None).items}  # until the TTL removes it


def test_an_upload_after_its_reservation_expired_starts_no_job_and_the_asset_says_why(config):
    studio = StudioService(replace(config, upload_url_seconds=0, upload_grace_seconds=0), TENANT)
    created = studio.create_upload(UploadRequest(filename="late.mp4"))
    for _ in range(2):  # the event again (a redelivery) finds the same answer
        assert upload_arrives(config, created.key).refused == Claim.EXPIRED
    assert executions(config) == [] and studio.jobs(None, 100, None).items == []
    asset = studio.asset(created.asset_id)
    assert (asset.status, asset.error, asset.latest_job_id) == (UPLOAD_EXPIRED, LATE_UPLOAD[Claim.EXPIRED], None)
    record = Repository(config.table_name, TENANT).get_asset(created.asset_id)
    assert RESERVATION_EXPIRES not in record  # kept, so its tenant sees why and can purge the late bytes
    with pytest.raises(UploadExpired):
        studio.start(JobRequest(asset_id=created.asset_id))
    assert executions(config) == []
    assert studio.delete_asset(created.asset_id, purge_source=True).source_purged


def test_an_upload_to_a_key_nobody_reserved_is_recorded_and_never_purged(config):
    studio = StudioService(config, TENANT)
    key = f"{studio.upload_prefix}0123456789abcdef/unreserved.mp4"
    started = upload_arrives(config, key)
    assert started.refused == Claim.UNRESERVED and executions(config) == []
    asset = studio.asset(started.asset_id)
    assert (asset.status, asset.error) == (UPLOAD_EXPIRED, LATE_UPLOAD[Claim.UNRESERVED])
    with pytest.raises(SourceNotPurgeable):
        studio.delete_asset(started.asset_id, purge_source=True)


def test_an_expired_multipart_reservation_refuses_parts_and_aborts_the_upload(config, monkeypatch):
    monkeypatch.setattr(api_service, "INCOMPLETE_UPLOAD_DAYS", 0)
    studio = StudioService(config, TENANT)
    created = studio.create_upload(UploadRequest(filename="big.mp4", size=6 * 1024**2, multipart=True))
    assert boto3.client("s3").list_multipart_uploads(Bucket=config.ingest_bucket).get("Uploads")
    with pytest.raises(UploadExpired):
        studio.part_urls(created.asset_id, PartsRequest(part_numbers=[1]))
    assert not boto3.client("s3").list_multipart_uploads(Bucket=config.ingest_bucket).get("Uploads")


def test_a_multipart_reservation_lasts_until_s3_aborts_the_upload(config):
    created = StudioService(config, TENANT).create_upload(UploadRequest(filename="big.mp4", size=6 * 1024**2,
                                                                        multipart=True))
    left = datetime.fromisoformat(created.reserved_until) - datetime.now(UTC)
    assert timedelta(hours=23, minutes=59) < left <= timedelta(days=api_service.INCOMPLETE_UPLOAD_DAYS)


@pytest.mark.parametrize("record, state", [
    ({RESERVATION_EXPIRES: 2_000_000_000}, None),
    ({RESERVATION_EXPIRES: 1_000_000_000}, UPLOAD_EXPIRED),
    ({RESERVATION_EXPIRES: 1_000_000_000, "upload_version": "v1"}, None),  # claimed before it expired
    ({"upload_status": UPLOAD_EXPIRED}, UPLOAD_EXPIRED),
    ({}, None),  # an editor's upload, or a reservation from before reservations expired
])
def test_reservation_state(record, state):
    assert reservation_state(record, datetime.fromtimestamp(1_500_000_000, UTC)) == state
