"""The cost report: metering an execution's history, pricing it, and the billing each invocation records."""
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from functions.core.cost import calls
from functions.core.cost.metering import STATES_AFTER_FINALIZE, ExecutionUse, InvocationUse, meter_history
from functions.core.cost.prices import US_EAST_1, price_table
from functions.core.cost.report import price_job
from functions.core.cost.storage import MULTIPART_THRESHOLD, StorageUse, StoredObject, put_requests
from functions.core.models import ChunkResult, RungStats, StageResult, StageStatus
from functions.core.observability import serialise

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class History:
    """A GetExecutionHistory event list, built the way Step Functions links events (previousEventId)."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def add(self, kind: str, after: int | None, seconds: float = 0.0, **details) -> int:
        event = {"id": len(self.events) + 1, "type": kind, "timestamp": T0 + timedelta(seconds=seconds), **details}
        if after:
            event["previousEventId"] = after
        self.events.append(event)
        return event["id"]

    def task(self, state: str, after: int | None, start: float, end: float, output: dict | None) -> int:
        entered = self.add("TaskStateEntered", after, start, stateEnteredEventDetails={"name": state})
        scheduled = self.add("LambdaFunctionScheduled", entered, start)
        started = self.add("LambdaFunctionStarted", scheduled, start)
        if output is None:
            return self.add("LambdaFunctionFailed", started, end)
        return self.add("LambdaFunctionSucceeded", started, end,
                        lambdaFunctionSucceededEventDetails={"output": json.dumps(output)})


def test_history_gives_each_invocation_its_own_billing_and_counts_every_state_entered():
    history = History()
    probe = history.task("Probe", None, 0, 2, {"billed_ms": 1500, "memory_mb": 1024})
    chunk = history.task("EncodeChunk", probe, 2, 20, {"index": 0, "billed_ms": 17001, "memory_mb": 10240,
                                                        "paid_calls": {}})
    # A failed invocation returned nothing: the history's duration and the function's configured memory.
    history.task("Trailer", chunk, 20, 22.5, None)
    history.add("ChoiceStateEntered", chunk, 23, stateEnteredEventDetails={"name": "Outcome?"})

    use = meter_history(history.events)

    assert [(i.function, i.billed_ms, i.memory_mb) for i in use.invocations] == [
        ("Probe", 1500, 1024), ("TranscodeChunk", 17001, 10240), ("Trailer", 2500, 3008)]
    assert use.invocations[1].stage == "transcode"
    assert use.transitions == 4 + STATES_AFTER_FINALIZE


def test_the_report_has_an_item_per_function_and_service_and_they_add_up():
    use = ExecutionUse(invocations=[
        InvocationUse("Probe", 1000, 1024),
        InvocationUse("TranscodeChunk", 2000, 10240),
        InvocationUse("TranscodeChunk", 3000, 10240),
        InvocationUse("Scenes", 4000, 3008, {"rekognition.DetectLabels": 6}),
        InvocationUse("TranscribeStart", 500, 1024, {"transcribe.StartTranscriptionJob": 1}),
    ], transitions=40)
    storage = StorageUse(outputs=[StoredObject("assets/a/hls/master.m3u8", 2 * 1024**3)],
                         work=[StoredObject("work/a/j/part", 1024**2)], listings=2)

    report = price_job(use, storage, source_seconds=120, prices=US_EAST_1, work_kept=True, later_puts=1)

    items = {(i.stage, i.what): i for i in report.items}
    chunk = items[("transcode", "Lambda TranscodeChunk compute")]
    assert chunk.quantity == pytest.approx(5 * 10) and chunk.unit == "GB-s"
    assert chunk.usd == pytest.approx(50 * US_EAST_1.lambda_gb_second, abs=1e-8)
    assert items[("transcode", "Lambda TranscodeChunk requests")].quantity == 2
    # 10 GB of /tmp, 9.5 GB of it above the free 512 MB, for 5 s; Probe has only the free 512 MB.
    storage = items[("transcode", "Lambda TranscodeChunk ephemeral storage")]
    assert storage.quantity == pytest.approx(5 * 9.5) and storage.unit == "GB-s"
    assert ("probe", "Lambda Probe ephemeral storage") not in items
    assert items[("scenes", "Rekognition DetectLabels")].quantity == 6
    assert items[("captions", "Amazon Transcribe audio")].quantity == pytest.approx(2.0)
    assert items[("pipeline", "Step Functions state transitions")].usd == pytest.approx(40 * US_EAST_1.sfn_transition)
    # The 2 GiB output in parts, the work file and the manifest written later, and two listings.
    assert items[("storage", "S3 PUT and LIST requests")].quantity == put_requests(2 * 1024**3) + 2 + 2
    # One work file read back, and the invocations that stream the source (Probe, two chunks); TranscribeStart
    # reads only work files (its span's audio parts).
    assert items[("storage", "S3 GET requests")].quantity == 4
    assert items[("storage", "S3 Standard, outputs (a month)")].quantity == pytest.approx(2.0)
    assert ("storage", "S3 Standard, work files (3 days)") in items
    assert all(i.usd > 0 for i in report.items)
    assert report.total_usd == pytest.approx(sum(i.usd for i in report.items), abs=1e-8)
    assert report.usd_per_source_minute == pytest.approx(report.total_usd / 2)
    assert report.prices == US_EAST_1.label


def test_a_short_invocations_ephemeral_storage_is_priced_not_rounded_to_nothing():
    from functions.core.cost.metering import FUNCTION_EPHEMERAL_MB

    function = min((f for f, mb in FUNCTION_EPHEMERAL_MB.items() if mb > 512), key=FUNCTION_EPHEMERAL_MB.get)
    use = ExecutionUse(invocations=[InvocationUse(function, 100, 1024)], transitions=3)
    report = price_job(use, StorageUse(outputs=[], work=[]), 10, US_EAST_1, work_kept=False)
    (storage,) = [i for i in report.items if i.what.endswith("ephemeral storage")]
    assert storage.usd == pytest.approx(storage.quantity * US_EAST_1.lambda_ephemeral_gb_second, rel=1e-5)
    assert 0 < storage.usd < 1e-8


def test_a_completed_job_pays_no_storage_for_its_deleted_work_files():
    storage = StorageUse(outputs=[], work=[StoredObject("work/a/j/part", 100)])
    report = price_job(ExecutionUse([], 3), storage, 10, US_EAST_1, work_kept=False)
    assert not [i for i in report.items if "work files" in i.what]


def test_large_objects_are_uploaded_in_parts():
    assert put_requests(10) == 1
    assert put_requests(MULTIPART_THRESHOLD * 3) == 3 * MULTIPART_THRESHOLD // (8 * 1024**2) + 2


def test_an_unknown_region_is_priced_from_the_default_table():
    assert price_table("us-east-1") is US_EAST_1
    assert price_table("ap-nowhere-1") is US_EAST_1


def test_a_billed_result_records_the_invocation_and_drops_empty_paid_calls():
    chunk = ChunkResult(index=0, rungs={"360p": RungStats(bytes=1, seconds=1, peak_bps=1)}, proxy_key="k")
    document = serialise(chunk, 1.23456, {"billed_ms": 1235, "memory_mb": 10240, "paid_calls": {}})
    assert document["billed_ms"] == 1235 and document["memory_mb"] == 10240 and document["seconds"] == 1.235
    assert "paid_calls" not in document
    stage = StageResult(stage="scenes", status=StageStatus.SUCCEEDED)
    billing = {"billed_ms": 1000, "memory_mb": 3008, "paid_calls": {"rekognition.DetectLabels": 2}}
    document = serialise(stage, 1, billing)
    assert document["paid_calls"] == {"rekognition.DetectLabels": 2}


def test_paid_calls_are_counted_on_every_watched_client():
    rekognition = calls.watch(boto3.client("rekognition", region_name="us-east-1",
                                           aws_access_key_id="x", aws_secret_access_key="x"))
    calls.reset()
    with Stubber(rekognition) as stub:
        for _ in range(2):
            stub.add_response("detect_labels", {"Labels": []})
            rekognition.detect_labels(Image={"Bytes": b"jpeg"})
    assert calls.taken() == {"rekognition.DetectLabels": 2}
    calls.reset()
    assert calls.taken() == {}
