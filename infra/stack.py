"""The Reelflow stack, read as its parts: storage, the media functions, the pipeline, the upload path into it and
the Studio API. Each part applies the grants it needs beside what it builds (S3 rows from infra/grants.py)."""
from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.core.models import DEFAULT_CAPTION_ENGINE
from infra.api import StudioApi
from infra.config import StackConfig
from infra.functions import FunctionSpec, MediaFunctions, StageFunctions
from infra.observability import Observability
from infra.pipeline import Pipeline
from infra.playback import Playback
from infra.storage import Storage
from infra.watch import ExecutionWatch


class ReelflowStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = StackConfig.from_context(self)
        self.storage = Storage(self, "Storage", cors_origins=config.cors_origins,
                               source_retention_days=config.source_retention_days)
        functions = MediaFunctions(self, "Functions", storage=self.storage,
                                   reserved_concurrency=config.reserved_concurrency)
        stages = StageFunctions.add_to(
            functions,
            # `cdk synth -c caption_engine=transcribe` makes Amazon Transcribe the stack's default.
            caption_engine=str(self.node.try_get_context("caption_engine") or DEFAULT_CAPTION_ENGINE),
            # `-c label_engine=rekognition` labels every job's scene keyframes unless the job says otherwise.
            label_engine=str(self.node.try_get_context("label_engine") or "none"),
            budget=config.budget_environment,
        )
        self.state_machine = Pipeline(self, "Pipeline", functions=stages).state_machine
        self._upload_path(functions, self.state_machine, max_concurrency=config.reserved_concurrency.get("Ingest"))
        ExecutionWatch(self, "Watch", functions=functions, state_machine=self.state_machine)
        self.api = StudioApi(
            self,
            "Api",
            functions=functions,
            storage=self.storage,
            state_machine=self.state_machine,
            auth=str(self.node.try_get_context("api_auth") or "key"),
        )
        # Signed playback through CloudFront, when the operator gave the key group's public key (README, Playback).
        self.playback = None
        if config.playback_public_key:
            self.playback = Playback(self, "Playback", storage=self.storage, public_key_pem=config.playback_public_key)
            self.playback.grant_signing(self.api.function)
        self.functions = functions.functions
        self.observability = Observability(self, "Observability", dlq=self.node.find_child("IngestDLQ"),
                                           state_machine=self.state_machine, functions=functions.functions)

    def _upload_path(self, functions: MediaFunctions, state_machine: sfn.StateMachine,
                     max_concurrency: int | None) -> lambda_.Function:
        """Upload -> EventBridge -> SQS (buffer, retries, DLQ) -> the Ingest function -> one execution per upload.
        (Its resources stay in the stack's own scope, where their logical ids have always been.)"""
        ingest = functions.add(
            FunctionSpec("Ingest", "functions.ingest.handler.handler", memory_mb=512, timeout_s=60,
                         description="Turn an upload into an Asset, a Job and one execution",
                         environment={
                             "IDEMPOTENCY_TABLE": self.storage.idempotency.table_name,
                             "STATE_MACHINE_ARN": state_machine.state_machine_arn,
                         })
        )
        state_machine.grant_start_execution(ingest)
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
                detail={"bucket": {"name": [self.storage.ingest.bucket_name]}},
            ),
            targets=[targets.SqsQueue(queue)],
        )
        ingest.add_event_source(
            sources.SqsEventSource(queue, batch_size=10, report_batch_item_failures=True,
                                   max_concurrency=max_concurrency)
        )
        return ingest
