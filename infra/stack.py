"""The Reelflow stack: storage, the ingest event path, the media functions and the state machine."""
from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.core.models import DEFAULT_CAPTION_ENGINE
from infra.api import StudioApi
from infra.config import StackConfig
from infra.functions import FunctionSpec, MediaFunctions
from infra.grants import IDEMPOTENCY, INGEST, JOBS, OUTPUT, grant_s3, grant_tables
from infra.nag import LAMBDA_BASIC_EXECUTION, acknowledge, arn_token, default_policy
from infra.pipeline import Pipeline
from infra.storage import Storage

MINUTES_15 = 900
# How cdk-nag writes the transcription-job/* ARN of the stack's own account and region.
TRANSCRIPTION_JOBS = "arn:<AWS::Partition>:transcribe:<AWS::Region>:<AWS::AccountId>:transcription-job/*"


# Actions a function's role holds on "*" beyond X-Ray's, because they name no resource.
_NO_RESOURCE_ACTIONS = {
    "Scenes": ", nor does rekognition:DetectLabels on image bytes.",
    "TranscribeStart": ", nor does transcribe:StartTranscriptionJob (IAM defines no resource type for it).",
}


class ReelflowStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = StackConfig.from_context(self)
        storage = Storage(self, "Storage", cors_origins=config.cors_origins,
                          source_retention_days=config.source_retention_days)
        # `cdk synth -c caption_engine=transcribe` makes Amazon Transcribe the stack's default.
        caption_engine = str(self.node.try_get_context("caption_engine") or DEFAULT_CAPTION_ENGINE)
        # `-c label_engine=rekognition` labels every job's scene keyframes unless the job says otherwise.
        label_engine = str(self.node.try_get_context("label_engine") or "none")

        functions = MediaFunctions(
            self,
            "Functions",
            environment={
                "TABLE_NAME": storage.table.table_name,
                "OUTPUT_BUCKET": storage.output.bucket_name,
                "POWERTOOLS_SERVICE_NAME": "reelflow",
                "POWERTOOLS_METRICS_NAMESPACE": "Reelflow",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
            reserved_concurrency=config.reserved_concurrency,
        )
        probe = functions.add(
            FunctionSpec("Probe", "functions.probe.handler.handler", memory_mb=1024, timeout_s=120,
                         description="Probe and validate the source; plan the ladder, chunks and engines",
                         environment={"DEFAULT_CAPTION_ENGINE": caption_engine})
        )
        chunk = functions.add(
            FunctionSpec("TranscodeChunk", "functions.transcode_chunk.handler.handler",
                         memory_mb=10240, timeout_s=MINUTES_15, ephemeral_mb=10240,
                         description="Encode one chunk of the source into every HLS rung")
        )
        package = functions.add(
            FunctionSpec("TranscodePackage", "functions.transcode_package.handler.handler",
                         memory_mb=3008, timeout_s=MINUTES_15, ephemeral_mb=10240,
                         description="Join chunk playlists into the HLS ladder; proxy and poster")
        )
        caption_part = functions.add(
            # Whisper's int8 matrix work uses every vCPU it gets (cpu_threads = vCPUs); 4 GB brings about 2.3.
            FunctionSpec("CaptionPart", "functions.caption_part.handler.handler",
                         memory_mb=4096, timeout_s=MINUTES_15, ephemeral_mb=512,
                         description="Speech recognition on one part of the soundtrack (a chunk plus overlaps)")
        )
        captions = functions.add(
            FunctionSpec("Captions", "functions.captions.handler.handler",
                         memory_mb=3008, timeout_s=MINUTES_15, ephemeral_mb=1024,
                         description="Join the caption parts (or read Transcribe's result); transcript, WebVTT, SRT")
        )
        transcribe_start = functions.add(
            FunctionSpec("TranscribeStart", "functions.transcribe_start.handler.handler",
                         memory_mb=1024, timeout_s=MINUTES_15, ephemeral_mb=4096,
                         description="Extract audio and start an Amazon Transcribe job")
        )
        scene_part = functions.add(
            # Decoding every frame is most of the cost; ffmpeg's frame threads use the 6 vCPUs 10 GB brings.
            FunctionSpec("ScenePart", "functions.scene_part.handler.handler",
                         memory_mb=10240, timeout_s=MINUTES_15, ephemeral_mb=1024,
                         description="Decode one part of the footage and measure every frame for scene detection")
        )
        scenes = functions.add(
            FunctionSpec("Scenes", "functions.scenes.handler.handler",
                         memory_mb=3008, timeout_s=MINUTES_15, ephemeral_mb=1024,
                         description="Join the parts; shots, per-scene features and tags, thumbnails, exports",
                         environment={"DEFAULT_LABEL_ENGINE": label_engine})
        )
        scene_speech = functions.add(
            FunctionSpec("SceneSpeech", "functions.scene_speech.handler.handler", memory_mb=512, timeout_s=120,
                         description="Speech share and dialogue tags per scene, once scenes and captions are done")
        )
        trailer = functions.add(
            FunctionSpec("Trailer", "functions.trailer.handler.handler",
                         memory_mb=3008, timeout_s=MINUTES_15, ephemeral_mb=2048,
                         description="Highlight reel from scenes and words, 16:9 and 9:16")
        )
        finalize = functions.add(
            FunctionSpec("Finalize", "functions.finalize.handler.handler", memory_mb=512, timeout_s=60,
                         description="Write the manifest and the job's final status")
        )

        pipeline = Pipeline(
            self,
            "Pipeline",
            probe=probe,
            transcode_chunk=chunk,
            transcode_package=package,
            caption_part=caption_part,
            captions=captions,
            transcribe_start=transcribe_start,
            scene_part=scene_part,
            scenes=scenes,
            scene_speech=scene_speech,
            trailer=trailer,
            finalize=finalize,
        )
        state_machine = pipeline.state_machine

        ingest = functions.add(
            FunctionSpec("Ingest", "functions.ingest.handler.handler", memory_mb=512, timeout_s=60,
                         description="Turn an upload into an Asset, a Job and one execution",
                         environment={
                             "IDEMPOTENCY_TABLE": storage.idempotency.table_name,
                             "STATE_MACHINE_ARN": state_machine.state_machine_arn,
                         })
        )

        # Upload -> EventBridge -> SQS (buffer, retries, DLQ) -> ingest.
        dlq = sqs.Queue(
            self,
            "IngestDLQ",
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            retention_period=Duration.days(14),
        )
        queue = sqs.Queue(
            self,
            "IngestQueue",
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            visibility_timeout=Duration.seconds(6 * 60),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=3),
        )
        events.Rule(
            self,
            "UploadRule",
            description="Every object created in the ingest bucket starts a job",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [storage.ingest.bucket_name]}},
            ),
            targets=[targets.SqsQueue(queue)],
        )
        ingest.add_event_source(
            sources.SqsEventSource(queue, batch_size=10, report_batch_item_failures=True,
                                   max_concurrency=config.reserved_concurrency.get("Ingest"))
        )

        # S3: per function, the actions and key prefixes it uses (infra/grants.py, listed in the README).
        # No stage writes or deletes a source; only the API deletes outputs or sources.
        # DynamoDB: per function, the item actions its repository calls make (infra/grants.py, in the README).
        buckets = {INGEST: storage.ingest, OUTPUT: storage.output}
        for name, fn in functions.functions.items():
            grant_s3(fn, name, buckets)
            grant_tables(fn, name, {JOBS: storage.table, IDEMPOTENCY: storage.idempotency})
        state_machine.grant_start_execution(ingest)
        # Transcribe reads the extracted audio and writes its result as the caller (no service role).
        # StartTranscriptionJob has no resource type in IAM (a job-ARN grant never matches, and the vocabulary it
        # names is not authorised separately), so it is granted on "*"; GetVocabulary tells TranscribeStart a
        # vocabulary's language for automatic language identification.
        transcription_jobs = self.format_arn(service="transcribe", resource="transcription-job", resource_name="*")
        transcribe_start.add_to_role_policy(iam.PolicyStatement(
            actions=["transcribe:StartTranscriptionJob"], resources=["*"]))
        transcribe_start.add_to_role_policy(iam.PolicyStatement(
            actions=["transcribe:GetVocabulary"],
            resources=[self.format_arn(service="transcribe", resource="vocabulary", resource_name="*")]))
        captions.add_to_role_policy(iam.PolicyStatement(
            actions=["transcribe:GetTranscriptionJob"], resources=[transcription_jobs]))
        acknowledge(default_policy(transcribe_start.role),
                    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:transcribe:<AWS::Region>:<AWS::AccountId>:vocabulary/*]",
                    "The custom vocabulary is a job option chosen at run time; the action is GetVocabulary only.")
        for fn in (transcribe_start, captions):
            acknowledge(default_policy(fn.role), f"AwsSolutions-IAM5[Resource::{TRANSCRIPTION_JOBS}]",
                        "Transcription job names are derived from job ids at run time; the action is start or "
                        "get only.")
        # DetectLabels on image bytes names no resource, so it can only be granted on "*".
        scenes.add_to_role_policy(iam.PolicyStatement(actions=["rekognition:DetectLabels"], resources=["*"]))
        events.EventBus.from_event_bus_name(self, "DefaultBus", "default").grant_put_events_to(finalize)

        # ---- Studio REST API (infra/api.py: function, grants, usage plan, its nag acknowledgements) ----
        # (Its S3 grants are its rows in infra/grants.py: uploads/ in the ingest bucket, assets/ in the output.)
        self.api = StudioApi(
            self,
            "Api",
            functions=functions,
            storage=storage,
            state_machine=state_machine,
            auth=str(self.node.try_get_context("api_auth") or "key"),
        )
        # ---- end Studio REST API ----

        self.storage = storage
        self.state_machine = state_machine
        self.functions = functions.functions
        self._acknowledge_service_findings(
            invoked=[probe, chunk, package, caption_part, captions, transcribe_start, scene_part, scenes, scene_speech, trailer,
                     finalize])

    def _acknowledge_service_findings(self, invoked: list[lambda_.Function]) -> None:
        """What every function's role and the state machine's role get from CDK and AWS, on those roles only."""
        for name, fn in self.functions.items():
            assert fn.role is not None
            acknowledge(fn.role, LAMBDA_BASIC_EXECUTION,
                        "The AWS-managed minimum for Lambda: it grants only CloudWatch Logs writes.")
            acknowledge(default_policy(fn.role), "AwsSolutions-IAM5[Resource::*]",
                        "X-Ray PutTraceSegments/PutTelemetryRecords accept no resource ARN"
                        + _NO_RESOURCE_ACTIONS.get(name, "."))
        machine_policy = default_policy(self.state_machine.role)
        acknowledge(machine_policy, "AwsSolutions-IAM5[Resource::*]",
                    "Step Functions' log delivery (logs:*LogDelivery, DescribeLogGroups, resource policies) and "
                    "X-Ray tracing accept no resource ARN.")
        acknowledge(machine_policy, f"AwsSolutions-IAM5[Resource::{TRANSCRIPTION_JOBS}]",
                    "The Transcribe poll (getTranscriptionJob) names the job at run time.")
        for fn in invoked:
            acknowledge(machine_policy, f"AwsSolutions-IAM5[Resource::{arn_token(fn)}:*]",
                        "The state machine invokes this function's versions and aliases.")

