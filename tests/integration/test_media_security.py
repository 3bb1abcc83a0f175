"""Uploads on moto that try to make ffmpeg reach elsewhere, and a stage failure on a presigned URL:
Probe refuses the first before anything is fetched; no credential survives the second anywhere."""
from __future__ import annotations

import json

import pytest

from functions.core.models import DEFAULT_TENANT, JobOptions, ObjectRef
from functions.core.repository import Repository, TenantDirectory
from functions.core.settings import asset_prefix
from reelflow.local.jobs import expected_job, upload_source, wait_for_job
from reelflow.local.serve import proxy_event
from tests.loopback import HLS_MIME, counting_server, hls_playlist

pytestmark = pytest.mark.xdist_group("cloud")


@pytest.fixture(scope="module")
def events(cloud):
    """Every event Finalize puts on the default bus, delivered to a queue of our own."""
    sqs, bridge = cloud.client("sqs"), cloud.client("events")
    queue = sqs.create_queue(QueueName="security-test-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bridge.put_rule(Name="security-test-events", EventPattern=json.dumps({"source": ["reelflow"]}))
    bridge.put_targets(Rule="security-test-events", Targets=[{"Id": "queue", "Arn": arn}])

    seen: list[dict] = []

    def received(job_id: str) -> list[dict]:
        """The events for `job_id` not asked for before."""
        while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
            seen.extend(json.loads(m["Body"]) for m in messages)
            sqs.delete_message_batch(QueueUrl=queue, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        mine = [e for e in seen if e["detail"]["job_id"] == job_id]
        seen[:] = [e for e in seen if e["detail"]["job_id"] != job_id]
        return mine

    return received


def _put(cloud, key: str, body: bytes, content_type: str) -> ObjectRef:
    put = cloud.client("s3").put_object(Bucket=cloud.ingest_bucket, Key=key, Body=body, ContentType=content_type)
    return ObjectRef(bucket=cloud.ingest_bucket, key=key, version_id=put.get("VersionId"),
                     etag=put["ETag"].strip('"'), size=len(body))


BAITS = {  # key -> (content type, whether the playlist also names file:///etc/passwd)
    "bait/list.m3u8": ("binary/octet-stream", True),
    "bait/list-http.m3u8": ("binary/octet-stream", False),  # what an unprotected open would fetch
    "bait/really-a-playlist.mp4": (HLS_MIME, True),
    "bait/really-a-playlist-http.mp4": (HLS_MIME, False),
}


@pytest.fixture(scope="module")
def baits(cloud, events):
    """Upload every playlist, then wait: the executions run side by side. Returns the outcomes, the
    requests the playlists' server received, and each job's events."""
    with counting_server() as server:
        jobs = {key: expected_job(_put(cloud, key, hls_playlist(server.url, local_file=local), kind))
                for key, (kind, local) in BAITS.items()}
        outcomes = {key: wait_for_job(cloud, job_id, asset_id, timeout=120) for key, (job_id, asset_id) in jobs.items()}
        requests = list(server.requests)
    return outcomes, requests, {key: events(job_id) for key, (job_id, _) in jobs.items()}


def test_uploaded_playlists_fetch_nothing(baits):
    _, requests, _ = baits
    assert requests == []


@pytest.mark.parametrize("key", BAITS)
def test_uploaded_playlist_fails_at_probe(baits, key):
    outcomes, _, events = baits
    outcome = outcomes[key]
    assert outcome.status == "FAILED"
    probe = outcome.job["stages"]["probe"]
    assert (probe["status"], probe["error_code"]) == ("FAILED", "IndirectSource")
    assert set(outcome.job["stages"]) == {"probe", "finalize"}
    [event] = events[key]
    assert (event["detail-type"], event["detail"]["status"]) == ("Job Failed", "FAILED")


def test_stage_failure_on_a_presigned_url_leaves_no_credentials(cloud, clips, events):
    """A job whose source version disappears after Probe: the encoder cannot open its presigned URL. The
    stages are driven by hand (the state machine gives no deterministic moment to pull the source), with
    the shapes the state machine's Catch and Finalize use."""
    source = upload_source(cloud, clips["plain"], key="security/leaky.mp4", options=JobOptions(stages=["transcode"]))
    job_id, asset_id = expected_job(source)
    assert wait_for_job(cloud, job_id, asset_id, timeout=300).status == "COMPLETED"
    events(job_id)  # drop the first run's event

    job = {"job_id": job_id, "asset_id": asset_id, "source": source.model_dump(mode="json")}
    probe, failed = cloud.invoke("Probe", job)
    assert not failed, probe
    cloud.client("s3").delete_object(Bucket=source.bucket, Key=source.key, VersionId=source.version_id)
    error, failed = cloud.invoke("TranscodeChunk", job | {"probe": probe, "chunk": probe["plan"]["chunks"][0]})
    assert failed and error["errorType"] == "MediaError"  # clean at the source, not by the handler's guard
    assert f"/{source.key}" in error["errorMessage"]  # ffmpeg quoted the URL: the leak this guards against
    caught = {"Error": error["errorType"], "Cause": json.dumps(error)}
    result, failed = cloud.invoke("Finalize", job | {"probe": probe, "stages": [
        {"stage": "transcode", "status": "FAILED", "failure": caught}]})
    assert not failed and result["status"] == "FAILED"

    record = Repository(cloud.table_name).get_job(job_id)
    assert record["stages"]["transcode"]["status"] == "FAILED"
    assert record["stages"]["transcode"]["error_code"] == "MediaError"
    manifest = cloud.client("s3").get_object(Bucket=cloud.output_bucket,
                                             Key=f"{asset_prefix(asset_id)}/manifest.json")["Body"].read().decode()
    TenantDirectory(cloud.table_name).register(DEFAULT_TENANT, "security-test-key")
    answer, _ = cloud.invoke("Api", proxy_event("GET", f"/jobs/{job_id}", resource="/jobs/{job_id}",
                                                path_parameters={"job_id": job_id}, api_key_id="security-test-key"))
    assert answer["statusCode"] == 200
    answered = json.loads(answer["body"])["stages"]["transcode"]  # the API's job shows the manifest's stage
    assert (answered["status"], answered["error_code"]) == ("FAILED", "MediaError")
    [event] = events(job_id)
    for text in (json.dumps(error), json.dumps(record, default=str), manifest, answer["body"], json.dumps(event),
                 json.dumps(result)):
        assert "x-amz-" not in text.lower()
