"""Google Cloud in the cloud registry (zero_trust_clusters/components/clouds.py): GKE. Imports no provider SDK."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import AfterValidator

from zero_trust_clusters.components.clouds import CloudEntry, lazy_check
from zero_trust_clusters.components.cluster import SandboxPlacement, Toleration
from zero_trust_clusters.components.spec import (
    GCP_PROJECT,
    ClusterSpec,
    EstateSpec,
    SpecModel,
    cluster_key,
    config_key,
    match_pattern,
)

# A VPC network / subnetwork as the provider's ids write them (`projects/<p>/global/networks/
# <n>`, `projects/<p>/regions/<r>/subnetworks/<s>`: pulumi-gcp compute Network / Subnetwork
# "Import" sections), optionally as a full self-link.
_SELF_LINK = r"^(?:https://www\.googleapis\.com/compute/v1/)?projects/(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9])/"
NETWORK_REF = re.compile(_SELF_LINK + r"global/networks/(?P<name>[a-z]([-a-z0-9]{0,61}[a-z0-9])?)$")
SUBNETWORK_REF = re.compile(_SELF_LINK + r"regions/(?P<region>[a-z0-9-]+)/subnetworks/"
                            r"(?P<name>[a-z]([-a-z0-9]{0,61}[a-z0-9])?)$")
# Secondary range names: RFC 1035, 1-63 characters (compute Subnetwork secondaryIpRange.rangeName).
RANGE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
# master_ipv4_cidr_block "must be a /28 subnet" and "must not overlap with any other ranges in
# use within the cluster's network" (pulumi-gcp container ClusterPrivateClusterConfigArgs).
CONTROL_PLANE_PREFIX = 28
NETWORK_KEYS = ("network", "subnetwork", "podsRangeName", "servicesRangeName",
                "controlPlaneCidr")


REF_KEYS = ("network", "subnetwork")
PLAN_KEYS = ("podsRangeName", "servicesRangeName", "controlPlaneCidr")


def byo_problems(values: Mapping[str, object], cluster: ClusterSpec, where: str) -> list[str]:
    """Both checks on concrete brought-network values (keyed as NETWORK_KEYS); `where` names
    the config block or the argument class."""
    return ref_problems(values, cluster, where) + plan_problems(values, cluster, where)


def ref_problems(values: Mapping[str, object], cluster: ClusterSpec, where: str) -> list[str]:
    """What is wrong with the network and subnetwork references (keyed as REF_KEYS)."""
    problems = []
    if NETWORK_REF.fullmatch(str(values["network"])) is None:
        problems.append(f"{where}.network: {values['network']!r} is not a VPC network "
                        "(projects/<project>/global/networks/<name>)")
    subnet = SUBNETWORK_REF.fullmatch(str(values["subnetwork"]))
    if subnet is None:
        problems.append(f"{where}.subnetwork: {values['subnetwork']!r} is not a subnetwork "
                        "(projects/<project>/regions/<region>/subnetworks/<name>)")
    elif subnet["region"] != cluster.region:
        problems.append(f"{where}.subnetwork: is in {subnet['region']}, the cluster in "
                        f"{cluster.region}; a regional cluster's nodes live in a subnetwork of "
                        "its own region")
    return problems


def plan_problems(values: Mapping[str, object], cluster: ClusterSpec, where: str) -> list[str]:
    """What is wrong with the range names and the control plane's range (keyed as PLAN_KEYS)."""
    problems = []
    for key in ("podsRangeName", "servicesRangeName"):
        if RANGE_NAME.fullmatch(str(values[key])) is None:
            problems.append(f"{where}.{key}: {values[key]!r} is not a secondary range name "
                            "(1-63 lowercase letters, digits, '-', starting with a letter)")
    if values["podsRangeName"] == values["servicesRangeName"]:
        problems.append(f"{where}.servicesRangeName: is the pods' range too; pods and services "
                        "need two secondary ranges")
    try:
        control = ipaddress.ip_network(str(values["controlPlaneCidr"]))
    except ValueError:
        return [*problems, (f"{where}.controlPlaneCidr: {values['controlPlaneCidr']!r} is not "
                            "a CIDR (172.16.0.32/28)")]
    if control.prefixlen != CONTROL_PLANE_PREFIX or control.version != 4 or not control.is_private:
        problems.append(f"{where}.controlPlaneCidr: {control} must be a private IPv4 /28 (GKE's "
                        "private control plane range)")
    for key, net in cluster.cidrs().items():
        if control.overlaps(net):
            problems.append(f"{where}.controlPlaneCidr: {control} overlaps {key} {net}; it must "
                            "not overlap any range of the cluster's network")
    return problems


class GcpNetworkSettings(SpecModel):
    """`gcp.network`: build the cluster in an existing VPC network and subnetwork (see
    zero_trust_clusters/components/gcp/network.py `GkeNetworkArgs`, which these values become). `nodeCidr` is then
    the subnetwork's primary range and `podCidr` / `serviceCidr` its two secondary ranges."""

    network: str
    """The VPC network (projects/<p>/global/networks/<n>)."""
    subnetwork: str
    """The nodes' subnetwork (projects/<p>/regions/<r>/subnetworks/<s>)."""
    pods_range_name: str
    """The subnetwork's secondary range for pods."""
    services_range_name: str
    """The subnetwork's secondary range for Services."""
    control_plane_cidr: str
    """The private control plane's /28, unused in the network."""


