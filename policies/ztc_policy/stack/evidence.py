"""Which resources implement each control on each cloud (the matrix's "implemented by").

Every requirement must be met by at least one resource the cluster owns (or a shared one, such
as an estate-wide audit bucket). Resource rules then judge those resources' properties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import clouds
from .. import types as t
from ..catalog import SANDBOX_RUNTIME_CLASS
from ..rules.kubernetes import (
    MESH_ROOT_NAMESPACE,
    is_default_deny,
    is_workload_namespace,
    k8s_name,
)
from ..rules.pki import INTERMEDIATE, pki_kind
from ..values import MISSING, as_bool, as_list, lookup
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


def sandbox_runtime_class(n: Node, cfg) -> bool:
    return n.type == t.K8S_RUNTIME_CLASS and k8s_name(n) == SANDBOX_RUNTIME_CLASS


def default_deny_policy(n: Node, cfg) -> bool:
    return n.type == t.K8S_NETPOL and is_default_deny(n.props)


def workload_namespace(n: Node, cfg) -> bool:
    return n.type == t.K8S_NAMESPACE and is_workload_namespace(k8s_name(n), cfg)


def mesh_wide_strict(n: Node, cfg) -> bool:
    """A PeerAuthentication in Istio's root namespace, for every workload, mode STRICT."""
    return (n.type in t.PEER_AUTHENTICATION_TYPES
            and lookup(n.props, "metadata.namespace") == MESH_ROOT_NAMESPACE
            and lookup(n.props, "spec.selector") is MISSING
            and lookup(n.props, "spec.mtls.mode") == "STRICT")


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
    # Identities from the shared root, and traffic that must use them (the mesh).
    "ZT-MTLS-SHARED-ROOT": [R("a pki-intermediate for the cluster", pki_intermediate),
                            R("mesh-wide STRICT mTLS (a PeerAuthentication in istio-system)",
                              mesh_wide_strict, **IN_CLUSTER)],
    # The ledger is written by the deployment (ztc ledger); the stack may hold its WORM store.
    "ZT-CHANGE-LEDGER": [R("ledger WORM store in the stack", change_ledger, shared_ok=True,
                           optional=True)],
    "ZT-SANDBOX": [R(f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r}", sandbox_runtime_class,
                     **IN_CLUSTER)],
    "ZT-NETPOL-DEFAULT-DENY": [R("a default-deny NetworkPolicy", default_deny_policy,
                                 **IN_CLUSTER)],
}

def requirements(cloud: str, control: str) -> list[Requirement]:
    """What `control` needs on `cloud`: the cloud's own evidence (its registry entry,
    ztc_policy/clouds.py) and what every cloud needs; a cluster of unknown cloud (a
    cluster-phase stack whose identity ConfigMap names none) needs the common part at least."""
    entry = clouds.find(cloud)
    own = list(entry.evidence.get(control, [])) if entry else []
    return own + COMMON.get(control, [])
