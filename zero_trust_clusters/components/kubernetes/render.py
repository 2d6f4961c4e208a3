"""The pure renderer: posture + cluster -> plain Kubernetes objects (no Pulumi involved).

`ztc render` writes these objects; `ClusterBaseline` turns the very same objects into typed
pulumi-kubernetes resources, so the two can never drift.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import pulumi

from zero_trust_clusters.components.cluster import SandboxPlacement
from zero_trust_clusters.components.kubernetes.autoscaler import autoscaler_objects
from zero_trust_clusters.components.kubernetes.certs import ca_issuer, trust_bundles
from zero_trust_clusters.components.kubernetes.charts import (
    CERT_MANAGER,
    CERT_MANAGER_NAMESPACE,
    ISTIO_NAMESPACE,
    POLICY_CONTROLLER,
    POLICY_CONTROLLER_NAMESPACE,
    ChartRelease,
    chart_releases,
)
from zero_trust_clusters.components.kubernetes.delivery import IssuerMaterial, b64
from zero_trust_clusters.components.kubernetes.mesh import MeshPeer, mesh_objects
from zero_trust_clusters.components.kubernetes.names import (
    CLUSTER_IDENTITY_CONFIGMAP,
    CLUSTER_IDENTITY_NAMESPACE,
    MASKED_ANNOTATION,
    meta,
)
from zero_trust_clusters.components.kubernetes.namespaces import (
    system_namespace,
    workload_namespace,
)
from zero_trust_clusters.components.kubernetes.netpol import network_policies
from zero_trust_clusters.components.kubernetes.provenance import cluster_image_policy
from zero_trust_clusters.components.kubernetes.rbac import role_bindings
from zero_trust_clusters.components.kubernetes.runtime import runtime_class
from zero_trust_clusters.components.spec import Cloud, ClusterSpec, EstateSpec, Posture

# API group of each custom resource -> the release that installs its CRD.
CRD_CHARTS: dict[str, str] = {
    "cert-manager.io": CERT_MANAGER.name,
    "policy.sigstore.dev": POLICY_CONTROLLER.name,
    "security.istio.io": "istio-base",
    "networking.istio.io": "istio-base",
}
BUILTIN_GROUPS = ("", "admissionregistration.k8s.io", "networking.k8s.io", "node.k8s.io",
                  "rbac.authorization.k8s.io")


def api_group(obj: dict) -> str:
    version = obj["apiVersion"]
    return version.rpartition("/")[0]


def is_custom_resource(obj: dict) -> bool:
    return api_group(obj) not in BUILTIN_GROUPS


def object_key(obj: dict) -> str:
    """"Kind/namespace/name" (namespace empty for cluster-scoped objects), as charts name the
    objects they require (`ChartRelease.requires`)."""
    metadata = obj["metadata"]
    return f"{obj['kind']}/{metadata.get('namespace', '')}/{metadata['name']}"


def render_baseline(
    cloud: Cloud,
    posture: Posture,
    cluster_spec: ClusterSpec,
    trust_domain: str,
    sandbox: SandboxPlacement,
    trust_bundle_pem: pulumi.Input[str],
    *,
    issuer: IssuerMaterial | None = None,
    mesh_trust_domains: Sequence[str] = (),
    mesh_peers: Sequence[MeshPeer] = (),
    group_subjects: Mapping[str, pulumi.Input[str]] | None = None,
) -> list[dict]:
    """Every baseline object of one cluster, namespaces first.

    Values may be Pulumi Outputs (trust bundle, issuer material); everything else is plain.
    Without `issuer`, the CA Secrets hold placeholders (for `ztc render`, which masks them).
    `mesh_trust_domains`: every cluster's trust domain in the estate, the peers the mesh
    accepts in a handshake (this cluster's own is always included); `mesh_peers`: the other
    clusters (`mesh_peers(spec, cluster)`), for cross-cluster routes and their firewalling.
    `group_subjects`: per portable group, the RBAC subject name to bind (the cluster phase's,
    from the cloud phase); None or a group it lacks: the posture's (rbac.py `role_bindings`).
    """
    if cluster_spec.cloud != cloud:
        raise ValueError(f"cluster {cluster_spec.name!r} is on {cluster_spec.cloud}, not {cloud}")
    issuer = issuer or IssuerMaterial.placeholder(trust_domain)
    # This cluster's own version (a canary cluster may run ahead of the posture's): the PSA
    # labels pin the policy of the version the cluster runs.
    version = cluster_spec.version(posture)
    objects: list[dict] = [workload_namespace(ns, posture, version)
                           for ns in posture.workload_namespaces]
    # cert-manager's pods meet `restricted`; policy-controller's webhook does not set a seccomp
    # profile, so its namespace enforces `baseline` (and audits/warns `restricted`).
    objects.append(system_namespace(CERT_MANAGER_NAMESPACE, "restricted", version))
    objects.append(system_namespace(POLICY_CONTROLLER_NAMESPACE, "baseline", version))
    if posture.mesh:
        # The istio-cni node agent needs host access; workload namespaces stay `restricted`.
        objects.append(system_namespace(ISTIO_NAMESPACE, "privileged", version))
    ranges = estate_ranges(cluster_spec, mesh_peers)
    for ns in posture.workload_namespaces:
        objects += network_policies(ns, posture, ranges)
    objects.append(runtime_class(sandbox))
    objects += role_bindings(cloud, posture, group_subjects)
    objects += trust_bundles(posture, trust_bundle_pem)
    objects += ca_issuer(issuer, trust_bundle_pem)
    objects.append(cluster_image_policy(posture))
    if posture.mesh:
        objects += mesh_objects(
            posture, issuer, trust_bundle_pem, trust_domain, cluster_spec.name,
            estate_ranges=ranges, peers=mesh_peers,
        )
    if cloud == "aws":
        # The Cluster Autoscaler's namespace (charts.py: EKS only, the others' is managed).
        objects += autoscaler_objects(cluster_spec, version)
    objects.append(cluster_identity(cluster_spec, trust_domain))
    return objects


def cluster_identity(cluster_spec: ClusterSpec, trust_domain: str) -> dict:
    """Which cluster this is (not secret: names only), for the pack and for operators."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(CLUSTER_IDENTITY_CONFIGMAP, namespace=CLUSTER_IDENTITY_NAMESPACE),
        "data": {
            "cluster": cluster_spec.name,
            "cloud": cluster_spec.cloud,
            "region": cluster_spec.region,
            "trustDomain": trust_domain,
        },
    }


