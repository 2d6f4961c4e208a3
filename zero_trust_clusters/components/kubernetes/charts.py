"""Helm charts the baseline installs, pinned to exact published versions and their official repos.

Each `ChartRelease` also declares what a cloud must allow for the chart to run:
- `webhook_ports`: the container ports its admission webhooks listen on. A GKE private control
  plane reaches nodes only on 443 and 10250 unless a firewall rule opens more, so the GKE
  firewall opens exactly the union of these ports (zero_trust_clusters/components/gcp/network.py).
- `images`: every image the chart starts (hooks included, and for Istio the injected sidecar).
  GKE's Binary Authorization policy admits exactly these references
  (zero_trust_clusters/components/gcp/binauthz.py). A digest is pinned only where a verifiable source publishes
  it (the chart's own values.yaml); the others are pinned by exact tag.

Every version and values key below was checked against the chart source of that version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zero_trust_clusters.components.cluster import SandboxPlacement
from zero_trust_clusters.components.kubernetes.placement import default_sandbox_placement
from zero_trust_clusters.components.spec import (
    SANDBOX_GATEWAY_PREFIX,
    Cloud,
    ClusterSpec,
    Posture,
    cluster_key,
)

CERT_MANAGER_NAMESPACE = "cert-manager"
POLICY_CONTROLLER_NAMESPACE = "cosign-system"
ISTIO_NAMESPACE = "istio-system"
ISTIO_CACERTS = "cacerts"  # the plug-in CA Secret istiod reads (zero_trust_clusters/components/kubernetes/mesh.py)


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
    # Rendered objects ("Kind/namespace/name") that must exist before the chart installs.
    requires: tuple[str, ...] = ()


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

# --- Istio ---------------------------------------------------------------------------------
# 1.30.3: tag 1.30.3 of istio/istio (2026-07-13), listed in the vendored chart index
# (zero_trust_clusters/engine/schema/data/helm/istio-release.storage.googleapis.com_charts.yaml, which is
# reconstructed from the release tags). 1.27 and 1.28 are out of support: a minor is supported
# "until 6 weeks after the N+2 minor release" (https://istio.io/latest/docs/releases/
# supported-releases/), and 1.30 is the newest minor. Charts base, cni, istiod under
# manifests/charts; every values key below was read in those charts at the tag.
ISTIO_VERSION = "1.30.3"
ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts"
# The git values carry the dev hub (registry.istio.io/testing, tag latest) that the release
# rewrites, so hub, tag and variant are set explicitly. gcr.io/istio-release is Istio's official
# mirror of every release image ("gcr.io/istio-release is the only official mirror",
# https://github.com/istio/istio/issues/54882; https://istio.io/latest/blog/2020/docker-rate-limit/).
# It also keeps the reference a registry host as written: Docker Hub references are rewritten
# to index.docker.io by the image policy's parser, which an exact allow-list would then miss.
ISTIO_HUB = "gcr.io/istio-release"
# Distroless images: no shell or package manager in the proxy every workload pod runs
# (`global.variant`, https://istio.io/latest/docs/ops/configuration/security/harden-docker-images/);
# the charts render `<hub>/<image>:<tag>-<variant>` (istiod templates/deployment.yaml, cni
# templates/daemonset.yaml "istio-tag", injector `.ProxyImage`).
ISTIO_VARIANT = "distroless"
ISTIO_IMAGE_TAG = f"{ISTIO_VERSION}-{ISTIO_VARIANT}"
_ISTIO_SOURCE = (
    "https://github.com/istio/istio/blob/1.30.3/manifests/charts/istio-control/"
    "istio-discovery/values.yaml"
)
# istiod's injection/validation webhook: containerPort 15017, Service 443 -> 15017
# (istio-discovery templates/deployment.yaml, service.yaml). GKE private clusters must open it:
# https://istio.io/latest/docs/setup/platform-setup/gke/
ISTIOD_WEBHOOK_PORT = 15017
# Sidecars fetch their config and certificates from istiod over mTLS on 15012 (deployment.yaml).
ISTIOD_XDS_PORT = 15012
# No verifiable source publishes the digests of the 1.30.3 images (the release notes and charts
# carry none), so they are pinned by exact tag, like cert-manager's.
ISTIO_IMAGES = {
    "pilot": ChartImage(f"{ISTIO_HUB}/pilot", tag=ISTIO_IMAGE_TAG, source=_ISTIO_SOURCE),
    "install-cni": ChartImage(f"{ISTIO_HUB}/install-cni", tag=ISTIO_IMAGE_TAG,
                              source=_ISTIO_SOURCE),
    # Injected into every meshed workload pod (sidecar and its istio-validation init container).
    "proxyv2": ChartImage(f"{ISTIO_HUB}/proxyv2", tag=ISTIO_IMAGE_TAG, source=_ISTIO_SOURCE),
}
# The one image the mesh adds to *workload* pods, where the image policy applies.
MESH_PROXY_IMAGE = ISTIO_IMAGES["proxyv2"]
# PSA `restricted` needs a seccomp profile on every container; the injector copies this one
# onto istio-proxy and istio-validation (files/injection-template.yaml `global.proxy.
# seccompProfile`), so a workload that sets seccomp per container still passes.
_RUNTIME_DEFAULT = {"type": "RuntimeDefault"}


def istio_releases(
    cloud: Cloud, trust_domain: str, mesh_trust_domains: tuple[str, ...] = (),
    dns_capture: bool = False,
) -> list[ChartRelease]:
    """Istio base + CNI + istiod, sidecar mode (no ztunnel). The CNI plugin replaces the
    NET_ADMIN init container, which PSA `restricted` would refuse in workload namespaces.

    `mesh_trust_domains`: every cluster's trust domain in the estate. Sidecars accept peers
    only from their own trust domain and the `caCertificates[].trustDomains` of meshConfig
    (`TrustDomainsForValidation`, pilot/pkg/networking/plugin/authn/util.go); naming them there
    lets another cluster's workloads through the handshake without `trustDomainAliases`, which
    would make every trust domain equivalent in authorization
    (pilot/pkg/security/trustdomain/bundle.go). The anchors stay the mesh's own roots
    (`cacerts` root-cert.pem): an entry without `pem` adds no anchor
    (pilot/pkg/trustbundle/trustbundle.go AddMeshConfigUpdate).

    `dns_capture`: the sidecars answer DNS for ServiceEntry hosts (the cross-cluster routes'
    names, which no DNS server knows): `ISTIO_META_DNS_CAPTURE` (default false,
    pilot/cmd/pilot-agent/options/options.go at 1.30.3), with the addresses istiod allocates to
    ServiceEntries (`PILOT_ENABLE_IP_AUTOALLOCATE`, default true, pilot/pkg/features/pilot.go;
    https://istio.io/latest/docs/ops/configuration/traffic-management/dns-proxy/). istio-cni
    installs the DNS redirect in sidecar mode when the proxy's env carries it
    (https://github.com/istio/istio/blob/1.30.3/cni/pkg/plugin/sidecar_redirect.go#L293; the
    injector renders `proxyMetadata` as istio-proxy env). Env and redirect are fixed when a pod
    is created: pods older than the setting need a restart."""
    mesh_config: dict[str, Any] = {
        "trustDomain": trust_domain,
        "caCertificates": [{"trustDomains": sorted({trust_domain, *mesh_trust_domains})}],
    }
    if dns_capture:
        mesh_config["defaultConfig"] = {"proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"}}
    image_values: dict[str, Any] = {
        "hub": ISTIO_HUB, "tag": ISTIO_VERSION, "variant": ISTIO_VARIANT,
    }
    # GKE keeps CNI binaries in /home/kubernetes/bin; the charts know it as platform "gke"
    # (files/profile-platform-gke.yaml). No eks or aks platform exists: an unknown one is a
    # template failure (templates/zzz_profile.yaml "unknown platform").
    if cloud == "gcp":
        image_values["platform"] = "gke"
    return [
        ChartRelease("istio-base", "base", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE),
        ChartRelease(
            "istio-cni", "cni", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE,
            values={
                "global": image_values,
                # Sidecar mode only: no ambient redirection (ztunnel refuses other trust
                # domains and URI name constraints; see zero_trust_clusters/components/kubernetes/mesh.py).
                "ambient": {"enabled": False},
            },
            after=("istio-base",), images=(ISTIO_IMAGES["install-cni"],),
        ),
        ChartRelease(
            "istiod", "istiod", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE,
            values={
                "global": {**image_values, "proxy": {"seccompProfile": _RUNTIME_DEFAULT}},
                # Top-level `cni` (`pilot.*` is merged onto the top level,
                # templates/zzy_descope_legacy.yaml); the injector reads it as `pilot.cni`
                # (templates/istiod-injector-configmap.yaml): istio-validation, no NET_ADMIN.
                "cni": {"enabled": True},
                "seccompProfile": _RUNTIME_DEFAULT,
                "meshConfig": mesh_config,
            },
            after=("istio-base", "istio-cni"),
            # istiod reads the plugged-in CA at start; without it it creates a self-signed root
            # and keeps it ("create a secret cacerts ... then deploy Istio",
            # https://istio.io/latest/docs/tasks/security/cert-management/plugin-ca-cert/).
            requires=(f"Secret/{ISTIO_NAMESPACE}/{ISTIO_CACERTS}",),
            webhook_ports=(ISTIOD_WEBHOOK_PORT,),
            images=(ISTIO_IMAGES["pilot"], ISTIO_IMAGES["proxyv2"]),
        ),
    ]


# --- Istio gateways (chart `gateway`, same tag) ----------------------------------------------
# Both gateways are Envoy with the injected `gateway` template (podAnnotations
# `inject.istio.io/templates: gateway`, `sidecar.istio.io/inject: "true"`, chart values.yaml),
# so they run istiod's pinned proxyv2 image, get an SVID for their own ServiceAccount (the
# release name, templates/_helpers.tpl `gateway.serviceAccountName`) and are in the mesh under
# the mesh-wide STRICT PeerAuthentication. Labels: `app: <release>`, `istio: <release without
# "istio-">` (`gateway.selectorLabels`). Every key below is in the chart's values.schema.json at
# 1.30.3 (vendored in zero_trust_clusters/engine/schema/data/charts/gateway/1.30.3).
_GATEWAY_SOURCE = (
    "https://github.com/istio/istio/blob/1.30.3/manifests/charts/gateway/values.yaml"
)
# Sandboxed namespaces (zero_trust_clusters/components/kubernetes/mesh.py): one gateway per namespace, so each
# sandbox has its own SPIFFE principal. Plain HTTP from the sandbox on 8080 (unprivileged).

SANDBOX_GATEWAY_PORT = 8080
# The cross-cluster gateway: mTLS passed through by SNI on 15443 ("tls" port of the chart's
# networkGatewayPorts; https://istio.io/latest/docs/ops/deployment/application-requirements/
# "15443 ... Istio ingress gateway ... mTLS"); 15021 is the gateway's health port the load
# balancer probes (chart `status-port`).
EAST_WEST_GATEWAY = "istio-eastwestgateway"
EAST_WEST_PORT = 15443
GATEWAY_STATUS_PORT = 15021
# Internal (private) load balancers only, per cloud:
# - aws: cloud-provider-aws (EKS's service controller; no AWS Load Balancer Controller is
#   installed) reads `aws-load-balancer-internal` and `aws-load-balancer-type: nlb`
#   (https://cloud-provider-aws.sigs.k8s.io/service_controller/); the AWS Load Balancer
#   Controller, if an operator adds it, reads `aws-load-balancer-scheme: internal`
#   (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/
#   annotations/, where `-internal` is "deprecated, in favor of aws-load-balancer-scheme").
# - azure: https://learn.microsoft.com/azure/aks/internal-lb
# - gcp: https://cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balancing
INTERNAL_LB_ANNOTATIONS: dict[str, dict[str, str]] = {
    "aws": {
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    },
    "azure": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
    "gcp": {"networking.gke.io/load-balancer-type": "Internal"},
}


def sandbox_gateway_name(namespace: str) -> str:
    """The Helm release, Deployment/DaemonSet, ServiceAccount and `istio` label of a sandboxed
    namespace's gateway."""
    return f"{SANDBOX_GATEWAY_PREFIX}{namespace}"


def sandbox_gateway_release(namespace: str, sandbox: SandboxPlacement) -> ChartRelease:
    """A DaemonSet on the sandbox pool (plain runc: no runtimeClassName) behind a ClusterIP
    Service with `internalTrafficPolicy: Local`: kube-proxy routes a pod's traffic only to
    endpoints on its own node, and drops it when there is none
    (https://kubernetes.io/docs/concepts/services-networking/service-traffic-policy/), so the
    one plaintext hop (sandboxed pod -> gateway) never leaves the node, and fails closed."""
    name = sandbox_gateway_name(namespace)
    values: dict[str, Any] = {
        "kind": "DaemonSet",
        "autoscaling": {"enabled": False},  # the chart's HPA is for Deployments only
        "service": {
            "type": "ClusterIP",
            # templates/service.yaml renders `.Values.service.internalTrafficPolicy`.
            "internalTrafficPolicy": "Local",
            "ports": [{"name": "http", "port": SANDBOX_GATEWAY_PORT, "protocol": "TCP",
                       "targetPort": SANDBOX_GATEWAY_PORT}],
        },
        # Where the sandboxed pods run (the RuntimeClass's own placement). GKE Sandbox nodes
        # run a regular (runc, not sandboxed) pod that tolerates their taint
        # (https://cloud.google.com/kubernetes-engine/docs/how-to/sandbox-pods#regular-pod;
        # Google's own runc DaemonSet does so: GoogleCloudPlatform/k8s-node-tools PR 13). This
        # gateway is Istio's trusted proxy, so it is meant to run outside the sandbox.
        # GKE documents internalTrafficPolicy as "not supported in clusters running GKE
        # Dataplane V2" (https://cloud.google.com/kubernetes-engine/docs/how-to/
        # service-parameters), which our GKE clusters run: there the plaintext hop may cross
        # to another sandbox node (still only to this gateway's pods, by NetworkPolicy).
        "nodeSelector": dict(sorted(sandbox.node_selector.items())),
        "tolerations": [{"key": t.key, "operator": t.operator, "value": t.value,
                         "effect": t.effect} for t in sandbox.tolerations],
    }
    return ChartRelease(
        name, "gateway", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE, values=values,
        after=("istiod",), images=(ISTIO_IMAGES["proxyv2"],),
    )


def east_west_release(cloud: Cloud, estate_ranges: tuple[str, ...]) -> ChartRelease:
    """The cross-cluster gateway on an internal load balancer that admits only the estate's
    clusters' ranges (`loadBalancerSourceRanges`). Each cloud's service controller turns them
    into its own rule: GKE creates ingress-allow VPC firewall rules for LoadBalancer Services
    (https://cloud.google.com/kubernetes-engine/docs/how-to/user-managed-firewall-rules), at a
    priority above our deny-all (zero_trust_clusters/components/gcp/network.py); AKS writes them into the NSG it
    manages, and our own node-subnet NSG admits 15443 from the peers' ranges only
    (zero_trust_clusters/components/azure/network.py); on EKS the service controller opens, on the one node security group that carries the
    `kubernetes.io/cluster/<name>` tag, each Service port's NodePort to these ranges, the health
    NodePort to the NLB's subnets, and ICMP fragmentation-needed; an empty list would open
    0.0.0.0/0 (render.estate_ranges always holds the cluster's own ranges). Source:
    cloud-provider-aws EnsureLoadBalancer and updateInstanceSecurityGroupsForNLB,
    https://github.com/kubernetes/cloud-provider-aws/blob/63ec440c3275321b55afa45480e2fdfd2b0e93c4/pkg/providers/v1/aws_loadbalancer.go
    Private connectivity between the clouds (VPN/interconnect) and a private DNS name per
    gateway are deployment prerequisites (README.md, "Deployment prerequisites for cross-cluster
    calls"). Not a `networkGateway`: that would also expose istiod's
    15012 and 15017 through the load balancer (chart networkGatewayPorts)."""
    try:
        annotations = INTERNAL_LB_ANNOTATIONS[cloud]
    except KeyError:
        raise ValueError(
            f"no internal load-balancer annotations are known for cloud {cloud!r}; add them "
            f"to INTERNAL_LB_ANNOTATIONS (known: {', '.join(sorted(INTERNAL_LB_ANNOTATIONS))})"
        ) from None
    values: dict[str, Any] = {
        "service": {
            "type": "LoadBalancer",
            "annotations": dict(annotations),
            "loadBalancerSourceRanges": list(estate_ranges),
            "ports": [
                {"name": "status-port", "port": GATEWAY_STATUS_PORT, "protocol": "TCP",
                 "targetPort": GATEWAY_STATUS_PORT},
                {"name": "tls", "port": EAST_WEST_PORT, "protocol": "TCP",
                 "targetPort": EAST_WEST_PORT},
            ],
        },
    }
    return ChartRelease(
        EAST_WEST_GATEWAY, "gateway", ISTIO_VERSION, ISTIO_REPO, ISTIO_NAMESPACE,
        values=values, after=("istiod",), images=(ISTIO_IMAGES["proxyv2"],),
    )


# --- Kubernetes Cluster Autoscaler (EKS only) --------------------------------------------------
# AKS and GKE scale their pools with the managed cluster autoscaler the pool itself carries
# (AKS `enableAutoScaling` + min/max count, GKE `autoscaling` on the node pool: see
# zero_trust_clusters/components/azure/pools.py and gcp/pools.py); EKS managed node groups have
# only min/max, so the cluster phase installs the Kubernetes Cluster Autoscaler there
# (zero_trust_clusters/components/aws/README.md, "Autoscaling").
# Chart 9.59.0, the newest in the published index (https://kubernetes.github.io/autoscaler/
# index.yaml, kubernetes/autoscaler branch gh-pages, generated 2026-07-26), appVersion 1.35.0;
# chart source: tag cluster-autoscaler-chart-9.59.0, cluster-autoscaler/charts/cluster-autoscaler/.
# Every values key below is in that chart's values.yaml (it ships no values.schema.json).
CLUSTER_AUTOSCALER_VERSION = "9.59.0"
CLUSTER_AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler"
_CLUSTER_AUTOSCALER_SOURCE = (
    "https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-chart-9.59.0/"
    "cluster-autoscaler/charts/cluster-autoscaler/values.yaml"
)
# Its own restricted namespace (not kube-system, whose add-ons are privileged): the EKS Pod
# Identity association binds the autoscaler's IAM role to exactly this service account
# (zero_trust_clusters/components/aws/pools.py `autoscaler_identity` imports both names).
CLUSTER_AUTOSCALER_NAMESPACE = "cluster-autoscaler"
CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
CLUSTER_AUTOSCALER_RELEASE = "cluster-autoscaler"
# Namespaces (with everything in them and the releases installed there) only one cloud's
# clusters have: the add-on a cloud lacks as a managed service. Everything else is the same on
# every cloud (names.PER_CLOUD_FIELDS, tests/kubernetes/test_parity.py).
PER_CLOUD_NAMESPACES: dict[str, tuple[str, ...]] = {"aws": (CLUSTER_AUTOSCALER_NAMESPACE,)}
# The chart's pod labels: `app.kubernetes.io/instance: <release>` and `app.kubernetes.io/name:
# <cloudProvider>-cluster-autoscaler` (templates/_helpers.tpl "cluster-autoscaler.instance-name").
CLUSTER_AUTOSCALER_POD_LABELS = {
    "app.kubernetes.io/instance": CLUSTER_AUTOSCALER_RELEASE,
    "app.kubernetes.io/name": "aws-cluster-autoscaler",
}
# The metrics and health port (templates/deployment.yaml: `containerPort: 8085`, liveness probe
# `httpGet /health-check` on it).
CLUSTER_AUTOSCALER_PORT = 8085
# "We recommend using Cluster Autoscaler with the Kubernetes control plane version for which it
# was meant ... versioning scheme was changed to match Kubernetes minor releases exactly"
# (https://github.com/kubernetes/autoscaler/tree/master/cluster-autoscaler#releases). The newest
# release of each minor we support (spec.SUPPORTED_KUBERNETES_VERSIONS), from the release tags
# cluster-autoscaler-<version> (2026-07-22); the release image is
# registry.k8s.io/autoscaling/cluster-autoscaler:v<version> (cluster-autoscaler/Makefile builds
# `$(REGISTRY)/cluster-autoscaler:$(TAG)`, promoted from gcr.io/k8s-staging-autoscaling). That
# these patch tags are promoted to registry.k8s.io was NOT confirmed offline (the promoter's
# manifest we could read stops earlier): a missing tag fails the atomic Helm release loudly.
CLUSTER_AUTOSCALER_IMAGE_TAGS = {"1.34": "v1.34.5", "1.35": "v1.35.2", "1.36": "v1.36.1"}
CLUSTER_AUTOSCALER_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler"
# The image runs as distroless `nonroot` (uid 65532: cluster-autoscaler/Dockerfile `FROM
# gcr.io/distroless/static:nonroot`); PSA `restricted` needs every field below
# (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted). The
# project's own EKS manifest runs it the same way (runAsNonRoot, RuntimeDefault seccomp, drop
# ALL, readOnlyRootFilesystem: cluster-autoscaler/cloudprovider/aws/examples/
# cluster-autoscaler-autodiscover.yaml); its hostPath CA bundle is left out (restricted refuses
# hostPath), as distroless `static` carries CA certificates
# (https://github.com/GoogleContainerTools/distroless/blob/main/base/README.md).
# The chart keeps its `priorityClassName: system-cluster-critical`, which Kubernetes no longer
# confines to kube-system (https://kubernetes.io/docs/tasks/administer-cluster/
# guaranteed-scheduling-critical-addon-pods/ names no namespace); not confirmed against the
# admission plugin's source: a refusal fails the atomic Helm release loudly.
_CLUSTER_AUTOSCALER_POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "runAsGroup": 65532,
    "seccompProfile": _RUNTIME_DEFAULT,
}
_CLUSTER_AUTOSCALER_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": _RUNTIME_DEFAULT,
}
# Our pools' label (zero_trust_clusters/components/aws/pools.py POOL_LABEL): the autoscaler runs
# on the system pool, never on a pool it may scale to zero.
_POOL_LABEL = "ztc.io/pool"


