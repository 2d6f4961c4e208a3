"""The cluster contract (zero_trust_clusters/components/cluster.py HardenedCluster), proven the same way for every
registered cloud: each cloud's own tests only add what is particular to it."""

from __future__ import annotations

import base64
import json

import pulumi
import pytest
import yaml
from cryptography import x509

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.catalog import CONTROL_IDS
from zero_trust_clusters.components.cluster import OUTPUT_KEYS, ClusterArgs
from zero_trust_clusters.components.spec import load_spec
from zero_trust_clusters.engine.mocks import is_secret, unwrap
from zero_trust_clusters.engine.runner import Graph, run_program
from zero_trust_clusters.engine.stackfile import load_stack_config, to_pulumi_config

# What the cloud phase implements on every cloud; image provenance too where the cloud enforces
# it at the cluster (AKS Azure Policy, GKE Binary Authorization). The rest is in-cluster (the
# cluster phase) or estate-wide (the PKI, the ledger).
IN_CLUSTER_OR_ESTATE = {"ZT-POD-SECURITY", "ZT-MTLS-SHARED-ROOT",
                        "ZT-CHANGE-LEDGER"}
CLOUD_PHASE_CONTROLS = set(CONTROL_IDS) - IN_CLUSTER_OR_ESTATE - {
    "ZT-IMAGE-PROVENANCE"}
CONTRACT = ("endpoint", "certificateAuthority", "kubeconfig", "oidcIssuer")
# What the estate hands each cluster from the shared PKI (a stand-in PEM here).
INTERMEDIATE_PEM = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
# The node identity's form per cloud: what IAM grants name.
NODE_IDENTITY = {
    "aws": lambda v: v.startswith("arn:aws:iam::") and ":role/" in v,
    "azure": lambda v: len(v) == 36 and v.count("-") == 4,  # the kubelet identity's object id
    "gcp": lambda v: v.endswith(".iam.gserviceaccount.com"),
}


def _run(cloud: str, *, preview: bool) -> tuple[Graph, dict]:
    config, _ = load_stack_config("dev")
    spec = load_spec(config)
    cluster = next(c for c in spec.clusters if c.cloud == cloud)
    seen: dict = {}

    def program() -> None:
        component = clouds.get(cloud).load_component()(
            cluster.name, ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster),
                                      trust_domain_intermediate_pem=INTERMEDIATE_PEM))
        seen.update(component=component, cluster=cluster)
        pulumi.export("endpoint", component.endpoint)
        pulumi.export("certificateAuthority", component.certificate_authority)
        pulumi.export("kubeconfig", component.kubeconfig)
        pulumi.export("oidcIssuer", component.oidc_issuer)
        pulumi.export("controls", component.controls)

    return run_program(program, config=to_pulumi_config(config), preview=preview), seen


@pytest.fixture(scope="module", params=list(clouds.BUILTIN))
def built(request):
    cloud = request.param
    graph, seen = _run(cloud, preview=False)
    return cloud, graph, seen


def _kubeconfig(raw: str) -> dict:
    return yaml.safe_load(raw)  # JSON is YAML too


def test_the_component_is_the_registered_one(built):
    cloud, graph, seen = built
    entry = clouds.get(cloud)
    (component,) = graph.of_type(entry.component_type)
    assert component.name == seen["cluster"].name
    assert seen["component"].sandbox == entry.sandbox
    assert seen["component"].cloud == cloud


