"""Azure in the cloud registry (zero_trust_clusters/components/clouds.py): AKS. Imports no provider SDK."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from zero_trust_clusters.components.azure.catalog import SANDBOX_PLACEMENT
from zero_trust_clusters.components.clouds import CloudEntry, lazy_check
from zero_trust_clusters.components.spec import (
    UUID_PATTERN,
    ClusterSpec,
    EstateSpec,
    SpecModel,
    cluster_key,
    config_key,
    match_pattern,
)

# ARM ids of what a brought network is made of (learn.microsoft.com/azure/azure-resource-manager/
# management/resource-name-rules: resource groups 1-90 of [\w.()-], VNets/subnets/NSGs 1-80).
_ARM_PREFIX = r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/(?P<rg>[\w.()-]{1,90})/providers/"
SUBNET_ID = re.compile(_ARM_PREFIX + r"Microsoft\.Network/virtualNetworks/(?P<vnet>[\w.-]{1,80})"
                       r"/subnets/(?P<name>[\w.-]{1,80})$", re.IGNORECASE)
NSG_ID = re.compile(_ARM_PREFIX + r"Microsoft\.Network/networkSecurityGroups/(?P<name>[\w.-]{1,80})$",
                    re.IGNORECASE)
# API Server VNet Integration: "The minimum supported API server subnet size is a /28", the
# subnet delegated to Microsoft.ContainerService/managedClusters and in the cluster's VNet
# (learn.microsoft.com/azure/aks/api-server-vnet-integration, bring-your-own-VNet section).
APISERVER_MAX_PREFIX = 28
# The egress a brought node subnet can give (containerservice OutboundType in the installed
# pulumi-azure-native 3.29: "userAssignedNATGateway": the NAT gateway associated to the cluster
# subnet; "userDefinedRouting": the subnet's route table, e.g. to a firewall). No public
# load-balancer egress: nodes get no implicit public address.
OUTBOUND_TYPES = ("userAssignedNATGateway", "userDefinedRouting")
NETWORK_KEYS = ("nodeSubnetId", "nodeSubnetCidr", "apiServerSubnetId", "apiServerSubnetCidr",
                "nodeNsgId", "apiServerNsgId")


def vnet_of(subnet_id: str) -> str:
    """The VNet id of a subnet id."""
    return subnet_id.rsplit("/subnets/", 1)[0]


ID_KEYS = ("nodeSubnetId", "apiServerSubnetId", "nodeNsgId", "apiServerNsgId")
RANGE_KEYS = ("nodeSubnetCidr", "apiServerSubnetCidr")


def id_problems(values: Mapping[str, object], where: str) -> list[str]:
    """What is wrong with the brought subnet and NSG ids (keyed as ID_KEYS)."""
    problems = []
    subnets = {}
    for key in ("nodeSubnetId", "apiServerSubnetId"):
        match = SUBNET_ID.fullmatch(str(values[key]))
        if match is None:
            problems.append(f"{where}.{key}: {values[key]!r} is not a subnet id (/subscriptions/"
                            "<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/"
                            "<vnet>/subnets/<subnet>)")
        subnets[key] = match
    for key in ("nodeNsgId", "apiServerNsgId"):
        if NSG_ID.fullmatch(str(values[key])) is None:
            problems.append(f"{where}.{key}: {values[key]!r} is not a network security group id "
                            "(/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/"
                            "networkSecurityGroups/<nsg>)")
    node, api = subnets["nodeSubnetId"], subnets["apiServerSubnetId"]
    if node is not None and api is not None:
        if vnet_of(node.group(0)).lower() != vnet_of(api.group(0)).lower():
            problems.append(f"{where}.apiServerSubnetId: is in VNet {api['vnet']}, the nodes in "
                            f"{node['vnet']}; API Server VNet Integration needs the API server "
                            "subnet in the cluster's VNet")
        elif node.group(0).lower() == api.group(0).lower():
            problems.append(f"{where}.apiServerSubnetId: is the node subnet; the API server needs "
                            "its own subnet delegated to Microsoft.ContainerService/managedClusters")
    return problems


def range_problems(values: Mapping[str, object], node_cidr: str, where: str) -> list[str]:
    """What is wrong with the brought subnets' ranges (keyed as RANGE_KEYS)."""
    problems = []
    vnet = ipaddress.ip_network(node_cidr)
    nets = {}
    for key in RANGE_KEYS:
        try:
            nets[key] = ipaddress.ip_network(str(values[key]))
        except ValueError:
            problems.append(f"{where}.{key}: {values[key]!r} is not a CIDR (10.20.0.0/17)")
            continue
        if nets[key].version != 4 or not nets[key].subnet_of(vnet):
            problems.append(f"{where}.{key}: {nets[key]} is not inside the cluster's nodeCidr "
                            f"{vnet} (with a brought network, nodeCidr is the VNet's range)")
    api = nets.get("apiServerSubnetCidr")
    if api is not None and api.prefixlen > APISERVER_MAX_PREFIX:
        problems.append(f"{where}.apiServerSubnetCidr: {api} is smaller than the /28 AKS needs "
                        "for the API server subnet")
    node = nets.get("nodeSubnetCidr")
    if api is not None and node is not None and api.overlaps(node):
        problems.append(f"{where}.apiServerSubnetCidr: {api} overlaps nodeSubnetCidr {node}")
    return problems