class UnsupportedAutoscalerVersionError(ValueError):
    """No Cluster Autoscaler release is pinned for the cluster's Kubernetes minor."""


def cluster_autoscaler_image(kubernetes_version: str, where: str) -> ChartImage:
    """The autoscaler image of the cluster's own Kubernetes minor (`where`: its config key)."""
    try:
        tag = CLUSTER_AUTOSCALER_IMAGE_TAGS[kubernetes_version]
    except KeyError:
        raise UnsupportedAutoscalerVersionError(
            f"{where}: no Cluster Autoscaler release is pinned for Kubernetes "
            f"{kubernetes_version} (pinned: {', '.join(CLUSTER_AUTOSCALER_IMAGE_TAGS)}); add "
            "it to CLUSTER_AUTOSCALER_IMAGE_TAGS in zero_trust_clusters/components/kubernetes/"
            "charts.py") from None
    return ChartImage(CLUSTER_AUTOSCALER_REPOSITORY, tag=tag, source=_CLUSTER_AUTOSCALER_SOURCE)


def cluster_autoscaler_release(cluster: ClusterSpec, kubernetes_version: str) -> ChartRelease:
    """The Cluster Autoscaler of one EKS cluster: discovers the node groups EKS tagged
    `k8s.io/cluster-autoscaler/<cluster>` (chart `autoDiscovery.tags` default), in the
    cluster's region, as the service account Pod Identity gives the autoscaler's role to."""
    image = cluster_autoscaler_image(
        kubernetes_version, cluster_key(cluster.name, None, "kubernetesVersion"))
    values: dict[str, Any] = {
        "cloudProvider": "aws",
        # The EKS cluster's name is the spec's (aws/control_plane.py `name=ctx.name`).
        "autoDiscovery": {"clusterName": cluster.name},
        "awsRegion": cluster.region,
        "rbac": {"serviceAccount": {"create": True,
                                    "name": CLUSTER_AUTOSCALER_SERVICE_ACCOUNT}},
        "image": {"repository": image.repository, "tag": image.tag},
        "hostNetwork": False,
        "securityContext": _CLUSTER_AUTOSCALER_POD_SECURITY,
        "containerSecurityContext": _CLUSTER_AUTOSCALER_CONTAINER_SECURITY,
        "nodeSelector": {_POOL_LABEL: "system"},
    }
    return ChartRelease(
        CLUSTER_AUTOSCALER_RELEASE, "cluster-autoscaler", CLUSTER_AUTOSCALER_VERSION,
        CLUSTER_AUTOSCALER_REPO, CLUSTER_AUTOSCALER_NAMESPACE, values=values, images=(image,),
    )


