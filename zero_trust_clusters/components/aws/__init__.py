"""The hardened EKS cluster (pulumi-aws v7). `cloud.py` registers it; `component.py` builds it.

Importing the package loads no SDK: `EksCluster` is imported on first use.
"""

from typing import Any

__all__ = ["EksCluster"]


def __getattr__(name: str) -> Any:
    if name == "EksCluster":
        from zero_trust_clusters.components.aws.component import EksCluster

        return EksCluster
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
