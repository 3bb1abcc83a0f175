"""The state machine: Probe -> Parallel(stages, each with its own Catch) -> Finalize -> outcome."""
from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

# Lambda's own transient failures are retried; a handler's error (bad media) is not.
TRANSIENT_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
CHUNK_CONCURRENCY = 10


class Pipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        probe: lambda_.IFunction,
        transcode_chunk: lambda_.IFunction,
        transcode_package: lambda_.IFunction,
        captions: lambda_.IFunction,
        scenes: lambda_.IFunction,
        finalize: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)

        finalize_task = self._invoke("Finalize", finalize, result_path="$.final")
        outcome = (
            sfn.Choice(self, "Outcome")
            .when(
                sfn.Condition.string_equals("$.final.status", "FAILED"),
                sfn.Fail(self, "JobFailed", error="JobFailed", cause_path="$.final.reason"),
            )
            .otherwise(sfn.Succeed(self, "JobDone"))
        )
        finalize_task.next(outcome)

        probe_task = self._invoke("Probe", probe, result_path="$.probe")
        probe_task.add_catch(finalize_task, errors=["States.ALL"], result_path="$.error")

        stages = sfn.Parallel(self, "Stages", result_path="$.stages")
        # Branch order is the order of results in $.stages.
        stages.branch(self._transcode_branch(transcode_chunk, transcode_package))
        stages.branch(self._single_task_branch("captions", "Captions", captions))
        stages.branch(self._single_task_branch("scenes", "Scenes", scenes))
        stages.add_catch(finalize_task, errors=["States.ALL"], result_path="$.error")

        definition = probe_task.next(stages).next(finalize_task)
        log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_MONTH)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(6),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
        )

    def _invoke(self, name: str, fn: lambda_.IFunction, **kwargs) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            name,
            lambda_function=fn,
            payload_response_only=True,
            retry_on_service_exceptions=False,
            **kwargs,
        )
        task.add_retry(
            errors=TRANSIENT_ERRORS,
            interval=Duration.seconds(2),
            max_attempts=3,
            backoff_rate=2,
        )
        return task

    def _stage_failed(self, stage: str) -> sfn.Pass:
        """A failed stage becomes a FAILED StageResult, so the other branches' results survive."""
        return sfn.Pass(
            self,
            f"{stage.capitalize()}Failed",
            parameters={"stage": stage, "status": "FAILED", "failure.$": "$.error"},
        )

    def _single_task_branch(self, stage: str, name: str, fn: lambda_.IFunction) -> sfn.IChainable:
        task = self._invoke(name, fn)
        task.add_catch(self._stage_failed(stage), errors=["States.ALL"], result_path="$.error")
        return task

    def _transcode_branch(
        self, chunk_fn: lambda_.IFunction, package_fn: lambda_.IFunction
    ) -> sfn.IChainable:
        failed = self._stage_failed("transcode")
        # Long footage is cut into chunks of whole HLS segments, so no single Lambda
        # invocation gets near the 15-minute limit.
        encode = sfn.Map(
            self,
            "EncodeChunks",
            items_path="$.probe.plan.chunks",
            item_selector={
                "job_id.$": "$.job_id",
                "asset_id.$": "$.asset_id",
                "source.$": "$.source",
                "options.$": "$.options",
                "probe.$": "$.probe",
                "chunk.$": "$$.Map.Item.Value",
            },
            max_concurrency=CHUNK_CONCURRENCY,
            result_path="$.chunks",
        )
        encode.item_processor(self._invoke("EncodeChunk", chunk_fn))
        encode.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        package = self._invoke("PackageHls", package_fn)
        package.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        return encode.next(package)