def byo_problems(values: Mapping[str, object], node_cidr: str, where: str) -> list[str]:
    """Both checks on concrete brought-network values; `where` names the config block or the
    argument class."""
    return id_problems(values, where) + range_problems(values, node_cidr, where)


class AzureNetworkSettings(SpecModel):
    """`azure.network`: build the cluster in an existing VNet (see zero_trust_clusters/components/azure/network.py
    `AksNetworkArgs`, which these values become). `nodeCidr` is then the VNet's range."""

    node_subnet_id: str
    """The node subnet's ARM id."""
    node_subnet_cidr: str
    """The node subnet's range, inside nodeCidr."""
    api_server_subnet_id: str
    """The API-server subnet's ARM id (delegated to AKS, at least a /28, in the nodes' VNet)."""
    api_server_subnet_cidr: str
    """The API-server subnet's range, inside nodeCidr."""
    node_nsg_id: str
    """The NSG attached to the node subnet (the posture's rules are added to it)."""
    api_server_nsg_id: str
    """The NSG attached to the API-server subnet (the posture's rules are added to it)."""
    outbound_type: Literal["userAssignedNATGateway", "userDefinedRouting"] = (
        "userAssignedNATGateway")


# Brought keys. A Key Vault key identifier with its version,
# https://<vault>.vault.azure.net/keys/<name>/<version> (vault: 3-24 letters, digits and
# hyphens; name: 1-127 letters, digits and hyphens; version: 32 characters:
# https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers).
# AKS KMS takes the key *with* its version (the identifier `az keyvault key show --query key.kid`
# prints, https://learn.microsoft.com/azure/aks/use-kms-etcd-encryption) and, with the vault's
# network access Private as here, the vault's resource id (AzureKeyVaultKms.keyVaultResourceId,
# pulumi-azure-native containerservice docstring).
KEY_VAULT_KEY_ID = re.compile(
    r"^https://(?P<vault>[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9])\.vault\."
    r"(azure\.net|azure\.cn|usgovcloudapi\.net)/keys/(?P<name>[a-zA-Z0-9-]{1,127})"
    r"/(?P<version>[0-9a-fA-F]{32})$")
KEY_VAULT_ID = re.compile(_ARM_PREFIX + r"Microsoft\.KeyVault/vaults/(?P<name>[a-zA-Z0-9-]{3,24})$",
                          re.IGNORECASE)
DISK_ENCRYPTION_SET_ID = re.compile(
    _ARM_PREFIX + r"Microsoft\.Compute/diskEncryptionSets/(?P<name>[\w-]{1,80})$", re.IGNORECASE)
# `azure.keys` / `AksKeysArgs` fields, as the config spells them.
KEY_FIELDS = ("kmsKeyId", "keyVaultId", "diskEncryptionSetId")


