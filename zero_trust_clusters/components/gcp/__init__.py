"""The hardened GKE cluster (pulumi-gcp v10). `cloud.py` registers it; `component.py` builds it.

Importing the package loads no SDK: `GkeCluster` and `ProjectGuardrails` are imported on first
use.
"""

from typing import Any

__all__ = ["GkeCluster", "ProjectGuardrails"]


def __getattr__(name: str) -> Any:
    if name == "GkeCluster":
        from zero_trust_clusters.components.gcp.component import GkeCluster

        return GkeCluster
    if name == "ProjectGuardrails":
        from zero_trust_clusters.components.gcp.project import ProjectGuardrails

        return ProjectGuardrails
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
