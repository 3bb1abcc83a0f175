"""Stuck jobs cannot exist: an execution that ends without Finalize still settles its job (issue 14)."""
import json
import time

import pytest

from functions.core.execution_end import DETAIL_TYPE, ExecutionEndEvent, ExecutionStatusChange, UnfinishedEnd, reason_for
from functions.core.models import JobInput, JobStatus, ObjectRef
from functions.core.repository import Repository
from reelflow.local.cloud import construct_name
from reelflow.local.jobs import execution_arn, expected_job, upload_source
from reelflow.local.throttle import MARKER

pytestmark = pytest.mark.xdist_group("cloud")


def wait_for_status(repo: Repository, job_id: str, statuses: set[str], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        job = repo.get_job(job_id) or {}
        if job.get("status") in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} is {job.get('status')}, not one of {statuses}")


def test_an_execution_stopped_outside_the_api_fails_its_job_with_the_reason(cloud, clips):
    source = upload_source(cloud, clips["plain"], key="stuck/stopped-from-the-console.mp4")
    job_id, _ = expected_job(source)
    repo = Repository(cloud.table_name)
    wait_for_status(repo, job_id, {JobStatus.RUNNING.value})
    cloud.client("stepfunctions").stop_execution(executionArn=execution_arn(cloud, job_id), error="Operator",
                                                 cause="stopped from the console")
    job = wait_for_status(repo, job_id, {JobStatus.FAILED.value})
    # AWS reports a stopped execution as ABORTED. moto's interpreter sometimes ends it FAILED instead (the stop
    # races the branch threads it interrupts); either way the job must not stay RUNNING.
    assert job["error_code"] in {UnfinishedEnd.ABORTED.error_code, UnfinishedEnd.FAILED.error_code}
    assert job["finished_at"]
    head = cloud.client("s3").head_object(Bucket=cloud.ingest_bucket, Key=source.key)
    assert head["VersionId"] == source.version_id  # the source is untouched


def event_for(job: JobInput, status: str, **detail) -> dict:
    return {"version": "0", "id": "e-1", "detail-type": DETAIL_TYPE, "source": "aws.states",
            "account": "123456789012", "time": "2026-12-01T00:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"executionArn": "arn:x", "stateMachineArn": "arn:sm", "name": job.job_id, "status": status,
                       "input": job.model_dump_json(), **detail}}


@pytest.mark.parametrize("settled", [JobStatus.COMPLETED, JobStatus.CANCELLED])
def test_a_job_already_settled_or_cancelled_is_left_as_it_is(cloud, settled):
    job = JobInput(job_id=f"settled-{settled.value.lower()}", asset_id="a-settled",
                   source=ObjectRef(bucket=cloud.ingest_bucket, key="x.mp4"))
    repo = Repository(cloud.table_name)
    repo.create_job(job)
    if settled is JobStatus.CANCELLED:
        assert repo.cancel_job(job.job_id, (JobStatus.QUEUED,))
    else:
        assert repo.update_job(job.job_id, settled)
    payload, errored = cloud.invoke("ExecutionEnd", event_for(job, "ABORTED"))
    assert not errored and payload["settled"] is False
    assert repo.get_job(job.job_id)["status"] == settled.value


def test_a_failure_outside_any_catch_is_recorded_without_credentials(cloud):
    job = JobInput(job_id="failed-outside", asset_id="a-failed", source=ObjectRef(bucket=cloud.ingest_bucket, key="y.mp4"))
    repo = Repository(cloud.table_name)
    repo.create_job(job)
    repo.update_job(job.job_id, JobStatus.RUNNING)
    cause = "open https://b.s3.amazonaws.com/y.mp4?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=abc failed"
    payload, errored = cloud.invoke("ExecutionEnd", event_for(job, "FAILED", error="States.Runtime", cause=cause))
    assert not errored and payload == {"job_id": job.job_id, "settled": True, "error_code": "ExecutionFailed"}
    record = repo.get_job(job.job_id)
    assert record["status"] == JobStatus.FAILED.value and record["error_code"] == "ExecutionFailed"
    assert "X-Amz-" not in json.dumps(record) and "States.Runtime" in record["error"]


def test_the_sample_event_parses_and_names_its_job():
    from tests.conftest import REPO

    event = ExecutionEndEvent.model_validate_json((REPO / "events" / "execution_end.json").read_text())
    assert event.detail.status is UnfinishedEnd.TIMED_OUT and event.detail.input.job_id == event.detail.name


