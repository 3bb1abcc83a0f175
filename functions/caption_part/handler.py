"""CaptionPart: one part of the soundtrack (a transcode chunk's time range), in the chunk Map, so long audio never
meets Lambda's 15-minute limit. With a local engine: its words (the range plus an overlap with its neighbours),
which Captions joins on one timeline. With Amazon Transcribe: the range's audio as 16 kHz mono FLAC, exactly the
chunk's samples, which TranscribeStart joins into one file per Transcribe job (functions.core.captions.spans)."""
import tempfile
from pathlib import Path

from functions.core.captions.parts import part_windows
from functions.core.captions.pipeline import transcribe_media
from functions.core.captions.spans import audio_part_key
from functions.core.ffmpeg import run_ffmpeg, source_input
from functions.core.models import CaptionPartResult, ChunkInput
from functions.core.observability import job_handler, logger
from functions.core.s3io import put_bytes, source_url, upload_file
from functions.core.settings import Settings, work_prefix


@job_handler(ChunkInput)
def handler(job: ChunkInput) -> CaptionPartResult:
    if job.probe.caption_engine == "transcribe":
        return _audio_part(job)
    plan = job.probe.plan
    window = part_windows(plan.starts)[plan.position(job.chunk)]
    transcript = transcribe_media(
        source_url(job.source),  # ffmpeg seeks into it and streams the window's audio: no download
        engine=job.probe.caption_engine,
        language=job.options.language,
        has_audio=job.probe.source.has_audio,
        window=window,
        on_progress=lambda done: logger.debug("Transcribing", extra={"progress": round(done, 3)}),
    )
    key = f"{work_prefix(job.asset_id, job.job_id)}/captions/part-{job.chunk.index:04d}.json"
    put_bytes(Settings.from_env().output_bucket, key, transcript.to_json().encode())
    return CaptionPartResult(index=job.chunk.index, start=job.chunk.start, key=key, words=len(transcript.words))


def _audio_part(job: ChunkInput) -> CaptionPartResult:
    """The chunk's audio for Transcribe (which reads few containers, no .mov/.mkv: FLAC), cut at the chunk's own
    bounds so the parts join without a gap or a doubled sample. The last chunk runs to the end of the source."""
    chunk, last = job.chunk, job.chunk.index == job.probe.plan.chunks[-1].index
    # No seek from 0 (as functions.core.captions.audio.pcm_blocks): ffmpeg trims the codec's priming the same way
    # as a plain read. A seek before -i is sample-exact for audio: ffmpeg decodes from the keyframe and trims.
    seek = ((["-ss", f"{chunk.start:.3f}"] if chunk.start > 0 else [])
            + ([] if last else ["-t", f"{chunk.duration:.3f}"]))
    key = audio_part_key(work_prefix(job.asset_id, job.job_id), chunk.index)
    with tempfile.TemporaryDirectory(prefix="audio-part-") as tmp:
        audio = Path(tmp) / "part.flac"
        run_ffmpeg([*seek, *source_input(source_url(job.source)), "-map", "0:a:0", "-vn", "-sn", "-dn",
                    "-ac", "1", "-ar", "16000", "-c:a", "flac", "-sample_fmt", "s16", str(audio)],
                   duration=chunk.duration, what="Extracting audio for Transcribe")
        upload_file(audio, Settings.from_env().output_bucket, key)
    return CaptionPartResult(index=chunk.index, start=chunk.start, key=key)
