"""posture.mesh (on by default): Istio with the shared PKI plugged in (`cacerts`), STRICT mTLS in
every workload namespace, and authorization by SPIFFE principal from the namespace graph."""

from __future__ import annotations

import base64

import pytest

from zero_trust_clusters.components.kubernetes import (
    default_sandbox_placement,
    mesh_peers,
    render_baseline,
    render_charts,
)
from zero_trust_clusters.components.kubernetes.charts import ISTIO_IMAGES
from zero_trust_clusters.components.kubernetes.mesh import principal
from zero_trust_clusters.components.spec import EstateSpec
from zero_trust_clusters.engine.mocks import is_secret, unwrap
from zero_trust_clusters.engine.runner import Graph, run_program

from .conftest import baseline_program
from .support import shared_pki, stack_spec

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def mesh_graph() -> Graph:
    spec = stack_spec("dev")
    assert spec.posture.mesh  # the default
    gcp = next(c for c in spec.clusters if c.cloud == "gcp")
    return run_program(baseline_program(EstateSpec(posture=spec.posture, clusters=[gcp]),
                                        shared_pki("dev")), stack="dev")


def _named(graph: Graph, kind: str, name: str, namespace: str | None = None):
    (match,) = [r for r in graph.resources if r.type.endswith(f":{kind}")
                and r.inputs.get("metadata", {}).get("name") == name
                and (namespace is None or r.inputs["metadata"].get("namespace") == namespace)]
    return match


def _objects(stack: str = "dev", cluster: int = 0, **kwargs) -> list[dict]:
    spec = stack_spec(stack)
    c = spec.clusters[cluster]
    kwargs.setdefault("mesh_peers", mesh_peers(spec, c))
    return render_baseline(c.cloud, spec.posture, c, spec.trust_domain(c),
                           default_sandbox_placement(c.cloud), "bundle", **kwargs)


