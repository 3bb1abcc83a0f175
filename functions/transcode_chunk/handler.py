"""EncodeChunk: one chunk of the source into every HLS rung and a proxy part, uploaded to the asset folder."""
import tempfile
import time
from pathlib import Path

from functions.core.models import ChunkInput, ChunkResult
from functions.core.observability import job_handler, logger
from functions.core.s3io import source_url, upload_tree
from functions.core.settings import Settings, asset_prefix
from functions.core.transcode import encode_chunk, rung_stats


@job_handler(ChunkInput)
def handler(job: ChunkInput) -> dict:
    started = time.monotonic()
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
        upload_tree(out / "hls", settings.output_bucket, f"{prefix}/hls")
        proxy = next((out / "proxy").iterdir())
        proxy_key = f"{prefix}/work/{job.job_id}/proxy/{proxy.name}"
        upload_tree(out / "proxy", settings.output_bucket, f"{prefix}/work/{job.job_id}/proxy")
    return ChunkResult(
        index=job.chunk.index,
        seconds=round(time.monotonic() - started, 3),
        rungs={name: rung_stats(segments) for name, segments in rungs.items()},
        proxy_key=proxy_key,
    ).model_dump()
