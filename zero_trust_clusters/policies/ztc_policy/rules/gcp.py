"""GKE (Cluster, NodePool), VPC firewall rules, Cloud KMS keys and log buckets."""

from __future__ import annotations

import ipaddress
import json
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


def _is_true(v):
    return as_bool(v) is True


def _not_true(v):
    return as_bool(v) is not True


# Ranges a private API endpoint may admit: RFC 1918 and RFC 6598 (shared address space), the
# same set the stack spec allows for `posture.deployer.networks` / `authorizedNetworks`. GKE
# refuses other master authorized networks once the public endpoint is off ("is not a reserved
# network, which is required for private endpoints";
# https://cloud.google.com/kubernetes-engine/docs/how-to/authorized-networks).
PRIVATE_SOURCE_RANGES = tuple(ipaddress.ip_network(r) for r in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))


def _is_private_source(cidr: object) -> bool:
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False
    return net.version == 4 and any(net.subnet_of(r) for r in PRIVATE_SOURCE_RANGES)


@rule("ZT-API-PRIVATE", "gcp", t.GKE_CLUSTER,
      summary="private endpoint only, private authorized networks")
def gke_api(r, cfg):
    c = "ZT-API-PRIVATE"
    out = expect(r.props, "privateClusterConfig.enablePrivateEndpoint", _is_true, control=c,
                 default=False,
                 why="privateClusterConfig.enablePrivateEndpoint is {value}: the API server has "
                     "a public endpoint; set it to true (every API server is private-only)")
    man = lookup(r.props, "masterAuthorizedNetworksConfig")
    if man is UNKNOWN:
        return out + [unverifiable(c, "masterAuthorizedNetworksConfig")]
    if man is MISSING:
        return out  # private endpoint: GKE still enforces authorized networks (none admitted)
    blocks = [b.get("cidrBlock") for b in as_list(man.get("cidrBlocks")) if isinstance(b, dict)]
    if contains_unknown(blocks):
        out.append(unverifiable(c, "masterAuthorizedNetworksConfig.cidrBlocks"))
    else:
        public = [str(b) for b in blocks if not _is_private_source(b)]
        if public:
            out.append(fail(c, f"masterAuthorizedNetworksConfig admits {', '.join(public)}: "
                            "only private ranges (RFC 1918, 100.64.0.0/10) may reach the "
                            "private API server"))
    out += expect(man, "gcpPublicCidrsAccessEnabled", _not_true, control=c, default=False,
                  why="masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is {value}: "
                      "any Google Cloud IP could reach the API")
    return out


@rule("ZT-NODE-PRIVATE", "gcp", t.GKE_CLUSTER, summary="private nodes")
def gke_private_nodes(r, cfg):
    return expect(r.props, "privateClusterConfig.enablePrivateNodes", _is_true,
                  control="ZT-NODE-PRIVATE", default=False,
                  why="privateClusterConfig.enablePrivateNodes is {value}: nodes get public IPs")


@rule("ZT-IAM-ONLY", "gcp", t.GKE_CLUSTER, summary="no client certs, no ABAC, Groups RBAC")
def gke_iam(r, cfg):
    c = "ZT-IAM-ONLY"
    return (
        expect(r.props, "masterAuth.clientCertificateConfig.issueClientCertificate", _not_true,
               control=c, default=False, why="issueClientCertificate is {value}: a static "
               "client certificate bypasses IAM")
        + expect(r.props, "enableLegacyAbac", _not_true, control=c, default=False,
                 why="enableLegacyAbac is {value}")
        + expect(r.props, "authenticatorGroupsConfig.securityGroup", lambda v: bool(v),
                 control=c, why="authenticatorGroupsConfig.securityGroup is {value}: Google "
                 "Groups cannot be bound in RBAC")
    )


@rule("ZT-WORKLOAD-IDENTITY", "gcp", t.GKE_CLUSTER, summary="workload identity pool")
def gke_wi(r, cfg):
    return expect(r.props, "workloadIdentityConfig.workloadPool", lambda v: bool(v),
                  control="ZT-WORKLOAD-IDENTITY",
                  why="workloadIdentityConfig.workloadPool is {value}", reference=True)


