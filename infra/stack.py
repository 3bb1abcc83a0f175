"""The Reelflow stack: storage, the ingest event path, the media functions and the state machine."""
from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.functions import FunctionSpec, MediaFunctions
from infra.nag import acknowledge_findings
from infra.pipeline import Pipeline
from infra.storage import Storage

MINUTES_15 = 900


class ReelflowStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        storage = Storage(self, "Storage")

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
        )
        probe = functions.add(
            FunctionSpec("Probe", "functions.probe.handler.handler", memory_mb=1024, timeout_s=120,
                         description="Probe and validate the source; plan the ladder and chunks")
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
            sources.SqsEventSource(queue, batch_size=10, report_batch_item_failures=True)
        )

        # Sources are read, never written or deleted, by any function.
        for fn in (probe, chunk, package, ingest):
            storage.ingest.grant_read(fn)
        for fn in (chunk, package, finalize):
            storage.output.grant_read_write(fn)
        for fn in (ingest, probe, finalize):
            storage.table.grant_read_write_data(fn)
        storage.idempotency.grant_read_write_data(ingest)
        state_machine.grant_start_execution(ingest)
        events.EventBus.from_event_bus_name(self, "DefaultBus", "default").grant_put_events_to(finalize)

        self.storage = storage
        self.state_machine = state_machine
        self.functions = functions.functions
        acknowledge_findings(
            self,
            buckets=[storage.ingest, storage.output],
            tables=[storage.table],
            invoked_functions=[probe, chunk, package, finalize],
        )
