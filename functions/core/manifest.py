"""Turn the state machine's collected stage results into the manifest and the job's final status."""
from __future__ import annotations

from functions.core.models import (
    FinalizeInput,
    JobStatus,
    Manifest,
    ManifestSource,
    ManifestStage,
    StageStatus,
)
from functions.core.timecode import source_timeline


def build_manifest(run: FinalizeInput, created_at: str, finalize_seconds: float) -> Manifest:
    stages: dict[str, ManifestStage] = {}
    outputs: dict[str, str] = {}
    if run.probe is not None:
        stages["probe"] = ManifestStage(status=StageStatus.SUCCEEDED, seconds=run.probe.seconds)
    else:
        reason = run.error.reason if run.error else "The probe stage did not run."
        stages["probe"] = ManifestStage(status=StageStatus.FAILED, error=reason,
                                        error_code=run.error.Error if run.error else None)
    for result in [*run.stages, *(r for r in (run.scene_speech, run.trailer) if r is not None)]:
        stages[result.stage] = ManifestStage(
            status=result.status, seconds=result.seconds, error=result.error_reason, note=result.note,
            error_code=result.failure.Error if result.failure else None, details=result.details,
        )
        if result.status == StageStatus.SUCCEEDED:
            outputs |= result.outputs
    if run.probe is not None and run.error is not None and not run.stages:
        # The Parallel state itself failed: no branch result survived to report.
        stages["stages"] = ManifestStage(status=StageStatus.FAILED, error=run.error.reason, error_code=run.error.Error)
    stages["finalize"] = ManifestStage(status=StageStatus.SUCCEEDED, seconds=round(finalize_seconds, 3))

    source = None
    if run.probe is not None:
        info = run.probe.source
        rate, timecode = source_timeline(info.fps, info.timecode)
        source = ManifestSource(
            duration=info.duration,
            width=info.width,
            height=info.height,
            display_aspect=info.display_aspect,
            fps=info.fps,
            has_audio=info.has_audio,
            has_video=info.has_video,
            timecode=timecode,
            drop_frame=rate.drop_frame,
            interlaced=info.interlaced,
            hdr=info.hdr,
            audio_tracks=info.audio_tracks,
            other_streams=info.other_streams,
        )
    return Manifest(
        asset_id=run.asset_id,
        job_id=run.job_id,
        status=job_status(stages),
        source_key=run.source.key,
        source=source,
        stages=stages,
        outputs=outputs,
        created_at=created_at,
    )


def job_status(stages: dict[str, ManifestStage]) -> JobStatus:
    """FAILED when probing failed, or stages failed and none succeeded; PARTIAL when some failed and
    others succeeded; COMPLETED when nothing failed (skipped stages are not failures)."""
    work = [s.status for name, s in stages.items() if name not in ("probe", "finalize")]
    if stages.get("probe") is None or stages["probe"].status == StageStatus.FAILED:
        return JobStatus.FAILED
    if StageStatus.FAILED not in work:
        return JobStatus.COMPLETED
    return JobStatus.PARTIAL if StageStatus.SUCCEEDED in work else JobStatus.FAILED


def failure_reason(manifest: Manifest) -> str | None:
    failed = [f"{name}: {s.error}" for name, s in manifest.stages.items() if s.status == StageStatus.FAILED]
    return "; ".join(failed) or None
