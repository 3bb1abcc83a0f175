"""Jobs whose execution ended without Finalize: timed out, stopped outside Reelflow's cancel (the console, the
CLI), or failed outside every Catch. Nothing in the state machine can record those, so such a job would stay
QUEUED or RUNNING for ever. Step Functions announces each execution's end on EventBridge ("Step Functions
Execution Status Change"); a rule on the unsuccessful ones runs `functions/execution_end`, which settles the job
as FAILED with the reason. A job Finalize already settled, or one the API cancelled, is left as it is."""
from __future__ import annotations

from enum import StrEnum

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, Json

from functions.core.models import JobInput
from functions.core.redaction import redact

DETAIL_TYPE = "Step Functions Execution Status Change"
MAX_CAUSE = 500  # characters of Step Functions' cause kept in the reason: enough to act on, small for records


class UnfinishedEnd(StrEnum):
    """The execution statuses that can leave a job unsettled (the rule's pattern lists exactly these)."""

    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"

    @property
    def error_code(self) -> str:
        """The job's structured error code: ExecutionFailed, ExecutionTimedOut or ExecutionAborted."""
        return "Execution" + self.value.title().replace("_", "")


class ExecutionStatusChange(BaseModel):
    """The event's detail, as Step Functions sends it (only the fields used here). `input` is the execution's
    input as a JSON string: the JobInput Ingest started it with."""

    executionArn: str
    stateMachineArn: str
    name: str
    status: UnfinishedEnd
    input: Json[JobInput]
    error: str | None = None
    cause: str | None = None


class ExecutionEndEvent(EventBridgeModel):
    detail: ExecutionStatusChange  # type: ignore[assignment]


def reason_for(change: ExecutionStatusChange) -> str:
    """What the job record says, in plain words; credentials in a cause (a presigned URL) are removed."""
    if change.status is UnfinishedEnd.TIMED_OUT:
        return "the job's execution timed out before its results were recorded; run it again (POST /jobs/{id}/rerun)"
    if change.status is UnfinishedEnd.ABORTED:
        return "the job's execution was stopped outside Reelflow (not through the API's cancel) before it finished"
    detail = ": ".join(part for part in (change.error, change.cause) if part)
    detail = redact(detail)[:MAX_CAUSE] if detail else "no error given"
    return f"the job's execution failed outside any stage's error handling ({detail})"
