"""Jobs cannot be left unsettled: a rule on Step Functions' "Execution Status Change" events for this state
machine's unsuccessful ends (failed, timed out, aborted) runs ExecutionEnd, which marks a job that Finalize never
settled FAILED with the reason (functions/core/execution_end.py). The local runtime runs the same rule."""
from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.core.execution_end import DETAIL_TYPE, UnfinishedEnd
from infra.functions import FunctionSpec, MediaFunctions


class ExecutionWatch(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, functions: MediaFunctions,
                 state_machine: sfn.StateMachine) -> None:
        super().__init__(scope, construct_id)
        self.function = functions.add(FunctionSpec(
            "ExecutionEnd", "functions.execution_end.handler.handler", memory_mb=256, timeout_s=30,
            description="Mark a job FAILED when its execution ended without Finalize (timeout, abort, failure)"))
        events.EventBus.from_event_bus_name(self, "DefaultBus", "default").grant_put_events_to(self.function)
        self.rule = events.Rule(
            self, "Rule",
            description="Executions that ended without success settle their job",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=[DETAIL_TYPE],
                detail={"stateMachineArn": [state_machine.state_machine_arn],
                        "status": [status.value for status in UnfinishedEnd]},
            ),
            targets=[targets.LambdaFunction(self.function, retry_attempts=8)],
        )
