"""Function configuration, read from the environment the stack (or the local runtime) sets."""
from __future__ import annotations

import os

from pydantic import BaseModel

from functions.core.ladder import DEFAULT_CHUNK_SECONDS
from functions.core.models import DEFAULT_CAPTION_ENGINE, DEFAULT_TENANT


class Settings(BaseModel):
    table_name: str
    output_bucket: str
    state_machine_arn: str | None = None
    idempotency_table: str | None = None
    chunk_seconds: float = DEFAULT_CHUNK_SECONDS
    default_caption_engine: str = DEFAULT_CAPTION_ENGINE
    default_label_engine: str = "none"
    max_source_bytes: int = 100 * 1024**3
    max_duration_seconds: float = 12 * 3600
    # Owner of editors' direct uploads whose key does not start with an existing tenant's folder.
    default_tenant: str = DEFAULT_TENANT
    # The budget guard's limits for jobs that set none (functions.core.cost.budget); None: no limit.
    default_max_cost_usd: float | None = None
    default_max_job_seconds: float | None = None

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            table_name=env["TABLE_NAME"],
            output_bucket=env["OUTPUT_BUCKET"],
            state_machine_arn=env.get("STATE_MACHINE_ARN"),
            idempotency_table=env.get("IDEMPOTENCY_TABLE"),
            chunk_seconds=float(env.get("CHUNK_SECONDS", DEFAULT_CHUNK_SECONDS)),
            default_caption_engine=env.get("DEFAULT_CAPTION_ENGINE", DEFAULT_CAPTION_ENGINE),
            default_label_engine=env.get("DEFAULT_LABEL_ENGINE", "none"),
            max_source_bytes=int(env.get("MAX_SOURCE_BYTES", cls.model_fields["max_source_bytes"].default)),
            max_duration_seconds=float(
                env.get("MAX_DURATION_SECONDS", cls.model_fields["max_duration_seconds"].default)
            ),
            default_tenant=env.get("DEFAULT_TENANT", DEFAULT_TENANT),
            default_max_cost_usd=env.get("DEFAULT_MAX_COST_USD") or None,
            default_max_job_seconds=env.get("DEFAULT_MAX_JOB_SECONDS") or None,
        )


def asset_prefix(asset_id: str) -> str:
    return f"assets/{asset_id}"


# S3 aborts a multipart upload this many days after it began (a lifecycle rule on both buckets); an upload the
# API reserves as multipart waits as long for its parts.
INCOMPLETE_UPLOAD_DAYS = 1

# Intermediate files (chunk playlists, proxy parts, scene parts, audio for Transcribe and its result) live
# outside the asset folder, so one lifecycle rule can expire them and they never reach an asset's outputs.
WORK_ROOT = "work"


def work_prefix(asset_id: str, job_id: str) -> str:
    """One job's intermediate files; Finalize deletes them when the job completes, a lifecycle rule otherwise."""
    return f"{WORK_ROOT}/{asset_id}/{job_id}"


def scene_part_key(asset_id: str, job_id: str, index: int) -> str:
    """Where one chunk's scene measurements go (written by ScenePart, or by EncodeChunk on its own decode)."""
    return f"{work_prefix(asset_id, job_id)}/scenes/part-{index:04d}.npz"
