"""The job metrics, as Powertools writes them (CloudWatch embedded metric format on stdout)."""
import json

import pytest

from functions.core import metrics as names
from functions.core.cost.models import CostReport
from functions.core.models import JobStatus, Manifest, ManifestStage, StageStatus
from functions.core.observability import metrics


def value(emf: float | list[float]) -> float:
    """A metric's value as the embedded metric format writes it: one number, or a list of them."""
    return emf[0] if isinstance(emf, list) else emf


@pytest.fixture
def published(monkeypatch, capsys):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    monkeypatch.setattr(metrics, "namespace", names.NAMESPACE)
    monkeypatch.setattr(metrics, "service", names.SERVICE)

    def read() -> list[dict]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]

    return read


def test_a_finished_job_publishes_its_outcome_stage_times_and_cost(published):
    manifest = Manifest(asset_id="a", job_id="j", status=JobStatus.PARTIAL, source_key="k", created_at="now",
                        stages={"probe": ManifestStage(status=StageStatus.SUCCEEDED, seconds=1.5),
                                "captions": ManifestStage(status=StageStatus.FAILED, seconds=2.0),
                                "trailer": ManifestStage(status=StageStatus.SKIPPED)},
                        cost=CostReport(total_usd=0.5, usd_per_source_minute=0.1))
    names.record_finished(manifest)
    blobs = published()
    job = blobs[0]
    assert job["_aws"]["CloudWatchMetrics"][0]["Namespace"] == names.NAMESPACE
    assert (job["JobsPartial"], job["JobCostUSD"], job["JobCostPerSourceMinuteUSD"], job["service"]) == (
        [1.0], [0.5], [0.1], names.SERVICE)
    stages = {b["stage"]: value(b[names.STAGE_SECONDS]) for b in blobs[1:]}
    assert stages == {"probe": 1.5, "captions": 2.0}  # a skipped stage did not run


def test_a_started_job_counts_once(published):
    names.record_started()
    [blob] = published()
    assert value(blob[names.JOBS_STARTED]) == 1.0


def test_a_job_failed_outside_finalize_counts_as_failed(published):
    names.record_unsettled_failure("ExecutionTimedOut")
    [blob] = published()
    assert value(blob[names.JOB_OUTCOMES[JobStatus.FAILED]]) == 1.0
    assert blob["error_code"] == "ExecutionTimedOut" and blob["service"] == names.SERVICE
