"""One mocked run of `AksCluster` for dev-azure, shared by the whole AKS suite."""

from __future__ import annotations

import pytest

from .support import AksRun, run_aks


@pytest.fixture(scope="package")
def dev() -> AksRun:
    return run_aks()
