"""Trailer: pick highlights from the scenes (and words), assemble 16:9 and 9:16 cuts with a plan editors can recut."""
import tempfile
from pathlib import Path

from functions.core.captions import Transcript
from functions.core.models import AfterStagesInput, SkipCode, StageResult, StageStatus
from functions.core.observability import job_handler, logger
from functions.core.s3io import download, get_bytes, source_url, upload_tree
from functions.core.scenes import ScenesDocument
from functions.core.settings import Settings, asset_prefix
from functions.core.trailer import make_trailer


@job_handler(AfterStagesInput)
def handler(job: AfterStagesInput) -> StageResult:
    results = {r.stage: r for r in job.stages}
    scenes_result = results.get("scenes")
    if scenes_result is None or scenes_result.status != StageStatus.SUCCEEDED:
        why = (scenes_result.note or scenes_result.error_reason) if scenes_result else "the scenes stage did not run"
        return StageResult.skipped("trailer", SkipCode.NO_SCENES, f"no scenes to choose from ({why})")

    bucket = Settings.from_env().output_bucket
    prefix = asset_prefix(job.asset_id)
    with tempfile.TemporaryDirectory(prefix="trailer-") as tmp:
        work = Path(tmp)
        scenes_doc = ScenesDocument.model_validate_json(
            get_bytes(bucket, f"{prefix}/{scenes_result.outputs['scenes']}")
        )
        words = None
        captions = results.get("captions")
        captions_file = None
        if captions is not None and captions.status == StageStatus.SUCCEEDED:
            transcript = Transcript.model_validate_json(
                get_bytes(bucket, f"{prefix}/{captions.outputs['transcript']}")
            )
            words = transcript.words
            if job.options.burn_captions and "captions_srt" in captions.outputs:
                captions_file = download(bucket, f"{prefix}/{captions.outputs['captions_srt']}", work / "captions.srt")
        outcome = make_trailer(
            source_url(job.source),  # each segment is read with its own seek: no download, no /tmp limit
            job.probe.source,
            scenes_doc.scenes,
            work / "out",
            words=words,
            target_seconds=job.options.trailer_seconds,
            title=job.options.trailer_title,
            burn_captions=captions_file,
            on_progress=lambda done: logger.debug("Assembling", extra={"progress": round(done, 3)}),
        )
        if outcome.skipped:
            return StageResult.skipped("trailer", outcome.skipped.code, outcome.skipped.reason)
        upload_tree(work / "out", bucket, prefix)
    return StageResult(
        stage="trailer",
        status=StageStatus.SUCCEEDED,
        note=outcome.note,
        outputs=outcome.outputs,
        details={"segments": len(outcome.plan.segments), "duration": outcome.plan.expected_duration,
                 "fallbacks": [f.value for f in outcome.fallbacks]},
    )
