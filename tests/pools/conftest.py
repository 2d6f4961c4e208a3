"""The dev stack's cloud phase, run once for the pool, version and lifecycle tests."""

from __future__ import annotations

import pytest

from tests.pools.support import Run, dev_config, run_cloud_phase


@pytest.fixture(scope="session")
def dev_run() -> Run:
    return run_cloud_phase(dev_config())
