"""The state machine: Probe -> Parallel(stages, each with its own Catch) -> the scenes join, when EncodeChunk measured
the scene parts -> SceneSpeech (when the job asked for both scenes and captions) -> Trailer -> Finalize
-> outcome; and what its role gets beside it (CDK grants it the invokes, the Transcribe poll and logging)."""
from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from functions.core.cost.estimate import EXECUTION_TIMEOUT_SECONDS
from functions.core.models import (
    NOT_REQUESTED, SCENE_SPEECH_INPUTS, SCENES_WITH_TRANSCODE, OptionalStage, SkipCode, StageName, StageResult,
    StageStatus, no_input_reason,
)
from infra.functions import StageFunctions
from infra.nag import TRANSCRIPTION_JOBS, acknowledge, arn_token, default_policy

# Lambda's own transient failures are retried; a handler's error (bad media) is not.
TRANSIENT_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
]
# A function at its reserved concurrency (infra/config.py) throttles: wait for a slot for up to about
# 15 minutes, with jitter so the waiting branches of many jobs do not return at once.
THROTTLED = ["Lambda.TooManyRequestsException"]
# A handler process that died (killed, crashed, out of memory) is tried once more: a lost host recovers, while a
# deterministic crash costs one extra attempt before the stage fails with the reason. Timeouts are not retried:
# the same work would time out again.
CRASHED = ["Runtime.ExitError", "Lambda.Unknown"]
# Each chunk Map runs this many chunks at once: Step Functions' most for an inline Map, so an hour of footage
# (30 chunks) is one wave; three Maps of a job use up to 120 instances of the account's 1,000.
CHUNK_CONCURRENCY = 40


