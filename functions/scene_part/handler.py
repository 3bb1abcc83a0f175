"""ScenePart: one part of the footage (a transcode chunk's time range) decoded and measured frame by frame.

Parts run in a Map, so long footage never meets Lambda's 15-minute limit; Scenes joins them. A job that transcodes
too has EncodeChunk measure the parts on its own decode (probe.scenes_on_chunks); ScenePart then runs only if the
chunks failed first."""
from functions.core.models import ChunkInput, ScenePartResult
from functions.core.observability import job_handler, logger
from functions.core.s3io import put_bytes, source_url
from functions.core.scenes.analyse import measure_frames
from functions.core.scenes.parts import chunk_window, to_bytes
from functions.core.settings import Settings, scene_part_key


@job_handler(ChunkInput)
def handler(job: ChunkInput) -> ScenePartResult:
    source = job.probe.source
    if not source.has_video:
        return ScenePartResult(index=job.chunk.index)
    window = chunk_window(job.probe.plan, job.chunk, source)
    frames = measure_frames(source_url(job.source), source, window=window,
                            on_progress=lambda done: logger.debug("Measuring", extra={"progress": round(done, 3)}))
    key = scene_part_key(job.asset_id, job.job_id, job.chunk.index)
    put_bytes(Settings.from_env().output_bucket, key, to_bytes(frames))
    return ScenePartResult(index=job.chunk.index, key=key, frames=frames.own_frames)
