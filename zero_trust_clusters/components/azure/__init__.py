"""The hardened AKS cluster (pulumi-azure-native v3). `cloud.py` registers it; `component.py`
builds it.

Importing the package loads no SDK: `AksCluster` is imported on first use.
"""

from typing import Any

__all__ = ["AksCluster"]


def __getattr__(name: str) -> Any:
    if name == "AksCluster":
        from zero_trust_clusters.components.azure.component import AksCluster

        return AksCluster
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
