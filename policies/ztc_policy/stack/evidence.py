"""Which resources implement each control on each cloud (the matrix's "implemented by").

Every requirement must be met by at least one resource the cluster owns (or a shared one, such
as an estate-wide audit bucket). Resource rules then judge those resources' properties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import types as t
from ..catalog import CONTROL_IDS, SANDBOX_RUNTIME_CLASS
from ..rules.kubernetes import is_default_deny, is_workload_namespace, k8s_name
from ..rules.pki import INTERMEDIATE, pki_kind
from ..values import as_bool, as_list, lookup
from .graph import CLOUD_PHASE, CLUSTER_PHASE, Node


@dataclass(frozen=True)
class Requirement:
    label: str
    matches: Callable[[Node, dict], bool]
    shared_ok: bool = False  # may be met by a resource no single cluster owns
    # Missing -> "not verifiable" rather than "fail" (a control kept outside the stack).
    optional: bool = False
    # Where the evidence lives: cloud resources (cloud phase) or in-cluster objects (cluster
    # phase, applied from the deployer network by its own stack). A stack that holds only one
    # phase of a cluster defers the other phase's requirements to that phase's stack.
    phase: str = CLOUD_PHASE


def of(*types: str) -> Callable[[Node, dict], bool]:
    return lambda n, cfg: n.type in types


def _addon(name: str):
    return lambda n, cfg: n.type == t.EKS_ADDON and lookup(n.props, "addonName") == name


def _labels_taints_mention_sandbox(n: Node) -> bool:
    labels = lookup(n.props, "labels")
    taints = as_list(lookup(n.props, "taints"))
    text = " ".join([str(labels)] + [str(x) for x in taints]).lower()
    return "sandbox" in text or "gvisor" in text or "runsc" in text


def eks_sandbox_pool(n: Node, cfg) -> bool:
    return (n.type == t.EKS_NODE_GROUP and _labels_taints_mention_sandbox(n)) or \
        n.type == t.EKS_FARGATE


def aks_sandbox_pool(n: Node, cfg) -> bool:
    if n.type == t.AKS_POOL:
        return lookup(n.props, "workloadRuntime") == "KataVmIsolation"
    if n.type == t.AKS_CLUSTER:
        return any(isinstance(p, dict) and p.get("workloadRuntime") == "KataVmIsolation"
                   for p in as_list(lookup(n.props, "agentPoolProfiles")))
    return False


def gke_sandbox_pool(n: Node, cfg) -> bool:
    return n.type == t.GKE_NODE_POOL and (
        str(lookup(n.props, "nodeConfig.sandboxConfig.type")).upper() == "GVISOR"
        or str(lookup(n.props, "nodeConfig.sandboxConfig.sandboxType")).lower() == "gvisor")


def sandbox_runtime_class(n: Node, cfg) -> bool:
    return n.type == t.K8S_RUNTIME_CLASS and k8s_name(n) == SANDBOX_RUNTIME_CLASS


def default_deny_policy(n: Node, cfg) -> bool:
    return n.type == t.K8S_NETPOL and is_default_deny(n.props)


def workload_namespace(n: Node, cfg) -> bool:
    return n.type == t.K8S_NAMESPACE and is_workload_namespace(k8s_name(n), cfg)


def pki_intermediate(n: Node, cfg) -> bool:
    return pki_kind(n) == INTERMEDIATE


def change_ledger(n: Node, cfg) -> bool:
    kind = lookup(n.props, "ztcKind") if n.type == t.DYNAMIC else None
    return (isinstance(kind, str) and kind.startswith("ledger")) or n.type in t.LEDGER_STORES


def admission_policy(n: Node, cfg) -> bool:
    return n.type in (t.K8S_VAP, t.K8S_VAP_BINDING) or "ClusterImagePolicy" in n.type


def s3_locked_bucket(n: Node, cfg) -> bool:
    return n.type in (t.S3_BUCKET, t.S3_BUCKET_V2) and as_bool(
        lookup(n.props, "objectLockEnabled")) is True


def aks_audit_setting(n: Node, cfg) -> bool:
    if n.type not in (t.DIAGNOSTIC_SETTING, t.DIAGNOSTIC_SETTING_INSIGHTS):
        return False
    return any(isinstance(log, dict) and log.get("category") in ("kube-audit", "kube-audit-admin")
               and as_bool(log.get("enabled")) is not False
               for log in as_list(lookup(n.props, "logs")))


def azure_immutable_blob(n: Node, cfg) -> bool:
    if n.type == t.BLOB_IMMUTABILITY:
        return True
    return n.type == t.BLOB_CONTAINER and as_bool(
        lookup(n.props, "immutableStorageWithVersioning.enabled")) is True


def gcp_locked_store(n: Node, cfg) -> bool:
    if n.type == t.GCS_BUCKET:
        return as_bool(lookup(n.props, "retentionPolicy.isLocked")) is True
    return n.type == t.LOG_BUCKET and as_bool(lookup(n.props, "locked")) is True


R = Requirement
IN_CLUSTER = {"phase": CLUSTER_PHASE}
COMMON = {
    "ZT-POD-SECURITY": [R("a workload Namespace", workload_namespace, **IN_CLUSTER)],
    "ZT-MTLS-SHARED-ROOT": [R("a pki-intermediate for the cluster", pki_intermediate)],
    # The ledger is written by the deployment (ztc ledger); the stack may hold its WORM store.
    "ZT-CHANGE-LEDGER": [R("ledger WORM store in the stack", change_ledger, shared_ok=True,
                           optional=True)],
    "ZT-SANDBOX": [R(f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r}", sandbox_runtime_class,
                     **IN_CLUSTER)],
    "ZT-NETPOL-DEFAULT-DENY": [R("a default-deny NetworkPolicy", default_deny_policy,
                                 **IN_CLUSTER)],
}

EVIDENCE: dict[str, dict[str, list[Requirement]]] = {
    "aws": {
        "ZT-API-PRIVATE": [R("EKS cluster", of(t.EKS_CLUSTER))],
        "ZT-NODE-PRIVATE": [R("node launch template", of(t.LAUNCH_TEMPLATE))],
        "ZT-NET-SEGMENT": [R("security group", of(t.SECURITY_GROUP, t.SG_INGRESS_RULE, t.SG_RULE))],
        "ZT-NODE-TRUSTED-BOOT": [R("node group on a CUSTOM image", of(t.EKS_NODE_GROUP)),
                                 R("launch template or AMI pinning the image",
                                   of(t.LAUNCH_TEMPLATE, t.AMI))],
        "ZT-NODE-OS": [R("managed node group", of(t.EKS_NODE_GROUP))],
        "ZT-NODE-METADATA": [R("node launch template", of(t.LAUNCH_TEMPLATE))],
        "ZT-IAM-ONLY": [R("EKS cluster", of(t.EKS_CLUSTER)),
                        R("EKS access entry", of(t.EKS_ACCESS_ENTRY))],
        "ZT-WORKLOAD-IDENTITY": [R("eks-pod-identity-agent add-on or IRSA OIDC provider",
                                   lambda n, c: _addon("eks-pod-identity-agent")(n, c)
                                   or n.type == t.IAM_OIDC_PROVIDER)],
        "ZT-NODE-IDENTITY": [R("node IAM role", of(t.IAM_ROLE))],
        "ZT-SECRETS-KMS": [R("EKS cluster", of(t.EKS_CLUSTER)), R("KMS key", of(t.KMS_KEY))],
        "ZT-DISK-CMK": [R("node launch template", of(t.LAUNCH_TEMPLATE))],
        "ZT-AUDIT-IMMUTABLE": [R("EKS cluster", of(t.EKS_CLUSTER)),
                               R("Object Lock bucket", s3_locked_bucket, shared_ok=True),
                               R("Object Lock configuration",
                                 of(t.S3_OBJECT_LOCK, t.S3_OBJECT_LOCK_V2), shared_ok=True)],
        "ZT-SANDBOX": [R("sandbox node group (gVisor) or Fargate profile", eks_sandbox_pool)],
        "ZT-NETPOL-DEFAULT-DENY": [R("vpc-cni add-on", _addon("vpc-cni"))],
        "ZT-IMAGE-PROVENANCE": [R("admission policy for images", admission_policy,
                                  **IN_CLUSTER)],
        "ZT-VERSION": [R("EKS cluster", of(t.EKS_CLUSTER))],
    },
    "azure": {
        **{c: [R("AKS cluster", of(t.AKS_CLUSTER))] for c in (
            "ZT-API-PRIVATE", "ZT-NODE-PRIVATE", "ZT-NODE-TRUSTED-BOOT", "ZT-NODE-OS",
            "ZT-NODE-METADATA", "ZT-IAM-ONLY", "ZT-WORKLOAD-IDENTITY", "ZT-NODE-IDENTITY",
            "ZT-SECRETS-KMS", "ZT-DISK-CMK", "ZT-NETPOL-DEFAULT-DENY", "ZT-IMAGE-PROVENANCE",
            "ZT-VERSION")},
        "ZT-NET-SEGMENT": [R("network security group", of(t.NSG, t.NSG_RULE))],
        "ZT-AUDIT-IMMUTABLE": [R("kube-audit diagnostic setting", aks_audit_setting),
                               R("immutable blob storage", azure_immutable_blob, shared_ok=True)],
        "ZT-SANDBOX": [R("KataVmIsolation pool", aks_sandbox_pool)],
    },
    "gcp": {
        **{c: [R("GKE cluster", of(t.GKE_CLUSTER))] for c in (
            "ZT-API-PRIVATE", "ZT-IAM-ONLY", "ZT-WORKLOAD-IDENTITY", "ZT-NETPOL-DEFAULT-DENY",
            "ZT-IMAGE-PROVENANCE", "ZT-VERSION")},
        **{c: [R("GKE node pool", of(t.GKE_NODE_POOL))] for c in (
            "ZT-NODE-TRUSTED-BOOT", "ZT-NODE-OS", "ZT-NODE-METADATA", "ZT-NODE-IDENTITY",
            "ZT-DISK-CMK")},
        "ZT-NODE-PRIVATE": [R("GKE cluster", of(t.GKE_CLUSTER)),
                            R("GKE node pool", of(t.GKE_NODE_POOL))],
        "ZT-NET-SEGMENT": [R("VPC firewall rule", of(t.FIREWALL))],
        "ZT-SECRETS-KMS": [R("GKE cluster", of(t.GKE_CLUSTER)),
                           R("Cloud KMS key", of(t.CRYPTO_KEY), shared_ok=True)],
        "ZT-AUDIT-IMMUTABLE": [R("GKE cluster", of(t.GKE_CLUSTER)),
                               R("locked log bucket", gcp_locked_store, shared_ok=True)],
        "ZT-SANDBOX": [R("GKE Sandbox (gVisor) node pool", gke_sandbox_pool)],
    },
}

for _cloud, _table in EVIDENCE.items():
    for _control, _reqs in COMMON.items():
        _table[_control] = _table.get(_control, []) + _reqs
    assert set(_table) == set(CONTROL_IDS), (_cloud, set(CONTROL_IDS) ^ set(_table))


def requirements(cloud: str, control: str) -> list[Requirement]:
    """What `control` needs on `cloud`; a cluster of unknown cloud (a cluster-phase stack whose
    identity ConfigMap names none) needs at least the in-cluster evidence every cloud needs."""
    if cloud not in EVIDENCE:
        return COMMON.get(control, [])
    return EVIDENCE[cloud].get(control, [])
