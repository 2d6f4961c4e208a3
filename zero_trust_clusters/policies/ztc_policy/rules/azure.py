"""AKS (ManagedCluster, AgentPool and inline agentPoolProfiles), NSGs and role assignments."""

from __future__ import annotations

import re

from .. import types as t
from ..clouds import PackCloud
from ..findings import expect, fail, unverifiable
from ..stack.graph import Node
from ..values import (
    MISSING,
    UNKNOWN,
    as_bool,
    as_list,
    contains_unknown,
    lookup,
    version_tuple,
    world_sources,
)
from .registry import rule

GOOD_OS_SKUS = ("AzureLinux", "AzureLinux3", "Mariner", "CBLMariner")
UPGRADE_CHANNELS = ("patch", "stable", "rapid", "node-image")


def _is_true(v):
    return as_bool(v) is True


@rule("ZT-API-PRIVATE", "azure", t.AKS_CLUSTER, summary="private cluster or authorized ranges")
def aks_api(r, cfg):
    c = "ZT-API-PRIVATE"
    private = lookup(r.props, "apiServerAccessProfile.enablePrivateCluster")
    if private is UNKNOWN:
        return [unverifiable(c, "apiServerAccessProfile.enablePrivateCluster")]
    if as_bool(private) is True:
        return expect(r.props, "apiServerAccessProfile.enablePrivateClusterPublicFQDN",
                      lambda v: as_bool(v) is not True, control=c, default=False,
                      why="enablePrivateClusterPublicFQDN is {value}; keep the API FQDN private")
    return expect(r.props, "apiServerAccessProfile.authorizedIPRanges",
                  lambda v: bool(v) and not world_sources(v), control=c, default=[],
                  why="public API server with authorizedIPRanges {value}; set "
                      "apiServerAccessProfile.enablePrivateCluster=true or allow-list ranges")


@rule("ZT-IAM-ONLY", "azure", t.AKS_CLUSTER, summary="AAD + Azure RBAC, no local accounts")
def aks_iam(r, cfg):
    c = "ZT-IAM-ONLY"
    return (
        expect(r.props, "disableLocalAccounts", _is_true, control=c, default=False,
               why="disableLocalAccounts is {value} (default false); set true")
        + expect(r.props, "aadProfile.managed", _is_true, control=c, default=False,
                 why="aadProfile.managed is {value}; use managed Entra ID integration")
        + expect(r.props, "aadProfile.enableAzureRBAC", _is_true, control=c, default=False,
                 why="aadProfile.enableAzureRBAC is {value}; set true")
        + expect(r.props, "enableRBAC", lambda v: as_bool(v) is not False, control=c,
                 default=True, why="enableRBAC is {value}")
    )


def _wi(control):
    def check(r, cfg):
        return expect(r.props, "securityProfile.workloadIdentity.enabled", _is_true,
                      control=control, default=False,
                      why="securityProfile.workloadIdentity.enabled is {value}; set true") + \
            expect(r.props, "oidcIssuerProfile.enabled", _is_true, control=control,
                   default=False, why="oidcIssuerProfile.enabled is {value}; set true")
    return check


rule("ZT-WORKLOAD-IDENTITY", "azure", t.AKS_CLUSTER, summary="workload identity + OIDC issuer")(
    _wi("ZT-WORKLOAD-IDENTITY"))
# AKS has no IMDS lock; the closest real equivalent is that pods use workload identity.
rule("ZT-NODE-METADATA", "azure", t.AKS_CLUSTER, summary="equivalent: workload identity")(
    _wi("ZT-NODE-METADATA"))


@rule("ZT-SECRETS-KMS", "azure", t.AKS_CLUSTER, summary="Key Vault KMS for secrets")
def aks_kms(r, cfg):
    c = "ZT-SECRETS-KMS"
    return expect(r.props, "securityProfile.azureKeyVaultKms.enabled", _is_true, control=c,
                  default=False, why="securityProfile.azureKeyVaultKms.enabled is {value}") + \
        expect(r.props, "securityProfile.azureKeyVaultKms.keyId", lambda v: bool(v), control=c,
               why="securityProfile.azureKeyVaultKms.keyId is {value}", reference=True)


@rule("ZT-DISK-CMK", "azure", t.AKS_CLUSTER, summary="disk encryption set (customer key)")
def aks_des(r, cfg):
    return expect(r.props, "diskEncryptionSetID", lambda v: bool(v), control="ZT-DISK-CMK",
                  why="diskEncryptionSetID is {value}; OS disks would use platform keys", reference=True)


