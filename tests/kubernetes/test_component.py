"""ClusterBaseline under the mocks, on each cluster of the dev stack (FakeCluster double)."""

from __future__ import annotations

import base64

import pytest
import yaml

from zero_trust_clusters.components.kubernetes import (
    IssuerMaterial,
    default_sandbox_placement,
    mesh_peers,
    render_baseline,
)
from zero_trust_clusters.components.kubernetes.charts import CERT_MANAGER, POLICY_CONTROLLER
from zero_trust_clusters.components.spec import Cloud
from zero_trust_clusters.engine.mocks import is_secret, unwrap
from zero_trust_clusters.engine.runner import Graph

DEV_CLUSTERS = ("dev-aws", "dev-azure", "dev-gcp")
EXPECTED_SANDBOX = {
    "aws": ("runsc", "sandbox.ztc.io/runtime", "gvisor"),
    "azure": ("kata", "sandbox.ztc.io/runtime", "kata"),
    "gcp": ("gvisor", "sandbox.gke.io/runtime", "gvisor"),
}


def _cluster(graph: Graph, name: str):
    return graph.named(name)


def _children(graph: Graph, cluster_name: str) -> list:
    """Every resource below the cluster (the parent chain reaches its URN)."""
    cluster_urn = _cluster(graph, cluster_name).urn
    by_urn = {r.urn: r for r in graph.resources}
    found = []
    for resource in graph.resources:
        parent = resource.parent
        while parent and parent != cluster_urn:
            parent = by_urn[parent].parent if parent in by_urn else ""
        if parent == cluster_urn:
            found.append(resource)
    return found


def _k8s(graph: Graph, cluster_name: str, type_suffix: str) -> list:
    return [
        r for r in _children(graph, cluster_name)
        if r.type.startswith("kubernetes:") and r.type.endswith(type_suffix)
    ]


def _one(graph: Graph, cluster_name: str, type_suffix: str, name: str, namespace=None):
    matches = [
        r for r in _k8s(graph, cluster_name, type_suffix)
        if r.inputs["metadata"]["name"] == name
        and r.inputs["metadata"].get("namespace") == namespace
    ]
    assert len(matches) == 1, f"{cluster_name}: {len(matches)} {type_suffix} {namespace}/{name}"
    return matches[0]


def _cloud(dev_spec, cluster_name: str) -> Cloud:
    return next(c.cloud for c in dev_spec.clusters if c.name == cluster_name)


@pytest.mark.parametrize("cluster", DEV_CLUSTERS)
def test_every_kubernetes_resource_uses_the_clusters_provider_and_sits_under_it(dev_graph, cluster):
    providers = [r for r in _children(dev_graph, cluster) if r.type == "pulumi:providers:kubernetes"]
    assert len(providers) == 1
    provider = providers[0]
    assert provider.parent == dev_graph.named(f"{cluster}-baseline").urn
    assert dev_graph.named(f"{cluster}-baseline").parent == _cluster(dev_graph, cluster).urn
    reference = f"{provider.urn}::{provider.id}"
    resources = [r for r in _children(dev_graph, cluster)
                 if r.type.startswith("kubernetes:")]
    assert len(resources) >= 20
    assert {r.provider for r in resources} == {reference}
    # Nothing kubernetes-typed anywhere in the graph escapes a cluster.
    everywhere = [r for r in dev_graph.resources if r.type.startswith("kubernetes:")]
    assert len(everywhere) == sum(
        len([r for r in _children(dev_graph, c) if r.type.startswith("kubernetes:")])
        for c in DEV_CLUSTERS
    )


@pytest.mark.parametrize("cluster", DEV_CLUSTERS)
def test_provider_uses_the_exec_plugin_kubeconfig_as_a_secret(dev_graph, cluster):
    provider = next(r for r in _children(dev_graph, cluster)
                    if r.type == "pulumi:providers:kubernetes")
    assert is_secret(provider.inputs["kubeconfig"])
    kubeconfig = yaml.safe_load(unwrap(provider.inputs["kubeconfig"]))
    (user,) = kubeconfig["users"]
    assert set(user["user"]) == {"exec"}  # no token, no client certificate
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://{cluster}.k8s.example.test"


