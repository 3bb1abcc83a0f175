"""EncodeChunk: one chunk of the source into every HLS rung and a proxy part, uploaded to the asset folder."""
import tempfile
from pathlib import Path

from functions.core.models import ChunkInput, ChunkResult
from functions.core.observability import job_handler, logger
from functions.core.s3io import source_url, upload_file, upload_tree
from functions.core.settings import Settings, asset_prefix, work_prefix
from functions.core.transcode import encode_chunk, rung_stats


@job_handler(ChunkInput)
def handler(job: ChunkInput) -> ChunkResult:
    settings = Settings.from_env()
    prefix = asset_prefix(job.asset_id)
    with tempfile.TemporaryDirectory(prefix="chunk-") as tmp:
        out = Path(tmp)
        rungs = encode_chunk(
            source_url(job.source),
            job.probe.source,
            job.probe.plan,
            job.chunk,
            out,
            on_progress=lambda done: logger.debug("Encoding", extra={"progress": round(done, 3)}),
        )
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
    )