def chart_releases(
    cloud: Cloud, posture: Posture, trust_domain: str, mesh_trust_domains: tuple[str, ...] = (),
    estate_ranges: tuple[str, ...] = (), cluster: ClusterSpec | None = None,
) -> list[ChartRelease]:
    """`estate_ranges`: every cluster's node and pod ranges (render.estate_ranges), the
    east-west gateway's only sources. `cluster`: the cluster the releases are for; on EKS it
    adds the Cluster Autoscaler at the cluster's own Kubernetes minor."""
    releases = [CERT_MANAGER, POLICY_CONTROLLER]
    if posture.mesh:
        cross_cluster = any(ns.ingress_from_clusters for ns in posture.workload_namespaces)
        releases += istio_releases(cloud, trust_domain, mesh_trust_domains, cross_cluster)
        sandbox = default_sandbox_placement(cloud)
        releases += [sandbox_gateway_release(ns.name, sandbox)
                     for ns in posture.workload_namespaces if ns.sandboxed]
        if cross_cluster:
            releases.append(east_west_release(cloud, estate_ranges))
    if cloud == "aws" and cluster is not None:
        releases.append(cluster_autoscaler_release(cluster, cluster.version(posture)))
    return releases


def baseline_webhook_ports(cloud: Cloud, posture: Posture) -> tuple[int, ...]:
    """The webhook ports of every chart the baseline installs on `cloud` for `posture`: the one
    source every cloud's firewall reads (GKE firewall, AKS NSG, EKS node security group)."""
    return webhook_ports(chart_releases(cloud, posture, trust_domain="-"))


def webhook_ports(releases: list[ChartRelease]) -> tuple[int, ...]:
    """Every port the releases' admission webhooks listen on, sorted, once each."""
    return tuple(sorted({port for r in releases for port in r.webhook_ports}))


def image_references(releases: list[ChartRelease]) -> tuple[str, ...]:
    """Every image reference the releases run, sorted, once each."""
    return tuple(sorted({image.reference for r in releases for image in r.images}))