@pytest.mark.parametrize("cluster", DEV_CLUSTERS)
def test_workload_namespaces_are_psa_restricted_and_default_deny(dev_graph, dev_spec, cluster):
    version = f"v{dev_spec.posture.kubernetes_version}"
    for ns in dev_spec.posture.workload_namespaces:
        labels = _one(dev_graph, cluster, ":Namespace", ns.name).inputs["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == version
        deny = _one(dev_graph, cluster, ":NetworkPolicy", "default-deny-all", ns.name).inputs["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns = _one(dev_graph, cluster, ":NetworkPolicy", "allow-dns-egress", ns.name).inputs["spec"]
        assert dns["policyTypes"] == ["Egress"]
        assert {p["port"] for p in dns["egress"][0]["ports"]} == {53}
        # Every allow in the namespace comes from the spec: DNS plus the declared flows.
        allows = {r.inputs["metadata"]["name"] for r in _k8s(dev_graph, cluster, ":NetworkPolicy")
                  if r.inputs["metadata"]["namespace"] == ns.name}
        assert allows == _expected_allows(dev_spec, ns)


def _expected_allows(spec, ns) -> set[str]:
    posture = spec.posture
    assert posture.mesh
    expected = {"default-deny-all", "allow-dns-egress"}
    expected |= {f"allow-ingress-from-{s}" for s in ns.ingress_from_namespaces}
    if ns.sandboxed:  # outside the mesh: out only through its sandbox gateway
        return expected | {"allow-egress-to-sandbox-gateway"}
    expected |= {f"allow-egress-to-{o.name}" for o in posture.workload_namespaces
                 if ns.name in o.ingress_from_namespaces}
    if ns.ingress_from_clusters:  # other clusters' callers, through the east-west gateway
        expected.add("allow-ingress-from-eastwest")
    if any(ns.name in o.ingress_from_namespaces and o.ingress_from_clusters
           for o in posture.workload_namespaces):  # routes to the peers' east-west gateways
        expected.add("allow-egress-to-peer-clusters")
    return expected | {"allow-mesh-control-plane"}  # sidecars reach istiod


@pytest.mark.parametrize("cluster", DEV_CLUSTERS)
def test_runtime_class_maps_to_the_clouds_sandbox(dev_graph, dev_spec, cluster):
    handler, key, value = EXPECTED_SANDBOX[_cloud(dev_spec, cluster)]
    runtime = _one(dev_graph, cluster, ":RuntimeClass", "sandboxed").inputs
    assert runtime["handler"] == handler
    assert runtime["scheduling"]["nodeSelector"] == {key: value}
    assert runtime["scheduling"]["tolerations"] == [
        {"key": key, "operator": "Equal", "value": value, "effect": "NoSchedule"}
    ]


@pytest.mark.parametrize("cluster", DEV_CLUSTERS)
def test_rbac_binds_the_portable_groups_to_the_clouds_identity(dev_graph, dev_spec, cluster):
    cloud = _cloud(dev_spec, cluster)
    groups = dev_spec.posture.groups
    identity = {
        "aws": lambda g: g.kubernetes_group,
        "azure": lambda g: g.azure_group_object_id,
        "gcp": lambda g: g.gcp_group_email,
    }[cloud]
    for binding, role, group in (("ztc-admins", "cluster-admin", groups.admins),
                                 ("ztc-auditors", "view", groups.auditors)):
        crb = _one(dev_graph, cluster, ":ClusterRoleBinding", binding).inputs
        assert crb["roleRef"]["name"] == role
        assert crb["subjects"] == [
            {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": identity(group)}
        ]
    # Developers: `edit` in workload namespaces only, never cluster-wide.
    role_bindings = _k8s(dev_graph, cluster, ":RoleBinding")
    role_bindings = [r for r in role_bindings if not r.type.endswith("ClusterRoleBinding")]
    assert {r.inputs["metadata"]["namespace"] for r in role_bindings} == {
        ns.name for ns in dev_spec.posture.workload_namespaces
    }
    for rb in role_bindings:
        assert rb.inputs["roleRef"]["name"] == "edit"
        assert rb.inputs["subjects"][0]["name"] == identity(groups.developers)
    crbs = _k8s(dev_graph, cluster, ":ClusterRoleBinding")
    assert identity(groups.developers) not in {s["name"] for r in crbs for s in r.inputs["subjects"]}


@pytest.mark.parametrize("cluster", DEV_CLUSTERS)
def test_cluster_issuer_signs_with_the_clusters_intermediate(dev_graph, dev_pki, cluster):
    issuer = _one(dev_graph, cluster, "ClusterIssuer", "ztc-ca")
    assert issuer.type == "kubernetes:cert-manager.io/v1:ClusterIssuer"
    secret_name = issuer.inputs["spec"]["ca"]["secretName"]
    secret = _one(dev_graph, cluster, ":Secret", secret_name, "cert-manager")
    assert is_secret(secret.inputs["data"]) and secret.inputs["type"] == "kubernetes.io/tls"
    data = {k: base64.b64decode(v).decode() for k, v in unwrap(secret.inputs["data"]).items()}
    inter = dev_pki.intermediates[cluster]
    assert data["tls.key"] == inter.key
    assert data["tls.crt"].startswith(inter.certificate.strip())
    assert data["ca.crt"].strip() == dev_pki.root.strip()
    # The CRD comes with cert-manager: the issuer waits for that release.
    release = next(r for r in _k8s(dev_graph, cluster, "helm.sh/v3:Release")
                   if r.inputs["name"] == CERT_MANAGER.name)
    assert release.urn in issuer.dependencies
    for namespace_bundle in _k8s(dev_graph, cluster, ":ConfigMap"):
        if namespace_bundle.inputs["metadata"]["name"] != "ztc-trust-bundle":
            continue  # the cluster identity ConfigMap names the cluster, nothing more
        assert namespace_bundle.inputs["data"]["ca.crt"] == dev_pki.trust_bundle


@pytest.mark.parametrize("cluster", DEV_CLUSTERS)
def test_charts_are_pinned_and_image_policy_waits_for_its_crd(dev_graph, dev_spec, cluster):
    releases = {r.inputs["name"]: r for r in _k8s(dev_graph, cluster, "helm.sh/v3:Release")}
    # The mesh is on by default; dev has a sandboxed namespace (jobs) and cross-cluster edges;
    # EKS alone adds the Cluster Autoscaler (AKS and GKE pools scale themselves).
    autoscaler = {"cluster-autoscaler"} if _cloud(dev_spec, cluster) == "aws" else set()
    assert set(releases) == {CERT_MANAGER.name, POLICY_CONTROLLER.name, "istio-base",
                             "istio-cni", "istiod", "sandbox-jobs", "istio-eastwestgateway",
                             *autoscaler}
    for chart in (CERT_MANAGER, POLICY_CONTROLLER):
        inputs = releases[chart.name].inputs
        assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]["repo"]) == (
            chart.chart, chart.version, chart.repo)
        assert inputs["namespace"] == chart.namespace and inputs["createNamespace"] is False
        assert releases[chart.name].outputs["status"]["status"] == "deployed"
    assert releases["policy-controller"].inputs["values"]["webhook"]["configData"] == {
        "no-match-policy": "deny"
    }
    policy = _one(dev_graph, cluster, "ClusterImagePolicy", "ztc-trusted-images")
    assert releases["policy-controller"].urn in policy.dependencies


@pytest.mark.parametrize("cluster", DEV_CLUSTERS)
def test_deployment_equals_the_rendered_manifests(dev_graph, dev_spec, dev_pki, cluster):
    """The component's resources carry exactly what `render_baseline` renders (no drift)."""
    spec = next(c for c in dev_spec.clusters if c.name == cluster)
    inter = dev_pki.intermediates[cluster]
    rendered = render_baseline(
        spec.cloud, dev_spec.posture, spec, dev_spec.trust_domain(spec),
        default_sandbox_placement(spec.cloud), dev_pki.trust_bundle,
        issuer=IssuerMaterial(inter.certificate, inter.key, inter.chain),
        mesh_trust_domains=[dev_spec.trust_domain(c) for c in dev_spec.clusters],
        mesh_peers=mesh_peers(dev_spec, spec),
    )
    deployed = {
        (r.inputs["kind"], r.inputs["metadata"].get("namespace"), r.inputs["metadata"]["name"]):
            unwrap(r.inputs)
        for r in _children(dev_graph, cluster)
        if r.type.startswith("kubernetes:") and "metadata" in r.inputs
    }
    assert len(deployed) == len(rendered)
    for obj in rendered:
        key = (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])
        assert deployed[key] == obj, key


def test_component_outputs_name_the_controls(dev_graph):
    for cluster in DEV_CLUSTERS:
        outputs = dev_graph.component_outputs[dev_graph.named(f"{cluster}-baseline").urn]
        controls = outputs["controls"]
        for control in ("ZT-NETPOL-DEFAULT-DENY", "ZT-POD-SECURITY", "ZT-SANDBOX", "ZT-IAM-ONLY",
                        "ZT-MTLS-SHARED-ROOT", "ZT-IMAGE-PROVENANCE"):
            assert controls[control], (cluster, control)
        assert f"{cluster}-runtimeclass-sandboxed" in controls["ZT-SANDBOX"]
