"""Probe/Validate: read the source's streams and geometry, reject what cannot be processed, plan the ladder."""
from functions.core.captions.spans import transcribe_spans
from functions.core.cost.budget import check_budget, limit
from functions.core.cost.estimate import estimate_job, plan_job
from functions.core.metrics import record_started
from functions.core.models import OPTIONAL_STAGES, JobInput, JobStatus, ProbeResult
from functions.core.observability import job_handler, logger
from functions.core.probe import probe_source
from functions.core.repository import Repository, now_iso
from functions.core.s3io import source_url
from functions.core.settings import Settings
from functions.core.transcode import scenes_on_chunks


@job_handler(JobInput)
def handler(job: JobInput) -> ProbeResult:
    settings = Settings.from_env()
    repo = Repository(settings.table_name, job.tenant)
    repo.update_job(job.job_id, JobStatus.RUNNING, started_at=now_iso())
    record_started()

    info = probe_source(source_url(job.source), job.source.size, settings.max_source_bytes,
                        settings.max_duration_seconds)
    plan = plan_job(info, job.options, settings.chunk_seconds)
    caption_engine = job.options.caption_engine or settings.default_caption_engine
    repo.record_source(job.asset_id, info)
    estimate = estimate_job(info, job.options, chunk_seconds=settings.chunk_seconds,
                            default_caption_engine=caption_engine, default_label_engine=settings.default_label_engine,
                            source=job.source)
    logger.info("Probed", extra={"source": info.model_dump(), "chunks": len(plan.chunks),
                                 "estimate": estimate.model_dump(exclude={"cost": {"items"}})})
    check_budget(estimate, limit(job.options.max_cost_usd, settings.default_max_cost_usd),
                 limit(job.options.max_duration_seconds, settings.default_max_job_seconds))
    run = {stage: job.options.stages is None or stage in job.options.stages for stage in OPTIONAL_STAGES}
    transcribe = run["captions"] and caption_engine == "transcribe" and info.has_audio
    return ProbeResult(
        source=info,
        plan=plan,
        caption_engine=caption_engine,
        run=run,
        scenes_on_chunks=scenes_on_chunks(run, info),
        transcribe_spans=transcribe_spans(plan.chunks) if transcribe else [],
    )