@rule("ZT-SECRETS-KMS", "gcp", t.GKE_CLUSTER, summary="application-layer secrets encryption")
def gke_kms(r, cfg):
    c = "ZT-SECRETS-KMS"
    return expect(r.props, "databaseEncryption.state", lambda v: v == "ENCRYPTED", control=c,
                  default="DECRYPTED", why="databaseEncryption.state is {value}") + \
        expect(r.props, "databaseEncryption.keyName", lambda v: bool(v), control=c,
               why="databaseEncryption.keyName is {value}", reference=True)


# A Cloud KMS duration: seconds with up to nine fractional digits and an "s"
# (https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys:
# rotationPeriod "at least 24 hours", a google.protobuf.Duration such as "7776000s").
_DURATION = re.compile(r"^(\d{1,12})(\.\d{1,9})?s$")
PROTECTION_LEVELS = ("SOFTWARE", "HSM", "EXTERNAL", "EXTERNAL_VPC")
# CryptoKey purposes Cloud KMS does not rotate automatically
# (https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys).
NON_ROTATING_PURPOSES = ("ASYMMETRIC_SIGN", "ASYMMETRIC_DECRYPT", "MAC", "RAW_ENCRYPT_DECRYPT",
                         "KEY_ENCAPSULATION")


def duration_seconds(value: object) -> float | None:
    m = _DURATION.match(value.strip()) if isinstance(value, str) else None
    return float(m.group(1) + (m.group(2) or "")) if m else None


@rule("ZT-SECRETS-KMS", "gcp", t.CRYPTO_KEY, summary="Cloud KMS key rotates")
def crypto_key_rotation(r, cfg):
    # Cloud KMS rotates symmetric (ENCRYPT_DECRYPT, the default purpose) keys only
    # (https://cloud.google.com/kms/docs/key-rotation#automatic_rotation); signing keys are out.
    c = "ZT-SECRETS-KMS"
    purpose = lookup(r.props, "purpose")
    if purpose is UNKNOWN:
        return [unverifiable(c, "purpose")]
    if purpose in NON_ROTATING_PURPOSES:
        return []  # exact spellings only: anything else is judged as a symmetric key
    days = int(cfg.get("maxKeyRotationDays", 365))
    out = expect(r.props, "rotationPeriod",
                 lambda v: 86400 <= (duration_seconds(v) or 0) <= days * 86400, control=c,
                 why=f"CryptoKey rotationPeriod is {{value}}: the key must rotate at least every "
                     f"{days} days (config maxKeyRotationDays), written as seconds such as "
                     "\"7776000s\" (Cloud KMS: at least 86400s)")
    out += expect(r.props, "versionTemplate.protectionLevel",
                  lambda v: v in PROTECTION_LEVELS, control=c, default="SOFTWARE",
                  why="CryptoKey versionTemplate.protectionLevel is {value}; Cloud KMS takes "
                      "exactly " + ", ".join(PROTECTION_LEVELS))
    return out


@rule("ZT-AUDIT-IMMUTABLE", "gcp", t.GKE_CLUSTER, summary="API server logs on")
def gke_logs(r, cfg):
    c = "ZT-AUDIT-IMMUTABLE"
    return expect(r.props, "loggingService", lambda v: v != "none", control=c,
                  default="logging.googleapis.com/kubernetes",
                  why="loggingService is {value}: no logs leave the cluster") + \
        expect(r.props, "loggingConfig.enableComponents", lambda v: "APISERVER" in as_list(v),
               control=c, default=["SYSTEM_COMPONENTS", "WORKLOADS"],
               why="loggingConfig.enableComponents is {value}; include APISERVER")


@rule("ZT-AUDIT-IMMUTABLE", "gcp", t.GCS_BUCKET, summary="retention policy locked")
def gcs_locked(r, cfg):
    if lookup(r.props, "retentionPolicy") is MISSING:
        return []
    return expect(r.props, "retentionPolicy.isLocked", _is_true, control="ZT-AUDIT-IMMUTABLE",
                  default=False, why="bucket retentionPolicy.isLocked is {value}: the retention "
                  "can still be shortened or removed")


@rule("ZT-AUDIT-IMMUTABLE", "gcp", t.LOG_BUCKET, summary="log bucket locked")
def log_bucket_locked(r, cfg):
    return expect(r.props, "locked", _is_true, control="ZT-AUDIT-IMMUTABLE", default=False,
                  why="log bucket locked is {value}")


