"""SceneSpeech: once both scenes and captions are done, measure each scene's speech share and tag dialogue."""
import tempfile
from pathlib import Path

from functions.core.captions import Transcript
from functions.core.catalog import Catalog
from functions.core.models import SCENE_SPEECH_INPUTS, AfterStagesInput, StageResult, StageStatus, no_input_reason
from functions.core.observability import job_handler
from functions.core.s3io import get_json, upload_tree
from functions.core.scenes import ScenesDocument
from functions.core.scenes.analyse import write_documents
from functions.core.scenes.records import with_speech
from functions.core.settings import Settings, asset_prefix


@job_handler(AfterStagesInput)
def handler(job: AfterStagesInput) -> StageResult:
    results = {r.stage: r for r in job.stages}
    for needed, code in SCENE_SPEECH_INPUTS:
        got = results.get(needed)
        if got is None or got.status != StageStatus.SUCCEEDED:
            why = (got.note or got.error_reason or got.status.value.lower()) if got else "did not run"
            return StageResult.skipped("scene_speech", code, no_input_reason(needed, why))

    settings = Settings.from_env()
    prefix = asset_prefix(job.asset_id)
    doc = ScenesDocument.model_validate(get_json(settings.output_bucket, f"{prefix}/{results['scenes'].outputs['scenes']}"))
    transcript = Transcript.model_validate(
        get_json(settings.output_bucket, f"{prefix}/{results['captions'].outputs['transcript']}"))
    doc = with_speech(doc, transcript.words)
    with tempfile.TemporaryDirectory(prefix="scene-speech-") as tmp:
        write_documents(doc, Path(tmp))
        upload_tree(Path(tmp), settings.output_bucket, prefix)
    Catalog(settings.table_name, job.tenant).put_scenes(job.asset_id, [s.model_dump(mode="json") for s in doc.scenes])
    talking = sum("dialogue" in s.tags for s in doc.scenes)
    return StageResult(stage="scene_speech", status=StageStatus.SUCCEEDED,
                       note=f"{talking} of {len(doc.scenes)} scenes have dialogue ({len(transcript.words)} words)",
                       details={"dialogue_scenes": talking, "scene_count": len(doc.scenes),
                                "word_count": len(transcript.words)})
