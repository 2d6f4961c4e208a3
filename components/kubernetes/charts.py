"""Helm charts the baseline installs, pinned to exact published versions and their official repos.

Each `ChartRelease` also declares what a cloud must allow for the chart to run:
- `webhook_ports`: the container ports its admission webhooks listen on. A GKE private control
  plane reaches nodes only on 443 and 10250 unless a firewall rule opens more, so the GKE
  firewall opens exactly the union of these ports (components/gcp/network.py).
- `images`: every image the chart starts (hooks included, and for Istio the injected sidecar).
  GKE's Binary Authorization policy admits exactly these references
  (components/gcp/binauthz.py). A digest is pinned only where a verifiable source publishes
  it (the chart's own values.yaml); the others are pinned by exact tag.

Every version and values key below was checked against the chart source of that version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.spec import Cloud, Posture

CERT_MANAGER_NAMESPACE = "cert-manager"
POLICY_CONTROLLER_NAMESPACE = "cosign-system"
ISTIO_NAMESPACE = "istio-system"


@dataclass(frozen=True)
class ChartImage:
    """One image a chart runs, pinned by digest (preferred) or by exact tag."""

    repository: str
    tag: str | None = None
    digest: str | None = None  # "sha256:<64 hex>"
    # Where the pin was read (a digest is only ever taken from a verifiable source).
    source: str = ""

    def __post_init__(self) -> None:
        if (self.tag is None) == (self.digest is None):
            raise ValueError(f"{self.repository}: pin exactly one of tag or digest")

    @property
    def reference(self) -> str:
        """The image string the chart renders into the pod spec."""
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{self.tag}"


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
    # Ports the chart's admission webhooks listen on (the pod's containerPort).
    webhook_ports: tuple[int, ...] = ()
    # Every image the chart runs (see the module docstring).
    images: tuple[ChartImage, ...] = ()


# --- cert-manager ----------------------------------------------------------------------------
# v1.19.1: tag v1.19.1 of cert-manager/cert-manager, released 2025-10-15
# (https://github.com/cert-manager/cert-manager/releases/tag/v1.19.1); later 1.19 patches
# (v1.19.4+) carry CVE fixes, see the report. Values keys from deploy/charts/cert-manager/values.yaml
# at that tag: `crds.enabled`/`crds.keep` (replacing the deprecated `installCRDs`),
# `webhook.securePort` (default 10250, "will work out-of-the-box [on] GKE private clusters"),
# and `<component>.image.{repository,tag,digest}` (templates/_helpers.tpl "image").
CERT_MANAGER_VERSION = "v1.19.1"
_CERT_MANAGER_SOURCE = (
    "https://github.com/cert-manager/cert-manager/blob/v1.19.1/deploy/charts/cert-manager/values.yaml"
)
# The webhook listens on 10250, a port GKE's control plane can already reach: no extra firewall.
CERT_MANAGER_WEBHOOK_PORT = 10250
# No verifiable source publishes the digests of the v1.19.1 images (the release notes and the
# chart carry none), so they are pinned by exact tag; the value paths are where the chart reads them.
_CERT_MANAGER_COMPONENTS = {
    (): "cert-manager-controller",
    ("webhook",): "cert-manager-webhook",
    ("cainjector",): "cert-manager-cainjector",
    ("startupapicheck",): "cert-manager-startupapicheck",  # post-install hook Job
}
CERT_MANAGER_IMAGES = {
    path: ChartImage(f"quay.io/jetstack/{name}", tag=CERT_MANAGER_VERSION, source=_CERT_MANAGER_SOURCE)
    for path, name in _CERT_MANAGER_COMPONENTS.items()
}


def _cert_manager_values() -> dict[str, Any]:
    values: dict[str, Any] = {
        # Install the CRDs with the release and keep them if the release goes away.
        "crds": {"enabled": True, "keep": True},
        "webhook": {"securePort": CERT_MANAGER_WEBHOOK_PORT},
    }
    for path, image in CERT_MANAGER_IMAGES.items():
        node = values
        for key in path:
            node = node.setdefault(key, {})
        node["image"] = {"repository": image.repository, "tag": image.tag}
    return values


CERT_MANAGER = ChartRelease(
    name="cert-manager",
    chart="cert-manager",
    version=CERT_MANAGER_VERSION,
    repo="https://charts.jetstack.io",
    namespace=CERT_MANAGER_NAMESPACE,
    values=_cert_manager_values(),
    webhook_ports=(CERT_MANAGER_WEBHOOK_PORT,),
    images=tuple(CERT_MANAGER_IMAGES.values()),
)

# --- sigstore policy-controller -----------------------------------------------------------------
# 0.10.6 is the newest version in the published index (sigstore/helm-charts gh-pages index.yaml,
# https://sigstore.github.io/helm-charts/index.yaml, created 2025-11-19, appVersion 0.13.1);
# 0.10.7/0.10.8 were never published. Values keys from charts/policy-controller/values.yaml at
# tag policy-controller-0.10.6: top-level `installCRDs`, `webhook.configData` (rendered verbatim
# into the config-policy-controller ConfigMap, where `no-match-policy` is read), and
# `webhook.image.{repository,version}` (a `sha256:` version renders `repository@digest`).
POLICY_CONTROLLER_VERSION = "0.10.6"
_POLICY_CONTROLLER_SOURCE = (
    "https://github.com/sigstore/helm-charts/blob/policy-controller-0.10.6/charts/"
    "policy-controller/values.yaml"
)
# The webhook container listens on 8443 (templates/webhook/deployment_webhook.yaml
# `containerPort: 8443`, fixed in the chart; the Service maps 443 -> it).
POLICY_CONTROLLER_WEBHOOK_PORT = 8443
# The digest is the chart's own pin ("crane digest ...:v0.13.1" in values.yaml, and the
# artifacthub.io/images annotation of Chart.yaml).
POLICY_CONTROLLER_IMAGE = ChartImage(
    "ghcr.io/sigstore/policy-controller/policy-controller",
    digest="sha256:0bcd60beb93f4427c29cf3a669743caf58490e98ded4380c33c09f092734a6ab",
    source=_POLICY_CONTROLLER_SOURCE,
)
# Post-delete hook Job (templates/webhook/cleanup-leases.yaml). Its helper renders
# `repository:version` only, and no verifiable digest of this rolling tag exists: exact tag.
LEASES_CLEANUP_IMAGE = ChartImage(
    "cgr.dev/chainguard/kubectl", tag="latest-dev", source=_POLICY_CONTROLLER_SOURCE
)

POLICY_CONTROLLER = ChartRelease(
    name="policy-controller",
    chart="policy-controller",
    version=POLICY_CONTROLLER_VERSION,
    repo="https://sigstore.github.io/helm-charts",
    namespace=POLICY_CONTROLLER_NAMESPACE,
    values={
        "installCRDs": True,
        "webhook": {
            # An image no ClusterImagePolicy matches is refused (not left to the chart default).
            "configData": {"no-match-policy": "deny"},
            "image": {
                "repository": POLICY_CONTROLLER_IMAGE.repository,
                "version": POLICY_CONTROLLER_IMAGE.digest,
            },
        },
        "leasescleanup": {
            "image": {
                "repository": LEASES_CLEANUP_IMAGE.repository,
                "version": LEASES_CLEANUP_IMAGE.tag,
            }
        },
    },
    webhook_ports=(POLICY_CONTROLLER_WEBHOOK_PORT,),
    images=(POLICY_CONTROLLER_IMAGE, LEASES_CLEANUP_IMAGE),
)

# --- Istio ------------------------------------------------------------------------------------
# 1.27.3: tag 1.27.3 of istio/istio (2025-10-17); charts base, cni, istiod under
# manifests/charts. The git values carry the dev hub (gcr.io/istio-testing, tag latest) that
# the release rewrites; we set the release hub ("Releases are published to docker hub under
# 'istio' project", values.yaml) and tag explicitly so the images are exactly the ones below.
ISTIO_VERSION = "1.27.3"
ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts"
ISTIO_HUB = "docker.io/istio"
_ISTIO_SOURCE = (
    "https://github.com/istio/istio/blob/1.27.3/manifests/charts/istio-control/"
    "istio-discovery/values.yaml"
)
# istiod's injection/validation webhook: containerPort 15017, Service 443 -> 15017
# (istio-discovery templates/deployment.yaml, service.yaml). GKE private clusters must open it:
# https://cloud.google.com/service-mesh/docs/private-cluster-open-port
ISTIOD_WEBHOOK_PORT = 15017
ISTIO_IMAGES = {
    "pilot": ChartImage(f"{ISTIO_HUB}/pilot", tag=ISTIO_VERSION, source=_ISTIO_SOURCE),
    "install-cni": ChartImage(f"{ISTIO_HUB}/install-cni", tag=ISTIO_VERSION, source=_ISTIO_SOURCE),
    # Injected into every meshed workload pod (sidecar and its validation init container).
    "proxyv2": ChartImage(f"{ISTIO_HUB}/proxyv2", tag=ISTIO_VERSION, source=_ISTIO_SOURCE),
}


def istio_releases(cloud: Cloud, trust_domain: str) -> list[ChartRelease]:
    """Istio base + CNI + istiod. The CNI plugin replaces the NET_ADMIN init container, which
    PSA `restricted` would refuse in workload namespaces."""
    image_values: dict[str, Any] = {"hub": ISTIO_HUB, "tag": ISTIO_VERSION}
    # GKE keeps CNI binaries in /home/kubernetes/bin; the charts know it as platform "gke"
    # (istio-cni files/profile-platform-gke.yaml).
    if cloud == "gcp":
        image_values["platform"] = "gke"
    common = {"global": image_values}
    return [
        ChartRelease("istio-base", "base", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE),
        ChartRelease(
            "istio-cni", "cni", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE,
            values=common, after=("istio-base",), images=(ISTIO_IMAGES["install-cni"],),
        ),
        ChartRelease(
            "istiod", "istiod", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE,
            values={
                **common,
                # Top-level `cni` in the 1.27 istiod chart; the injector reads it as `pilot.cni`
                # (templates/istiod-injector-configmap.yaml). A `pilot:` key is ignored.
                "cni": {"enabled": True},
                "meshConfig": {"trustDomain": trust_domain},
            },
            after=("istio-base", "istio-cni"),
            webhook_ports=(ISTIOD_WEBHOOK_PORT,),
            images=(ISTIO_IMAGES["pilot"], ISTIO_IMAGES["proxyv2"]),
        ),
    ]


def chart_releases(cloud: Cloud, posture: Posture, trust_domain: str) -> list[ChartRelease]:
    releases = [CERT_MANAGER, POLICY_CONTROLLER]
    if posture.mesh:
        releases += istio_releases(cloud, trust_domain)
    return releases


def webhook_ports(releases: list[ChartRelease]) -> tuple[int, ...]:
    """Every port the releases' admission webhooks listen on, sorted, once each."""
    return tuple(sorted({port for r in releases for port in r.webhook_ports}))


def image_references(releases: list[ChartRelease]) -> tuple[str, ...]:
    """Every image reference the releases run, sorted, once each."""
    return tuple(sorted({image.reference for r in releases for image in r.images}))