def test_every_unfinished_end_has_its_own_code_and_reason():
    job = JobInput(job_id="j", asset_id="a", source=ObjectRef(bucket="b", key="k"))
    codes = set()
    for status in UnfinishedEnd:
        change = ExecutionStatusChange.model_validate(event_for(job, status.value)["detail"])
        assert reason_for(change)
        codes.add(status.error_code)
    assert codes == {"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}


def function_of(log_name: str) -> str:
    """The function an invocation's log file (`<logical id>-<8 hex>.log`) belongs to, e.g. `Scenes`."""
    return construct_name(log_name.rsplit("-", 1)[0]).removeprefix("Functions")


def throttled_by_invocation(cloud) -> dict[str, int]:
    """{invocation's log file: throttled calls in it} for every invocation the local stack has run."""
    return {log.name: log.read_text(errors="replace").count(MARKER) for log in (cloud.workdir / "logs").glob("*.log")}


def test_killed_throttled_and_timed_out_handlers_end_in_an_explained_state(cloud, clips):
    """Faults injected by the local runtime, in one job: the first CaptionPart process is killed mid-invocation
    (the crash retry runs it again), a fifth of every S3 and DynamoDB call is throttled (the SDK's retries absorb
    them), and Trailer is held to a 0.3 s timeout (Lambda's Sandbox.Timedout, not retried)."""
    from reelflow.local.jobs import wait_for_job

    saved, before = cloud.faults, set(throttled_by_invocation(cloud))
    cloud.faults = type(saved)(timeouts={"Trailer": 0.3}, kills={"CaptionPart": 0.3}, throttle=0.2)
    try:
        source = upload_source(cloud, clips["plain"], key="faults/killed-and-timed-out.mp4")
        job_id, asset_id = expected_job(source)
        outcome = wait_for_job(cloud, job_id, asset_id, timeout=300)
        assert not cloud.faults.kills  # the planned kill happened
    finally:
        cloud.faults = saved
    stages = outcome.job["stages"]
    assert outcome.status == JobStatus.PARTIAL.value
    assert stages["captions"]["status"] == "SUCCEEDED"  # after the retry
    assert stages["trailer"]["status"] == "FAILED" and stages["trailer"]["error_code"] == "Sandbox.Timedout"
    assert {name for name, stage in stages.items() if stage["status"] == "FAILED"} == {"trailer"}
    # The fault throttles each process's first call: every function of the job met it and got through, but
    # Trailer when its 0.3 s ran out before its first call (the killed CaptionPart's retry met it instead).
    job_logs = {name: n for name, n in throttled_by_invocation(cloud).items() if name not in before}
    functions = {function_of(name) for name in job_logs}
    throttled = {function_of(name) for name, n in job_logs.items() if n}
    assert {"Probe", "TranscodeChunk", "CaptionPart", "Scenes", "Finalize"} <= functions
    assert functions - throttled <= {"Trailer"}


@pytest.mark.parametrize("settled", [True, False])
def test_a_job_execution_end_fails_counts_under_jobs_failed_and_one_already_settled_does_not(monkeypatch, capsys,
                                                                                             settled):
    """In-process, with the job table stubbed: the metric follows whether ExecutionEnd settled the job."""
    from functions.core import metrics as names
    from functions.core.observability import metrics
    from functions.execution_end import handler as module
    from reelflow.local.invoke import LocalContext

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    monkeypatch.setattr(metrics, "namespace", names.NAMESPACE)
    monkeypatch.setenv("TABLE_NAME", "jobs")
    monkeypatch.setenv("OUTPUT_BUCKET", "out")

    class Jobs:
        def __init__(self, *_):
            pass

        def fail_unsettled(self, job_id, *, error, error_code):
            return settled

    monkeypatch.setattr(module, "Repository", Jobs)
    monkeypatch.setattr(module, "announce", lambda **_: None)
    job = JobInput(job_id="timed-out", asset_id="a", source=ObjectRef(bucket="b", key="k.mp4"))
    capsys.readouterr()
    result = module.handler(event_for(job, "TIMED_OUT"), LocalContext("ExecutionEnd", 256, 30, "arn:fn"))
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    failed = [b for b in blobs if names.JOB_OUTCOMES[JobStatus.FAILED] in b]
    assert result == {"job_id": job.job_id, "settled": settled, "error_code": "ExecutionTimedOut"}
    assert len(failed) == (1 if settled else 0)
    if settled:
        assert failed[0]["error_code"] == "ExecutionTimedOut"
