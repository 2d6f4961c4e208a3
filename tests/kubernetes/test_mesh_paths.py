"""The two ways traffic enters the mesh from outside a cluster's sidecars, as rendered for dev:
a sandboxed namespace (`jobs`, RuntimeClass `sandboxed`, outside the mesh) through its own
meshed sandbox gateway, and callers on other clusters through the east-west gateway; plus the
admission policies that keep sandboxed pods out of meshed namespaces, evaluated as the API
server evaluates their CEL (cel-python)."""

from __future__ import annotations

import celpy
import pytest

from zero_trust_clusters.components.kubernetes import (
    default_sandbox_placement,
    estate_ranges,
    mesh_peers,
    render_baseline,
    render_charts,
)
from zero_trust_clusters.components.spec import SpecError, load_spec
from zero_trust_clusters.engine.stackfile import load_stack_config

from .support import stack_spec

GATEWAY = "sandbox-jobs"


def _dev(cluster: int = 2) -> tuple[list[dict], dict]:
    spec = stack_spec("dev")
    c = spec.clusters[cluster]
    peers = mesh_peers(spec, c)
    objects = render_baseline(c.cloud, spec.posture, c, spec.trust_domain(c),
                              default_sandbox_placement(c.cloud), "bundle",
                              mesh_trust_domains=[spec.trust_domain(x) for x in spec.clusters],
                              mesh_peers=peers)
    releases = {r.name: r for r in render_charts(c.cloud, spec.posture, spec.trust_domain(c),
                                                 ranges=estate_ranges(c, peers))}
    return objects, releases


def _one(objects: list[dict], kind: str, namespace: str | None, name: str) -> dict:
    (match,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name
                and o["metadata"].get("namespace") == namespace]
    return match


def _netpols(objects: list[dict], namespace: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o["spec"] for o in objects
            if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == namespace}


# --- the sandbox path ---------------------------------------------------------------------------

def test_a_sandboxed_namespace_sends_only_to_dns_and_its_own_gateway():
    objects, _ = _dev()
    policies = _netpols(objects, "jobs")
    assert set(policies) == {"default-deny-all", "allow-dns-egress",
                             "allow-egress-to-sandbox-gateway"}
    assert policies["allow-egress-to-sandbox-gateway"]["egress"] == [{
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name":
                                                      "istio-system"}},
                "podSelector": {"matchLabels": {"istio": GATEWAY}}}],
        "ports": [{"protocol": "TCP", "port": 8080}],
    }]
    # Not even to payments, which declares it as a caller: that edge goes through the gateway.
    assert "allow-egress-to-payments" not in policies


def test_the_callee_admits_the_sandbox_gateway_not_the_sandbox():
    objects, _ = _dev()
    ingress = _netpols(objects, "payments")["allow-ingress-from-jobs"]["ingress"]
    assert ingress == [{"from": [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
        "podSelector": {"matchLabels": {"istio": GATEWAY}}}]}]
    allow = _one(objects, "AuthorizationPolicy", "payments", "allow-from-jobs")
    # The gateway's own SPIFFE principal in this cluster's trust domain, never the sandbox's.
    assert allow["spec"]["rules"][0]["from"][0]["source"]["principals"] == [
        "dev-gcp.dev.zt.example.com/ns/istio-system/sa/sandbox-jobs"]


def test_only_the_sandboxed_namespace_reaches_its_gateway_listener():
    objects, _ = _dev()
    policy = _netpols(objects, "istio-system")[GATEWAY]
    assert policy == {
        "podSelector": {"matchLabels": {"istio": GATEWAY}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "jobs"}}}],
            "ports": [{"protocol": "TCP", "port": 8080}]}],
    }
    gateway = _one(objects, "Gateway", "istio-system", GATEWAY)["spec"]
    # Binds only VirtualServices of the namespaces that declare jobs as a caller.
    assert gateway == {"selector": {"istio": GATEWAY}, "servers": [{
        "port": {"number": 8080, "name": "http", "protocol": "HTTP"},
        "hosts": ["payments/*"]}]}


