"""PackageHls: join the chunks' playlists into the ladder and master playlist; join the proxy; grab a poster."""
import tempfile
from pathlib import Path

from functions.core.ffmpeg import run_ffmpeg
from functions.core.models import PackageInput, StageResult, StageStatus
from functions.core.observability import job_handler
from functions.core.s3io import get_bytes, put_bytes, upload_file, work_url
from functions.core.settings import Settings, asset_prefix, work_prefix
from functions.core.transcode import (
    chunk_prefix,
    concat_args,
    join_chunk_playlists,
    join_rung_stats,
    master_playlist,
    poster_args,
    source_conversions,
)


@job_handler(PackageInput)
def handler(job: PackageInput) -> StageResult:
    bucket = Settings.from_env().output_bucket
    prefix = asset_prefix(job.asset_id)
    info, plan = job.probe.source, job.probe.plan
    chunks = sorted(job.chunks, key=lambda c: c.index)

    work = work_prefix(job.asset_id, job.job_id)
    ladder = []
    for rung in plan.renditions:
        playlists = [get_bytes(bucket, f"{work}/hls/{rung.name}/{chunk_prefix(chunk)}.m3u8").decode()
                     for chunk in plan.chunks]
        put_bytes(bucket, f"{prefix}/hls/{rung.name}/index.m3u8", join_chunk_playlists(playlists).encode())
        ladder.append((rung, join_rung_stats([c.rungs[rung.name] for c in chunks])))
    put_bytes(bucket, f"{prefix}/hls/master.m3u8", master_playlist(info, ladder, plan.video_codec).encode())

    with tempfile.TemporaryDirectory(prefix="package-") as tmp:
        work = Path(tmp)
        proxy = work / f"proxy{Path(chunks[0].proxy_key).suffix}"
        run_ffmpeg(concat_args([work_url(bucket, c.proxy_key) for c in chunks], work / "parts.txt", proxy),
                   what="Joining the proxy")
        poster = work / "poster.jpg"
        run_ffmpeg(poster_args(proxy, info, poster), what="Grabbing the poster")
        upload_file(proxy, bucket, f"{prefix}/{proxy.name}")
        upload_file(poster, bucket, f"{prefix}/poster.jpg")

    return StageResult(
        stage="transcode",
        status=StageStatus.SUCCEEDED,
        # The chunks ran side by side before this: the slowest of them plus this packaging (job_handler).
        seconds=max(c.seconds for c in chunks),
        outputs={"hls_master": "hls/master.m3u8", "proxy": proxy.name, "poster": "poster.jpg"},
        details={
            "renditions": plan.renditions,
            "chunks": len(chunks),
            "encode_seconds_total": round(sum(c.seconds for c in chunks), 3),
            "conversions": source_conversions(info),
        },
    )
