"""Helm charts the baseline installs, pinned to exact versions and their official repos."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.spec import Cloud, Posture

CERT_MANAGER_NAMESPACE = "cert-manager"
POLICY_CONTROLLER_NAMESPACE = "cosign-system"
ISTIO_NAMESPACE = "istio-system"


@dataclass(frozen=True)
class ChartRelease:
    """One Helm release: chart, pinned version, repo, target namespace and values."""

    name: str
    chart: str
    version: str
    repo: str
    namespace: str
    values: dict[str, Any] = field(default_factory=dict)
    # Releases (by name) that must be installed first.
    after: tuple[str, ...] = ()


CERT_MANAGER = ChartRelease(
    name="cert-manager",
    chart="cert-manager",
    version="v1.19.1",
    repo="https://charts.jetstack.io",
    namespace=CERT_MANAGER_NAMESPACE,
    # crds.enabled replaces the deprecated installCRDs; keep CRDs if the release goes away.
    values={"crds": {"enabled": True, "keep": True}},
)

POLICY_CONTROLLER = ChartRelease(
    name="policy-controller",
    chart="policy-controller",
    version="0.10.8",
    repo="https://sigstore.github.io/helm-charts",
    namespace=POLICY_CONTROLLER_NAMESPACE,
    # An image no ClusterImagePolicy matches is refused (pinned, not left to the chart default).
    values={"installCRDs": True, "webhook": {"configData": {"no-match-policy": "deny"}}},
)

ISTIO_VERSION = "1.27.3"
ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts"


def istio_releases(cloud: Cloud, trust_domain: str) -> list[ChartRelease]:
    """Istio base + CNI + istiod. The CNI plugin replaces the NET_ADMIN init container, which
    PSA `restricted` would refuse in workload namespaces."""
    # GKE keeps CNI binaries in /home/kubernetes/bin; the chart knows it as platform "gke".
    platform = {"global": {"platform": "gke"}} if cloud == "gcp" else {}
    return [
        ChartRelease("istio-base", "base", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE),
        ChartRelease(
            "istio-cni", "cni", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE,
            values=platform, after=("istio-base",),
        ),
        ChartRelease(
            "istiod", "istiod", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE,
            values={
                **platform,
                "pilot": {"cni": {"enabled": True}},
                "meshConfig": {"trustDomain": trust_domain},
            },
            after=("istio-base", "istio-cni"),
        ),
    ]


def chart_releases(cloud: Cloud, posture: Posture, trust_domain: str) -> list[ChartRelease]:
    releases = [CERT_MANAGER, POLICY_CONTROLLER]
    if posture.mesh:
        releases += istio_releases(cloud, trust_domain)
    return releases
