"""Finalize: write manifest.json, settle the Job record, announce the outcome on EventBridge."""
import time

from botocore.exceptions import ClientError

from functions.core.cost.job import measure_job_cost
from functions.core.cost.metering import InvocationUse, billed_ms, configured_memory_mb
from functions.core.cost.models import CostReport
from functions.core.hls_subtitles import publish_hls_subtitles
from functions.core.manifest import build_manifest, failure_reason
from functions.core.metrics import record_finished
from functions.core.models import FinalizeInput, FinalizeResult, JobStatus, Manifest
from functions.core.observability import job_handler, logger
from functions.core.outcome_events import announce
from functions.core.repository import Repository, now_iso
from functions.core.review import publish_review
from functions.core.s3io import delete_prefix, put_json
from functions.core.settings import Settings, asset_prefix, work_prefix


@job_handler(FinalizeInput)
def handler(run: FinalizeInput) -> FinalizeResult:
    started = time.monotonic()
    settings = Settings.from_env()
    repo = Repository(settings.table_name, run.tenant)
    job = repo.get_job(run.job_id) or {}

    manifest = build_manifest(run, job.get("created_at", now_iso()), time.monotonic() - started)
    manifest = publish_hls_subtitles(run, manifest, settings.output_bucket, asset_prefix(run.asset_id))
    manifest = publish_review(manifest, settings.output_bucket, asset_prefix(run.asset_id))
    manifest = manifest.model_copy(update={"cost": _cost(run, manifest, settings, started)})
    manifest_key = f"{asset_prefix(run.asset_id)}/manifest.json"
    put_json(settings.output_bucket, manifest_key, manifest.model_dump(mode="json"))
    reason = failure_reason(manifest)
    repo.update_job(
        run.job_id,
        manifest.status,
        stages=manifest.model_dump(mode="json")["stages"],
        outputs=manifest.outputs,
        manifest_key=manifest_key,
        error=reason,
        finished_at=now_iso(),
        **({"cost": manifest.cost.model_dump(mode="json")} if manifest.cost else {}),
    )
    announce(job_id=run.job_id, asset_id=run.asset_id, tenant=run.tenant, status=manifest.status,
             manifest_key=manifest_key, error=reason)
    record_finished(manifest)
    if manifest.status == JobStatus.COMPLETED:
        _drop_work_files(settings.output_bucket, work_prefix(run.asset_id, run.job_id))
    logger.info("Finalized", extra={"status": manifest.status.value, "error": reason})
    return FinalizeResult(status=manifest.status, reason=reason or "", manifest_key=manifest_key)


def _cost(run: FinalizeInput, manifest: Manifest, settings: Settings, started: float) -> CostReport | None:
    """The job's measured cost (functions.core.cost), Finalize's own invocation counted until now. A cost that
    cannot be measured is logged and left out: it never fails the job."""
    finalize = InvocationUse("Finalize", billed_ms(time.monotonic() - started), configured_memory_mb())
    try:
        return measure_job_cost(run, manifest.created_at, settings.output_bucket, asset_prefix(run.asset_id),
                                work_prefix(run.asset_id, run.job_id), finalize,
                                work_kept=manifest.status != JobStatus.COMPLETED)
    except (ClientError, ValueError, KeyError) as exc:
        logger.warning("Cost not measured", extra={"error": str(exc)})
        return None


def _drop_work_files(bucket: str, prefix: str) -> None:
    """A completed job needs none of its intermediate files. A failed or partial one keeps them for
    diagnosis until the work/ lifecycle rule expires them, which also catches a delete that fails here."""
    try:
        count = delete_prefix(bucket, prefix + "/")
    except ClientError as exc:
        logger.warning("Work files left for the lifecycle rule", extra={"prefix": prefix, "error": str(exc)})
        return
    logger.info("Work files deleted", extra={"prefix": prefix, "objects": count})