@rule("ZT-NETPOL-DEFAULT-DENY", "azure", t.AKS_CLUSTER, summary="network policy engine on")
def aks_netpol(r, cfg):
    return expect(r.props, "networkProfile.networkPolicy",
                  lambda v: v in ("cilium", "azure", "calico"),
                  control="ZT-NETPOL-DEFAULT-DENY", default="none",
                  why="networkProfile.networkPolicy is {value}: NetworkPolicy is not enforced")


@rule("ZT-IMAGE-PROVENANCE", "azure", t.AKS_CLUSTER, summary="azurepolicy add-on")
def aks_policy_addon(r, cfg):
    return expect(r.props, "addonProfiles.azurepolicy.enabled", _is_true,
                  control="ZT-IMAGE-PROVENANCE", default=False,
                  why="addonProfiles.azurepolicy.enabled is {value}: no admission control of "
                      "image sources")


@rule("ZT-VERSION", "azure", t.AKS_CLUSTER, summary="upgrade channel + supported version")
def aks_version(r, cfg):
    c = "ZT-VERSION"
    minimum = version_tuple(cfg.get("minKubernetesVersion", "1.32"))
    return expect(r.props, "autoUpgradeProfile.upgradeChannel", lambda v: v in UPGRADE_CHANNELS,
                  control=c, default="none",
                  why="autoUpgradeProfile.upgradeChannel is {value}; pick patch or stable") + \
        expect(r.props, "kubernetesVersion",
               lambda v: not v or (version_tuple(v) or (0,)) >= minimum, control=c,
               why="kubernetesVersion {value} is older than config minKubernetesVersion")


@rule("ZT-NODE-IDENTITY", "azure", t.AKS_CLUSTER, summary="user-assigned kubelet identity")
def aks_node_identity(r, cfg):
    return expect(r.props, "identityProfile.kubeletidentity.resourceId", lambda v: bool(v),
                  control="ZT-NODE-IDENTITY",
                  why="identityProfile.kubeletidentity.resourceId is {value}; give the kubelet "
                      "its own user-assigned identity", reference=True)


@rule("ZT-NODE-OS", "azure", t.AKS_CLUSTER, summary="node OS upgrade channel")
def aks_node_os_channel(r, cfg):
    return expect(r.props, "autoUpgradeProfile.nodeOSUpgradeChannel",
                  lambda v: v in ("NodeImage", "SecurityPatch"), control="ZT-NODE-OS",
                  default="NodeImage",
                  why="autoUpgradeProfile.nodeOSUpgradeChannel is {value}; use NodeImage or "
                      "SecurityPatch")


# --- pools: standalone AgentPool resources and the cluster's inline agentPoolProfiles ----------

def _pools(r):
    if r.type == t.AKS_POOL:
        return [("", r.props)]
    profiles = lookup(r.props, "agentPoolProfiles")
    if profiles is UNKNOWN:
        return [("agentPoolProfiles", UNKNOWN)]
    return [(f"agentPoolProfiles[{p.get('name', i)}].", p)
            for i, p in enumerate(as_list(profiles)) if isinstance(p, dict)]


def _pool_rule(control, summary):
    def wrap(fn):
        def check(r, cfg):
            out = []
            for prefix, pool in _pools(r):
                if pool is UNKNOWN:
                    out.append(unverifiable(control, prefix))
                    continue
                out += fn(prefix, pool, control)
            return out
        rule(control, "azure", t.AKS_CLUSTER, t.AKS_POOL, summary=summary)(check)
        return fn
    return wrap


@_pool_rule("ZT-NODE-PRIVATE", "no node public IPs")
def pool_private(p, pool, c):
    return expect(pool, "enableNodePublicIP", lambda v: as_bool(v) is not True, control=c,
                  default=False, why=f"{p}enableNodePublicIP is {{value}}")


@_pool_rule("ZT-NODE-TRUSTED-BOOT", "Trusted Launch: secure boot + vTPM")
def pool_trusted_launch(p, pool, c):
    if pool.get("workloadRuntime") == "KataVmIsolation":
        # Azure: "Trusted launch can't be enabled in the same node pool as ... Pod Sandboxing";
        # each pod runs in its own Hyper-V guest instead (the matrix notes the equivalent).
        return []
    return expect(pool, "securityProfile.enableSecureBoot", _is_true, control=c, default=False,
                  why=f"{p}securityProfile.enableSecureBoot is {{value}} (default false)") + \
        expect(pool, "securityProfile.enableVTPM", _is_true, control=c, default=False,
               why=f"{p}securityProfile.enableVTPM is {{value}} (default false)")


