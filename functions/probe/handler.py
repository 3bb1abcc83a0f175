"""Probe/Validate: read the source's streams and geometry, reject what cannot be processed, plan the ladder."""
from functions.core.ladder import plan_transcode
from functions.core.models import OPTIONAL_STAGES, JobInput, JobStatus, ProbeResult
from functions.core.observability import job_handler, logger
from functions.core.probe import SourceTooLarge, SourceTooLong, probe_media
from functions.core.repository import Repository, now_iso
from functions.core.s3io import source_url
from functions.core.settings import Settings


@job_handler(JobInput)
def handler(job: JobInput) -> ProbeResult:
    settings = Settings.from_env()
    repo = Repository(settings.table_name, job.tenant)
    repo.update_job(job.job_id, JobStatus.RUNNING, started_at=now_iso())

    if (job.source.size or 0) > settings.max_source_bytes:
        raise SourceTooLarge(
            f"The file is {job.source.size / 1024**3:.1f} GiB; the limit is "
            f"{settings.max_source_bytes / 1024**3:.0f} GiB (MAX_SOURCE_BYTES)."
        )
    info = probe_media(source_url(job.source), size=job.source.size)
    if info.duration > settings.max_duration_seconds:
        raise SourceTooLong(
            f"The footage is {info.duration / 3600:.1f} h long; the limit is "
            f"{settings.max_duration_seconds / 3600:.1f} h (MAX_DURATION_SECONDS)."
        )
    plan = plan_transcode(info, job.options.renditions, settings.chunk_seconds)
    repo.record_source(job.asset_id, info)
    logger.info("Probed", extra={"source": info.model_dump(), "chunks": len(plan.chunks)})
    return ProbeResult(
        source=info,
        plan=plan,
        caption_engine=job.options.caption_engine or settings.default_caption_engine,
        run={stage: job.options.stages is None or stage in job.options.stages for stage in OPTIONAL_STAGES},
    )
