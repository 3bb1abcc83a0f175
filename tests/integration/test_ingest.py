"""The upload event path on moto: S3 -> EventBridge -> SQS -> ingest -> one execution per upload; and the
handlers' S3 grants, which the local runtime enforces (moto enforces no IAM)."""
import json
import subprocess
import sys
import time

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from functions.core.ids import asset_id_for
from functions.core.models import SkipCode
from functions.core.settings import work_prefix
from reelflow.local.jobs import expected_job, execution_arn, wait_for_job
from reelflow.local.s3_policy import ENV, enforce

pytestmark = pytest.mark.xdist_group("cloud")

NOT_MEDIA = b"this is a text file, not footage"


def executions_named(cloud, name):
    sfn = cloud.client("stepfunctions")
    return [e for e in sfn.list_executions(stateMachineArn=cloud.state_machine_arn)["executions"] if e["name"] == name]


def wait_for_execution(cloud, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if executions_named(cloud, job_id):
            return
        time.sleep(0.2)
    raise AssertionError(f"no execution {job_id}")


def put(cloud, key, body=NOT_MEDIA):
    s3 = cloud.client("s3")
    put = s3.put_object(Bucket=cloud.ingest_bucket, Key=key, Body=body)
    from functions.core.models import ObjectRef

    return ObjectRef(bucket=cloud.ingest_bucket, key=key, version_id=put.get("VersionId"), etag=put["ETag"].strip('"'))


def object_created(bucket, key, etag, version_id=None):
    detail_object = {"key": key, "size": len(NOT_MEDIA), "etag": etag, "sequencer": "0055AED6DCD90281E5"}
    if version_id:
        detail_object["version-id"] = version_id
    return {
        "version": "0", "id": "c1e7d6a1-0000-4000-8000-000000000000", "detail-type": "Object Created",
        "source": "aws.s3", "account": "123456789012", "time": "2026-11-24T00:00:00Z", "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket}, "object": detail_object,
                   "request-id": "R", "requester": "123456789012", "source-ip-address": "203.0.113.1",
                   "reason": "PutObject"},
    }


def send_to_ingest_queue(cloud, event):
    trigger = cloud.triggers[0]
    cloud.client("sqs").send_message(QueueUrl=trigger.queue_url, MessageBody=json.dumps(event))


def queue_drained(cloud, timeout=60):
    sqs = cloud.client("sqs")
    url = cloud.triggers[0].queue_url
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
            return
        time.sleep(0.2)
    raise AssertionError("ingest queue not drained")


def test_the_same_event_ten_times_at_once_starts_one_execution(cloud):
    ref = put(cloud, "dupes/take one.mp4")
    job_id, asset_id = expected_job(ref)
    wait_for_execution(cloud, job_id)
    event = json.dumps(object_created(ref.bucket, ref.key, ref.etag, ref.version_id))
    cloud.client("sqs").send_message_batch(QueueUrl=cloud.triggers[0].queue_url, Entries=[
        {"Id": str(n), "MessageBody": event} for n in range(10)])  # one batch: ten records in one invocation
    send_to_ingest_queue(cloud, json.loads(event))  # and a late replay
    queue_drained(cloud)
    wait_for_job(cloud, job_id, asset_id, timeout=120)
    assert len(executions_named(cloud, job_id)) == 1
    jobs = cloud.client("dynamodb").scan(TableName=cloud.table_name, FilterExpression="asset_id = :a",
                                           ExpressionAttributeValues={":a": {"S": asset_id}})["Items"]
    assert len([j for j in jobs if j["sk"]["S"] == "JOB"]) == 1


def test_a_source_overwritten_and_deleted_while_its_job_runs(cloud, clips):
    """Each version keeps its own job, pinned to that version, and every version is kept byte for byte."""
    from functions.core.repository import Repository
    from reelflow.local.jobs import upload_source

    key = "overwritten/take.mp4"
    first = upload_source(cloud, clips["plain"], key=key)
    first_job, asset_id = expected_job(first)
    repo = Repository(cloud.table_name)
    deadline = time.monotonic() + 60
    while (repo.get_job(first_job) or {}).get("status") != "RUNNING":
        assert time.monotonic() < deadline, "the first job never started"
        time.sleep(0.2)
    second = upload_source(cloud, clips["no_audio"], key=key)
    cloud.client("s3").delete_object(Bucket=cloud.ingest_bucket, Key=key)  # a delete marker on top
    second_job, second_asset = expected_job(second)
    assert second_job != first_job and second_asset == asset_id
    for job_id, ref in ((first_job, first), (second_job, second)):
        outcome = wait_for_job(cloud, job_id, asset_id, timeout=300)
        assert outcome.status == "COMPLETED", outcome.error
        assert outcome.job["source"]["version_id"] == ref.version_id
    s3 = cloud.client("s3")
    for ref, path in ((first, clips["plain"]), (second, clips["no_audio"])):
        body = s3.get_object(Bucket=cloud.ingest_bucket, Key=key, VersionId=ref.version_id)["Body"].read()
        assert body == path.read_bytes()


