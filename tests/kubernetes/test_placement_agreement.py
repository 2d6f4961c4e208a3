"""The cloud components label/taint their sandbox pools exactly as the RuntimeClass expects."""

from __future__ import annotations

from components.cluster import SandboxPlacement, Toleration
from components.kubernetes import default_sandbox_placement


def test_eks_sandbox_pool_matches():
    from components.aws import nodes

    assert nodes.SANDBOX == default_sandbox_placement("aws")


def test_gke_sandbox_pool_matches():
    from components.gcp import pools

    assert pools.SANDBOX_PLACEMENT == default_sandbox_placement("gcp")


def test_aks_sandbox_pool_matches():
    from components.azure import catalog

    key, value = catalog.SANDBOX_LABEL_KEY, catalog.SANDBOX_LABEL_VALUE
    aks = SandboxPlacement(catalog.KATA_HANDLER, {key: value}, (Toleration(key, value),))
    assert aks == default_sandbox_placement("azure")
