"""The synthesized CloudFormation template the local runtime runs: synthesized in-process, cached by content."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# functions/api/models.py: infra/api.py generates API Gateway body models from those request models; infra reads
# names and durations from functions/core/settings.py and repository.py (the work prefix, the TTL attribute).
CACHE_DIR = REPO_ROOT / ".reelflow"
SYNTH_INPUTS = ("cdk.json", "pyproject.toml", "infra/*.py", "infra/*.js", "functions/api/models.py",
                "functions/core/settings.py", "functions/core/repository.py")


def _digest(context: dict[str, str]) -> str:
    h = hashlib.sha256(json.dumps(context, sort_keys=True).encode())
    for pattern in SYNTH_INPUTS:
        for path in sorted(REPO_ROOT.glob(pattern)):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def stack_template(cache_dir: Path = CACHE_DIR) -> dict:
    """The stack's template, as `cdk synth` would write it (cdk-nag checks included), for a deployment whose
    playback key group holds this checkout's local key (reelflow.local.playback)."""
    from reelflow.local.playback import local_key_pair

    context = {"playback_public_key": local_key_pair(cache_dir)[1]}
    cache = cache_dir / f"template-{_digest(context)}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    # jsii's Node prints a banner on every start under Node 20; the CLI's output is for the user.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra.app import synth_template

    with tempfile.TemporaryDirectory(prefix="reelflow-synth-") as outdir:
        template = synth_template(Path(outdir), context)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(template))
    partial.replace(cache)  # atomic: parallel test workers may synthesize at once
    return template
