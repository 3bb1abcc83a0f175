"""What a job's execution used, read from its Step Functions history: each Lambda invocation's billed duration
and memory, the paid calls it made, and the state transitions Step Functions bills.

Each invocation's result carries its own billing (job_handler: duration rounded up to Lambda's 1 ms, the
configured memory), and the history holds every result as Lambda returned it, the chunk Maps' too. An invocation
that failed returned nothing: its duration is the history's (started to failed) and its memory the function's
configured size (lambdas.FUNCTION_MEMORY_MB)."""
from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.core.cost.lambdas import FUNCTION_EPHEMERAL_MB, FUNCTION_MEMORY_MB, FUNCTION_STAGES, STATE_FUNCTIONS

# Outcomes of a Lambda invocation in the history; a start that failed ran nothing and is not billed.
ENDED = {"LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut"}
FREE_EPHEMERAL_MB = 512  # /tmp every function has without charge
# After Finalize reads the history, the execution still enters the Outcome choice and its end state.
STATES_AFTER_FINALIZE = 2


@dataclass(frozen=True)
class InvocationUse:
    function: str
    billed_ms: int
    memory_mb: int
    paid_calls: Mapping[str, int] = field(default_factory=dict)

    @property
    def stage(self) -> str:
        return FUNCTION_STAGES[self.function]

    @property
    def gb_seconds(self) -> float:
        return self.billed_ms / 1000 * self.memory_mb / 1024

    @property
    def extra_ephemeral_gb_seconds(self) -> float:
        """The /tmp configured above the free 512 MB (the template's, as results do not carry it) for the
        invocation's duration: what Lambda bills as ephemeral storage."""
        extra_mb = max(0, FUNCTION_EPHEMERAL_MB[self.function] - FREE_EPHEMERAL_MB)
        return self.billed_ms / 1000 * extra_mb / 1024


@dataclass(frozen=True)
class ExecutionUse:
    invocations: list[InvocationUse]
    transitions: int


def billing_of(result: Any) -> tuple[int, int, dict[str, int]] | None:
    """(billed_ms, memory_mb, paid_calls) from a result job_handler serialised, or None if it carries none."""
    if not isinstance(result, dict) or not result.get("billed_ms") or not result.get("memory_mb"):
        return None
    return int(result["billed_ms"]), int(result["memory_mb"]), dict(result.get("paid_calls") or {})


def meter_history(events: Iterable[Mapping[str, Any]]) -> ExecutionUse:
    """Every ended Lambda invocation in `events` (GetExecutionHistory's, with execution data) and the number of
    states entered, plus the states that follow Finalize, which reads the history while it runs."""
    by_id = {event["id"]: event for event in events}
    invocations = []
    transitions = STATES_AFTER_FINALIZE
    for event in by_id.values():
        kind = event["type"]
        if kind.endswith("StateEntered"):
            transitions += 1
        if kind not in ENDED:
            continue
        started = _previous(by_id, event, "LambdaFunctionStarted")
        function = STATE_FUNCTIONS.get(_state_name(by_id, event) or "")
        if function is None:
            continue
        output = (event.get("lambdaFunctionSucceededEventDetails") or {}).get("output")
        billing = billing_of(_json(output))
        if billing is None:
            seconds = _elapsed(started["timestamp"], event["timestamp"]) if started else 0.0
            billing = (billed_ms(seconds), FUNCTION_MEMORY_MB[function], {})
        invocations.append(InvocationUse(function, *billing))
    return ExecutionUse(invocations=invocations, transitions=transitions)


def _previous(by_id: Mapping[int, Mapping], event: Mapping, kind: str) -> Mapping | None:
    """The nearest event of `kind` before `event` on its own path (previousEventId links a branch's events)."""
    seen = event
    while seen.get("previousEventId"):
        seen = by_id.get(seen["previousEventId"])
        if seen is None:
            return None
        if seen["type"] == kind:
            return seen
    return None


def _state_name(by_id: Mapping[int, Mapping], event: Mapping) -> str | None:
    entered = _previous(by_id, event, "TaskStateEntered")
    return (entered or {}).get("stateEnteredEventDetails", {}).get("name")


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _elapsed(start: datetime | str, end: datetime | str) -> float:
    def parse(value: datetime | str) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

    return max(0.0, (parse(end) - parse(start)).total_seconds())


def configured_memory_mb() -> int:
    """This function's configured memory, as the Lambda runtime (and the local runtime) sets it; 0 elsewhere."""
    return int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 0)


def billed_ms(seconds: float) -> int:
    """Lambda bills duration rounded up to the millisecond."""
    return max(1, math.ceil(seconds * 1000))