@pytest.mark.parametrize("cluster", [0, 1, 2])
def test_the_sandbox_gateway_is_node_local_on_the_sandbox_pool(cluster):
    spec = stack_spec("dev")
    _, releases = _dev(cluster)
    values = releases[GATEWAY].values
    placement = default_sandbox_placement(spec.clusters[cluster].cloud)
    assert releases[GATEWAY].chart == "gateway" and releases[GATEWAY].namespace == "istio-system"
    assert values["kind"] == "DaemonSet"
    # kube-proxy keeps a pod's traffic on its node (and drops it without a local endpoint).
    assert values["service"]["internalTrafficPolicy"] == "Local"
    assert values["service"]["type"] == "ClusterIP"
    assert values["nodeSelector"] == placement.node_selector
    # No runtimeClassName value exists in the chart: the gateway itself runs on runc, meshed
    # (the chart's default podAnnotations inject it), so it is not overridden here.
    assert "podAnnotations" not in values and "runtimeClassName" not in str(values)


# --- cross-cluster routes -------------------------------------------------------------------

def test_the_caller_routes_to_each_peer_with_that_peers_identity():
    objects, _ = _dev(cluster=2)  # dev-gcp's frontend calls payments' ledger on aws and azure
    entries = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ServiceEntry"}
    rules = {o["metadata"]["name"]: o for o in objects if o["kind"] == "DestinationRule"}
    assert set(entries) == set(rules) == {"ledger-payments-dev-aws", "ledger-payments-dev-azure"}
    entry, rule = entries["ledger-payments-dev-aws"], rules["ledger-payments-dev-aws"]
    assert entry["metadata"]["namespace"] == rule["metadata"]["namespace"] == "frontend"
    assert entry["spec"] == {
        "hosts": ["ledger.payments.svc.dev-aws.dev.zt.example.com"],
        "exportTo": ["."],
        "location": "MESH_INTERNAL",
        "ports": [{"number": 8443, "name": "tcp-8443", "protocol": "TCP"}],
        "resolution": "DNS",
        "endpoints": [{"address": "eastwest.dev-aws.dev.zt.example.com",
                       "ports": {"tcp-8443": 15443}}],
    }
    assert rule["spec"] == {
        "host": "ledger.payments.svc.dev-aws.dev.zt.example.com",
        "exportTo": ["."],
        "trafficPolicy": {"tls": {
            "mode": "ISTIO_MUTUAL",
            "sni": "outbound_.8443_._.ledger.payments.svc.cluster.local",
            "subjectAltNames": ["spiffe://dev-aws.dev.zt.example.com/ns/payments/sa/ledger"],
        }},
    }
    egress = _netpols(objects, "frontend")["allow-egress-to-peer-clusters"]["egress"]
    assert egress[0]["ports"] == [{"protocol": "TCP", "port": 15443}]


