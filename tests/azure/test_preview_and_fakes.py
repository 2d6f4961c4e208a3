"""A first `pulumi preview` (outputs unknown) and the fake cloud's answers."""

from __future__ import annotations

import base64

import pulumi
import yaml

from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.engine.fakes import azure as fake
from zero_trust_clusters.engine.runner import run_program
from zero_trust_clusters.engine.stackfile import to_pulumi_config


def test_first_preview_registers_the_same_graph_with_unknown_outputs(dev):
    spec, cluster = dev.spec, dev.cluster_spec
    seen: dict = {}

    def program() -> None:
        from zero_trust_clusters.components.azure import AksCluster

        aks = AksCluster(cluster.name, ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster)))
        pulumi.export("endpoint", aks.endpoint)
        seen["ok"] = True

    from zero_trust_clusters.engine.stackfile import load_stack_config

    config, _ = load_stack_config("dev")
    graph = run_program(program, config=to_pulumi_config(config), preview=True)
    assert seen["ok"]
    assert sorted((r.type, r.name) for r in graph.resources) == sorted(
        (r.type, r.name) for r in dev.graph.resources
    )
    assert graph.exports["endpoint"] is None  # unknown until the cluster exists


def test_fake_answers_are_deterministic_and_arm_shaped():
    inputs = {"resourceGroupName": "rg-x", "resourceName": "x", "location": "westeurope",
              "dnsPrefix": "x", "oidcIssuerProfile": {"enabled": True}}
    first = fake.outputs("azure-native:containerservice:ManagedCluster", "x-aks", inputs)
    assert first == fake.outputs("azure-native:containerservice:ManagedCluster", "x-aks", inputs)
    assert first["privateFQDN"].endswith(".privatelink.westeurope.azmk8s.io")
    assert first["oidcIssuerProfile"]["issuerURL"].startswith("https://westeurope.oic.prod-aks")
    rid = fake.resource_id("azure-native:containerservice:ManagedCluster", "x-aks", inputs)
    assert rid.startswith("/subscriptions/") and rid.endswith(
        "/resourceGroups/rg-x/providers/Microsoft.ContainerService/managedClusters/x"
    )
    key = fake.outputs("azure-native:keyvault:Key", "k",
                       {"resourceGroupName": "rg-x", "vaultName": "kv1", "keyName": "kms"})
    assert key["keyUriWithVersion"].startswith("https://kv1.vault.azure.net/keys/kms/")
    assert len(key["keyUriWithVersion"].rsplit("/", 1)[1]) == 32


def test_fake_user_credentials_are_exec_kubeconfigs_and_admin_credentials_are_refused():
    result = fake.call("azure-native:containerservice:listManagedClusterUserCredentials",
                       {"resourceGroupName": "rg-x", "resourceName": "x", "format": "exec"})
    document = yaml.safe_load(base64.b64decode(result["kubeconfigs"][0]["value"]))
    assert document["users"][0]["user"]["exec"]["command"] == "kubelogin"
    try:
        fake.call("azure-native:containerservice:listManagedClusterAdminCredentials",
                  {"resourceGroupName": "rg-x", "resourceName": "x"})
    except RuntimeError as exc:
        assert "disable local accounts" in str(exc)
    else:
        raise AssertionError("admin credentials must be refused")
    config = fake.call("azure-native:authorization:getClientConfig", {})
    assert set(config) == {"clientId", "objectId", "subscriptionId", "tenantId"}