@_pool_rule("ZT-NODE-OS", "AzureLinux, SSH disabled")
def pool_os(p, pool, c):
    return expect(pool, "osSKU", lambda v: v in GOOD_OS_SKUS, control=c, default="Ubuntu",
                  why=f"{p}osSKU is {{value}}; use AzureLinux") + \
        expect(pool, "securityProfile.sshAccess", lambda v: v == "Disabled", control=c,
               default="LocalUser", why=f"{p}securityProfile.sshAccess is {{value}}; set Disabled")


@_pool_rule("ZT-DISK-CMK", "encryption at host")
def pool_host_encryption(p, pool, c):
    return expect(pool, "enableEncryptionAtHost", _is_true, control=c, default=False,
                  why=f"{p}enableEncryptionAtHost is {{value}}; temp disks and caches would "
                      "be unencrypted")


# --- NSGs ----------------------------------------------------------------------------------------

def _nsg_rule_world(rule_props, c, where):
    props = rule_props.get("properties", rule_props) if isinstance(rule_props, dict) else {}
    if contains_unknown(props):
        keys = ("direction", "access", "sourceAddressPrefix", "sourceAddressPrefixes")
        if any(contains_unknown(props.get(k)) for k in keys):
            return [unverifiable(c, f"{where} source/direction")]
    # ARM reads enum values case-insensitively: "inbound"/"allow" are Inbound/Allow.
    world = world_sources(_inbound_allow_sources(props))
    if world:
        return [fail(c, f"{where} allows inbound from {', '.join(world)} to ports "
                     f"{props.get('destinationPortRange') or props.get('destinationPortRanges')}")]
    return []


@rule("ZT-NET-SEGMENT", "azure", t.NSG, summary="no world ingress in NSG rules")
def nsg_world(r, cfg):
    rules_ = lookup(r.props, "securityRules")
    if rules_ is UNKNOWN:
        return [unverifiable("ZT-NET-SEGMENT", "securityRules")]
    out = []
    for i, sr in enumerate(as_list(rules_)):
        out += _nsg_rule_world(sr, "ZT-NET-SEGMENT", f"securityRules[{sr.get('name', i)}]")
    return out


@rule("ZT-NET-SEGMENT", "azure", t.NSG_RULE, summary="no world ingress rule")
def nsg_rule_world(r, cfg):
    return _nsg_rule_world(r.props, "ZT-NET-SEGMENT", "security rule")


# --- Azure RBAC for Kubernetes authorization ---------------------------------------------------

# Built-in "Azure Kubernetes Service RBAC Writer" (learn.microsoft.com/azure/
# role-based-access-control/built-in-roles/containers): read/write most objects of a namespace.
AKS_RBAC_WRITER = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
# A namespace scope: `<cluster id>/namespaces/<ns>` (learn.microsoft.com/azure/aks/
# entra-id-authorization).
_NAMESPACE_SCOPE = re.compile(
    r"/providers/microsoft\.containerservice/managedclusters/[^/]+/namespaces/[^/]+$", re.IGNORECASE)


@rule("ZT-IAM-ONLY", "azure", t.ROLE_ASSIGNMENT, summary="AKS RBAC Writer only on namespaces")
def aks_writer_namespaced(r, cfg):
    """Writers (developers) hold the role in their namespaces, never on the whole cluster (where
    it covers kube-system) or anything wider, like their namespaced RoleBindings elsewhere."""
    c = "ZT-IAM-ONLY"
    role = lookup(r.props, "roleDefinitionId")
    if role is UNKNOWN or contains_unknown(role):
        return [unverifiable(c, "roleDefinitionId")]
    if not isinstance(role, str) or role.rsplit("/", 1)[-1].lower() != AKS_RBAC_WRITER:
        return []
    scope = lookup(r.props, "scope")
    if scope is UNKNOWN or contains_unknown(scope):
        return [unverifiable(c, "scope of an AKS RBAC Writer assignment")]
    if isinstance(scope, str) and _NAMESPACE_SCOPE.search(scope):
        return []
    return [fail(c, f"Azure Kubernetes Service RBAC Writer is assigned at scope {scope!r}: "
                    "write access to every namespace, kube-system included; assign it per "
                    "workload namespace (scope <cluster id>/namespaces/<namespace>)")]


# --- Key Vault and identities' effective permissions ------------------------------------------

def _folded(v) -> str | None:
    return v.casefold() if isinstance(v, str) else None


@rule("ZT-SECRETS-KMS", "azure", t.KEY_VAULT,
      summary="vault purge-protected, soft delete on, no public network access")