def test_outputs_are_an_https_endpoint_a_ca_and_an_https_issuer(built):
    _, graph, _ = built
    exports = graph.exports
    assert exports["endpoint"].startswith("https://")
    assert exports["oidcIssuer"].startswith("https://")
    pem = base64.b64decode(exports["certificateAuthority"])
    ca = x509.load_pem_x509_certificate(pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


def test_kubeconfig_is_a_secret_that_authenticates_only_through_cloud_iam(built):
    cloud, graph, _ = built
    raw = graph.exports["kubeconfig"]
    assert is_secret(raw)
    config = _kubeconfig(unwrap(raw))
    (user,) = config["users"]
    assert set(user["user"]) == {"exec"}  # no token, client certificate, password
    assert user["user"]["exec"]["command"] == clouds.get(cloud).exec_plugin
    (cluster,) = config["clusters"]
    assert cluster["cluster"]["server"] == graph.exports["endpoint"]
    assert cluster["cluster"]["certificate-authority-data"] == \
        graph.exports["certificateAuthority"]


def test_registered_outputs_hold_the_contract_and_the_control_map(built):
    cloud, graph, _ = built
    (component,) = graph.of_type(clouds.get(cloud).component_type)
    registered = graph.component_outputs[component.urn]
    assert set(CONTRACT) <= set(registered), cloud
    assert registered["controls"] == graph.exports["controls"]
    held = set(graph.exports["controls"])
    assert CLOUD_PHASE_CONTROLS <= held <= CLOUD_PHASE_CONTROLS | {
        "ZT-IMAGE-PROVENANCE"}, cloud
    names = {r.name for r in graph.resources}
    for control, implementers in graph.exports["controls"].items():
        assert implementers and set(implementers) <= names, (cloud, control)


def test_every_cloud_publishes_every_output_key(built):
    """The same keys on every cloud (zero_trust_clusters/components/cluster.py ClusterOutputs), each filled with
    what this cloud's resources say."""
    cloud, graph, seen = built
    (component,) = graph.of_type(clouds.get(cloud).component_type)
    registered = graph.component_outputs[component.urn]
    assert set(OUTPUT_KEYS) <= set(registered), (cloud, set(OUTPUT_KEYS) - set(registered))
    assert is_secret(registered["kubeconfig"])
    out = {k: unwrap(registered[k]) for k in OUTPUT_KEYS}
    assert out["endpoint"] == graph.exports["endpoint"]
    assert out["oidcIssuer"] == graph.exports["oidcIssuer"]
    assert out["certificateAuthority"] == graph.exports["certificateAuthority"]
    assert out["trustDomain"] == f"{seen['cluster'].name}.dev.zt.example.com"
    assert out["trustDomainIntermediate"] == INTERMEDIATE_PEM
    assert NODE_IDENTITY[cloud](out["nodeIdentity"]), (cloud, out["nodeIdentity"])
    by_id = {r.id: r for r in graph.resources if r.custom}
    by_id.update({str(r.outputs.get("arn")): r for r in graph.resources if r.custom})
    # Every ID names a resource of the run (created network: ours).
    for key in ("securityGroups", "subnetIds"):
        assert len(out[key]) >= 2 or (cloud == "gcp" and key == "subnetIds"), (cloud, key)
        for value in out[key]:
            assert value in by_id, (cloud, key, value)
    assert out["networkId"] in by_id, cloud
    assert {"secrets", "disks"} <= set(out["kmsKeys"]), cloud
    for role, key in out["kmsKeys"].items():
        assert isinstance(key, str) and key, (cloud, role)
    assert out["clusterName"] == seen["cluster"].name


def test_every_resource_sits_in_the_cluster_or_a_shared_component(built):
    """Children are parented: under the cluster, or under a component shared by the clusters
    of one scope (GKE's per-project guardrails), never loose at the stack root."""
    cloud, graph, _ = built
    by_urn = {r.urn: r for r in graph.resources}
    (component,) = graph.of_type(clouds.get(cloud).component_type)
    under_cluster = 0
    for resource in graph.resources:
        ancestor, seen = resource, set()
        while ancestor.parent in by_urn and ancestor.urn not in seen:
            seen.add(ancestor.urn)
            ancestor = by_urn[ancestor.parent]
        assert not ancestor.custom and ancestor.type.startswith("ztc:"), (cloud, resource.name)
        under_cluster += ancestor.urn == component.urn
    assert under_cluster > len(graph.resources) / 2, cloud


def test_no_kubernetes_resource_in_the_cloud_phase(built):
    cloud, graph, _ = built
    assert not [r.name for r in graph.resources
                if r.type.startswith(("kubernetes:", "pulumi:providers:kubernetes"))], cloud


def test_a_first_preview_registers_the_same_children(built):
    cloud, graph, _ = built
    preview, _ = _run(cloud, preview=True)
    assert sorted((r.type, r.name) for r in preview.resources) == sorted(
        (r.type, r.name) for r in graph.resources), cloud
    assert json.dumps(sorted(preview.exports)) == json.dumps(sorted(graph.exports))
