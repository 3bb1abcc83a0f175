"""EncodeChunk: one chunk of the source into every HLS rung and a proxy part, uploaded to the asset folder."""
import tempfile
import time
from pathlib import Path

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.core.models import ChunkInput, ChunkResult
from functions.core.observability import logger, tracer
from functions.core.s3io import source_url, upload_tree
from functions.core.settings import Settings, asset_prefix
from functions.core.transcode import encode_chunk, rung_stats


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    started = time.monotonic()
    job = ChunkInput.model_validate(event)
    logger.append_keys(job_id=job.job_id, asset_id=job.asset_id, chunk=job.chunk.index)
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
