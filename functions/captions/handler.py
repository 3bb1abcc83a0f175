"""Captions: speech recognition with the job's engine; transcript.json, WebVTT and SRT in the asset folder."""
import os
import tempfile
import time
from pathlib import Path

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core.captions import caption_media
from functions.core.catalog import Catalog
from functions.core.models import StageInput, StageResult, StageStatus
from functions.core.observability import logger, tracer
from functions.core.s3io import download_source, upload_tree
from functions.core.settings import Settings, asset_prefix


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    started = time.monotonic()
    job = StageInput.model_validate(event)
    logger.append_keys(job_id=job.job_id, asset_id=job.asset_id)
    settings = Settings.from_env()
    has_audio = job.probe.source.has_audio
    with tempfile.TemporaryDirectory(prefix="captions-") as tmp:
        work = Path(tmp)
        media = download_source(job.source, work / "in") if has_audio else work / "none"
        outcome = caption_media(
            media,
            work / "out",
            engine=job.probe.caption_engine,
            language=job.options.language,
            has_audio=has_audio,
            on_progress=lambda done: logger.debug("Transcribing", extra={"progress": round(done, 3)}),
        )
        upload_tree(work / "out", settings.output_bucket, asset_prefix(job.asset_id))
    Catalog(settings.table_name).put_transcript_summary(job.asset_id, outcome.summary.model_dump())
    return StageResult(
        stage="captions",
        status=StageStatus.SUCCEEDED,
        seconds=round(time.monotonic() - started, 3),
        note=outcome.note,
        outputs=outcome.outputs,
        details={**outcome.summary.model_dump(), "cues": outcome.cue_count},
    ).model_dump()
