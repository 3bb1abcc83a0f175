"""TranscribeStart: join one span's FLAC parts (CaptionPart extracted them, one per chunk) into the file its
Amazon Transcribe job reads, and start that job (functions.core.captions.spans says why spans and parts).

The state machine runs one TranscribeStart per span in a Map, then waits and polls each Transcribe job itself (a
Wait/Choice loop), so no Lambda sleeps while Transcribe works; the Captions function joins the results.
"""
import tempfile
from pathlib import Path

from functions.core.aws import client
from functions.core.captions import build_transcribe_request
from functions.core.captions.spans import audio_part_key, span_audio_key, span_job_name, span_result_key
from functions.core.ffmpeg import run_ffmpeg, work_concat_input
from functions.core.models import AUTO_LANGUAGE, JobOptions, TranscribeJob, TranscribeSpanInput
from functions.core.observability import job_handler
from functions.core.s3io import upload_file, work_url
from functions.core.settings import Settings, work_prefix


@job_handler(TranscribeSpanInput)
def handler(job: TranscribeSpanInput) -> TranscribeJob:
    bucket = Settings.from_env().output_bucket
    work = work_prefix(job.asset_id, job.job_id)
    span = job.span
    vocabulary_language = _vocabulary_language(job.options)  # before the audio work: a missing vocabulary fails fast
    chunks = range(span.first_chunk, span.first_chunk + span.chunk_count)
    audio_key = span_audio_key(work, span.index)
    with tempfile.TemporaryDirectory(prefix="transcribe-") as tmp:
        audio = Path(tmp) / "audio.flac"
        # FLAC parts do not join by stream copy (each restarts its frame numbers and timestamps, which decoders
        # read as going back in time): the parts are decoded in order and encoded once more, an audio-only pass.
        urls = [work_url(bucket, audio_part_key(work, index)) for index in chunks]
        run_ffmpeg([*work_concat_input(urls, Path(tmp) / "parts.txt", "flac"),
                    "-c:a", "flac", "-sample_fmt", "s16", str(audio)],
                   duration=span.duration, what="Joining the audio for Transcribe")
        upload_file(audio, bucket, audio_key)
    output_key = span_result_key(work, span.index)
    options = job.options
    request = build_transcribe_request(
        span_job_name(job.job_id, span.index), f"s3://{bucket}/{audio_key}", options.language, bucket, output_key,
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