def test_strict_mtls_mesh_wide_and_in_every_workload_namespace(mesh_graph):
    peer = _named(mesh_graph, "PeerAuthentication", "default", "istio-system")
    assert peer.type == "kubernetes:security.istio.io/v1:PeerAuthentication"
    assert peer.inputs["spec"] == {"mtls": {"mode": "STRICT"}}  # root namespace: whole mesh
    base = next(r for r in mesh_graph.of_type(RELEASE) if r.inputs["name"] == "istio-base")
    assert base.urn in peer.dependencies
    for ns in stack_spec("dev").posture.workload_namespaces:
        local = _named(mesh_graph, "PeerAuthentication", "default", ns.name)
        assert local.inputs["spec"] == {"mtls": {"mode": "STRICT"}}
        labels = _named(mesh_graph, "Namespace", ns.name).inputs["metadata"]["labels"]
        # dev's `jobs` is sandboxed: outside the mesh by declaration (never injected).
        assert labels["istio-injection"] == ("disabled" if ns.sandboxed else "enabled")
        assert labels.get("ztc.io/sandboxed") == ("true" if ns.sandboxed else None)
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_deny_by_default_and_one_allow_per_declared_edge_by_principal():
    spec = stack_spec("dev")
    domains = sorted(spec.trust_domain(c) for c in spec.clusters)
    objects = _objects(mesh_trust_domains=domains)
    policies = {(o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"]
                for o in objects if o["kind"] == "AuthorizationPolicy"}
    listener = {"action": "ALLOW", "rules": [{"to": [{"operation": {"ports": ["8080"]}}]}]}
    # payments accepts frontend (from every cluster: dev lists all three in
    # ingressFromClusters) and the sandboxed jobs, through jobs' own gateway; nothing else.
    assert policies == {
        ("istio-system", "allow-nothing"): {},
        ("frontend", "allow-nothing"): {},
        ("payments", "allow-nothing"): {},
        ("jobs", "allow-nothing"): {},
        ("payments", "allow-from-frontend"): {"action": "ALLOW", "rules": [{"from": [{"source": {
            "principals": [f"{td}/ns/frontend/sa/*" for td in domains]}}]}]},
        ("payments", "allow-from-jobs"): {"action": "ALLOW", "rules": [{"from": [{"source": {
            "principals": ["dev-aws.dev.zt.example.com/ns/istio-system/sa/sandbox-jobs"]}}]}]},
        # The two gateways' own listeners (their callers have no principal to name).
        ("istio-system", "sandbox-jobs"): {
            "selector": {"matchLabels": {"istio": "sandbox-jobs"}}, **listener},
        ("istio-system", "istio-eastwestgateway"): {
            "selector": {"matchLabels": {"istio": "eastwestgateway"}}, "action": "ALLOW",
            "rules": [{"to": [{"operation": {"ports": ["15443"]}}]}]},
    }
    assert domains == ["dev-aws.dev.zt.example.com", "dev-azure.dev.zt.example.com",
                       "dev-gcp.dev.zt.example.com"]


def test_callers_from_other_clusters_only_where_the_posture_lists_them():
    """prod lists no ingressFromClusters: each cluster names only its own callers, and no
    east-west gateway or route is rendered."""
    spec = stack_spec("prod")
    c = spec.clusters[1]
    objects = render_baseline(c.cloud, spec.posture, c, spec.trust_domain(c),
                              default_sandbox_placement(c.cloud), "bundle",
                              mesh_trust_domains=[spec.trust_domain(x) for x in spec.clusters],
                              mesh_peers=mesh_peers(spec, c))
    allow = next(o for o in objects if o["metadata"]["name"] == "allow-from-frontend")
    assert allow["spec"]["rules"][0]["from"][0]["source"]["principals"] == [
        principal(spec.trust_domain(c), "frontend")]
    assert not [o for o in objects if o["kind"] in ("Gateway", "ServiceEntry", "DestinationRule")]
    releases = render_charts(c.cloud, spec.posture, spec.trust_domain(c))
    assert "istio-eastwestgateway" not in {r.name for r in releases}


def test_istiod_starts_after_the_plugged_in_ca(mesh_graph):
    istiod = next(r for r in mesh_graph.of_type(RELEASE) if r.inputs["name"] == "istiod")
    cacerts = _named(mesh_graph, "Secret", "cacerts", "istio-system")
    assert cacerts.urn in istiod.dependencies


def test_cacerts_carries_the_clusters_intermediate(mesh_graph):
    pki = shared_pki("dev")
    secret = _named(mesh_graph, "Secret", "cacerts")
    assert secret.inputs["metadata"]["namespace"] == "istio-system"
    assert is_secret(secret.inputs["data"])
    data = {k: base64.b64decode(v).decode() for k, v in unwrap(secret.inputs["data"]).items()}
    inter = pki.intermediates["dev-gcp"]
    assert data["ca-key.pem"] == inter.key
    assert data["ca-cert.pem"].strip() == inter.certificate.strip()
    assert data["root-cert.pem"].strip() == pki.root.strip()
    assert data["cert-chain.pem"].startswith(inter.certificate.strip())


def test_istio_releases_and_namespaces(mesh_graph):
    releases = {r.inputs["name"]: r for r in mesh_graph.of_type(RELEASE)}
    assert set(releases) == {"cert-manager", "policy-controller", "istio-base", "istio-cni",
                             "istiod", "sandbox-jobs", "istio-eastwestgateway"}
    istiod = releases["istiod"]
    assert {releases["istio-base"].urn, releases["istio-cni"].urn} <= set(istiod.dependencies)
    mesh = istiod.inputs["values"]["meshConfig"]
    assert mesh["trustDomain"] == "dev-gcp.dev.zt.example.com"
    assert mesh["caCertificates"] == [{"trustDomains": ["dev-gcp.dev.zt.example.com"]}]
    # The cross-cluster routes' names are answered by the sidecars (dev has such routes).
    assert mesh["defaultConfig"] == {"proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"}}
    for gateway in ("sandbox-jobs", "istio-eastwestgateway"):
        assert releases[gateway].inputs["chart"] == "gateway"
        assert releases[gateway].inputs["version"] == istiod.inputs["version"]
        assert releases["istiod"].urn in releases[gateway].dependencies
    # istiod 1.30 reads `cni` at the top level; the injector sees it as pilot.cni.
    assert istiod.inputs["values"]["cni"] == {"enabled": True}
    assert istiod.inputs["values"]["global"]["platform"] == "gke"
    labels = _named(mesh_graph, "Namespace", "istio-system").inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"


def test_istio_system_admits_only_mtls_xds_and_the_webhook():
    policies = {o["metadata"]["name"]: o["spec"] for o in _objects()
                if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "istio-system"}
    assert policies["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    ports = [p["port"] for rule in policies["allow-istiod"]["ingress"] for p in rule["ports"]]
    assert ports == [15012, 15017]  # never 15010 (plaintext xDS)


def test_the_sidecar_image_is_admitted_by_the_image_policy_and_nothing_else():
    (policy,) = [o for o in _objects() if o["kind"] == "ClusterImagePolicy"
                 and o["metadata"]["name"] == "ztc-mesh-proxy"]
    reference = ISTIO_IMAGES["proxyv2"].reference
    assert reference == "gcr.io/istio-release/proxyv2:1.30.3-distroless"
    # As written, and as policy-controller rewrites a tag before validating (tag@digest).
    assert policy["spec"]["images"] == [{"glob": reference}, {"glob": f"{reference}@sha256:*"}]
    assert policy["spec"]["authorities"] == [
        {"name": "pinned-mesh-proxy", "static": {"action": "pass"}}]


def test_mesh_off_renders_no_mesh_object():
    spec = stack_spec("dev")
    c = spec.clusters[0]
    posture = spec.posture.model_copy(update={"mesh": False})
    objects = render_baseline(c.cloud, posture, c, spec.trust_domain(c),
                              default_sandbox_placement(c.cloud), "bundle")
    kinds = {o["kind"] for o in objects}
    assert not kinds & {"PeerAuthentication", "AuthorizationPolicy"}
    assert not any(o["metadata"].get("namespace") == "istio-system" for o in objects)
