"""CaptionPart: the words of one part of the soundtrack (a transcode chunk's time range plus an overlap with its
neighbours), with the job's local engine. Parts run in a Map, so long audio never meets Lambda's 15-minute
limit; Captions joins them on one timeline."""
from functions.core.captions.parts import part_windows
from functions.core.captions.pipeline import transcribe_media
from functions.core.models import CaptionPartResult, ChunkInput
from functions.core.observability import job_handler, logger
from functions.core.s3io import put_bytes, source_url
from functions.core.settings import Settings, work_prefix


@job_handler(ChunkInput)
def handler(job: ChunkInput) -> CaptionPartResult:
    chunks = job.probe.plan.chunks
    window = part_windows([c.start for c in chunks])[[c.index for c in chunks].index(job.chunk.index)]
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