# A Cloud KMS key as GKE and Cloud Storage take it: projects/<p>/locations/<l>/keyRings/<r>/
# cryptoKeys/<k>, key ring and key ids 1-63 of letters, digits, '_' and '-'
# (https://cloud.google.com/kms/docs/resource-hierarchy).
CRYPTO_KEY = re.compile(
    r"^projects/(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9])/locations/(?P<location>[a-z0-9-]+)/"
    r"keyRings/[a-zA-Z0-9_-]{1,63}/cryptoKeys/[a-zA-Z0-9_-]{1,63}$")
# `gcp.keys` / `GkeKeysArgs` fields, as the config spells them.
KEY_FIELDS = ("secretsKey", "disksKey", "auditKey")


def crypto_key_problem(value: object, region: str) -> str | None:
    """Why `value` cannot be a brought key of a cluster in `region`, or None. Every key must be
    in the cluster's region, as the cluster's own key ring is (kms.py): GKE asks for the Secrets
    key "in the same location as the cluster" (https://cloud.google.com/kubernetes-engine/docs/
    how-to/encrypting-secrets; older revisions of the page: "must be"), and the audit bucket,
    which the audit key encrypts, lives in the cluster's region. That Cloud Storage refuses a
    key of another location was not re-checked here; requiring the region is the strict side."""
    found = CRYPTO_KEY.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        return (f"{value!r} is not a Cloud KMS key "
                "(projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>)")
    if found["location"] != region:
        return (f"is a key in {found['location']}, the cluster in {region}; use a key ring in "
                f"{region}")
    return None


def key_problems(values: Mapping[str, object], region: str, where: str) -> list[str]:
    """What is wrong with concrete brought keys (keyed as KEY_FIELDS); `where` names the config
    block or the argument class."""
    return [f"{where}.{field}: {problem}" for field in KEY_FIELDS
            if (problem := crypto_key_problem(values[field], region))]


class GcpKeysSettings(SpecModel):
    """`gcp.keys`: existing Cloud KMS keys instead of the cluster's own (see
    zero_trust_clusters/components/gcp/kms.py `GkeKeysArgs`, which these values become)."""

    secrets_key: str
    """Application-layer Secrets encryption key (projects/.../cryptoKeys/<key>, the cluster's region)."""
    disks_key: str
    """Node boot disks' key (the cluster's region)."""
    audit_key: str
    """The audit bucket's key (the cluster's region)."""


class GcpSettings(SpecModel):
    project: Annotated[
        str, AfterValidator(match_pattern(GCP_PROJECT, "a GCP project id (6-30 lowercase chars)"))
    ]
    # An existing VPC network and subnetwork; absent: the cluster creates its own (the default).
    network: GcpNetworkSettings | None = None
    # Existing Cloud KMS keys; absent: the cluster creates its own key ring and keys (the default).
    keys: GcpKeysSettings | None = None


# GKE Sandbox registers the `gvisor` handler and labels/taints its pools itself
# (https://cloud.google.com/kubernetes-engine/docs/how-to/sandbox-pods).
SANDBOX_LABEL = "sandbox.gke.io/runtime"
SANDBOX_PLACEMENT = SandboxPlacement(
    handler="gvisor",
    node_selector={SANDBOX_LABEL: "gvisor"},
    tolerations=(Toleration(key=SANDBOX_LABEL, value="gvisor"),),
)




def _network_checks(cluster: ClusterSpec, index: int | None) -> list[str]:
    """`gcp.network`: references, range names and the control plane's range, before anything
    is registered."""
    network = cluster.settings.network if cluster.settings else None
    if network is None:
        return []
    return byo_problems(network.model_dump(by_alias=True), cluster,
                        cluster_key(cluster.name, index, "gcp", "network"))


def _key_checks(cluster: ClusterSpec, index: int | None) -> list[str]:
    """`gcp.keys`: Cloud KMS keys of the cluster's region, before anything is registered."""
    keys = cluster.settings.keys if cluster.settings else None
    if keys is None:
        return []
    return key_problems(keys.model_dump(by_alias=True), cluster.region,
                        cluster_key(cluster.name, index, "gcp", "keys"))


def _groups_have_google_groups(spec: EstateSpec) -> list[str]:
    groups = spec.posture.groups
    problems = [
        f"{config_key('posture', 'groups', role, 'gcpGroupEmail')}: required because the stack "
        "has a gcp cluster; set the group's gcp identity"
        for role, group in groups.items()
        if group.gcp_group_email is None
    ]
    if groups.gcp_security_group is None:
        problems.append(f"{config_key('posture', 'groups', 'gcpSecurityGroup')}: required "
                        "because the stack has a gcp cluster; set it to "
                        "gke-security-groups@<your-domain>")
    return problems


ENTRY = CloudEntry(
    name="gcp",
    title="GKE",
    provider_package="gcp",
    component_type="ztc:gcp:GkeCluster",
    settings=GcpSettings,
    settings_required=True,
    sandbox=SANDBOX_PLACEMENT,
    # Google Groups for RBAC puts the group's e-mail in the user's groups.
    group_identity=lambda group: group.gcp_group_email,
    group_identity_key="gcpGroupEmail",
    component="zero_trust_clusters.components.gcp.component:GkeCluster",
    checks=(lazy_check("zero_trust_clusters.components.gcp.validation:cluster_problems"),
            lazy_check("zero_trust_clusters.components.gcp.known:problems"), _network_checks,
            _key_checks),
    estate_checks=(_groups_have_google_groups,),
    fakes_module="zero_trust_clusters.engine.fakes.gcp",
    exec_plugin="gke-gcloud-auth-plugin",
)