@rule("ZT-NETPOL-DEFAULT-DENY", "gcp", t.GKE_CLUSTER, summary="Dataplane V2 or network policy")
def gke_netpol(r, cfg):
    c = "ZT-NETPOL-DEFAULT-DENY"
    dp = lookup(r.props, "datapathProvider")
    np_ = lookup(r.props, "networkPolicy.enabled")
    if UNKNOWN in (dp, np_):
        return [unverifiable(c, "datapathProvider / networkPolicy.enabled")]
    if dp == "ADVANCED_DATAPATH" or as_bool(np_) is True:
        return []
    return [fail(c, f"datapathProvider is {dp if dp is not MISSING else 'unset'} and "
                 "networkPolicy is off: NetworkPolicy objects are not enforced")]


@rule("ZT-IMAGE-PROVENANCE", "gcp", t.GKE_CLUSTER, summary="Binary Authorization enforced")
def gke_binauthz(r, cfg):
    c = "ZT-IMAGE-PROVENANCE"
    mode = lookup(r.props, "binaryAuthorization.evaluationMode")
    enabled = lookup(r.props, "binaryAuthorization.enabled")
    if UNKNOWN in (mode, enabled):
        return [unverifiable(c, "binaryAuthorization")]
    if mode == "PROJECT_SINGLETON_POLICY_ENFORCE" or (mode is MISSING and as_bool(enabled)):
        return []
    return [fail(c, f"binaryAuthorization.evaluationMode is "
                 f"{mode if mode is not MISSING else 'unset (DISABLED)'}; set "
                 "PROJECT_SINGLETON_POLICY_ENFORCE")]


@rule("ZT-VERSION", "gcp", t.GKE_CLUSTER, summary="release channel + supported version")
def gke_version(r, cfg):
    c = "ZT-VERSION"
    minimum = version_tuple(cfg.get("minKubernetesVersion", "1.32"))
    return expect(r.props, "releaseChannel.channel", lambda v: v != "UNSPECIFIED", control=c,
                  default="REGULAR",
                  why="releaseChannel.channel is {value}: no automatic upgrades") + \
        expect(r.props, "minMasterVersion",
               lambda v: not v or v == "latest" or (version_tuple(v) or (0,)) >= minimum,
               control=c, why="minMasterVersion {value} is older than config "
               "minKubernetesVersion")


@rule("ZT-NODE-TRUSTED-BOOT", "gcp", t.GKE_CLUSTER, summary="shielded nodes")
def gke_shielded(r, cfg):
    return expect(r.props, "enableShieldedNodes", lambda v: as_bool(v) is not False,
                  control="ZT-NODE-TRUSTED-BOOT", default=True,
                  why="enableShieldedNodes is {value}")


# --- node pools ------------------------------------------------------------------------------------

@rule("ZT-NODE-TRUSTED-BOOT", "gcp", t.GKE_NODE_POOL, summary="secure boot + integrity monitoring")
def pool_shielded(r, cfg):
    c = "ZT-NODE-TRUSTED-BOOT"
    base = "nodeConfig.shieldedInstanceConfig."
    return expect(r.props, base + "enableSecureBoot", _is_true, control=c, default=False,
                  why=base + "enableSecureBoot is {value} (default false)") + \
        expect(r.props, base + "enableIntegrityMonitoring", lambda v: as_bool(v) is not False,
               control=c, default=True, why=base + "enableIntegrityMonitoring is {value}")


@rule("ZT-NODE-OS", "gcp", t.GKE_NODE_POOL, summary="COS, auto-upgrade, auto-repair")
def pool_os(r, cfg):
    c = "ZT-NODE-OS"
    return (
        expect(r.props, "nodeConfig.imageType",
               lambda v: isinstance(v, str) and v.upper() == "COS_CONTAINERD", control=c,
               default="COS_CONTAINERD", why="nodeConfig.imageType is {value}; use COS_CONTAINERD")
        + expect(r.props, "management.autoUpgrade", lambda v: as_bool(v) is not False,
                 control=c, default=True, why="management.autoUpgrade is {value}")
        + expect(r.props, "management.autoRepair", lambda v: as_bool(v) is not False,
                 control=c, default=True, why="management.autoRepair is {value}")
    )