def mesh_domains(trust_domain: str, mesh_trust_domains: Sequence[str]) -> tuple[str, ...]:
    """The estate's trust domains, sorted, this cluster's own included."""
    return tuple(sorted({trust_domain, *mesh_trust_domains}))


def render_charts(
    cloud: Cloud, posture: Posture, trust_domain: str, mesh_trust_domains: Sequence[str] = (),
    ranges: Sequence[str] = (), cluster: ClusterSpec | None = None,
) -> list[ChartRelease]:
    """The pinned Helm releases the baseline installs before its custom resources.
    `ranges`: `estate_ranges(cluster, peers)`, the east-west gateway's only sources;
    `cluster`: the cluster they are for (its name, region and own Kubernetes version: the EKS
    Cluster Autoscaler needs them)."""
    return chart_releases(
        cloud, posture, trust_domain, mesh_domains(trust_domain, mesh_trust_domains),
        estate_ranges=tuple(ranges), cluster=cluster,
    )


def estate_ranges(cluster_spec: ClusterSpec, peers: Sequence[MeshPeer]) -> tuple[str, ...]:
    """Every cluster's node and pod ranges, this one's included (the same list on every
    cluster): where cross-cluster mTLS comes from and goes to (peers), and where a load
    balancer's traffic may be SNATed to (this cluster's nodes)."""
    return tuple(sorted({cluster_spec.node_cidr, cluster_spec.pod_cidr,
                         *(r for p in peers for r in p.ranges)}))


def mesh_peers(spec: EstateSpec, cluster_spec: ClusterSpec) -> tuple[MeshPeer, ...]:
    """The estate's other clusters, as `cluster_spec`'s mesh sees them."""
    return tuple(MeshPeer(c.name, spec.trust_domain(c), (c.node_cidr, c.pod_cidr))
                 for c in spec.clusters if c.name != cluster_spec.name)


def mask_secrets(objects: list[dict]) -> list[dict]:
    """Copies of `objects` whose Secret values are replaced (keys kept, values never shown)."""
    masked = []
    for obj in objects:
        if obj["kind"] == "Secret":
            obj = copy.deepcopy(obj)
            obj["data"] = {key: b64("**masked**") for key in sorted(obj.get("data") or {})}
            obj.pop("stringData", None)
            obj["metadata"].setdefault("annotations", {})[MASKED_ANNOTATION] = "true"
        masked.append(obj)
    return masked
