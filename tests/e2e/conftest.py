"""`reelflow run` on the built-in sample, once per worker: the modules that read its outputs share it (they are
in one xdist group, `run-sample`, so the sample runs once)."""
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, SAMPLE


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """(the finished process, the asset folder it wrote) for `reelflow run samples/sample.mp4`."""
    out = tmp_path_factory.mktemp("out")
    proc = subprocess.run(
        [sys.executable, "-m", "reelflow.cli", "run", str(SAMPLE), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=900, env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    folders = [p for p in out.iterdir() if p.is_dir()]
    return proc, folders[0] if folders else None
