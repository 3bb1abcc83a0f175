"""The job metrics Reelflow publishes (CloudWatch embedded metric format, through Powertools Metrics), and their
names, which the stack's alarms and dashboard (infra/observability.py) read from here.

Every metric carries the `service` dimension (POWERTOOLS_SERVICE_NAME); stage times carry `stage` as well."""
from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from functions.core.models import JobStatus, Manifest, StageStatus
from functions.core.observability import metrics

NAMESPACE = "Reelflow"
SERVICE = "reelflow"
JOBS_STARTED = "JobsStarted"
# A finished job counts under its status.
JOB_OUTCOMES = {JobStatus.COMPLETED: "JobsCompleted", JobStatus.PARTIAL: "JobsPartial", JobStatus.FAILED: "JobsFailed"}
STAGE_SECONDS = "StageSeconds"
JOB_COST = "JobCostUSD"
JOB_COST_PER_MINUTE = "JobCostPerSourceMinuteUSD"


def record_started() -> None:
    """A job's execution reached Probe."""
    metrics.add_metric(name=JOBS_STARTED, unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()


def record_unsettled_failure(error_code: str) -> None:
    """A job ExecutionEnd failed because its execution ended without Finalize (functions/core/execution_end.py):
    it counts under JobsFailed like one Finalize failed, so the failed-jobs alarm sees it; `error_code`
    (ExecutionTimedOut, ExecutionAborted, ExecutionFailed) is a property of the record, not a dimension, so the
    alarm's metric keeps the one `service` dimension."""
    metrics.add_metric(name=JOB_OUTCOMES[JobStatus.FAILED], unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="error_code", value=error_code)
    metrics.flush_metrics()


def record_finished(manifest: Manifest) -> None:
    """The job's outcome, the time of each stage that ran, and its measured cost."""
    if manifest.status in JOB_OUTCOMES:
        metrics.add_metric(name=JOB_OUTCOMES[manifest.status], unit=MetricUnit.Count, value=1)
    if manifest.cost is not None:
        metrics.add_metric(name=JOB_COST, unit=MetricUnit.NoUnit, value=manifest.cost.total_usd)
        if manifest.cost.usd_per_source_minute is not None:
            metrics.add_metric(name=JOB_COST_PER_MINUTE, unit=MetricUnit.NoUnit,
                               value=manifest.cost.usd_per_source_minute)
    metrics.flush_metrics()
    for stage, result in manifest.stages.items():
        if result.status == StageStatus.SKIPPED:
            continue
        with single_metric(name=STAGE_SECONDS, unit=MetricUnit.Seconds, value=result.seconds,
                           namespace=metrics.namespace) as metric:
            metric.add_dimension(name="service", value=str(metrics.service or SERVICE))
            metric.add_dimension(name="stage", value=stage)
