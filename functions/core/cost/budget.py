"""The budget guard: Probe refuses a job whose estimate (estimate.py) exceeds its limits, before any encode starts.

A job's limits are its options `max_cost_usd` and `max_duration_seconds`, else the stack's defaults (CDK context
of the same names, which the stack hands Probe as DEFAULT_MAX_COST_USD and DEFAULT_MAX_JOB_SECONDS)."""
from __future__ import annotations

from dataclasses import dataclass

from functions.core.cost.estimate import EXECUTION_TIMEOUT_SECONDS, STATE_LIMIT_BYTES, JobEstimate

RAISE_IT = ("raise it with the job option {option} (reelflow run {flag}, upload metadata {header}, the API's "
            "options.{option}) or the stack's default (cdk deploy -c {option}=...)")


class BudgetExceeded(Exception):
    """A job's estimate is over one of its limits (the subclasses say which); raised by Probe, so the job ends
    FAILED with the subclass's name as the probe stage's error code and nothing encoded."""


class CostLimitExceeded(BudgetExceeded):
    """Raised by Probe when the job's estimated cost is above its max_cost_usd."""


class DurationLimitExceeded(BudgetExceeded):
    """Raised by Probe when the job's estimated AWS wall time is longer than its max_duration_seconds."""


class ExecutionTimeoutExceeded(BudgetExceeded):
    """Raised by Probe when the job's estimated AWS wall time is longer than the state machine's own timeout
    (EXECUTION_TIMEOUT_SECONDS): the execution would time out with most of the work paid for. No job option
    raises it; a shorter source, fewer stages or a local caption engine instead of Amazon Transcribe does."""


class StateLimitExceeded(BudgetExceeded):
    """Raised by Probe when the largest state the execution would carry (the chunk Maps' results, which grow with
    the chunks and rungs) is over Step Functions' 256 KB: PackageHls would fail after every chunk was encoded and
    paid for. Long HEVC jobs on UHD rungs come nearest, as their chunks are shorter (estimate.plan_job); fewer rungs
    or a shorter source fit."""


@dataclass(frozen=True)
class Limit:
    value: float | None
    source: str  # "the job's" or "the stack's default"


def limit(job_value: float | None, stack_default: float | None) -> Limit:
    if job_value is not None:
        return Limit(job_value, "the job's")
    return Limit(stack_default, "the stack's default")


def check_budget(estimate: JobEstimate, max_cost: Limit, max_duration: Limit) -> None:
    """Raise ExecutionTimeoutExceeded when the estimate is over the state machine's timeout, StateLimitExceeded
    when a state it carries would be over Step Functions' limit, else CostLimitExceeded or DurationLimitExceeded
    when it is over a limit that is set."""
    footage = f"{estimate.source_seconds / 60:.1f} min of footage in {estimate.chunks} chunk(s)"
    if estimate.wall_seconds > EXECUTION_TIMEOUT_SECONDS:
        raise ExecutionTimeoutExceeded(
            f"The estimated run time in AWS is {estimate.wall_seconds:.0f} s ({footage}), longer than the state "
            f"machine's timeout of {EXECUTION_TIMEOUT_SECONDS} s; run a shorter source, fewer stages, or a local "
            "caption engine instead of Amazon Transcribe.")
    if estimate.largest_state_bytes > STATE_LIMIT_BYTES:
        raise StateLimitExceeded(
            f"The execution's largest state ({estimate.largest_state}) would be {estimate.largest_state_bytes} "
            f"bytes ({footage}), over Step Functions' limit of {STATE_LIMIT_BYTES}; run fewer rungs or a shorter "
            "source.")
    if max_cost.value is not None and estimate.cost.total_usd > max_cost.value:
        raise CostLimitExceeded(
            f"The estimated cost is ${estimate.cost.total_usd:.4f} ({footage}), above {max_cost.source} limit "
            f"max_cost_usd=${max_cost.value:g}; "
            + RAISE_IT.format(option="max_cost_usd", flag="--max-cost-usd", header="max-cost-usd") + ".")
    if max_duration.value is not None and estimate.wall_seconds > max_duration.value:
        raise DurationLimitExceeded(
            f"The estimated run time in AWS is {estimate.wall_seconds:.0f} s ({footage}), above {max_duration.source} "
            f"limit max_duration_seconds={max_duration.value:g} s; "
            + RAISE_IT.format(option="max_duration_seconds", flag="--max-duration", header="max-duration-seconds")
            + ".")
