"""The handlers' shared edges, in-process and without AWS: job_handler serialises and times what a handler
returns; ingest parses its queue's records with Powertools' own models."""
from __future__ import annotations

import json
import time

from functions.core.models import SkipCode, StageInput, StageResult, StageStatus, TranscribeJob
from functions.core.observability import job_handler
from reelflow.local.invoke import LocalContext
from tests.conftest import REPO


def Context() -> LocalContext:  # noqa: N802 - reads like the class it stands for
    """Lambda's context object, as the local runtime makes it."""
    return LocalContext("stage", 512, 60, "arn:aws:lambda:us-east-1:123456789012:function:stage")


def stage_event() -> dict:
    return json.loads((REPO / "events" / "scenes.json").read_text())


def test_a_returned_result_is_serialised_with_the_invocations_time_added():
    @job_handler(StageInput)
    def handler(job: StageInput) -> StageResult:
        time.sleep(0.05)
        # 1.5 s: what parts running side by side took before this invocation.
        return StageResult.skipped("scenes", SkipCode.NOT_MEASURED, "nothing to measure", seconds=1.5)

    result = handler(stage_event(), Context())
    assert json.loads(json.dumps(result)) == result
    assert result["stage"] == "scenes" and result["status"] == StageStatus.SKIPPED.value
    assert result["details"] == {"skip": SkipCode.NOT_MEASURED.value}
    assert 1.55 <= result["seconds"] < 3.0


def test_a_result_without_seconds_gets_only_what_lambda_bills_for_the_invocation(monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")

    @job_handler(StageInput)
    def handler(job: StageInput) -> TranscribeJob:
        time.sleep(0.02)
        return TranscribeJob(job_name=job.job_id, output_key="work/x/transcribe.json")

    event = stage_event()
    result = handler(event, Context())
    assert {k: result.pop(k) for k in ("job_name", "output_key", "memory_mb")} == {
        "job_name": event["job_id"], "output_key": "work/x/transcribe.json", "memory_mb": 1024}
    assert 20 <= result.pop("billed_ms") < 2000
    assert result == {}  # no paid calls: the key is left out


def test_ingest_parses_each_record_and_fails_only_one_that_is_no_upload_event(monkeypatch):
    from functions.ingest import handler as ingest

    looked_up = []
    # The object is gone by the time ingest looks: the record is done without touching AWS.
    monkeypatch.setattr(ingest, "resolve_upload", lambda *args: looked_up.append(args))
    good = json.loads((REPO / "events" / "ingest.json").read_text())["Records"][0]
    not_json = {**good, "messageId": "not-json", "body": "{"}
    other_shape = {**good, "messageId": "other-shape", "body": json.dumps({"Records": [{"s3": {}}]})}

    response = ingest.handler({"Records": [good, not_json, other_shape]}, Context())

    assert response == {"batchItemFailures": [{"itemIdentifier": "not-json"}, {"itemIdentifier": "other-shape"}]}
    body = json.loads(good["body"])["detail"]
    assert looked_up == [(body["bucket"]["name"], body["object"]["key"], None)]
