"""Captions: the transcript (joined from the CaptionPart results, read from Amazon Transcribe's result, or made in
one pass when no parts are given); transcript.json, WebVTT and SRT in the asset folder."""
import tempfile
from pathlib import Path

from functions.core.aws import client
from functions.core.captions import Transcript, parse_transcribe_result, write_captions
from functions.core.captions.parts import join_transcripts
from functions.core.captions.spans import join_spans
from functions.core.captions.pipeline import transcribe_media
from functions.core.catalog import Catalog
from functions.core.models import CaptionsInput, StageResult, StageStatus, TranscribeJob, TranscribeSpanResult
from functions.core.observability import job_handler, logger
from functions.core.s3io import get_bytes, get_json, source_url, upload_tree
from functions.core.settings import Settings, asset_prefix


class TranscribeFailed(Exception):
    """Raised when the Amazon Transcribe job the state machine polled ended FAILED, or its result document
    is missing from the output bucket; the message is the stage's failure reason."""


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
def handler(job: CaptionsInput) -> StageResult:
    settings = Settings.from_env()
    note = None
    if job.transcribe_spans:
        spans: list[TranscribeSpanResult] = sorted(job.transcribe_spans, key=lambda r: r.span.index)
        transcript = join_spans([transcribe_result(r.transcribe, r.status, settings.output_bucket,
                                                   job.options.language) for r in spans],
                                [r.span.start for r in spans])
        note = f"transcribed by {len(spans)} Amazon Transcribe jobs" if len(spans) > 1 else None
    elif job.caption_parts:
        parts = sorted(job.caption_parts, key=lambda p: p.index)
        transcript = join_transcripts([Transcript.from_json(get_bytes(settings.output_bucket, p.key)) for p in parts],
                                      [p.start for p in parts])
        note = f"transcribed in {len(parts)} parts" if len(parts) > 1 else None
    else:
        transcript = transcribe_media(
            source_url(job.source),  # ffmpeg streams the audio out of it: no download, no /tmp limit
            engine=job.probe.caption_engine,
            language=job.options.language,
            has_audio=job.probe.source.has_audio,
            on_progress=lambda done: logger.debug("Transcribing", extra={"progress": round(done, 3)}),
        )
    with tempfile.TemporaryDirectory(prefix="captions-") as tmp:
        outcome = write_captions(transcript, Path(tmp))
        upload_tree(Path(tmp), settings.output_bucket, asset_prefix(job.asset_id))
    Catalog(settings.table_name, job.tenant).put_transcript_summary(job.asset_id, outcome.summary.model_dump())
    return StageResult(
        stage="captions",
        status=StageStatus.SUCCEEDED,
        # Parts ran side by side before this: the stage took the slowest of them plus this join (job_handler).
        seconds=max((p.seconds for p in job.caption_parts), default=0.0),
        note="; ".join(n for n in (outcome.note, note) if n) or None,
        outputs=outcome.outputs,
        details={**outcome.summary.model_dump(), "cues": outcome.cue_count, "parts": len(job.caption_parts),
                 **({"transcribe_jobs": len(job.transcribe_spans)} if job.transcribe_spans else {}),
                 **({"no_words": outcome.no_words.value} if outcome.no_words else {})},
    )
