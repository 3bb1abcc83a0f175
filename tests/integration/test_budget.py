"""The budget guard on moto: a job over its limits ends FAILED at Probe, before any encode."""
from __future__ import annotations

import pytest

from functions.core.models import JobOptions
from functions.core.settings import asset_prefix, work_prefix
from reelflow.local.jobs import expected_job, upload_source, wait_for_job

pytestmark = pytest.mark.xdist_group("cloud")

LIMITS = {
    "CostLimitExceeded": JobOptions(max_cost_usd=0.0001),
    "DurationLimitExceeded": JobOptions(max_duration_seconds=1),
}


ENDED: list = []  # every invocation the refused jobs made, once it ended


@pytest.fixture(scope="module")
def refused(cloud, clips):
    cloud.listeners.append(lambda call: ENDED.append(call) if call.ok is not None else None)
    jobs = {code: expected_job(upload_source(cloud, clips["plain"], key=f"budget/{code}.mp4", options=options))
            for code, options in LIMITS.items()}
    return {code: wait_for_job(cloud, job_id, asset_id, timeout=180) for code, (job_id, asset_id) in jobs.items()}


@pytest.mark.parametrize("code", LIMITS)
def test_a_job_over_its_limit_fails_at_probe_and_nothing_is_encoded(cloud, refused, code):
    outcome = refused[code]
    assert outcome.status == "FAILED"
    probe = outcome.job["stages"]["probe"]
    assert (probe["status"], probe["error_code"]) == ("FAILED", code)
    assert set(outcome.job["stages"]) == {"probe", "finalize"}
    option = "max_cost_usd" if code == "CostLimitExceeded" else "max_duration_seconds"
    assert option in probe["error"]
    s3 = cloud.client("s3")
    outputs = s3.list_objects_v2(Bucket=cloud.output_bucket, Prefix=asset_prefix(outcome.asset_id) + "/")
    written = sorted(o["Key"].removeprefix(asset_prefix(outcome.asset_id) + "/") for o in outputs.get("Contents", []))
    assert written == ["manifest.json", "review/index.html"]  # Finalize's own outputs; no encode ran
    work = s3.list_objects_v2(Bucket=cloud.output_bucket, Prefix=work_prefix(outcome.asset_id, outcome.job_id))
    assert work.get("KeyCount", 0) == 0
    # What it did cost is still reported: Probe and Finalize.
    assert {i["stage"] for i in outcome.job["cost"]["items"]} >= {"probe", "finalize", "pipeline"}


def test_each_function_runs_with_its_templates_memory_size(cloud, template):
    """What each invocation's billing reads (AWS_LAMBDA_FUNCTION_MEMORY_SIZE), as Lambda would set it."""
    for fn in cloud.functions.values():
        memory = template["Resources"][fn.logical_id]["Properties"]["MemorySize"]
        assert cloud.handler_environment(fn)["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == str(memory), fn.logical_id


def test_each_invocation_reports_its_peak_memory_and_cpu_time(refused):
    """What `make bench-long` holds against each function's configured size, and projects AWS time from."""
    assert ENDED and all(call.peak_rss_mb and call.peak_rss_mb > 10 for call in ENDED)
    assert all(0 < call.cpu_seconds < call.seconds * 2 + 1 for call in ENDED)
