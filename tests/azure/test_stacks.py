"""The prod stack (two regions, no authorized networks) and a bring-your-own resource group."""

from __future__ import annotations

import pulumi

from components.cluster import ClusterArgs
from scripts.engine.mocks import unwrap
from scripts.engine.runner import run_program

from .support import run_all_azure


def test_prod_regions_each_get_their_own_provider_and_a_closed_api_server():
    spec, graph = run_all_azure("prod")
    clusters = {c.name: c for c in spec.clusters if c.cloud == "azure"}
    assert len(clusters) == 2
    providers = {unwrap(p.inputs)["location"]: p for p in graph.of_type(
        "pulumi:providers:azure-native")}
    assert set(providers) == {c.region for c in clusters.values()}
    components = {r.name: r for r in graph.of_type("ztc:azure:AksCluster")}
    for resource in graph.resources:
        if resource.type.startswith("azure-native:"):
            owner = next(n for n in clusters if resource.parent == components[n].urn)
            assert resource.provider.startswith(providers[clusters[owner].region].urn + "::")
    assert spec.posture.authorized_networks == []
    for nsg in graph.of_type("azure-native:network:NetworkSecurityGroup"):
        rules = {r["name"] for r in unwrap(nsg.inputs)["securityRules"]}
        assert "allow-authorized-networks" not in rules
    vaults = [unwrap(v.inputs)["vaultName"] for v in graph.of_type("azure-native:keyvault:Vault")]
    accounts = [unwrap(a.inputs)["accountName"]
                for a in graph.of_type("azure-native:storage:StorageAccount")]
    assert len(set(vaults)) == len(set(accounts)) == 2
    assert all(len(n) <= 24 for n in vaults + accounts)


def test_an_existing_resource_group_is_used_not_created(dev):
    azure = dev.cluster_spec.azure.model_copy(update={"resource_group": "rg-platform-shared"})
    cluster = dev.cluster_spec.model_copy(update={"azure": azure})

    def program() -> None:
        from components.azure import AksCluster

        aks = AksCluster(cluster.name,
                         ClusterArgs(cluster, dev.spec.posture, dev.spec.trust_domain(cluster)))
        pulumi.export("endpoint", aks.endpoint)

    graph = run_program(program)
    assert graph.of_type("azure-native:resources:ResourceGroup") == []
    for resource in graph.resources:
        if resource.type.startswith("azure-native:") and "resourceGroupName" in resource.inputs:
            assert unwrap(resource.inputs)["resourceGroupName"] == "rg-platform-shared"
    assert graph.exports["endpoint"].startswith("https://dev-azure-")
