"""The cluster contract (components/cluster.py HardenedCluster), proven the same way for every
registered cloud: each cloud's own tests only add what is particular to it."""

from __future__ import annotations

import base64
import json

import pulumi
import pytest
import yaml
from cryptography import x509

from components import clouds
from components.catalog import CONTROL_IDS
from components.cluster import ClusterArgs
from components.spec import load_spec
from scripts.engine.mocks import is_secret, unwrap
from scripts.engine.runner import Graph, run_program
from scripts.engine.stackfile import load_stack_config, to_pulumi_config

# What the cloud phase implements on every cloud; image provenance too where the cloud enforces
# it at the cluster (AKS Azure Policy, GKE Binary Authorization). The rest is in-cluster (the
# cluster phase) or estate-wide (the PKI, the ledger).
IN_CLUSTER_OR_ESTATE = {"ZT-POD-SECURITY", "ZT-MTLS-SHARED-ROOT",
                        "ZT-CHANGE-LEDGER"}
CLOUD_PHASE_CONTROLS = set(CONTROL_IDS) - IN_CLUSTER_OR_ESTATE - {
    "ZT-IMAGE-PROVENANCE"}
CONTRACT = ("endpoint", "certificateAuthority", "kubeconfig", "oidcIssuer")


def _run(cloud: str, *, preview: bool) -> tuple[Graph, dict]:
    config, _ = load_stack_config("dev")
    spec = load_spec(config)
    cluster = next(c for c in spec.clusters if c.cloud == cloud)
    seen: dict = {}

    def program() -> None:
        component = clouds.get(cloud).load_component()(
            cluster.name, ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster)))
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