def _node_configs(r) -> list[tuple[str, object]]:
    """(label prefix, props holding `nodeConfig`) of a node pool, or of a cluster's own default
    pool (its `nodeConfig`, when given: those nodes run until removeDefaultNodePool deletes
    them) and its inline `nodePools`; UNKNOWN where the list itself is unknown."""
    if r.type == t.GKE_NODE_POOL:
        return [("", r.props)]
    out: list[tuple[str, object]] = []
    if lookup(r.props, "nodeConfig") is not MISSING:
        out.append(("", r.props))
    pools = lookup(r.props, "nodePools")
    if pools is UNKNOWN:
        return out + [("nodePools", UNKNOWN)]
    return out + [(f"nodePools[{i}].", p) for i, p in enumerate(as_list(pools))
                  if isinstance(p, dict)]


@rule("ZT-NODE-METADATA", "gcp", t.GKE_NODE_POOL, t.GKE_CLUSTER, summary="GKE metadata server")
def pool_metadata(r, cfg):
    # GKE_METADATA is the GKE metadata server (workload identity); the provider takes the enum
    # in exactly this case (https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/
    # NodeConfig#workloadmetadataconfig). The legacy v0.1/v1beta1 endpoints are off unless the
    # node metadata sets disable-legacy-endpoints to something but "true" (off by default since
    # GKE 1.12: https://cloud.google.com/kubernetes-engine/docs/how-to/protecting-cluster-metadata).
    c = "ZT-NODE-METADATA"
    out = []
    for at, props in _node_configs(r):
        if props is UNKNOWN:
            out.append(unverifiable(c, at))
            continue
        out += expect(props, "nodeConfig.workloadMetadataConfig.mode",
                      lambda v: v == "GKE_METADATA", control=c,
                      why=f"{at}nodeConfig.workloadMetadataConfig.mode is {{value}}; set exactly "
                          "GKE_METADATA so pods cannot read the node's credentials")
        out += expect(props, "nodeConfig.metadata.disable-legacy-endpoints",
                      lambda v: as_bool(v) is True, control=c, default="true",
                      why=f"{at}nodeConfig.metadata disable-legacy-endpoints is {{value}}: the "
                          "legacy metadata endpoints (no Metadata-Flavor header) are back on; "
                          "remove it or set \"true\"")
    return out


def _default_compute_sa(v: object) -> bool:
    text = str(v).strip().casefold()
    return text == "default" or text.endswith("-compute@developer.gserviceaccount.com")


@rule("ZT-NODE-IDENTITY", "gcp", t.GKE_NODE_POOL, t.GKE_CLUSTER,
      summary="dedicated node service account")
def pool_sa(r, cfg):
    # Unset or "default" is the Compute Engine default account (often Editor on the project)
    # (https://cloud.google.com/kubernetes-engine/docs/how-to/service-accounts).
    c = "ZT-NODE-IDENTITY"
    out = []
    for at, props in _node_configs(r):
        if props is UNKNOWN:
            out.append(unverifiable(c, at))
            continue
        out += expect(props, "nodeConfig.serviceAccount",
                      lambda v: bool(v) and not _default_compute_sa(v), control=c,
                      why=f"{at}nodeConfig.serviceAccount is {{value}}: the Compute Engine "
                          "default account is far too broad", reference=True)
    return out


# Basic roles: every permission on the project (roles/owner also IAM); far beyond what a node
# or workload identity needs (https://cloud.google.com/iam/docs/roles-overview).
BASIC_ROLES = ("roles/owner", "roles/editor")


def _basic_role(role: object) -> bool:
    # Role names are exact; a misspelt case ("roles/Owner") is judged as the role it spells.
    return isinstance(role, str) and role.strip().casefold() in BASIC_ROLES


@rule("ZT-NODE-IDENTITY", "gcp", t.GCP_PROJECT_IAM_MEMBER, t.GCP_PROJECT_IAM_BINDING,
      t.GCP_PROJECT_IAM_POLICY, summary="no basic roles (owner, editor) on the project")