@pytest.mark.parametrize(
    "key",
    ["odd keys/my clip (final).mp4", "odd keys/a+b=c.mp4", "odd keys/café ünïcødé 映像.mov", "odd keys/100% done.mp4"],
)
def test_odd_keys_reach_ingest_decoded(cloud, key):
    from urllib.parse import quote_plus

    ref = put(cloud, key)
    job_id, asset_id = expected_job(ref)
    # moto's EventBridge delivers the raw key; S3's Records-style notifications URL-encode it.
    # Both must resolve to the same object, and so to the same single job.
    send_to_ingest_queue(cloud, object_created(ref.bucket, quote_plus(key, safe="/"), ref.etag, ref.version_id))
    wait_for_execution(cloud, job_id)
    queue_drained(cloud)
    executions = executions_named(cloud, job_id)
    assert len(executions) == 1
    detail = cloud.client("stepfunctions").describe_execution(executionArn=execution_arn(cloud, job_id))
    assert json.loads(detail["input"])["source"]["key"] == key
    assert json.loads(detail["input"])["asset_id"] == asset_id_for(cloud.ingest_bucket, key)


def test_non_media_fails_with_reason_and_keeps_the_source(cloud):
    ref = put(cloud, "bad/notes.mp4")
    job_id, asset_id = expected_job(ref)
    outcome = wait_for_job(cloud, job_id, asset_id, timeout=120)
    assert outcome.status == "FAILED"
    assert outcome.error and outcome.job["stages"]["probe"]["error_code"] == "UnknownFormat"
    assert outcome.execution_status == "FAILED"
    s3 = cloud.client("s3")
    manifest = json.loads(s3.get_object(Bucket=cloud.output_bucket, Key=f"assets/{asset_id}/manifest.json")["Body"].read())
    assert manifest["status"] == "FAILED"
    assert (manifest["stages"]["probe"]["status"], manifest["stages"]["probe"]["error_code"]) == ("FAILED",
                                                                                                   "UnknownFormat")
    assert manifest["stages"]["probe"]["error"]  # the plain reason people read
    source = s3.get_object(Bucket=ref.bucket, Key=ref.key, VersionId=ref.version_id)
    assert source["Body"].read() == NOT_MEDIA
    versions = s3.list_object_versions(Bucket=ref.bucket, Prefix=ref.key)
    assert len(versions.get("Versions", [])) == 1 and not versions.get("DeleteMarkers")


def test_zero_byte_upload_ends_failed_with_reason(cloud):
    ref = put(cloud, "bad/empty.mp4", body=b"")
    job_id, asset_id = expected_job(ref)
    outcome = wait_for_job(cloud, job_id, asset_id, timeout=120)
    assert outcome.status == "FAILED" and outcome.error
    assert (outcome.job["stages"]["probe"]["status"], outcome.job["stages"]["probe"]["error_code"]) == ("FAILED",
                                                                                                         "EmptySource")


def test_upload_metadata_chooses_stages_and_the_rest_is_skipped(cloud, clips):
    from functions.core.models import JobOptions
    from reelflow.local.jobs import upload_source

    ref = upload_source(cloud, clips["plain"], key="options/only transcode.mp4",
                        options=JobOptions(stages=["transcode"], trailer_seconds=5))
    assert ref.metadata == {"trailer-seconds": "5.0", "stages": "transcode"}
    job_id, asset_id = expected_job(ref)
    outcome = wait_for_job(cloud, job_id, asset_id, timeout=180)
    assert outcome.status == "COMPLETED"
    stages = outcome.job["stages"]
    assert stages["transcode"]["status"] == "SUCCEEDED"
    for skipped in ("captions", "scenes", "trailer"):
        assert stages[skipped]["status"] == "SKIPPED"
        assert stages[skipped]["details"] == {"skip": SkipCode.NOT_REQUESTED} and stages[skipped]["note"]
    assert outcome.job["options"]["trailer_seconds"] == 5
    # SceneSpeech needs scenes and captions: the state machine skips it with its handler's result, uninvoked.
    assert (stages["scene_speech"]["status"], stages["scene_speech"]["details"]) == ("SKIPPED",
                                                                                   {"skip": SkipCode.NO_SCENES})
    assert "scene_speech" not in {item["stage"] for item in outcome.job["cost"]["items"]}
    # The chunk's playlists and proxy part were work files: gone once the job completed, never in the outputs.
    s3 = cloud.client("s3")
    work = s3.list_objects_v2(Bucket=cloud.output_bucket, Prefix=f"{work_prefix(asset_id, job_id)}/")
    assert work["KeyCount"] == 0
    outputs = [o["Key"] for o in s3.list_objects_v2(Bucket=cloud.output_bucket, Prefix=f"assets/{asset_id}/")["Contents"]]
    assert f"assets/{asset_id}/hls/master.m3u8" in outputs
    assert not [k for k in outputs if "/work/" in k or k.rsplit("/", 1)[-1].startswith("c0000.")]


