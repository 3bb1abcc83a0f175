"""How many handlers the local stack runs at once (LocalCloud's `concurrency`)."""
import os

import pytest

from reelflow.local.cloud import CONCURRENCY_ENV, local_concurrency


def test_the_machine_s_cores_by_default():
    assert local_concurrency({}) == max(2, os.cpu_count() or 2)


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("6", 6), ("0", 1)])
def test_the_environment_sets_it(raw, expected):
    assert local_concurrency({CONCURRENCY_ENV: raw}) == expected
