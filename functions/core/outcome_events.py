"""The "Job <Status>" events on EventBridge: what studios subscribe to. One shape, whoever settles the job."""
from __future__ import annotations

import json

from functions.core.aws import client
from functions.core.models import JobStatus

SOURCE = "reelflow"


def announce(*, job_id: str, asset_id: str, tenant: str, status: JobStatus, manifest_key: str | None,
             error: str | None) -> None:
    """Put one "Job Completed/Partial/Failed/..." event on the default bus."""
    client("events").put_events(Entries=[{
        "Source": SOURCE,
        "DetailType": f"Job {status.value.capitalize()}",
        "Detail": json.dumps({"job_id": job_id, "asset_id": asset_id, "tenant": tenant, "status": status.value,
                              "manifest_key": manifest_key, "error": error}),
    }])
