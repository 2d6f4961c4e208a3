"""The prod stack (two regions, no authorized networks) and a bring-your-own resource group."""

from __future__ import annotations

import re

import pulumi
import pytest

from zero_trust_clusters.components.azure import naming
from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.runner import run_program

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
    # No people's networks in prod: only the deployer's range reaches the API servers.
    assert spec.posture.authorized_networks == []
    assert spec.posture.api_source_networks() == ["10.254.0.0/24"]
    nsgs = [unwrap(n.inputs) for n in graph.of_type("azure-native:network:NetworkSecurityGroup")]
    clients = [r for nsg in nsgs for r in nsg["securityRules"] if r["name"] == "allow-api-clients"]
    assert len(clients) == 2
    for rule in clients:
        assert rule["sourceAddressPrefix"] == "10.254.0.0/24"
        assert "sourceAddressPrefixes" not in rule
        assert (rule["access"], rule["destinationPortRange"]) == ("Allow", "443")
    vaults = [unwrap(v.inputs)["vaultName"] for v in graph.of_type("azure-native:keyvault:Vault")]
    accounts = [unwrap(a.inputs)["accountName"]
                for a in graph.of_type("azure-native:storage:StorageAccount")]
    assert len(set(vaults)) == len(set(accounts)) == 2
    assert all(len(n) <= 24 for n in vaults + accounts)


def test_an_existing_resource_group_is_used_not_created(dev):
    azure = dev.cluster_spec.settings.model_copy(update={"resource_group": "rg-platform-shared"})
    cluster = dev.cluster_spec.model_copy(update={"settings": azure})

    def program() -> None:
        from zero_trust_clusters.components.azure import AksCluster

        aks = AksCluster(cluster.name,
                         ClusterArgs(cluster, dev.spec.posture, dev.spec.trust_domain(cluster)))
        pulumi.export("endpoint", aks.endpoint)

    graph = run_program(program)
    assert graph.of_type("azure-native:resources:ResourceGroup") == []
    for resource in graph.resources:
        if resource.type.startswith("azure-native:") and "resourceGroupName" in resource.inputs:
            assert unwrap(resource.inputs)["resourceGroupName"] == "rg-platform-shared"
    assert graph.exports["endpoint"].startswith("https://dev-azure-")


@pytest.mark.parametrize("cluster", ["a", "dev-azure", "a--b---c", "x-" * 10, "abcdefghijklmnopqrst"])
def test_key_vault_and_storage_account_names_follow_azure_naming_rules(cluster):
    """Key Vault: 3-24, alphanumerics and hyphens, starts with a letter, ends with a letter or
    digit, no consecutive hyphens; storage account: 3-24 lowercase letters and digits."""
    sub = "0b1f6471-1bf0-4dda-aec3-111122223333"
    vault = naming.key_vault(sub, cluster)
    assert re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]", vault), vault
    assert "--" not in vault
    account = naming.storage_account(sub, cluster)
    assert re.fullmatch(r"[a-z0-9]{3,24}", account), account
    assert naming.key_vault(sub, cluster) == vault  # deterministic