class Pipeline(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, functions: StageFunctions) -> None:
        super().__init__(scope, construct_id)

        finalize_task = self._invoke("Finalize", functions.finalize, result_path="$.final")
        outcome = (
            sfn.Choice(self, "Outcome")
            .when(
                sfn.Condition.string_equals("$.final.status", "FAILED"),
                sfn.Fail(self, "JobFailed", error="JobFailed", cause_path="$.final.reason"),
            )
            .otherwise(sfn.Succeed(self, "JobDone"))
        )
        finalize_task.next(outcome)

        probe_task = self._invoke("Probe", functions.probe, result_path="$.probe")
        probe_task.add_catch(finalize_task, errors=["States.ALL"], result_path="$.error")

        parallel = sfn.Parallel(self, "Stages", result_path="$.stages")
        branches = {
            "transcode": self._transcode_branch(functions.transcode_chunk, functions.transcode_package,
                                                functions.scenes),
            "captions": self._captions_branch(functions.caption_part, functions.captions, functions.transcribe_start),
            "scenes": self._scenes_beside_other_stages(functions.scene_part, functions.scenes),
        }
        for stage, branch in branches.items():  # branch order is the order of results in $.stages
            parallel.branch(self._if_requested(stage, branch))
        parallel.add_catch(finalize_task, errors=["States.ALL"], result_path="$.error")

        # Steps that need two branches' results run after the Parallel state: speech per scene needs
        # scenes and the transcript; the trailer needs scenes (and uses the transcript). A failure
        # is caught into the step's own result path like a branch's, keeping every other result.
        trailer_task = self._after_stages("Trailer", "trailer", functions.trailer, then=finalize_task)
        trailer_step = self._if_requested("trailer", trailer_task, result_path="$.trailer")
        trailer_step.afterwards().next(finalize_task)
        speech_task = self._after_stages("SceneSpeech", "scene_speech", functions.scene_speech, then=trailer_step)
        speech_task.next(trailer_step)
        speech_step = self._speech_if_both_requested(speech_task, then=trailer_step)
        definition = probe_task.next(parallel).next(self._scenes_after_stages(
            functions.scene_part, functions.scenes, list(branches), then=speech_step))
        log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_MONTH)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.seconds(EXECUTION_TIMEOUT_SECONDS),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
        )
        self._acknowledge(functions)
        self._finalize_reads_history(functions.finalize)

    def _finalize_reads_history(self, finalize: lambda_.Function) -> None:
        """Finalize reads its own execution's history for the job's cost (functions.core.cost). In a policy of its
        own: in the function's default policy, the state machine's name would make the function depend on the
        state machine, which depends on the function."""
        executions = Stack.of(self).format_arn(
            service="states", resource="execution", arn_format=ArnFormat.COLON_RESOURCE_NAME,
            resource_name=f"{self.state_machine.state_machine_name}:*")
        assert finalize.role is not None
        policy = iam.Policy(self, "FinalizeReadsHistory", roles=[finalize.role], statements=[
            iam.PolicyStatement(actions=["states:GetExecutionHistory"], resources=[executions])])
        machine = Stack.of(self).get_logical_id(self.state_machine.node.default_child)
        acknowledge(policy, "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:"
                            f"<AWS::AccountId>:execution:<{machine}.Name>:*]",
                    "Finalize reads the history of its own execution, named by the job id at run time.")

    def _acknowledge(self, functions: StageFunctions) -> None:
        """What the state machine's role gets from CDK and AWS, on that role only."""
        machine_policy = default_policy(self.state_machine.role)
        acknowledge(machine_policy, "AwsSolutions-IAM5[Resource::*]",
                    "Step Functions' log delivery (logs:*LogDelivery, DescribeLogGroups, resource policies) and "
                    "X-Ray tracing accept no resource ARN.")
        acknowledge(machine_policy, f"AwsSolutions-IAM5[Resource::{TRANSCRIPTION_JOBS}]",
                    "The Transcribe poll (getTranscriptionJob) names the job at run time.")
        for fn in functions:
            acknowledge(machine_policy, f"AwsSolutions-IAM5[Resource::{arn_token(fn)}:*]",
                        "The state machine invokes this function's versions and aliases.")

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
        task.add_retry(errors=CRASHED, interval=Duration.seconds(1), max_attempts=1)
        task.add_retry(
            errors=THROTTLED,
            interval=Duration.seconds(5),
            max_attempts=12,
            backoff_rate=2,
            max_delay=Duration.minutes(2),
            jitter_strategy=sfn.JitterType.FULL,
        )
        return task

    def _after_stages(self, name: str, stage: StageName, fn: lambda_.IFunction,
                      then: sfn.IChainable) -> tasks.LambdaInvoke:
        task = self._invoke(name, fn, result_path=f"$.{stage}")
        failed = self._stage_failed(stage, f"{name}Failed", error=f"$.{stage}_error", result_path=f"$.{stage}")
        task.add_catch(failed.next(then), errors=["States.ALL"], result_path=f"$.{stage}_error")
        return task

    def _stage_failed(self, stage: StageName, name: str | None = None, *, error: str = "$.error",
                      result_path: str | None = None) -> sfn.Pass:
        """A failed stage becomes a FAILED StageResult (from the Catch's `error`), so the other branches' results
        survive."""
        return sfn.Pass(
            self,
            name or f"{stage.capitalize()}Failed",
            parameters={"stage": stage, "status": "FAILED", "failure.$": error},
            result_path=result_path,
        )

    def _if_requested(self, stage: OptionalStage, start: sfn.IChainable, result_path: str | None = None) -> sfn.Choice:
        """Run `start` unless the job's `stages` option left this stage out (Probe resolves $.probe.run)."""
        not_requested = self._skipped(f"{stage.capitalize()}NotRequested",
                                      StageResult.skipped(stage, SkipCode.NOT_REQUESTED, NOT_REQUESTED), result_path)
        return (
            sfn.Choice(self, f"{stage.capitalize()}Requested")
            .when(sfn.Condition.boolean_equals(f"$.probe.run.{stage}", False), not_requested)
            .otherwise(start)
        )

    def _speech_if_both_requested(self, speech_task: sfn.IChainable, then: sfn.IChainable) -> sfn.Choice:
        """SceneSpeech only when the job asked for both scenes and captions; otherwise the skip its handler would
        return, without invoking it."""
        choice = sfn.Choice(self, "SceneSpeechNeeded")
        for needed, code in SCENE_SPEECH_INPUTS:
            skipped = self._skipped(f"SceneSpeechWithout{needed.capitalize()}", StageResult.skipped(
                "scene_speech", code, no_input_reason(needed, NOT_REQUESTED)), "$.scene_speech")
            choice.when(sfn.Condition.boolean_equals(f"$.probe.run.{needed}", False), skipped.next(then))
        return choice.otherwise(speech_task)

    def _skipped(self, name: str, result: StageResult, result_path: str | None) -> sfn.Pass:
        """A Pass state that records `result` (a skip decided by the state machine, no function invoked)."""
        return sfn.Pass(self, name, result_path=result_path, parameters=result.model_dump(
            mode="json", include={"stage", "status", "note", "details"}))

    def _chunk_map(self, name: str, task_name: str, fn: lambda_.IFunction, result_path: str) -> sfn.Map:
        """`fn` once per chunk of the probe's plan, side by side, each with the job and its chunk."""
        chunks = self._job_map(name, "$.probe.plan.chunks", "chunk", result_path)
        chunks.item_processor(self._invoke(task_name, fn))
        return chunks

    def _job_map(self, name: str, items_path: str, item: str, result_path: str) -> sfn.Map:
        """A Map over `items_path`, CHUNK_CONCURRENCY at once, whose iterations each get the job (its ids,
        source, options and probe) and their item under `item`."""
        return sfn.Map(
            self,
            name,
            items_path=items_path,
            item_selector={
                "job_id.$": "$.job_id",
                "asset_id.$": "$.asset_id",
                "source.$": "$.source",
                "options.$": "$.options",
                "probe.$": "$.probe",
                f"{item}.$": "$$.Map.Item.Value",
            },
            max_concurrency=CHUNK_CONCURRENCY,
            result_path=result_path,
        )

    def _scenes_beside_other_stages(self, part_fn: lambda_.IFunction, scenes_fn: lambda_.IFunction) -> sfn.Choice:
        """Each part of the footage is measured in its own invocation (long footage never meets Lambda's
        limit); Scenes joins the parts and does everything else. When EncodeChunk measures the parts on its own
        decode ($.probe.scenes_on_chunks), the transcode branch joins them (_transcode_branch), and this branch only
        keeps the scenes' place in $.stages until _scenes_after_stages puts the result there."""
        later = sfn.Pass(self, "ScenesWithTranscode", parameters={
            "stage": "scenes", "status": StageStatus.SKIPPED, "note": SCENES_WITH_TRANSCODE})
        return (
            sfn.Choice(self, "ScenesOnChunks")
            .when(sfn.Condition.boolean_equals("$.probe.scenes_on_chunks", True), later)
            .otherwise(self._chunks_then_join("scenes", ("MeasureSceneParts", "MeasureScenePart", part_fn),
                                              "$.scene_parts", ("Scenes", scenes_fn)))
        )

    def _scenes_after_stages(self, part_fn: lambda_.IFunction, scenes_fn: lambda_.IFunction, order: list[str],
                             then: sfn.IChainable) -> sfn.Choice:
        """Where EncodeChunk measured the scene parts, the transcode branch joined them beside PackageHls and ended
        with both results ([transcode, scenes]); they take their places in $.stages (`order` is the Parallel
        state's branch order). If the chunks failed first, the branch ended with the transcode's failure alone:
        ScenePart measures every part and Scenes joins them here, so the job keeps its scenes."""
        def placed(name: str, results: dict[str, str], spent: str) -> sfn.Pass:
            """$.stages with `results` in their places; the merge also blanks `spent` (and its own key), so the
            rest of the execution does not carry the results twice."""
            array = ", ".join(results.get(stage, f"$.stages[{i}]") for i, stage in enumerate(order))
            first = sfn.Pass(self, f"{name}IntoStages", result_path="$.placed", parameters={
                "stages.$": f"States.Array({array})", "placed": None, spent: None})
            first.next(sfn.Pass(self, f"{name}InStages", parameters={
                "state.$": "States.JsonMerge($, $.placed, false)"}, output_path="$.state")).next(then)
            return first

        transcode = f"$.stages[{order.index('transcode')}]"
        # The pair is taken out first: an intrinsic's path holds one index (as moto's interpreter reads them).
        with_chunks = sfn.Pass(self, "ChunkScenesApart", input_path=transcode, result_path="$.apart")
        with_chunks.next(placed("ChunkScenes", {"transcode": "$.apart[0]", "scenes": "$.apart[1]"}, "apart"))
        result = "$.scenes_joined"
        on_their_own = placed("ScenesOnTheirOwn", {"scenes": result}, "scenes_joined")
        failed = self._stage_failed("scenes", "ScenesOnTheirOwnFailed", error="$.scenes_error", result_path=result)
        failed.next(on_their_own)
        parts = self._chunk_map("MeasureScenePartsAfterTranscode", "MeasureScenePartAfterTranscode", part_fn,
                                result_path="$.scene_parts")
        parts.add_catch(failed, errors=["States.ALL"], result_path="$.scenes_error")
        joined = self._invoke("ScenesAfterTranscode", scenes_fn, result_path=result)
        joined.add_catch(failed, errors=["States.ALL"], result_path="$.scenes_error")
        parts.next(joined).next(on_their_own)
        on_chunks = sfn.Condition.boolean_equals("$.probe.scenes_on_chunks", True)
        return (
            sfn.Choice(self, "ScenesJoinedWithTranscode")
            .when(sfn.Condition.and_(on_chunks, sfn.Condition.is_present(f"{transcode}.status")), parts)
            .when(on_chunks, with_chunks)
            .otherwise(then)
        )

    def _chunks_then_join(
        self,
        stage: StageName,
        per_chunk: tuple[str, str, lambda_.IFunction],
        result_path: str,
        join: tuple[str, lambda_.IFunction],
        failed: sfn.Pass | None = None,
    ) -> sfn.IChainable:
        """A Map of (map name, task name, function) over the chunks, its results at `result_path`,
        then the (task name, function) that joins them; a failure of either fails only `stage` (through
        `failed`, when the branch has other tasks sharing it)."""
        failed = failed or self._stage_failed(stage)
        chunks = self._chunk_map(*per_chunk, result_path=result_path)
        chunks.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        joined = self._invoke(*join)
        joined.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        return chunks.next(joined)

    def _captions_branch(
        self, part_fn: lambda_.IFunction, captions_fn: lambda_.IFunction, start_fn: lambda_.IFunction
    ) -> sfn.IChainable:
        """Local engines transcribe the soundtrack in parts, one CaptionPart per chunk (long audio never meets
        Lambda's limit), and Captions joins them. With Amazon Transcribe the same CaptionPart extracts each chunk's
        audio, then one Transcribe job per span of the plan (at most Transcribe's 4 h a file:
        functions.core.captions.spans) is started and polled by the state machine, the spans side by side, and the
        same Captions function joins their results."""
        failed = self._stage_failed("captions")
        in_parts = self._chunks_then_join("captions", ("TranscribeParts", "TranscribePart", part_fn),
                                          "$.caption_parts", ("Captions", captions_fn), failed=failed)

        audio = self._chunk_map("ExtractAudioParts", "ExtractAudioPart", part_fn, result_path="$.caption_parts")
        audio.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        start = self._invoke("TranscribeStart", start_fn, result_path="$.transcribe")
        # The interval is the span's (Probe derives it from the span's length), so a 12 h source's polls stay
        # well inside the history's 25,000 events.
        wait = sfn.Wait(self, "WaitForTranscribe", time=sfn.WaitTime.seconds_path("$.span.poll_seconds"))
        poll = tasks.CallAwsService(
            self,
            "PollTranscribe",
            service="transcribe",
            action="getTranscriptionJob",
            parameters={"TranscriptionJobName": sfn.JsonPath.string_at("$.transcribe.job_name")},
            iam_resources=[Stack.of(self).format_arn(
                service="transcribe", resource="transcription-job", resource_name="*")],
            result_selector={"status": sfn.JsonPath.string_at("$.TranscriptionJob.TranscriptionJobStatus")},
            result_path="$.transcribe_poll",
        )
        ended = sfn.Pass(self, "TranscribeEnded", parameters={
            "span.$": "$.span", "transcribe.$": "$.transcribe", "status.$": "$.transcribe_poll.status"})
        start.next(wait).next(poll).next(
            sfn.Choice(self, "TranscribeDone")
            .when(sfn.Condition.string_equals("$.transcribe_poll.status", "COMPLETED"), ended)
            .when(sfn.Condition.string_equals("$.transcribe_poll.status", "FAILED"), ended)
            .otherwise(wait)
        )
        spans = self._job_map("TranscribeSpans", "$.probe.transcribe_spans", "span", "$.transcribe_spans")
        spans.item_processor(start)
        spans.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        captions = self._invoke("CaptionsFromTranscribe", captions_fn)
        captions.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        audio.next(spans).next(captions)
        return (
            sfn.Choice(self, "CaptionEngine")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.string_equals("$.probe.caption_engine", "transcribe"),
                    sfn.Condition.boolean_equals("$.probe.source.has_audio", True),
                ),
                audio,
            )
            .otherwise(in_parts)
        )

    def _transcode_branch(
        self, chunk_fn: lambda_.IFunction, package_fn: lambda_.IFunction, scenes_fn: lambda_.IFunction
    ) -> sfn.IChainable:
        """Long footage is cut into chunks of whole HLS segments, so no single Lambda invocation gets near the
        15-minute limit. Where the chunks measured the scene parts on their decode ($.probe.scenes_on_chunks),
        Scenes joins them beside PackageHls, and the branch ends with both results, [transcode, scenes]."""
        failed = self._stage_failed("transcode")
        chunks = self._chunk_map("EncodeChunks", "EncodeChunk", chunk_fn, result_path="$.chunks")
        chunks.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        package = self._invoke("PackageHls", package_fn)
        package.add_catch(failed, errors=["States.ALL"], result_path="$.error")

        package_beside = self._invoke("PackageHlsBesideScenes", package_fn)
        package_beside.add_catch(self._stage_failed("transcode", "TranscodeFailedBesideScenes"), errors=["States.ALL"],
                                 result_path="$.error")
        scenes = self._invoke("ScenesFromChunks", scenes_fn)  # the parts are in the chunks' results
        scenes.add_catch(self._stage_failed("scenes", "ScenesFromChunksFailed"), errors=["States.ALL"],
                         result_path="$.error")
        beside = sfn.Parallel(self, "PackageBesideScenes")
        beside.branch(package_beside)
        beside.branch(scenes)
        beside.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        return chunks.next(
            sfn.Choice(self, "ChunksMeasuredScenes")
            .when(sfn.Condition.boolean_equals("$.probe.scenes_on_chunks", True), beside)
            .otherwise(package)
        )
