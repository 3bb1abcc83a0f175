"""Scenes: joins the ScenePart measurements, then shot boundaries, per-scene features and tags, thumbnails,
editor exports, and the tag index."""
import tempfile
from pathlib import Path

from functions.core.catalog import Catalog
from functions.core.models import ScenesInput, SkipCode, StageResult, StageStatus
from functions.core.observability import job_handler
from functions.core.s3io import get_bytes, upload_tree
from functions.core.scenes import get_label_engine
from functions.core.scenes.analyse import NO_VIDEO, scenes_from_frames
from functions.core.scenes.parts import from_bytes, join_parts
from functions.core.settings import Settings, asset_prefix
from functions.core.wording import counted


@job_handler(ScenesInput)
def handler(job: ScenesInput) -> StageResult:
    settings = Settings.from_env()
    source = job.probe.source
    measured = job.parts
    # The parts ran side by side before this: the stage took the slowest of them plus this join (job_handler).
    slowest_part = max((p.seconds for p in measured), default=0.0)

    def skipped(code: SkipCode, reason: str) -> StageResult:
        return StageResult.skipped("scenes", code, reason, seconds=slowest_part)

    if not source.has_video:
        return skipped(SkipCode.NO_VIDEO, NO_VIDEO)
    parts = [from_bytes(get_bytes(settings.output_bucket, p.key))
             for p in sorted(measured, key=lambda p: p.index) if p.key]
    if not parts:
        return skipped(SkipCode.NOT_MEASURED, "no part of the footage was measured")
    with tempfile.TemporaryDirectory(prefix="scenes-") as tmp:
        work = Path(tmp)
        outcome = scenes_from_frames(
            join_parts(parts),
            source,
            work / "out",
            media_name=Path(job.source.key).name,
            labeller=get_label_engine(job.options.label_engine or settings.default_label_engine),
        )
        if outcome.skipped:
            return skipped(outcome.skipped.code, outcome.skipped.reason)
        upload_tree(work / "out", settings.output_bucket, asset_prefix(job.asset_id))
    Catalog(settings.table_name, job.tenant).put_scenes(job.asset_id, [s.model_dump(mode="json") for s in outcome.scenes])
    tags = sorted({tag for scene in outcome.scenes for tag in scene.tags})
    on_chunks = sum(p.on_chunk for p in measured)
    return StageResult(
        stage="scenes",
        status=StageStatus.SUCCEEDED,
        seconds=slowest_part,
        note=f"{outcome.note}; measured in {counted(len(parts), 'part')}"
             + (f" ({on_chunks} on the transcode's decode)" if on_chunks else ""),
        outputs=outcome.outputs,
        details={"scene_count": len(outcome.scenes), "tags": tags, "parts": len(parts), "parts_on_chunks": on_chunks,
                 **({"label_engine": outcome.label_engine} if outcome.label_engine else {}),
                 **({"label_error_code": outcome.label_error_code} if outcome.label_error_code else {})},
    )
