"""How many handlers the local stack runs at once (LocalCloud's `concurrency`)."""
import os

import pytest

from reelflow.local.cloud import CONCURRENCY_ENV, local_concurrency


@pytest.mark.parametrize(("cores", "expected"), [(8, 8), (2, 2), (1, 2), (None, 2)])
def test_the_machine_s_cores_by_default_and_never_fewer_than_two(monkeypatch, cores, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert local_concurrency({}) == expected


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("6", 6), ("0", 1)])
def test_the_environment_sets_it(raw, expected):
    assert local_concurrency({CONCURRENCY_ENV: raw}) == expected
