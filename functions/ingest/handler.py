"""Ingest: S3 "Object Created" events (EventBridge -> SQS) become jobs, once per upload version."""
import os
from dataclasses import asdict

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel, SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from functions.core.ingest import job_for, options_from_metadata, resolve_upload, start_job, tenant_of_key
from functions.core.models import ObjectRef
from functions.core.observability import logger, tracer
from functions.core.repository import Repository, TenantDirectory
from functions.core.settings import Settings


class UploadRecord(SqsRecordModel):
    """One queued message: the EventBridge "Object Created" event of an upload (the stack's rule targets the
    queue with the whole event). A body that is not one fails that record alone."""

    body: Json[S3EventNotificationEventBridgeModel]  # type: ignore[assignment]


processor = BatchProcessor(event_type=EventType.SQS, model=UploadRecord)
idempotency = IdempotencyConfig(event_key_jmespath="[bucket, key, version_id, etag]", expires_after_seconds=7 * 86400)
persistence = DynamoDBPersistenceLayer(table_name=os.environ.get("IDEMPOTENCY_TABLE", "idempotency"))


@idempotent_function(data_keyword_argument="source", config=idempotency, persistence_store=persistence)
def ingest_upload(source: ObjectRef) -> dict:
    settings = Settings.from_env()
    options, problems = options_from_metadata(source.metadata)
    for problem in problems:
        logger.warning("Upload metadata ignored", extra={"problem": problem})
    tenant = tenant_of_key(source.key, TenantDirectory(settings.table_name).exists, settings.default_tenant)
    started = start_job(
        job_for(source, options, tenant=tenant),
        repo=Repository(settings.table_name, tenant),
        state_machine_arn=settings.state_machine_arn or "",
    )
    if started.refused:
        logger.warning("An upload under a reserved key started no job", extra=asdict(started))
    else:
        logger.info("Job started", extra=asdict(started) | {"tenant": tenant})
    return asdict(started)


def record_handler(record: UploadRecord) -> None:
    detail = record.body.detail
    if detail.object.key.endswith("/"):
        logger.info("Ignoring a folder placeholder", extra={"key": detail.object.key})
        return
    source = resolve_upload(detail.bucket.name, detail.object.key, detail.object.version_id)
    if source is None:
        logger.warning("The uploaded object no longer exists", extra={"key": detail.object.key})
        return
    ingest_upload(source=source)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