def key_vault(r, cfg):
    # VaultPropertiesArgs (azure-native 3.29 keyvault docstrings): enableSoftDelete defaults to
    # true, enablePurgeProtection is unset (off) unless true, publicNetworkAccess defaults to
    # "enabled"; "disabled" blocks all but private endpoints and trusted services and overrides
    # the firewall (https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview,
    # https://learn.microsoft.com/azure/key-vault/general/network-security). ARM reads enum
    # values in any case.
    c = "ZT-SECRETS-KMS"
    base = "properties."
    out = expect(r.props, base + "enablePurgeProtection", _is_true, control=c, default=False,
                 why=base + "enablePurgeProtection is {value}: a deleted vault or key can be "
                 "purged at once, destroying every secret it encrypts; set true")
    out += expect(r.props, base + "enableSoftDelete", lambda v: as_bool(v) is not False,
                  control=c, default=True,
                  why=base + "enableSoftDelete is {value}: deleted keys are gone at once")
    public = lookup(r.props, base + "publicNetworkAccess")
    if public is UNKNOWN:
        return out + [unverifiable(c, base + "publicNetworkAccess")]
    if _folded(public) == "disabled":
        return out
    if public is not MISSING and _folded(public) != "enabled":
        return out + [fail(c, f"{base}publicNetworkAccess is {public!r:.60}; Key Vault takes "
                           "Enabled or Disabled")]
    # Public access on: only a network ACL that denies by default keeps the vault private.
    out += expect(r.props, base + "networkAcls.defaultAction",
                  lambda v: _folded(v) == "deny", control=c, default="Allow",
                  why=base + "networkAcls.defaultAction is {value} while publicNetworkAccess "
                  "is enabled (its default): the vault is reachable from the Internet; set "
                  "publicNetworkAccess Disabled (private endpoint) or defaultAction Deny")
    rules_ = lookup(r.props, base + "networkAcls.ipRules")
    if rules_ is UNKNOWN or contains_unknown(rules_):
        return out + [unverifiable(c, base + "networkAcls.ipRules")]
    ranges = [x.get("value") for x in as_list(rules_) if isinstance(x, dict)]
    if world := world_sources(ranges):
        out.append(fail(c, f"{base}networkAcls.ipRules admit {', '.join(world)}: the vault is "
                        "reachable from the Internet"))
    return out


# An ISO 8601 duration of whole days, weeks, months or years, as Key Vault rotation policies
# take them ("P90D", "P1Y"); months and years counted at their longest (31 and 366 days), so a
# period is never judged shorter than it may be.
_ISO_DAYS = re.compile(r"^P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?$")


def iso_days(value: object) -> int | None:
    m = _ISO_DAYS.match(value.strip().upper()) if isinstance(value, str) else None
    if not m or not any(m.groups()):
        return None
    y, mo, w, d = (int(x or 0) for x in m.groups())
    return y * 366 + mo * 31 + w * 7 + d


@rule("ZT-SECRETS-KMS", "azure", t.AZ_KEY, summary="Key Vault key rotates")
def key_rotation(r, cfg):
    # A key rotates by a rotation policy's "rotate" lifetime action, after timeAfterCreate or
    # timeBeforeExpiry before attributes.expiryTime (KeyRotationPolicy, ISO 8601 durations:
    # https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation); the
    # action type is read in any case, as ARM reads enums.
    c = "ZT-SECRETS-KMS"
    days = int(cfg.get("maxKeyRotationDays", 365))
    policy = lookup(r.props, "properties.rotationPolicy")
    if policy is UNKNOWN or contains_unknown(policy):
        return [unverifiable(c, "properties.rotationPolicy")]
    if policy is MISSING:
        return [fail(c, "properties.rotationPolicy is unset: the key never rotates; add a "
                        f"\"rotate\" lifetime action within {days} days (config "
                        "maxKeyRotationDays)")]
    expiry = iso_days(lookup(policy, "attributes.expiryTime"))
    periods = []
    for action in as_list(lookup(policy, "lifetimeActions")):
        if not isinstance(action, dict) or _folded(lookup(action, "action.type")) != "rotate":
            continue
        after = iso_days(lookup(action, "trigger.timeAfterCreate"))
        before = iso_days(lookup(action, "trigger.timeBeforeExpiry"))
        periods.append(after if after is not None else (
            expiry - before if expiry is not None and before is not None else None))
    known = [p for p in periods if p is not None]
    if known and min(known) <= days:
        return []
    return [fail(c, "properties.rotationPolicy has no \"rotate\" lifetime action within "
                    f"{days} days (config maxKeyRotationDays; durations such as \"P90D\")")]


