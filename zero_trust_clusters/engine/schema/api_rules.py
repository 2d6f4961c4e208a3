"""Documented API rules that no provider schema carries: one table, each row with its source.

The providers' schemas type these properties as plain strings or lists of strings; the cloud
APIs reject values the documentation rules out, at deploy time. Each row names the resource
types, the wire paths (`[*]` for every list item), the rule and the page it comes from.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from zero_trust_clusters.engine.schema.findings import Finding, show
from zero_trust_clusters.engine.schema.plan import PlanResource, join, opaque


@dataclass(frozen=True)
class Rule:
    id: str
    types: tuple[str, ...]
    paths: tuple[str, ...]  # wire paths; `[*]` walks every item of a list
    ok: Callable[[Any], bool]
    expected: str
    doc: str
    # Applies only when this holds for the resource's inputs (e.g. a private endpoint).
    when: Callable[[dict[str, Any]], bool] | None = None


# --- predicates ------------------------------------------------------------------------------


def _ip_or_cidr(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _port_or_range(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,5}(-\d{1,5})?", value):
        return False
    low, _, high = value.partition("-")
    return 0 <= int(low) <= int(high or low) <= 65535


# Google Cloud's valid internal (non-public) IPv4 ranges for a VPC: RFC 1918, RFC 6598,
# RFC 6890 192.0.0.0/24, the RFC 5737 documentation nets, RFC 2544 198.18.0.0/15 and the
# reserved 240.0.0.0/4 (https://cloud.google.com/vpc/docs/subnets#valid-ranges).
_GCP_INTERNAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24",
        "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15", "240.0.0.0/4",
    )
)


def _gcp_internal(value: Any) -> bool:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except (TypeError, ValueError):
        return False
    return any(
        network.version == block.version and network.subnet_of(block) for block in _GCP_INTERNAL
    )


def _matches(pattern: str) -> Callable[[Any], bool]:
    compiled = re.compile(pattern)
    return lambda value: isinstance(value, str) and compiled.fullmatch(value) is not None


def _key_vault_name(value: Any) -> bool:
    return _matches(r"[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]")(value) and "--" not in value


def _gcs_bucket_name(value: Any) -> bool:
    if not _matches(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")(value):
        return False
    if "." not in value and len(value) > 63:
        return False
    if any(len(part) > 63 for part in value.split(".")):
        return False
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        return False
    return not value.startswith("goog") and "google" not in value


def _not(*retired: str) -> Callable[[Any], bool]:
    return lambda value: value not in retired


def _get(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


# --- the table -------------------------------------------------------------------------------

AZURE_NSG = ("azure-native:network:NetworkSecurityGroup",)
AZURE_RULE = ("azure-native:network:SecurityRule",)
SECURITY_RULE_DOC = (
    "https://learn.microsoft.com/en-us/rest/api/virtualnetwork/security-rules/create-or-update"
    "#securityrule"
)
NAMING_DOC = "https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules"


def _nsg_paths(field_: str) -> tuple[str, ...]:
    return (f"securityRules[*].{field_}[*]",)


RULES: tuple[Rule, ...] = (
    # Azure NSG: the plural fields take only IPs/CIDRs and port numbers/ranges; service tags
    # and `*` go in the singular fields (Azure: SecurityRuleParameterContainsUnsupportedValue).
    Rule("azure-nsg-plural-address-prefixes", AZURE_NSG,
         _nsg_paths("sourceAddressPrefixes") + _nsg_paths("destinationAddressPrefixes"),
         _ip_or_cidr,
         "IP addresses or CIDRs only: a service tag or `*` goes in the singular "
         "sourceAddressPrefix/destinationAddressPrefix", SECURITY_RULE_DOC),
    Rule("azure-nsg-plural-address-prefixes", AZURE_RULE,
         ("sourceAddressPrefixes[*]", "destinationAddressPrefixes[*]"), _ip_or_cidr,
         "IP addresses or CIDRs only: a service tag or `*` goes in the singular "
         "sourceAddressPrefix/destinationAddressPrefix", SECURITY_RULE_DOC),
    Rule("azure-nsg-plural-port-ranges", AZURE_NSG,
         _nsg_paths("sourcePortRanges") + _nsg_paths("destinationPortRanges"), _port_or_range,
         "port numbers or ranges (0-65535) only: `*` goes in the singular "
         "sourcePortRange/destinationPortRange", SECURITY_RULE_DOC),
    Rule("azure-nsg-plural-port-ranges", AZURE_RULE,
         ("sourcePortRanges[*]", "destinationPortRanges[*]"), _port_or_range,
         "port numbers or ranges (0-65535) only: `*` goes in the singular "
         "sourcePortRange/destinationPortRange", SECURITY_RULE_DOC),
    Rule("azure-nsg-priority", AZURE_NSG, ("securityRules[*].priority",),
         lambda v: isinstance(v, int | float) and 100 <= v <= 4096,
         "a priority between 100 and 4096",
         "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview"
         "#security-rules"),
    # GKE: with the private endpoint on, authorized networks must be internal ranges ("... is
    # not a reserved network, which is required for private endpoints").
    Rule("gke-private-endpoint-authorized-networks", ("gcp:container/cluster:Cluster",),
         ("masterAuthorizedNetworksConfig.cidrBlocks[*].cidrBlock",), _gcp_internal,
         "an internal range (RFC 1918, 100.64.0.0/10, ...) while "
         "privateClusterConfig.enablePrivateEndpoint is true",
         "https://cloud.google.com/kubernetes-engine/docs/how-to/authorized-networks and "
         "https://cloud.google.com/vpc/docs/subnets#valid-ranges",
         when=lambda inputs: _get(inputs, "privateClusterConfig.enablePrivateEndpoint") is True),
    # Retired enum values the SDK (a plain string in pulumi-gcp) still lets through.
    Rule("gke-vulnerability-basic-retired", ("gcp:container/cluster:Cluster",),
         ("securityPostureConfig.vulnerabilityMode",), _not("VULNERABILITY_BASIC"),
         "VULNERABILITY_DISABLED or VULNERABILITY_ENTERPRISE: basic vulnerability scanning "
         "is no longer supported",
         "https://cloud.google.com/kubernetes-engine/docs/deprecations/posture-management-deprecation"),
    # Names.
    Rule("azure-key-vault-name", ("azure-native:keyvault:Vault",), ("vaultName",),
         _key_vault_name,
         "3-24 characters: letters, digits and single hyphens, starting with a letter and "
         "ending with a letter or digit", f"{NAMING_DOC}#microsoftkeyvault"),
    Rule("azure-key-vault-key-name", ("azure-native:keyvault:Key",), ("keyName",),
         _matches(r"[A-Za-z0-9-]{1,127}"), "1-127 characters: letters, digits and hyphens",
         f"{NAMING_DOC}#microsoftkeyvault"),
    Rule("azure-storage-account-name", ("azure-native:storage:StorageAccount",), ("accountName",),
         _matches(r"[a-z0-9]{3,24}"), "3-24 characters: lowercase letters and digits only",
         f"{NAMING_DOC}#microsoftstorage"),
    Rule("aks-node-pool-name",
         ("azure-native:containerservice:AgentPool",), ("agentPoolName",),
         _matches(r"[a-z][a-z0-9]{0,11}"),
         "1-12 characters (Linux pools): lowercase letters and digits, starting with a letter",
         "https://learn.microsoft.com/en-us/azure/aks/use-system-pools#limitations"),
    Rule("aks-node-pool-name",
         ("azure-native:containerservice:ManagedCluster",), ("agentPoolProfiles[*].name",),
         _matches(r"[a-z][a-z0-9]{0,11}"),
         "1-12 characters (Linux pools): lowercase letters and digits, starting with a letter",
         "https://learn.microsoft.com/en-us/azure/aks/use-system-pools#limitations"),
    Rule("gcs-bucket-name", ("gcp:storage/bucket:Bucket",), ("name",), _gcs_bucket_name,
         "3-63 characters (222 with dots, 63 per dot-separated part): lowercase letters, "
         "digits, -, _ and ., starting and ending with a letter or digit; not an IP address, "
         "not starting with goog, not containing google",
         "https://cloud.google.com/storage/docs/buckets#naming"),
    Rule("gcp-service-account-id", ("gcp:serviceaccount/account:Account",), ("accountId",),
         _matches(r"[a-z][-a-z0-9]{4,28}[a-z0-9]"),
         "6-30 characters: lowercase letters, digits and hyphens, starting with a letter",
         "https://cloud.google.com/iam/docs/service-accounts-create#creating"),
    Rule("gke-cluster-name", ("gcp:container/cluster:Cluster",), ("name",),
         _matches(r"[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?"),
         "1-40 characters: lowercase letters, digits and hyphens, starting with a letter and "
         "ending with a letter or digit",
         "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/"
         "projects.locations.clusters#Cluster"),
    Rule("aws-iam-role-name", ("aws:iam/role:Role",), ("name",),
         _matches(r"[\w+=,.@-]{1,64}"),
         "1-64 characters: letters, digits and +=,.@_-",
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html"),
)

_BY_TYPE: dict[str, list[Rule]] = {}
for _rule in RULES:
    for _type in _rule.types:
        _BY_TYPE.setdefault(_type, []).append(_rule)


def handles(resource: PlanResource) -> bool:
    return resource.type in _BY_TYPE


def values_at(inputs: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) of every value a `[*]` path reaches."""
    parts = re.findall(r"[^.\[\]]+|\[\*\]", path)

    def walk(value: Any, rest: list[str], where: str) -> Iterator[tuple[str, Any]]:
        if opaque(value) or value is None:
            return
        if not rest:
            yield where, value
            return
        head, tail = rest[0], rest[1:]
        if head == "[*]":
            if isinstance(value, list):
                for i, item in enumerate(value):
                    yield from walk(item, tail, join(where, i))
        elif isinstance(value, dict) and head in value:
            yield from walk(value[head], tail, join(where, head))

    yield from walk(inputs, parts, "")


def check(resource: PlanResource) -> Iterator[Finding]:
    for rule in _BY_TYPE[resource.type]:
        if rule.when is not None and not rule.when(resource.inputs):
            continue
        for path in rule.paths:
            for where, value in values_at(resource.inputs, path):
                if not rule.ok(value):
                    yield Finding(resource.urn, where, show(value), rule.expected,
                                  f"{rule.id}: {rule.doc}", "api-rule")
