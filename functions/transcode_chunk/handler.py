"""EncodeChunk: one chunk of the source into every HLS rung and a proxy part, uploaded to the asset folder; and, when
the job detects scenes too (probe.scenes_on_chunks), the chunk's scene part measured on the same decode."""
import tempfile
from pathlib import Path

from functions.core.models import ChunkInput, ChunkResult, ScenePartResult
from functions.core.observability import job_handler, logger
from functions.core.s3io import put_bytes, source_url, upload_file, upload_tree
from functions.core.scenes.chunk import encode_and_measure
from functions.core.scenes.parts import to_bytes
from functions.core.settings import Settings, asset_prefix, scene_part_key, work_prefix
from functions.core.transcode import encode_chunk, rung_stats


@job_handler(ChunkInput)
def handler(job: ChunkInput) -> ChunkResult:
    settings = Settings.from_env()
    prefix = asset_prefix(job.asset_id)
    with tempfile.TemporaryDirectory(prefix="chunk-") as tmp:
        out = Path(tmp)
        args = (source_url(job.source), job.probe.source, job.probe.plan, job.chunk, out)
        scene_part = None
        if job.probe.scenes_on_chunks:  # the scene part from the same decode, for Scenes
            rungs, frames = encode_and_measure(*args, on_progress=_report)
            key = scene_part_key(job.asset_id, job.job_id, job.chunk.index)
            put_bytes(settings.output_bucket, key, to_bytes(frames))
            scene_part = ScenePartResult(index=job.chunk.index, key=key, frames=frames.own_frames, on_chunk=True)
        else:
            rungs = encode_chunk(*args, on_progress=_report)
        work = work_prefix(job.asset_id, job.job_id)
        # Segments are outputs; each chunk's own playlists are only read by PackageHls.
        for playlist in (out / "hls").rglob("*.m3u8"):
            upload_file(playlist, settings.output_bucket, f"{work}/hls/{playlist.relative_to(out / 'hls').as_posix()}")
            playlist.unlink()
        upload_tree(out / "hls", settings.output_bucket, f"{prefix}/hls")
        proxy = next((out / "proxy").iterdir())
        proxy_key = f"{work}/proxy/{proxy.name}"
        upload_file(proxy, settings.output_bucket, proxy_key)
    return ChunkResult(
        index=job.chunk.index,
        rungs={name: rung_stats(segments) for name, segments in rungs.items()},
        proxy_key=proxy_key,
        scene_part=scene_part,
    )


def _report(done: float) -> None:
    logger.debug("Encoding", extra={"progress": round(done, 3)})
