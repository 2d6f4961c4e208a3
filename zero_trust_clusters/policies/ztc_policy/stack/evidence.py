"""How the stack rules find each control's evidence on a cluster.

What counts as evidence is written in the control's home (ztc_policy/catalog.py `Evidence`, one
source); this module holds the named predicates those records use and `accepted`, which applies
a record to a cluster's resources. Every evidence of a control must be met by at least one
resource the cluster owns (or, where `shared_ok`, a shared one such as an estate-wide audit
bucket); resource rules then judge those resources' properties.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from .. import clouds
from .. import types as t
from ..catalog import BY_ID, SANDBOX_RUNTIME_CLASS, Evidence, Part
from ..rules.kubernetes import (
    MESH_ROOT_NAMESPACE,
    is_default_deny,
    is_workload_namespace,
    k8s_name,
)
from ..rules.pki import INTERMEDIATE, pki_kind
from ..values import MISSING, as_bool, as_list, contains_unknown, is_unknown, lookup
from .gatekeeper import is_image_template
from .graph import Node
from .mesh_ca import is_mesh_ca

Predicate = Callable[[Node, Mapping[str, Any]], bool]
# The outputs a reference may carry: an ARN, an id, a name, a Key Vault key URI, an email.
REFERENCE_KEYS = ("arn", "id", "name", "bucket", "keyId", "keyUri", "keyUriWithVersion",
                  "selfLink", "email")


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


def mesh_ca(n: Node, cfg) -> bool:
    """Istio's CA where our PKI is not used: its plug-in `cacerts` Secret or istio-csr (whose
    chain to the shared root stack/mesh_ca.py follows and rules.one_root judges)."""
    return is_mesh_ca(n)


def change_ledger(n: Node, cfg) -> bool:
    kind = lookup(n.props, "ztcKind") if n.type == t.DYNAMIC else None
    return (isinstance(kind, str) and kind.startswith("ledger")) or n.type in t.LEDGER_STORES


def admission_policy(n: Node, cfg) -> bool:
    """An image-provenance admission policy: a Sigstore ClusterImagePolicy, a Kyverno policy
    that verifies images, a Gatekeeper ConstraintTemplate that asks an external data provider
    (Ratify) about the images, or a
    ValidatingAdmissionPolicy one of whose validations reads an image (unknown: counted, the
    rules judge it). Another control's policy (the mesh's membership rules) is not; a binding
    is judged by the stack rules, with the policy it binds."""
    if "ClusterImagePolicy" in n.type:
        return True
    if n.type in t.GATEKEEPER_TEMPLATE_TYPES:
        # Its constraints, provider and verifiers are judged by stack/gatekeeper.py.
        return is_image_template(n)
    if n.type in t.KYVERNO_POLICY_TYPES:
        # Kyverno's image verification: a rule with `verifyImages` (https://kyverno.io/docs/
        # writing-policies/verify-images/); whether it enforces is judged by the resource rule.
        rules = lookup(n.props, "spec.rules")
        return contains_unknown(rules) or any(
            isinstance(r, dict) and as_list(r.get("verifyImages")) for r in as_list(rules))
    if n.type != t.K8S_VAP:
        return False
    validations = lookup(n.props, "spec.validations")
    return contains_unknown(validations) or any(
        isinstance(v, dict) and "image" in str(v.get("expression", ""))
        for v in as_list(validations))


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


def part(cloud: str, control: str) -> Part | None:
    """`cloud`'s part of `control`: written in the control's home for the built-in clouds, or
    brought by a cloud registered at run time in its registry entry (clouds.PackCloud.controls)."""
    written = BY_ID[control].clouds.get(cloud)
    if written is not None:
        return written
    entry = clouds.find(cloud)
    return entry.controls.get(control) if entry else None


def requirements(cloud: str, control: str) -> list[Evidence]:
    """What `control` needs on `cloud`: the cloud's part and what every cloud needs; a cluster
    of unknown cloud (a cluster-phase stack whose identity ConfigMap names none) needs the
    common part at least."""
    own = part(cloud, control)
    return [*(own.evidence if own else ()), *BY_ID[control].common.evidence]


@cache
def predicate(where: str | Predicate | None) -> Predicate | None:
    """A named predicate ("rules.aws:eks_sandbox_pool") resolved under ztc_policy."""
    if where is None or callable(where):
        return where
    module, _, name = where.partition(":")
    package = __package__.rpartition(".")[0]  # ztc_policy
    return getattr(importlib.import_module(f"{package}.{module}"), name)


def identities(node: Node, by_urn: Mapping[str, Node]) -> set[str]:
    """The known values other resources name `node` by: its ARN, id, name, key URI, email (a
    GCP service account's composed from its id and project); for a Cloud KMS key ring or key,
    the full resource name GKE's databaseEncryption.keyName
    takes (projects/P/locations/L/keyRings/R/cryptoKeys/K: https://cloud.google.com/kms/docs/
    resource-hierarchy#retrieve_resource_id), composed from its own properties, its key ring
    followed through the property dependency while the ring's id is unknown at preview."""
    ids = {v for k in REFERENCE_KEYS
           if isinstance(v := node.props.get(k), str) and v and not is_unknown(v)}
    if node.type == t.GCP_SERVICE_ACCOUNT:
        # SA_NAME@PROJECT_ID.iam.gserviceaccount.com
        # (https://cloud.google.com/iam/docs/service-accounts-create), known before the account.
        account, project = node.props.get("accountId"), node.props.get("project")
        if isinstance(account, str) and isinstance(project, str):
            ids.add(f"{account}@{project}.iam.gserviceaccount.com")
    name = node.props.get("name")
    if not isinstance(name, str) or is_unknown(name):
        return ids
    if node.type == t.KMS_KEY_RING:
        project, location = node.props.get("project"), node.props.get("location")
        if isinstance(project, str) and isinstance(location, str):
            ids.add(f"projects/{project}/locations/{location}/keyRings/{name}")
    elif node.type == t.CRYPTO_KEY:
        ring = node.props.get("keyRing")
        rings = {ring} if isinstance(ring, str) and not is_unknown(ring) else {
            r for urn in node.prop_deps.get("keyRing", ()) if (dep := by_urn.get(urn))
            and dep.type == t.KMS_KEY_RING for r in identities(dep, by_urn)}
        ids |= {f"{r}/cryptoKeys/{name}" for r in rings}
    return ids


def refers(source: Node, path: str, target: Node, by_urn: Mapping[str, Node]) -> bool:
    """Does `source` name `target` at `path`? By value (one of the target's `identities`), or,
    while the value is unknown at preview, by the engine's record that the property comes from
    the target (its property dependency), as the stack rules follow the PKI's root."""
    if target.urn in source.prop_deps.get(path.split(".", 1)[0], ()):
        return True
    values = [v for v in as_list(lookup(source.props, path)) if isinstance(v, str)]
    return bool(values) and any(v in identities(target, by_urn) for v in values)


def accepted(evidence: Evidence, pool: Sequence[Node], owned: Sequence[Node],
             cfg: Mapping[str, Any], by_urn: Mapping[str, Node],
             earlier: Sequence[Node] = ()) -> list[Node]:
    """The resources of `pool` that `evidence` accepts on a cluster owning `owned`; `earlier`:
    what the control's earlier evidence accepted (what a `names` reference may point at)."""
    where = predicate(evidence.where)
    hits = [n for n in pool if (not evidence.types or n.type in evidence.types)
            and (where is None or where(n, cfg))]
    if evidence.named_by:
        type_, path = evidence.named_by
        sources = [n for n in owned if n.type == type_]
        hits = [n for n in hits if any(refers(s, path, n, by_urn) for s in sources)]
    if evidence.names:
        hits = [n for n in hits if any(refers(n, evidence.names, e, by_urn) for e in earlier)]
    return hits
