"""Captions: speech recognition with the job's engine; transcript.json, WebVTT and SRT in the asset folder."""
import tempfile
import time
from pathlib import Path

from functions.core.aws import client
from functions.core.captions import Transcript, caption_media, parse_transcribe_result, write_captions
from functions.core.catalog import Catalog
from functions.core.models import CaptionsInput, StageResult, StageStatus, TranscribeJob
from functions.core.observability import job_handler, logger
from functions.core.s3io import get_json, source_url, upload_tree
from functions.core.settings import Settings, asset_prefix


class TranscribeFailed(Exception):
    pass


def transcribe_result(job: TranscribeJob, status: str, bucket: str, language: str) -> Transcript:
    """The finished Amazon Transcribe job's words (the state machine polled it to an end)."""
    if status != "COMPLETED":
        described = client("transcribe").get_transcription_job(TranscriptionJobName=job.job_name)
        reason = described["TranscriptionJob"].get("FailureReason", "no reason given")
        raise TranscribeFailed(f"Amazon Transcribe job {job.job_name} ended {status}: {reason}")
    try:
        document = get_json(bucket, job.output_key)
    except Exception as exc:  # noqa: BLE001 - a missing result is the user-facing reason
        raise TranscribeFailed(f"Amazon Transcribe's result is missing at s3://{bucket}/{job.output_key}") from exc
    return parse_transcribe_result(document, language=language)


@job_handler(CaptionsInput)
def handler(job: CaptionsInput) -> dict:
    started = time.monotonic()
    settings = Settings.from_env()
    has_audio = job.probe.source.has_audio
    with tempfile.TemporaryDirectory(prefix="captions-") as tmp:
        work = Path(tmp)
        if job.transcribe is not None:
            status = job.transcribe_poll.status if job.transcribe_poll else "UNKNOWN"
            transcript = transcribe_result(job.transcribe, status, settings.output_bucket, job.options.language)
            outcome = write_captions(transcript, work / "out")
        else:
            outcome = caption_media(
                source_url(job.source),  # ffmpeg streams the audio out of it: no download, no /tmp limit
                work / "out",
                engine=job.probe.caption_engine,
                language=job.options.language,
                has_audio=has_audio,
                on_progress=lambda done: logger.debug("Transcribing", extra={"progress": round(done, 3)}),
            )
        upload_tree(work / "out", settings.output_bucket, asset_prefix(job.asset_id))
    Catalog(settings.table_name, job.tenant).put_transcript_summary(job.asset_id, outcome.summary.model_dump())
    return StageResult(
        stage="captions",
        status=StageStatus.SUCCEEDED,
        seconds=round(time.monotonic() - started, 3),
        note=outcome.note,
        outputs=outcome.outputs,
        details={**outcome.summary.model_dump(), "cues": outcome.cue_count},
    ).model_dump()
