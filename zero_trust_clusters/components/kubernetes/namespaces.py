"""Namespaces with Pod Security Admission labels pinned to the cluster's Kubernetes version."""

from __future__ import annotations

from zero_trust_clusters.components.kubernetes.names import (
    POLICY_CONTROLLER_INCLUDE,
    PSA_MODES,
    meta,
)
from zero_trust_clusters.components.spec import Posture, WorkloadNamespace


def psa_labels(enforce: str, version: str, audit_warn: str = "restricted") -> dict[str, str]:
    """enforce/audit/warn levels, each pinned to `v<version>` so an upgrade never loosens them."""
    labels: dict[str, str] = {}
    for mode in PSA_MODES:
        level = enforce if mode == "enforce" else audit_warn
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = f"v{version}"
    return labels


def workload_namespace(ns: WorkloadNamespace, posture: Posture, version: str) -> dict:
    """`version`: the cluster's own Kubernetes minor (`ClusterSpec.version(posture)`)."""
    labels = psa_labels("restricted", version)
    labels[POLICY_CONTROLLER_INCLUDE] = "true"  # the admission webhook only sees opted-in namespaces
    if posture.mesh:
        # A sandboxed namespace is outside the mesh (zero_trust_clusters/components/kubernetes/mesh.py): never
        # injected, and its label binds the admission policy that keeps it sandboxed-only.
        labels["istio-injection"] = "disabled" if ns.sandboxed else "enabled"
        if ns.sandboxed:
            labels["ztc.io/sandboxed"] = "true"
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta(
            ns.name, "ZT-POD-SECURITY", "ZT-IMAGE-PROVENANCE", labels=labels
        ),
    }


def system_namespace(name: str, enforce: str, version: str) -> dict:
    """A namespace for a chart we install; `enforce` is the loosest level its pods need;
    `version`: the cluster's own Kubernetes minor."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta(
            name, "ZT-POD-SECURITY",
            labels=psa_labels(enforce, version),
        ),
    }