# ---- handlers run with their role's S3 grants enforced (moto enforces no IAM) ----------------------------
# No such source: a permitted HEAD reaches S3 and answers 404; a refused call never leaves the process,
# so no refused PUT can start a job.
KEY = "editors/grants.mp4"


def function(cloud, name):
    return next(f for f in cloud.functions.values() if f.logical_id.startswith(f"Functions{name}"))


def outcomes(cloud, name) -> list[str]:
    """What the function's role may do: HEAD, PUT and DELETE a source; PUT a segment and a manifest."""
    session = boto3.Session()
    enforce(session, json.loads(cloud.handler_environment(function(cloud, name))[ENV]), name)
    s3 = session.client("s3")
    calls = [("head_object", cloud.ingest_bucket, KEY), ("put_object", cloud.ingest_bucket, KEY),
             ("delete_object", cloud.ingest_bucket, KEY), ("put_object", cloud.output_bucket, "assets/a/hls/x.ts"),
             ("put_object", cloud.output_bucket, "assets/a/manifest.json")]
    found = []
    for call, bucket, key in calls:
        try:
            getattr(s3, call)(Bucket=bucket, Key=key, **({"Body": b"x"} if call == "put_object" else {}))
            found.append("ok")
        except ClientError as exc:
            found.append(exc.response["Error"]["Code"])
    return found


def test_each_function_gets_only_its_own_grants(cloud):
    # A stage reads sources and writes its own outputs; it can neither change a source nor another stage's files.
    assert outcomes(cloud, "TranscodeChunk") == ["404", "AccessDenied", "AccessDenied", "ok", "AccessDenied"]
    assert outcomes(cloud, "Finalize") == ["AccessDenied", "AccessDenied", "AccessDenied", "AccessDenied", "ok"]
    # The API deletes sources only under uploads/: never an editor's own upload.
    assert outcomes(cloud, "Api")[:3] == ["404", "AccessDenied", "AccessDenied"]


def table_outcomes(cloud, name) -> list[str]:
    """What the function's role may do on the job table: get, update, query an index, batch-write (delete)."""
    from functions.core.repository import INDEX_KEYS, Repository

    env = cloud.handler_environment(function(cloud, name))
    session = boto3.Session()
    _, _, _, region, account, *_ = env["REELFLOW_FUNCTION_ARN"].split(":")
    enforce(session, json.loads(env[ENV]), name, f"arn:aws:dynamodb:{region}:{account}:table/{{}}")
    table = session.resource("dynamodb").Table(cloud.table_name)
    repo = Repository(cloud.table_name, "grants")
    key, listing = repo._job_key("j0"), repo.jobs_listing()  # the repository's own key shapes
    calls = [lambda: table.get_item(Key=key),
             lambda: table.update_item(Key=key, UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "s"},
                                       ExpressionAttributeValues={":s": "x"}),
             lambda: table.query(IndexName=listing.index, KeyConditionExpression=Key(INDEX_KEYS[listing.index][0]).eq(listing.partition)),
             lambda: table.meta.client.batch_write_item(RequestItems={cloud.table_name: [{"DeleteRequest": {"Key": key}}]})]
    found = []
    for call in calls:
        try:
            call()
            found.append("ok")
        except ClientError as exc:
            found.append(exc.response["Error"]["Code"])
    return found


def test_each_function_gets_only_its_own_table_actions(cloud):
    assert table_outcomes(cloud, "Probe") == ["AccessDenied", "ok", "AccessDenied", "AccessDenied"]
    assert table_outcomes(cloud, "Finalize") == ["ok", "ok", "AccessDenied", "AccessDenied"]
    assert table_outcomes(cloud, "Scenes") == ["AccessDenied", "AccessDenied", "AccessDenied", "ok"]
    assert table_outcomes(cloud, "Api") == ["ok", "ok", "ok", "ok"]
    assert table_outcomes(cloud, "TranscodeChunk") == ["AccessDenied"] * 4


def test_a_handler_process_is_held_to_its_grants(cloud):
    script = (
        "import boto3\n"
        "from reelflow.local.invoke import load_handler\n"
        "load_handler('functions.finalize.handler.handler')\n"
        f"boto3.client('s3').delete_object(Bucket={cloud.ingest_bucket!r}, Key={KEY!r})\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=cloud.handler_environment(function(cloud, "Finalize")),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "AccessDenied" in proc.stderr, proc.stderr