# Built-in roles that administer everything they are assigned on
# (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/privileged).
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
_BROAD_ROLES = {OWNER: "Owner", CONTRIBUTOR: "Contributor"}
# A subscription, a management group or the tenant root: wider than any cluster's resources
# (https://learn.microsoft.com/azure/role-based-access-control/scope-overview).
_WIDE_SCOPE = re.compile(
    r"^(/|/subscriptions/[^/]+|/providers/microsoft\.management/managementgroups/[^/]+)/?$",
    re.IGNORECASE)


@rule("ZT-NODE-IDENTITY", "azure", t.ROLE_ASSIGNMENT,
      summary="no Owner/Contributor on a subscription or wider")
def no_wide_admin(r, cfg):
    """No identity a cluster stack creates (the kubelet's, the control plane's, a workload's)
    holds Owner or Contributor on a whole subscription, management group or tenant: a node
    compromise would own every resource there (AKS needs only scoped grants:
    https://learn.microsoft.com/azure/aks/use-managed-identity)."""
    c = "ZT-NODE-IDENTITY"
    role = lookup(r.props, "roleDefinitionId")
    if role is UNKNOWN or contains_unknown(role):
        return [unverifiable(c, "roleDefinitionId")]
    name = _BROAD_ROLES.get(role.strip().rstrip("/").rsplit("/", 1)[-1].casefold()) \
        if isinstance(role, str) else None
    if name is None:
        return []
    scope = lookup(r.props, "scope")
    if scope is UNKNOWN or contains_unknown(scope):
        return [unverifiable(c, f"scope of a {name} assignment")]
    if isinstance(scope, str) and not _WIDE_SCOPE.match(scope.strip()):
        return []
    return [fail(c, f"{name} is assigned at scope {scope!r:.120}: every resource there is the "
                    "principal's; grant a narrower role on the resources it uses")]


@rule("ZT-NODE-METADATA", "azure", t.AKS_CLUSTER, summary="pods' IMDS access not opened")
def aks_pod_imds(r, cfg):
    # networkProfile.podLinkLocalAccess ("IMDS" | "None") exists only in preview APIs
    # (https://learn.microsoft.com/dotnet/api/azure.resourcemanager.containerservice.models.
    # podlinklocalaccess); the 2025-09-01 API of azure-native 3.29 has no such field, so pods'
    # IMDS access is not switchable here and workload identity stands in. A program on a
    # preview SDK that sets it must set None.
    return expect(r.props, "networkProfile.podLinkLocalAccess",
                  lambda v: v is MISSING or _folded(v) == "none", control="ZT-NODE-METADATA",
                  why="networkProfile.podLinkLocalAccess is {value}: pods reach the node's "
                      "instance metadata (and its identity tokens); set None")


def _inbound_allow_sources(rule_props: object) -> list:
    props = rule_props.get("properties", rule_props) if isinstance(rule_props, dict) else {}
    direction, access = (str(props.get(k) or d).casefold() for k, d in (
        ("direction", "Inbound"), ("access", "")))
    if direction != "inbound" or access != "allow":
        return []
    return as_list(props.get("sourceAddressPrefix")) + as_list(props.get("sourceAddressPrefixes"))


def ingress_sources(type_: str, props: dict) -> list:
    """Every source an NSG or NSG rule admits inbound."""
    if type_ == t.NSG_RULE:
        return _inbound_allow_sources(props)
    if type_ == t.NSG:
        return [x for sr in as_list(lookup(props, "securityRules"))
                for x in _inbound_allow_sources(sr)]
    return []


# ----------------------------------------------------------------- this cloud in the registry
# (ztc_policy/clouds.py): what stands for a cluster and its sandbox; the evidence predicates the
# controls' home (ztc_policy/catalog.py) names for this cloud.
def aks_sandbox_pool(n: Node, cfg) -> bool:
    """ZT-SANDBOX: a KataVmIsolation agent pool (own, or a profile of the cluster)."""
    if n.type == t.AKS_POOL:
        return lookup(n.props, "workloadRuntime") == "KataVmIsolation"
    if n.type == t.AKS_CLUSTER:
        return any(isinstance(p, dict) and p.get("workloadRuntime") == "KataVmIsolation"
                   for p in as_list(lookup(n.props, "agentPoolProfiles")))
    return False


CLOUD = PackCloud(
    name="azure",
    cluster_type=t.AKS_CLUSTER,
    sandbox_pool=aks_sandbox_pool,
    sandbox_handlers=("kata", "kata-vm-isolation", "kata-mshv-vm-isolation"),
    ingress_sources=ingress_sources,
)