def project_basic_roles(r, cfg):
    """The node service account (or any identity a cluster stack grants) never holds
    roles/owner or roles/editor on the project; GKE nodes need roles/container.
    defaultNodeServiceAccount (https://cloud.google.com/kubernetes-engine/docs/how-to/
    service-accounts)."""
    c = "ZT-NODE-IDENTITY"
    if r.type == t.GCP_PROJECT_IAM_POLICY:
        data = lookup(r.props, "policyData")
        if data is UNKNOWN or contains_unknown(data):
            return [unverifiable(c, "policyData")]
        try:
            doc = json.loads(data) if isinstance(data, str) else data
            bindings = [(b.get("role"), as_list(b.get("members")))
                        for b in as_list(doc.get("bindings"))]
        except (ValueError, AttributeError, RecursionError):
            return [fail(c, "policyData is not an IAM policy JSON document with bindings")]
    else:
        role = lookup(r.props, "role")
        who = lookup(r.props, "member" if r.type == t.GCP_PROJECT_IAM_MEMBER else "members")
        if role is UNKNOWN or contains_unknown(role):
            return [unverifiable(c, "role")]
        bindings = [(role, as_list(who))]
    return [fail(c, f"{role!s:.40} is granted to {', '.join(map(str, members))[:200] or 'its members'}"
                 " on the whole project; grant only the roles the identity needs")
            for role, members in bindings if _basic_role(role)]


@rule("ZT-DISK-CMK", "gcp", t.GKE_NODE_POOL, summary="boot disk customer key")
def pool_cmk(r, cfg):
    return expect(r.props, "nodeConfig.bootDiskKmsKey", lambda v: bool(v), control="ZT-DISK-CMK",
                  why="nodeConfig.bootDiskKmsKey is {value}", reference=True)


@rule("ZT-NODE-PRIVATE", "gcp", t.GKE_NODE_POOL, summary="pool does not opt out of private nodes")
def pool_private(r, cfg):
    return expect(r.props, "networkConfig.enablePrivateNodes", lambda v: as_bool(v) is not False,
                  control="ZT-NODE-PRIVATE", default=True,
                  why="networkConfig.enablePrivateNodes is {value}")


@rule("ZT-NET-SEGMENT", "gcp", t.FIREWALL, summary="no world ingress firewall rule")
def firewall_world(r, cfg):
    c = "ZT-NET-SEGMENT"
    keys = ("direction", "allows", "sourceRanges", "sourceTags", "sourceServiceAccounts",
            "disabled")
    if any(contains_unknown(r.props.get(k)) for k in keys):
        return [unverifiable(c, "firewall direction/sources")]
    if str(r.props.get("direction") or "INGRESS").upper() != "INGRESS" or as_bool(
            r.props.get("disabled")):
        return []
    if not as_list(r.props.get("allows")):
        return []  # a deny rule never admits anything
    ranges = as_list(r.props.get("sourceRanges"))
    if not ranges and not as_list(r.props.get("sourceTags")) and not as_list(
            r.props.get("sourceServiceAccounts")):
        return [fail(c, "ingress allow rule has no sources, which GCP reads as 0.0.0.0/0")]
    world = world_sources(ranges)
    if world:
        return [fail(c, f"ingress allow rule admits {', '.join(world)}")]
    return []


def ingress_sources(type_: str, props: dict) -> list:
    """Every source an enabled ingress allow firewall rule admits (none given: anywhere)."""
    if type_ != t.FIREWALL or str(props.get("direction") or "INGRESS").upper() != "INGRESS" \
            or as_bool(props.get("disabled")) or not as_list(props.get("allows")):
        return []
    ranges = as_list(props.get("sourceRanges"))
    if not ranges and not as_list(props.get("sourceTags")) and not as_list(
            props.get("sourceServiceAccounts")):
        return ["0.0.0.0/0"]  # GCP reads an allow rule without sources as 0.0.0.0/0
    return ranges


# ----------------------------------------------------------------- this cloud in the registry
# (ztc_policy/clouds.py): what stands for a cluster and its sandbox; the evidence predicates the
# controls' home (ztc_policy/catalog.py) names for this cloud.
def gke_sandbox_pool(n: Node, cfg) -> bool:
    """ZT-SANDBOX: a GKE Sandbox (gVisor) node pool."""
    return n.type == t.GKE_NODE_POOL and (
        str(lookup(n.props, "nodeConfig.sandboxConfig.type")).upper() == "GVISOR"
        or str(lookup(n.props, "nodeConfig.sandboxConfig.sandboxType")).lower() == "gvisor")


CLOUD = PackCloud(
    name="gcp",
    cluster_type=t.GKE_CLUSTER,
    sandbox_pool=gke_sandbox_pool,
    sandbox_handlers=("gvisor", "runsc"),
    ingress_sources=ingress_sources,
)
