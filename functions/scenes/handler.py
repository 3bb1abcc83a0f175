"""Scenes: shot boundaries, per-scene features and tags, thumbnails, editor exports, and the tag index."""
import tempfile
import time
from pathlib import Path

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core.catalog import Catalog
from functions.core.models import StageInput, StageResult, StageStatus
from functions.core.observability import logger, tracer
from functions.core.s3io import source_url, upload_tree
from functions.core.scenes import analyse_scenes, get_label_engine
from functions.core.settings import Settings, asset_prefix


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    started = time.monotonic()
    job = StageInput.model_validate(event)
    logger.append_keys(job_id=job.job_id, asset_id=job.asset_id)
    settings = Settings.from_env()
    source = job.probe.source
    with tempfile.TemporaryDirectory(prefix="scenes-") as tmp:
        work = Path(tmp)
        outcome = analyse_scenes(
            source_url(job.source),  # ffmpeg streams it: no download, no /tmp limit on the source size
            source,
            work / "out",
            media_name=Path(job.source.key).name,
            labeller=get_label_engine(job.options.label_engine or settings.default_label_engine),
            on_progress=lambda done: logger.debug("Analysing", extra={"progress": round(done, 3)}),
        )
        if outcome.skipped:
            return StageResult(
                stage="scenes", status=StageStatus.SKIPPED, note=outcome.skipped.reason,
                seconds=round(time.monotonic() - started, 3),
            ).model_dump()
        upload_tree(work / "out", settings.output_bucket, asset_prefix(job.asset_id))
    Catalog(settings.table_name).put_scenes(job.asset_id, [s.model_dump(mode="json") for s in outcome.scenes])
    tags = sorted({tag for scene in outcome.scenes for tag in scene.tags})
    return StageResult(
        stage="scenes",
        status=StageStatus.SUCCEEDED,
        seconds=round(time.monotonic() - started, 3),
        note=outcome.note,
        outputs=outcome.outputs,
        details={"scene_count": len(outcome.scenes), "tags": tags},
    ).model_dump()
