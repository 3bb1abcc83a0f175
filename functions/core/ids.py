"""Deterministic ids and S3 key decoding: the same upload always maps to the same asset and job."""
from __future__ import annotations

import hashlib
import json
from urllib.parse import unquote_plus

from functions.core.models import DEFAULT_TENANT, JobOptions, ObjectRef


def _digest(*parts: object, length: int) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:length]


def asset_id_for(bucket: str, key: str, tenant: str = DEFAULT_TENANT) -> str:
    """One asset per source location and tenant; a new upload to the same key is a new job of that asset.
    The tenant is in the digest, so two tenants never share an asset id (nor its output folder); the
    default tenant's ids are those from before tenants existed."""
    if tenant == DEFAULT_TENANT:
        return "a" + _digest(bucket, key, length=15)
    return "a" + _digest(bucket, key, tenant, length=15)


# Options added after job ids were first issued: left out of the digest at their default, so a job that does not
# ask for them keeps the id it had before they existed.
LATER_OPTIONS = ("video_codec",)


def job_id_for(ref: ObjectRef, options: JobOptions | None = None) -> str:
    """Stable for one upload version (and one set of options): also the execution name, which
    Step Functions deduplicates too."""
    opts = (options or JobOptions()).model_dump(exclude_none=True)
    for name in LATER_OPTIONS:
        if opts[name] == JobOptions.model_fields[name].default:
            del opts[name]
    return "j" + _digest(ref.bucket, ref.key, ref.version_id or ref.etag, opts, length=23)


def key_candidates(key: str) -> list[str]:
    """S3 notifications URL-encode keys (a space arrives as '+'); EventBridge events may not.
    Try the decoded form first, then the key exactly as delivered."""
    decoded = unquote_plus(key)
    return [decoded] if decoded == key else [decoded, key]