def key_problems(values: Mapping[str, object], where: str) -> list[str]:
    """What is wrong with concrete brought keys (keyed as KEY_FIELDS); `where` names the config
    block or the argument class."""
    problems = []
    key = KEY_VAULT_KEY_ID.fullmatch(str(values["kmsKeyId"]))
    if key is None:
        problems.append(f"{where}.kmsKeyId: {values['kmsKeyId']!r} is not a Key Vault key "
                        "identifier with its version (https://<vault>.vault.azure.net/keys/<key>/"
                        "<32-character version>); AKS KMS takes the versioned key id")
    vault = KEY_VAULT_ID.fullmatch(str(values["keyVaultId"]))
    if vault is None:
        problems.append(f"{where}.keyVaultId: {values['keyVaultId']!r} is not a key vault id "
                        "(/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/"
                        "vaults/<vault>)")
    if key is not None and vault is not None and key["vault"].lower() != vault["name"].lower():
        problems.append(f"{where}.keyVaultId: is vault {vault['name']}, the key is in vault "
                        f"{key['vault']}; name the vault that holds kmsKeyId")
    if DISK_ENCRYPTION_SET_ID.fullmatch(str(values["diskEncryptionSetId"])) is None:
        problems.append(f"{where}.diskEncryptionSetId: {values['diskEncryptionSetId']!r} is not a "
                        "disk encryption set id (/subscriptions/<id>/resourceGroups/<rg>/providers/"
                        "Microsoft.Compute/diskEncryptionSets/<set>)")
    return problems


class AzureKeysSettings(SpecModel):
    """`azure.keys`: an existing Key Vault key and disk encryption set instead of the cluster's
    own (see zero_trust_clusters/components/azure/keyvault.py `AksKeysArgs`, which these values
    become)."""

    kms_key_id: str
    """The KMS key's identifier with its version (https://<vault>.vault.azure.net/keys/<key>/<version>)."""
    key_vault_id: str
    """The ARM id of the (private, RBAC-mode) key vault holding it."""
    disk_encryption_set_id: str
    """The ARM id of the disk encryption set for node OS and data disks."""


class AzureSettings(SpecModel):
    subscription_id: Annotated[
        str, AfterValidator(match_pattern(UUID_PATTERN, "a subscription id (a UUID)"))
    ]
    tenant_id: Annotated[str, AfterValidator(match_pattern(UUID_PATTERN, "a tenant id (a UUID)"))]
    # An existing resource group to deploy into; one is created when absent.
    resource_group: Annotated[str, Field(pattern=r"^[\w.()-]{1,89}[\w()-]$")] | None = None
    # An existing VNet, subnets and NSGs; absent: the cluster creates its own (the default).
    network: AzureNetworkSettings | None = None
    # An existing key and disk encryption set; absent: the cluster creates its own (the default).
    keys: AzureKeysSettings | None = None




def _network_checks(cluster: ClusterSpec, index: int | None) -> list[str]:
    """`azure.network`: ids, ranges and their VNet, before anything is registered."""
    network = cluster.settings.network if cluster.settings else None
    if network is None:
        return []
    values = network.model_dump(by_alias=True)
    return byo_problems(values, cluster.node_cidr,
                        cluster_key(cluster.name, index, "azure", "network"))


def _key_checks(cluster: ClusterSpec, index: int | None) -> list[str]:
    """`azure.keys`: the key, vault and disk encryption set ids, before anything is registered."""
    keys = cluster.settings.keys if cluster.settings else None
    if keys is None:
        return []
    return key_problems(keys.model_dump(by_alias=True),
                        cluster_key(cluster.name, index, "azure", "keys"))


def _groups_have_entra_ids(spec: EstateSpec) -> list[str]:
    return [
        f"{config_key('posture', 'groups', role, 'azureGroupObjectId')}: required because the "
        "stack has an azure cluster; set the group's azure identity"
        for role, group in spec.posture.groups.items()
        if group.azure_group_object_id is None
    ]


ENTRY = CloudEntry(
    name="azure",
    title="AKS",
    provider_package="azure-native",
    component_type="ztc:azure:AksCluster",
    settings=AzureSettings,
    settings_required=True,
    sandbox=SANDBOX_PLACEMENT,
    # Managed Entra ID puts the group's object id in the user's groups claim.
    group_identity=lambda group: group.azure_group_object_id,
    group_identity_key="azureGroupObjectId",
    component="zero_trust_clusters.components.azure.component:AksCluster",
    checks=(lazy_check("zero_trust_clusters.components.azure.validation:cluster_problems"),
            lazy_check("zero_trust_clusters.components.azure.known:problems"), _network_checks,
            _key_checks),
    estate_checks=(_groups_have_entra_ids,),
    fakes_module="zero_trust_clusters.engine.fakes.azure",
    exec_plugin="kubelogin",
)