def test_the_callee_passes_through_only_the_exported_services_from_the_estate():
    spec = stack_spec("dev")
    objects, releases = _dev(cluster=0)
    gateway = _one(objects, "Gateway", "istio-system", "istio-eastwestgateway")["spec"]
    assert gateway == {"selector": {"istio": "eastwestgateway"}, "servers": [{
        "port": {"number": 15443, "name": "tls", "protocol": "TLS"},
        "tls": {"mode": "AUTO_PASSTHROUGH"},
        "hosts": ["ledger.payments.svc.cluster.local"]}]}
    ranges = sorted(r for c in spec.clusters for r in (c.node_cidr, c.pod_cidr))
    policy = _netpols(objects, "istio-system")["istio-eastwestgateway"]
    assert policy["ingress"][0] == {"from": [{"ipBlock": {"cidr": r}} for r in ranges],
                                    "ports": [{"protocol": "TCP", "port": 15443}]}
    service = releases["istio-eastwestgateway"].values["service"]
    assert service["type"] == "LoadBalancer"
    assert service["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
    assert service["loadBalancerSourceRanges"] == ranges
    assert {p["port"] for p in service["ports"]} == {15021, 15443}  # never istiod's ports
    # payments admits the gateway's pods (the mTLS it passes through is authorized by the
    # destination sidecar against the callers' principals).
    assert "allow-ingress-from-eastwest" in _netpols(objects, "payments")


# --- admission: who is in the mesh is the namespace's decision ------------------------------

def _validations(objects: list[dict], selector: dict) -> list[celpy.Runner]:
    (binding,) = [o for o in objects if o["kind"] == "ValidatingAdmissionPolicyBinding"
                  and o["spec"]["matchResources"]["namespaceSelector"]["matchLabels"]
                  == selector]
    assert binding["spec"]["validationActions"] == ["Deny"]
    policy = _one(objects, "ValidatingAdmissionPolicy", None, binding["spec"]["policyName"])
    assert policy["spec"]["failurePolicy"] == "Fail"
    env = celpy.Environment()
    return [env.program(env.compile(v["expression"])) for v in policy["spec"]["validations"]]


def _admitted(programs: list[celpy.Runner], pod: dict) -> bool:
    activation = {"object": celpy.json_to_cel(pod)}
    return all(bool(p.evaluate(activation)) for p in programs)


def _pod(runtime_class: str | None = None, labels: dict | None = None,
         annotations: dict | None = None) -> dict:
    metadata: dict = {"name": "p"}
    if labels is not None:
        metadata["labels"] = labels
    if annotations is not None:
        metadata["annotations"] = annotations
    spec: dict = {"containers": [{"name": "c", "image": "x"}]}
    if runtime_class:
        spec["runtimeClassName"] = runtime_class
    return {"metadata": metadata, "spec": spec}


def test_meshed_namespaces_refuse_sandboxed_pods_and_opt_outs():
    objects, _ = _dev()
    meshed = _validations(objects, {"istio-injection": "enabled"})
    assert _admitted(meshed, _pod())
    assert _admitted(meshed, _pod(labels={"app": "web"}, annotations={"a": "b"}))
    assert _admitted(meshed, _pod(labels={"sidecar.istio.io/inject": "true"}))
    assert not _admitted(meshed, _pod("sandboxed"))
    assert not _admitted(meshed, _pod(labels={"sidecar.istio.io/inject": "false"}))
    assert not _admitted(meshed, _pod(annotations={"sidecar.istio.io/inject": "false"}))


def test_sandboxed_namespaces_admit_only_sandboxed_pods():
    objects, _ = _dev()
    sandboxed = _validations(objects, {"ztc.io/sandboxed": "true"})
    assert _admitted(sandboxed, _pod("sandboxed"))
    assert not _admitted(sandboxed, _pod())
    assert not _admitted(sandboxed, _pod("runc"))


# --- the posture keys, with errors that name them -------------------------------------------

def _dev_config(**namespaces) -> dict:
    config, _secure = load_stack_config("dev")
    config = dict(config)
    posture = dict(config["zero-trust-clusters:posture"])
    posture["workloadNamespaces"] = namespaces["workloadNamespaces"]
    config["zero-trust-clusters:posture"] = posture
    return config


@pytest.mark.parametrize("namespaces,key", [
    ([{"name": "jobs", "sandboxed": True, "ingressFromNamespaces": ["web"]}, {"name": "web"}],
     "workloadNamespaces[0].ingressFromNamespaces"),
    ([{"name": "jobs", "sandboxed": True, "egressToCidrs": ["10.200.0.0/24"]}],
     "workloadNamespaces[0].egressToCidrs"),
    ([{"name": "p", "ingressFromNamespaces": ["f"], "ingressFromClusters": ["dev-oci"],
       "exportedServices": [{"name": "s", "port": 80}]}, {"name": "f"}],
     "workloadNamespaces[0].ingressFromClusters[0]"),
    ([{"name": "p", "ingressFromNamespaces": ["f"], "ingressFromClusters": ["dev-aws"]},
      {"name": "f"}], "workloadNamespaces[0].exportedServices"),
    ([{"name": "p", "ingressFromClusters": ["dev-aws"],
       "exportedServices": [{"name": "s", "port": 80}]}],
     "workloadNamespaces[0].ingressFromClusters"),
    ([{"name": "a" * 46, "sandboxed": True}], "workloadNamespaces[0].name"),
])
def test_mesh_path_mistakes_name_their_key(namespaces, key):
    with pytest.raises(SpecError) as error:
        load_spec(_dev_config(workloadNamespaces=namespaces), check_offline_root=False)
    assert any(p.startswith(f"zero-trust-clusters:posture.{key}:") for p in error.value.problems), \
        error.value.problems
