"""The suite's own plumbing: tests that share a local stack run on one xdist worker (`--dist loadgroup`)."""
import os

import pytest

pytestmark = pytest.mark.xdist_group("cloud")


def test_grouped_tests_carry_their_group_under_loadgroup(request):
    """pytest 9.2 moved node ids where pytest-xdist 3.8 cannot suffix them, and every group silently split
    across workers (each worker then built its own stacks and jobs): pinned pytest keeps the suffix."""
    if not (os.environ.get("PYTEST_XDIST_WORKER") and request.config.getvalue("loadgroup")):
        pytest.skip("only meaningful in a worker of `pytest -n N --dist loadgroup` (make test)")
    assert request.node.nodeid.endswith("@cloud")
