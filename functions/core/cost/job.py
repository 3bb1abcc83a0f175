"""A finished job's measured cost, as Finalize reports it: its execution's history, the objects it stored, and
Finalize's own invocation so far, priced from the region's table. A cost that cannot be measured (no execution to
read: a handler run alone) is reported from the results Finalize was given."""
from __future__ import annotations

from datetime import datetime

from functions.core.aws import client
from functions.core.cost.metering import ExecutionUse, InvocationUse, billing_of, meter_history
from functions.core.cost.models import CostReport
from functions.core.cost.prices import price_table
from functions.core.cost.report import price_job
from functions.core.cost.storage import job_storage
from functions.core.models import FinalizeInput, StageResult

# The function that reports each stage's result (the join, for stages run in parts).
REPORTING_FUNCTIONS = {"transcode": "TranscodePackage", "captions": "Captions", "scenes": "Scenes",
                       "scene_speech": "SceneSpeech", "trailer": "Trailer"}


def execution_use(execution_arn: str) -> ExecutionUse:
    sfn = client("stepfunctions")
    events = [event for page in sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, includeExecutionData=True, PaginationConfig={"PageSize": 1000})
        for event in page["events"]]
    return meter_history(events)


def results_use(run: FinalizeInput) -> ExecutionUse:
    """Without the execution: the invocations whose results reached Finalize (the parts of a Map do not)."""
    results: list[tuple[str, object]] = []
    if run.probe is not None:
        results.append(("Probe", run.probe.model_dump()))
    for result in [*run.stages, *(r for r in (run.scene_speech, run.trailer) if r is not None)]:
        if isinstance(result, StageResult) and result.stage in REPORTING_FUNCTIONS:
            results.append((REPORTING_FUNCTIONS[result.stage], result.model_dump()))
    invocations = [InvocationUse(name, *billing) for name, result in results
                   if (billing := billing_of(result)) is not None]
    return ExecutionUse(invocations=invocations, transitions=0)


def measure_job_cost(run: FinalizeInput, created_at: str, bucket: str, asset_prefix: str, work_prefix: str,
                     finalize: InvocationUse, *, work_kept: bool) -> CostReport:
    use = execution_use(run.execution_arn) if run.execution_arn else results_use(run)
    use = ExecutionUse(invocations=[*use.invocations, finalize], transitions=use.transitions)
    storage = job_storage(client("s3"), bucket, asset_prefix, work_prefix,
                          datetime.fromisoformat(created_at.replace("Z", "+00:00")))
    source_seconds = run.probe.source.duration if run.probe is not None else 0.0
    # The manifest is written after this report.
    return price_job(use, storage, source_seconds, price_table(), work_kept=work_kept, later_puts=1)
