"""TranscribeStart: extract the audio next to the outputs and start an Amazon Transcribe job.

The state machine then waits and polls Transcribe itself (a Wait/Choice loop), so no Lambda
sleeps while Transcribe works; the Captions function turns the result into captions.
"""
import tempfile
from pathlib import Path

from functions.core.aws import client
from functions.core.captions import build_transcribe_request
from functions.core.ffmpeg import run_ffmpeg, source_input
from functions.core.models import AUTO_LANGUAGE, JobOptions, StageInput, TranscribeJob
from functions.core.observability import job_handler
from functions.core.s3io import source_url, upload_file
from functions.core.settings import Settings, work_prefix


@job_handler(StageInput)
def handler(job: StageInput) -> TranscribeJob:
    bucket = Settings.from_env().output_bucket
    work = work_prefix(job.asset_id, job.job_id)
    vocabulary_language = _vocabulary_language(job.options)  # before the audio work: a missing vocabulary fails fast
    with tempfile.TemporaryDirectory(prefix="transcribe-") as tmp:
        audio = Path(tmp) / "audio.flac"
        # Transcribe reads few containers (no .mov/.mkv): hand it 16 kHz mono FLAC.
        run_ffmpeg(
            [*source_input(source_url(job.source)), "-vn", "-ac", "1", "-ar", "16000", "-c:a", "flac", str(audio)],
            duration=job.probe.source.duration,
            what="Extracting audio for Transcribe",
        )
        upload_file(audio, bucket, f"{work}/audio.flac")
    output_key = f"{work}/transcribe.json"
    options = job.options
    request = build_transcribe_request(
        job.job_id, f"s3://{bucket}/{work}/audio.flac", options.language, bucket, output_key,
        vocabulary=options.transcribe_vocabulary,
        vocabulary_language=vocabulary_language,
        language_options=options.language_options,
        speaker_labels=options.speaker_labels,
        max_speakers=options.max_speakers,
    )
    client("transcribe").start_transcription_job(**request)
    return TranscribeJob(job_name=request["TranscriptionJobName"], output_key=output_key)


def _vocabulary_language(options: JobOptions) -> str | None:
    """With automatic language identification Transcribe applies a vocabulary under its own language, which
    only the vocabulary knows; with a known language it is not needed."""
    if not options.transcribe_vocabulary or options.language != AUTO_LANGUAGE:
        return None
    return client("transcribe").get_vocabulary(VocabularyName=options.transcribe_vocabulary)["LanguageCode"]
