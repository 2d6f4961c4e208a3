"""Cross-resource and cross-cluster rules. Each returns findings; pack.py wraps them."""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import clouds
from .. import types as t
from ..catalog import CONTROL_IDS, SANDBOX_RUNTIME_CLASS
from ..config import SYSTEM_NAMESPACES
from ..findings import Finding, Status, fail, unverifiable
from ..rules.kubernetes import (
    EAST_WEST_GATEWAY,
    GATEWAY_LABEL,
    MESH_ROOT_NAMESPACE,
    PRINCIPAL,
    SANDBOX_GATEWAY_PREFIX,
    SelectorError,
    allow_sources,
    broad_registry,
    k8s_name,
    namespace_isolation,
    selects,
)
from ..rules.pki import INTERMEDIATE, ROOT, pki_kind
from ..values import (
    MISSING,
    as_bool,
    as_list,
    contains_unknown,
    is_unknown,
    lookup,
    world_sources,
)
from . import audit_chain as chain
from . import gatekeeper
from .evidence import (
    admission_policy,
    mesh_wide_strict,
    workload_namespace,
)
from .graph import (
    CLOUD_PHASE,
    CLUSTER_PHASE,
    UNKNOWN_CLOUD,
    chart_name,
    cluster_identity,
    releases_of,
)
from .mesh_ca import ISTIO_CSR_CHART, is_mesh_ca
from .mesh_ca import Resolver as MeshCaResolver
from .posture import Posture


def _any_sandbox_handler() -> tuple[str, ...]:
    """A cluster-phase stack that does not name its cloud: any VM-sandbox handler will do."""
    return tuple(dict.fromkeys(h for e in clouds.entries() for h in e.sandbox_handlers))


def posture_evidence(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Every cluster has resources implementing every required control."""
    required = cfg.get("requiredControls") or list(CONTROL_IDS)
    out = []
    for (urn, control), cell in p.cells.items():
        if control in required and cell.missing:
            out.append(fail(control, f"no {' and no '.join(cell.missing)} implements "
                            f"{control} on this {cell.cloud} cluster", urn=urn,
                            cluster=cell.cluster))
    return out


def posture_parity(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """A control one cluster holds, every cluster holds, whatever its cloud."""
    out = []
    clusters = p.clusters()
    for control in CONTROL_IDS:
        cells = [p.cell(c, control) for c in clusters]
        holders = [c.cluster for c in cells if c.status == Status.PASS]
        if not holders:
            continue
        for cell in cells:
            # Unknowns are reported once, by the not-verifiable policy; parity names failures.
            if cell.status == Status.FAIL:
                out.append(Finding(
                    control, cell.status,
                    f"posture differs across clouds: held by {', '.join(sorted(holders))} but "
                    f"not by this {cell.cloud} cluster ({cell.reason()})",
                    urn=cell.cluster_urn, cluster=cell.cluster))
    return out


def sandbox_everywhere(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """A VM-sandbox pool and the common RuntimeClass, whose handler suits the cloud."""
    c = "ZT-SANDBOX"
    own = p.ownership
    out = []
    for cluster in own.clusters:
        cloud, name, owned = own.cloud[cluster.urn], own.display[cluster.urn], \
            own.owned(cluster.urn)
        phases = own.phases[cluster.urn]
        entry = clouds.find(cloud)
        if CLOUD_PHASE in phases and entry and not any(entry.sandbox_pool(n, cfg) for n in owned):
            out.append(fail(c, "no VM-sandbox node pool", urn=cluster.urn, cluster=name))
        if CLUSTER_PHASE not in phases:
            continue  # the RuntimeClass is checked in the cluster-phase stack
        classes = [n for n in owned if n.type == t.K8S_RUNTIME_CLASS
                   and k8s_name(n) == SANDBOX_RUNTIME_CLASS]
        if not classes:
            out.append(fail(c, f"no RuntimeClass {SANDBOX_RUNTIME_CLASS!r}", urn=cluster.urn,
                            cluster=name))
        handlers = entry.sandbox_handlers if entry else _any_sandbox_handler()
        for rc in classes:
            handler = lookup(rc.props, "handler")
            if handler not in handlers:
                out.append(fail(c, f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r} handler {handler!r} "
                                f"does not reach the {cloud} sandbox (expected one of "
                                f"{', '.join(handlers)})", urn=rc.urn, cluster=name))
            if not lookup(rc.props, "scheduling.nodeSelector"):
                out.append(fail(c, f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r} has no "
                                "scheduling.nodeSelector, so pods may land off the sandbox pool",
                                urn=rc.urn, cluster=name))
    return out


def one_root(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """One pki-root; every cluster's intermediate chains to it, inside its trust domain; a
    cluster without one (any program) has a mesh CA chaining to the root the others share."""
    c = "ZT-MTLS-SHARED-ROOT"
    own = p.ownership
    roots = [n for n in own.nodes if pki_kind(n) == ROOT]
    inters = [n for n in own.nodes if pki_kind(n) == INTERMEDIATE]
    out = []
    if len(roots) != 1 and (roots or inters):
        out.append(fail(c, f"{len(roots)} pki-root resources in the stack; exactly one shared "
                        "root is required"))
    root = roots[0] if len(roots) == 1 else None
    root_fp = lookup(root.props, "fingerprintSha256") if root else None
    root_fp = root_fp if isinstance(root_fp, str) and not is_unknown(root_fp) else None
    root_td = lookup(root.props, "trustDomain") if root else None
    seen_fps: dict[str, str] = {}
    for i in inters:
        where = {"urn": i.urn, "cluster": own.name_of(i.urn)}
        fp = lookup(i.props, "rootFingerprintSha256")
        if is_unknown(fp):
            # First preview: prove the link through the property's dependency on the root.
            if not root or root.urn not in i.prop_deps.get("rootFingerprintSha256", []):
                out.append(unverifiable(c, f"intermediate {i.name} rootFingerprintSha256", **where))
        elif isinstance(fp, str):
            seen_fps.setdefault(fp, i.name)
            if root_fp and fp != root_fp:
                out.append(fail(c, f"intermediate {i.name} chains to root {fp[:16]}..., not the "
                                f"shared root {root_fp[:16]}...", **where))
        td, cluster = lookup(i.props, "trustDomain"), lookup(i.props, "clusterName")
        if isinstance(td, str) and isinstance(root_td, str) and not td.endswith("." + root_td):
            out.append(fail(c, f"intermediate {i.name} trust domain {td} is not under the "
                            f"shared trust domain {root_td}", **where))
        if isinstance(td, str) and isinstance(cluster, str) and not td.startswith(cluster + "."):
            out.append(fail(c, f"intermediate {i.name} trust domain {td} is not its cluster's "
                            f"({cluster}.*)", **where))
    if len(seen_fps) > 1:
        out.append(fail(c, "intermediates chain to different roots: " + ", ".join(
            f"{name} -> {fp[:16]}..." for fp, name in seen_fps.items())))
        if not root_fp:  # the root's fingerprint is an output: name the odd ones out
            counts = Counter(lookup(i.props, "rootFingerprintSha256") for i in inters)
            (top, n), *rest = counts.most_common()
            for i in inters:
                fp = lookup(i.props, "rootFingerprintSha256")
                if not rest or rest[0][1] == n or fp != top:
                    out.append(fail(c, f"intermediate {i.name} chains to root {str(fp)[:16]}..."
                                    ", not the root the other clusters share", urn=i.urn,
                                    cluster=own.name_of(i.urn)))
    domains: dict[str, str] = {}
    for i in inters:
        td = lookup(i.props, "trustDomain")
        if isinstance(td, str) and td in domains:
            out.append(fail(c, f"intermediates {domains[td]} and {i.name} share trust domain "
                            f"{td}", urn=i.urn, cluster=own.name_of(i.urn)))
        domains.setdefault(str(td), i.name)
    out += _mesh_ca_roots(p, inters, roots[0] if len(roots) == 1 else None)
    return out


def _mesh_ca_roots(p: Posture, inters: list, pki_root) -> list[Finding]:
    """Clusters without a pki-intermediate (any program): the mesh's CA (Istio's cacerts, or
    istio-csr's cert-manager CA issuer) chains to a root, the same one on every cluster
    (stack/mesh_ca.py follows the chain); clusters with one share the pki-root."""
    c = "ZT-MTLS-SHARED-ROOT"
    own = p.ownership
    out: list[Finding] = []
    with_inter = {own.owner.get(i.urn) for i in inters}
    # root key -> (root label, clusters chaining to it)
    shared: dict[str, tuple[str, list[str]]] = {}
    signers: dict[str, str] = {}  # signing CA key -> the first cluster signing with it
    if pki_root is not None:
        for cluster in own.clusters:
            if cluster.urn in with_inter:
                shared.setdefault(f"resource:{pki_root.urn}", (f"pki-root {pki_root.name}", []))[
                    1].append(own.display[cluster.urn])
    for cluster in own.clusters:
        phases, name = own.phases[cluster.urn], own.display[cluster.urn]
        where = {"urn": cluster.urn, "cluster": name}
        if cluster.urn in with_inter:
            continue  # our PKI: judged by one_root
        if CLUSTER_PHASE not in phases:  # the mesh's CA, if any, is in the cluster phase
            if any(n.type in t.TLS_CERTS for n in own.nodes):
                out.append(unverifiable(c, "the mesh CA of this cluster", why="no pki-"
                                        "intermediate here, and the mesh's CA is in the "
                                        "cluster-phase stack", **where))
            else:
                out.append(fail(c, "no pki-intermediate for this cluster", **where))
            continue
        cas = [n for n in own.owned(cluster.urn) if is_mesh_ca(n)]
        if not cas:
            out.append(fail(c, "no pki-intermediate and no mesh CA for this cluster (Istio's "
                            f"{MESH_ROOT_NAMESPACE}/cacerts Secret, or istio-csr and its "
                            "cert-manager CA issuer): istiod would sign with a self-signed root "
                            "of its own, shared with no other cluster", **where))
            continue
        resolver = MeshCaResolver(own.owned(cluster.urn), own.nodes, own.by_urn)
        for ca in cas:
            chain = resolver.resolve(ca)
            out += [fail(c, f"{chain.what}: {problem}", **where) for problem in chain.problems]
            if chain.unknown and chain.from_stack_reference:
                # Our two phases: the cluster phase takes the PKI's material from the cloud
                # phase's outputs. With that phase in view its pki-intermediate is missing;
                # without it, the cell is deferred to it (stack/posture.py, phase-elsewhere).
                if CLOUD_PHASE in phases:
                    out.append(fail(c, f"no pki-intermediate for this cluster: {chain.what} "
                                    "takes its CA material from another stack's outputs, and "
                                    "no pki-intermediate for this cluster is in view", **where))
            elif chain.unknown:
                out.append(unverifiable(c, f"{chain.what}: {chain.unknown}", why=chain.why,
                                        **where))
            elif chain.root is not None and not chain.problems:  # a broken chain fails above
                entry = shared.setdefault(chain.root.key, (chain.root.label, []))
                if name not in entry[1]:
                    entry[1].append(name)
            if chain.signer and signers.setdefault(chain.signer, name) != name:
                out.append(fail(c, f"{chain.what} signs with the same CA as cluster "
                                f"{signers[chain.signer]}: each cluster needs its own "
                                "intermediate, or one cluster can mint the other's identities",
                                **where))
    if len(shared) > 1:
        top = max(len(names) for _, names in shared.values())
        majority = [k for k, (_, names) in shared.items() if len(names) == top]
        summary = "; ".join(f"{', '.join(sorted(names))} -> {label}"
                            for label, names in shared.values())
        for key, (label, names) in shared.items():
            if len(majority) == 1 and key == majority[0]:
                continue
            for name in names:
                urn = next(u for u, d in own.display.items() if d == name)
                out.append(fail(c, f"the mesh's CA chains to {label}, not to one root shared by "
                                f"every cluster ({summary})", urn=urn, cluster=name))
    return out


def namespaces_default_deny(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Every workload namespace of every cluster denies by default in both directions, judged
    by the effect of all its NetworkPolicies together (they are additive: an allow-all rule in
    any policy selecting every pod reopens that direction; a narrowed podSelector isolates only
    some pods). https://kubernetes.io/docs/concepts/services-networking/network-policies/"""
    c = "ZT-NETPOL-DEFAULT-DENY"
    own = p.ownership
    out = []
    for cluster in own.clusters:
        owned = own.owned(cluster.urn)
        by_namespace: dict[str, list] = {}
        for n in owned:
            if n.type == t.K8S_NETPOL:
                ns = lookup(n.props, "metadata.namespace")
                # The provider puts an object without a namespace in "default".
                by_namespace.setdefault(ns if isinstance(ns, str) else "default", []).append(n)
        for ns in owned:
            if not workload_namespace(ns, cfg):
                continue
            name, where = k8s_name(ns), {"urn": ns.urn, "cluster": own.display[cluster.urn]}
            policies = by_namespace.get(name, [])
            if any(contains_unknown(lookup(n.props, "spec")) for n in policies):
                out.append(unverifiable(c, f"NetworkPolicies of workload namespace {name!r}",
                                        **where))
                continue
            problems = namespace_isolation(policies)
            if problems:
                out.append(fail(c, f"workload namespace {name!r} is not denied by default: "
                                + "; ".join(problems), **where))
    return out


SECONDS_PER_DAY = 86400
# A problem of a ledger store: (the value it rests on is unknown at preview, what is wrong).
Problem = tuple[bool, str]


def _shorter(found: Any, want: int | None, what: str) -> list[Problem]:
    """`found` days of `what` against the posture's `want` days."""
    if is_unknown(found):
        return [(True, what)]
    if not isinstance(found, int | float) or isinstance(found, bool) or found < 1:
        return [(False, f"{what} is {found!r}, not a positive number of days")]
    if want is not None and found < want:
        return [(False, (f"{what} is {found:g} days, shorter than the posture's {want} "
                        "(posture.ledger.retentionDays)"))]
    return []


def _s3_worm(kids: list, want: int | None) -> list[Problem]:
    """Object Lock on every bucket (a boolean the provider also takes as "true") and a
    COMPLIANCE default retention of at least `want` days (Days, or Years counted as 365 days:
    stack/audit_chain.py lock_retention_problems)."""
    buckets = [n for n in kids if n.type in (t.S3_BUCKET, t.S3_BUCKET_V2)]
    locks = [n for n in kids if n.type in (t.S3_OBJECT_LOCK, t.S3_OBJECT_LOCK_V2)]
    out: list[Problem] = []
    if not buckets or any(as_bool(lookup(b.props, "objectLockEnabled")) is not True
                          for b in buckets):
        out.append((False, "bucket without Object Lock"))
    if not locks or any(lookup(x.props, "rule.defaultRetention.mode") != "COMPLIANCE"
                        for x in locks):
        out.append((False, ("entries are not locked in COMPLIANCE mode, so they could be "
                           "deleted or rewritten")))
    for lock in locks:
        out += [(p.kind == chain.UNKNOWN, p.text) for p in chain.lock_retention_problems(
            lock, want, "posture.ledger.retentionDays")]
    return out


def _azure_worm(kids: list, want: int | None) -> list[Problem]:
    accounts = [n for n in kids if n.type == t.STORAGE_ACCOUNT]
    out: list[Problem] = []
    if not accounts:
        return [(False, "no storage account")]
    if not any(n.type == t.BLOB_CONTAINER for n in kids):
        out.append((False, "no blob container"))
    for account in accounts:
        worm = "immutableStorageWithVersioning"
        if as_bool(lookup(account.props, f"{worm}.enabled")) is not True:
            out.append((False, "storage account without version-level immutability"))
            continue
        state = lookup(account.props, f"{worm}.immutabilityPolicy.state")
        # Unlocked, with a lock resource of the store locking it in the same deployment.
        locked = chain.lock_holds(account, kids, want, "posture.ledger.retentionDays") \
            if isinstance(state, str) and state.casefold() == "unlocked" else None
        if is_unknown(state):
            out.append((True, "immutability policy state"))
        elif locked is not None:
            out += [(p.kind == chain.UNKNOWN, p.text) for p in locked]
        elif not (isinstance(state, str) and state.casefold() == "locked"):  # ARM: any case
            out.append((False, (
                f"immutability policy is {'unset' if state is MISSING else state}, not Locked: "
                "until it is locked an account owner can shorten or disable it (ARM creates "
                "it Unlocked; add the store's AccountImmutabilityLock, which locks it in the "
                "same deployment)")))
        out += _shorter(lookup(account.props,
                               f"{worm}.immutabilityPolicy.immutabilityPeriodSinceCreationInDays"),
                        want, "immutability period")
    return out


def _gcs_worm(kids: list, want: int | None) -> list[Problem]:
    buckets = [n for n in kids if n.type == t.GCS_BUCKET]
    out: list[Problem] = []
    if not buckets:
        return [(False, "no Cloud Storage bucket")]
    for bucket in buckets:
        locked = lookup(bucket.props, "retentionPolicy.isLocked")
        if is_unknown(locked):
            out.append((True, "retentionPolicy.isLocked"))
        elif as_bool(locked) is not True:
            out.append((False, ("retention policy is not locked, so it can be shortened or "
                               "removed and the entries deleted")))
        period = lookup(bucket.props, "retentionPolicy.retentionPeriod")
        try:  # seconds, as a string (pulumi-gcp 10 BucketRetentionPolicyArgs)
            days: Any = int(period) / SECONDS_PER_DAY if not is_unknown(period) else period
        except (TypeError, ValueError):
            days = period
        out += _shorter(days, want, "retention period")
    return out


WORM_CHECKS = {"aws": _s3_worm, "azure": _azure_worm, "gcp": _gcs_worm}


def ledger_worm(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """A change-ledger store in the stack is WORM for at least the posture's retention: S3
    Object Lock COMPLIANCE, a Locked Azure immutability policy, a locked GCS retention policy."""
    c = "ZT-CHANGE-LEDGER"
    own = p.ownership
    out = []
    for store in (n for n in own.nodes if n.type in t.LEDGER_STORES):
        kids = [n for n in own.nodes if n.parent == store.urn]
        want = lookup(store.props, "retentionDays")  # Pulumi sends numbers as doubles
        if isinstance(want, float) and want.is_integer():
            want = int(want)
        if not isinstance(want, int) or isinstance(want, bool) or want < 1:
            out.append(fail(c, f"ledger store {store.name}: declares no retentionDays (the "
                               "posture's retention), so its lock cannot be checked against it",
                            urn=store.urn))
            want = None
        for unknown, problem in WORM_CHECKS[t.LEDGER_STORES[store.type]](kids, want):
            out.append(unverifiable(c, f"ledger store {store.name}: {problem}", urn=store.urn)
                       if unknown else fail(c, f"ledger store {store.name}: {problem}",
                                            urn=store.urn))
    return out


def ledger_in_stack(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Say (advisory) when the ledger's store is not part of the stack the pack can see."""
    own = p.ownership
    if any(n.type in t.LEDGER_STORES for n in own.nodes) or not any(
            CLOUD_PHASE in own.phases[c.urn] for c in own.clusters):
        return []  # the ledger store belongs to the cloud phase
    return [unverifiable("ZT-CHANGE-LEDGER", "the change ledger",
                         why="its WORM store (a ztc:ledger store component) is not in this "
                             "stack; check the ledger with `ztc ledger verify`")]


def secrets_key_in_stack(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Say (advisory) when the key a cluster encrypts Secrets with is not in the stack (brought
    from outside the program): its rotation cannot be judged, so the cell is "not verifiable"
    and this says why, instead of a silent pass."""
    c = "ZT-SECRETS-KMS"
    return [unverifiable(c, f"the {cell.cloud} cluster's Secrets encryption key",
                         why=f"{' and '.join(cell.unproven)} is not in this stack; check its "
                             "rotation with the key's owner, or declare the key in the program",
                         urn=cell.cluster_urn, cluster=cell.cluster)
            for (_urn, control), cell in p.cells.items()
            if control == c and cell.unproven and not cell.missing]


def phase_elsewhere(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Say (advisory) which controls of a cluster this stack leaves to its other phase's stack.

    The cloud phase (cloud APIs only) and the cluster phase (in-cluster objects, applied from the
    deployer network) are separate stacks; each proves its own half, and `ztc preview` proves
    both together. A stack that holds neither half of a control is not silently passed: its
    matrix cells are "not verifiable" and this says where the rest is checked."""
    out = []
    for cluster in p.ownership.clusters:
        deferred: dict[str, list[str]] = {}
        for control in CONTROL_IDS:
            for phase in p.cell(cluster.urn, control).deferred:
                deferred.setdefault(phase, []).append(control)
        for phase, controls in sorted(deferred.items()):
            out.append(Finding(
                controls[0], Status.UNVERIFIABLE,
                f"the {phase} phase of this cluster is not in this stack; its evidence for "
                f"{', '.join(controls)} is checked when that phase's stack is previewed "
                "(`ztc preview` checks both phases together)",
                urn=cluster.urn, cluster=p.ownership.display[cluster.urn]))
    return out


def no_world_to_clusters(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """The SG / NSG / firewall rules of a cluster do not admit the Internet, alone or together:
    every inbound source of every rule the cluster owns is judged as one set (256 rules of one
    /8 each are the Internet too)."""
    own = p.ownership
    out = []
    for cluster in own.clusters:
        entry = clouds.find(own.cloud[cluster.urn])
        if entry is None:
            continue
        sources = [x for n in own.owned(cluster.urn) for x in entry.ingress_sources(n.type, n.props)]
        world = world_sources(sources)
        if world:
            shown = ", ".join(world[:6]) + (f" and {len(world) - 6} more" if len(world) > 6 else "")
            out.append(fail("ZT-NET-SEGMENT", f"the cluster's firewalling rules together admit the "
                            f"Internet from {shown}", urn=cluster.urn,
                            cluster=own.display[cluster.urn]))
    return out


# --- the mesh (ZT-MTLS-SHARED-ROOT on traffic) ------------------------------------------------
_MESH = "ZT-MTLS-SHARED-ROOT"
INJECTION_LABEL = "istio-injection"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
# The mesh's control plane DNS subtree an intermediate must permit (zero_trust_clusters/components/pki/authority.py).
MESH_CONTROL_PLANE_DNS = "istio-system.svc"


def _namespace_of(n) -> object:
    return lookup(n.props, "metadata.namespace")


def _allow_nothing(n) -> bool:
    """An ALLOW AuthorizationPolicy for every workload of its namespace that matches nothing."""
    sources = allow_sources(n.props)
    spec = lookup(n.props, "spec")
    return (sources == [] and lookup(n.props, "spec.selector") is MISSING
            and not (isinstance(spec, dict) and spec.get("rules")))


def _in_mesh(labels: object) -> bool:
    labels = labels if isinstance(labels, dict) else {}
    return labels.get(INJECTION_LABEL) == "enabled" or (
        INJECTION_LABEL not in labels and bool(labels.get("istio.io/rev")))


# A namespace of sandboxed pods, outside the mesh by declaration (zero_trust_clusters/components/kubernetes/mesh.py):
# never injected, and bound by the admission policy that admits only sandboxed pods there.
SANDBOXED_LABEL = "ztc.io/sandboxed"
_KUBE_DNS = {"k8s-app": "kube-dns"}


def _sandboxed(labels: object) -> bool:
    labels = labels if isinstance(labels, dict) else {}
    return labels.get(SANDBOXED_LABEL) == "true" and labels.get(INJECTION_LABEL) == "disabled"


def _peer_namespace(peer: object) -> str | None:
    labels = (peer.get("namespaceSelector") or {}).get("matchLabels") \
        if isinstance(peer, dict) else None
    name = labels.get(NAMESPACE_NAME_LABEL) if isinstance(labels, dict) else None
    return name if isinstance(name, str) else None


def _peer_pods(peer: object) -> dict:
    labels = (peer.get("podSelector") or {}).get("matchLabels") if isinstance(peer, dict) else None
    return labels if isinstance(labels, dict) else {}


def _caller(peer: object) -> str | None:
    """Who a NetworkPolicy ingress peer declares as a caller, keyed as `_caller_of` keys a
    principal: a namespace by name, a sandbox gateway as `istio-system/<gateway>`. The
    east-west gateway is no caller (it passes other clusters' callers' mTLS through)."""
    namespace = _peer_namespace(peer)
    gateway = _peer_pods(peer).get(GATEWAY_LABEL)
    if namespace == MESH_ROOT_NAMESPACE and isinstance(gateway, str):
        return None if gateway == EAST_WEST_GATEWAY else f"{namespace}/{gateway}"
    return namespace


def _caller_of(match) -> str:
    """The caller key of a matched principal (see `_caller`)."""
    if match["ns"] == MESH_ROOT_NAMESPACE:
        return f"{match['ns']}/{match['sa']}"
    return match["ns"]


def _declared_sources(netpols, namespace: str) -> set[str]:
    """Callers a workload namespace's NetworkPolicies admit by name (the declared graph)."""
    out: set[str] = set()
    for n in netpols:
        if _namespace_of(n) != namespace:
            continue
        for rule_ in as_list(lookup(n.props, "spec.ingress")):
            for peer in as_list(rule_.get("from") if isinstance(rule_, dict) else None):
                caller = _caller(peer)
                if caller:
                    out.add(caller)
    return out


def _principals(n) -> list[str]:
    return [p for source in allow_sources(n.props) or []
            for p in as_list(source.get("principals")) if isinstance(p, str)]


def _injected(values: object) -> bool:
    """A gateway release whose pods keep the chart's injection (podAnnotations
    `sidecar.istio.io/inject: "true"`, the default): not turned off by the values."""
    annotations = values.get("podAnnotations") if isinstance(values, dict) else None
    if annotations is None:
        return True
    return isinstance(annotations, dict) and str(
        annotations.get("sidecar.istio.io/inject", "true")).lower() == "true"


def _sandbox_path_problems(ns_name: str, owned, netpols) -> list[str]:
    """A sandboxed namespace's only way out is DNS and its own meshed sandbox gateway, which
    only that namespace reaches; from there on, traffic is mTLS under the mesh-wide STRICT."""
    gateway = f"{SANDBOX_GATEWAY_PREFIX}{ns_name}"
    problems = []
    for n in netpols:
        if _namespace_of(n) != ns_name:
            continue
        for rule_ in as_list(lookup(n.props, "spec.egress")):
            peers = as_list(rule_.get("to")) if isinstance(rule_, dict) else []
            if not peers:
                problems.append(f"NetworkPolicy {ns_name}/{k8s_name(n)} allows egress to "
                                "anywhere; a sandboxed namespace may send only to DNS and its "
                                f"sandbox gateway {gateway}")
            for peer in peers:
                namespace, pods = _peer_namespace(peer), _peer_pods(peer)
                if (namespace == "kube-system" and pods == _KUBE_DNS) or (
                        namespace == MESH_ROOT_NAMESPACE and pods == {GATEWAY_LABEL: gateway}):
                    continue
                problems.append(f"NetworkPolicy {ns_name}/{k8s_name(n)} allows egress to "
                                f"{peer!r}, past the sandbox gateway {gateway}: plaintext "
                                "could reach a meshed pod or leave unauthenticated")
    if not _admission_refuses(owned, {SANDBOXED_LABEL: "true"},
                              (f"runtimeClassName == '{SANDBOX_RUNTIME_CLASS}'",)):
        problems.append("no admission policy bound (Deny) to sandboxed namespaces refuses pods "
                        f"that are not of RuntimeClass {SANDBOX_RUNTIME_CLASS!r}: an unsandboxed "
                        "pod there would be outside the mesh without the sandbox's isolation")
    releases = [n for n in owned if n.type == t.K8S_HELM_RELEASE and lookup(n.props, "name") == gateway]
    if not any(lookup(r.props, "chart") == "gateway"
               and lookup(r.props, "namespace") == MESH_ROOT_NAMESPACE
               and _injected(lookup(r.props, "values")) for r in releases):
        problems.append(f"no meshed sandbox gateway: a Helm release {gateway} of Istio's gateway "
                        f"chart in {MESH_ROOT_NAMESPACE}, injected")
    admits = [n for n in netpols if _namespace_of(n) == MESH_ROOT_NAMESPACE
              and lookup(n.props, "spec.podSelector.matchLabels") == {GATEWAY_LABEL: gateway}]
    for n in admits:
        for rule_ in as_list(lookup(n.props, "spec.ingress")):
            peers = as_list(rule_.get("from")) if isinstance(rule_, dict) else []
            if not peers or any(_peer_namespace(p) != ns_name or _peer_pods(p) for p in peers):
                problems.append(f"NetworkPolicy {MESH_ROOT_NAMESPACE}/{k8s_name(n)} lets more "
                                f"than namespace {ns_name!r} reach its sandbox gateway, whose "
                                "listener takes plaintext")
    return problems


# Where a program that did not use our PKI states a cluster's trust domain: istiod's
# meshConfig.trustDomain (https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/
# #MeshConfig; charts.istio_releases sets it) and istio-csr's app.tls.trustDomain (chart values).
TRUST_DOMAIN_VALUES = {"istiod": "meshConfig.trustDomain",
                       ISTIO_CSR_CHART: "app.tls.trustDomain"}


def estate_trust_domains(own) -> set[str]:
    """Every cluster trust domain the stack names: identity ConfigMaps, intermediates, and the
    istiod / istio-csr releases' values."""
    domains: set[str] = set()
    for n in own.nodes:
        data = cluster_identity(n)
        if data and data.get("trustDomain"):
            domains.add(data["trustDomain"])
        if pki_kind(n) == INTERMEDIATE and isinstance(lookup(n.props, "trustDomain"), str):
            domains.add(lookup(n.props, "trustDomain"))
        path = TRUST_DOMAIN_VALUES.get(str(chart_name(n))) if n.type == t.HELM_RELEASE else None
        value = lookup(lookup(n.props, "values"), path) if path else None
        if isinstance(value, str) and value and not is_unknown(value):
            domains.add(value)
    return domains


def mesh_enforced(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Every workload namespace in the mesh, STRICT, deny by default; an ALLOW by principal for
    exactly the edges the NetworkPolicies declare, from trust domains of the estate only; and
    intermediates whose name constraints the mesh's proxies can enforce."""
    own = p.ownership
    domains = estate_trust_domains(own)
    # Which namespaces are workloads': the same default list the namespace controls use.
    cfg = {"systemNamespaces": SYSTEM_NAMESPACES, **cfg}
    out: list[Finding] = []
    for cluster in own.clusters:
        if CLUSTER_PHASE not in own.phases[cluster.urn]:
            continue  # the mesh is in-cluster: checked in the cluster-phase stack
        name = own.display[cluster.urn]
        owned = own.owned(cluster.urn)
        policies = [n for n in owned if n.type in t.AUTHORIZATION_POLICY_TYPES]
        netpols = [n for n in owned if n.type == t.K8S_NETPOL]
        meshed = any(mesh_wide_strict(n, cfg) for n in owned)
        if not meshed:
            out.append(fail(_MESH, f"no mesh-wide STRICT PeerAuthentication in "
                            f"{MESH_ROOT_NAMESPACE}: workloads accept plaintext from anyone "
                            "NetworkPolicy lets through (turn on posture.mesh)",
                            urn=cluster.urn, cluster=name))
            continue
        denied_mesh_wide = any(_allow_nothing(n) and _namespace_of(n) == MESH_ROOT_NAMESPACE
                               for n in policies)
        for ns in (n for n in owned if workload_namespace(n, cfg)):
            ns_name, where = k8s_name(ns), {"urn": ns.urn, "cluster": name}
            labels = lookup(ns.props, "metadata.labels")
            if _sandboxed(labels):
                for problem in _sandbox_path_problems(ns_name, owned, netpols):
                    out.append(fail(_MESH, f"sandboxed namespace {ns_name!r}: {problem}",
                                    **where))
            elif not _in_mesh(labels):
                out.append(fail(_MESH, f"workload namespace {ns_name!r} is not in the mesh; "
                                f"label it {INJECTION_LABEL}=enabled", **where))
            mine = [n for n in policies if _namespace_of(n) == ns_name]
            if not denied_mesh_wide and not any(_allow_nothing(n) for n in mine):
                out.append(fail(_MESH, f"workload namespace {ns_name!r} is not deny-by-default: "
                                "no allow-nothing AuthorizationPolicy here or in "
                                f"{MESH_ROOT_NAMESPACE}", **where))
            declared = _declared_sources(netpols, ns_name)
            allowed = {_caller_of(m) for n in mine for m in map(PRINCIPAL.match, _principals(n))
                       if m}
            for source in sorted(declared - allowed):
                out.append(fail(_MESH, f"declared edge {source} -> {ns_name} has no "
                                "AuthorizationPolicy naming its principals: the mesh refuses "
                                "what the NetworkPolicies allow", **where))
            for source in sorted(allowed - declared):
                out.append(fail(_MESH, f"an AuthorizationPolicy in {ns_name!r} admits callers "
                                f"from {source!r}, which no NetworkPolicy of {ns_name!r} "
                                "declares: broader than the declared graph", **where))
        for n in policies:
            for principal in _principals(n):
                match = PRINCIPAL.match(principal)
                if match and domains and match["td"] not in domains:
                    out.append(fail(_MESH, f"AuthorizationPolicy {_namespace_of(n)}/"
                                    f"{k8s_name(n)} names trust domain {match['td']!r}, which "
                                    f"is no cluster of this estate ({', '.join(sorted(domains))})",
                                    urn=n.urn, cluster=name))
        for inter in (n for n in owned if pki_kind(n) == INTERMEDIATE):
            uri = lookup(inter.props, "uriNameConstraint")
            dns = as_list(lookup(inter.props, "permittedDnsNames"))
            if uri is not True:
                out.append(fail(_MESH, f"intermediate {inter.name} has no URI name constraint: "
                                "the mesh's proxies confine it to its trust domain only through "
                                "one (set posture.pki.uriNameConstraints true)",
                                urn=inter.urn, cluster=name))
            if MESH_CONTROL_PLANE_DNS not in dns:
                out.append(fail(_MESH, f"intermediate {inter.name} does not permit "
                                f"{MESH_CONTROL_PLANE_DNS} names: proxies and the API server "
                                "would refuse istiod's serving certificate", urn=inter.urn,
                                cluster=name))
    return out


MEMBERSHIP_DENY = "Deny"


def _admission_refuses(owned, selector: dict, needles: tuple[str, ...]) -> bool:
    """A ValidatingAdmissionPolicy bound with Deny (failing closed) to the namespaces labelled
    `selector` whose CEL validations name every one of `needles` (what it checks is read from
    the expressions' text; their evaluation is tested with the baseline's own policies)."""
    policies = {k8s_name(n): n for n in owned if n.type == t.K8S_VAP}
    for binding in (n for n in owned if n.type == t.K8S_VAP_BINDING):
        labels = lookup(binding.props, "spec.matchResources.namespaceSelector.matchLabels")
        policy = policies.get(lookup(binding.props, "spec.policyName"))
        if (policy is None or labels != selector
                or MEMBERSHIP_DENY not in as_list(lookup(binding.props,
                                                         "spec.validationActions"))
                or lookup(policy.props, "spec.failurePolicy") not in (MISSING, "Fail")):
            continue
        expressions = " ".join(str(v.get("expression")) for v in as_list(
            lookup(policy.props, "spec.validations")) if isinstance(v, dict))
        if all(needle in expressions for needle in needles):
            return True
    return False


def _meshed_namespaces_refuse_sandboxed_pods(owned) -> bool:
    """An admission policy bound (Deny) to the meshed namespaces (`istio-injection: enabled`)
    that refuses pods of RuntimeClass `sandboxed` and pods opting out of injection: then every
    sandboxed pod is in a sandboxed namespace, whose path `mesh_enforced` checks."""
    return _admission_refuses(owned, {INJECTION_LABEL: "enabled"}, (
        f"runtimeClassName == '{SANDBOX_RUNTIME_CLASS}'", "sidecar.istio.io/inject"))


def sandbox_outside_mesh(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Say (advisory) on a meshed cluster where sandboxed pods could run outside the mesh
    unchecked: nothing keeps them out of meshed namespaces (where they could opt out of
    injection and be reached in plaintext). With the membership admission policy, sandboxed
    pods run only in sandboxed namespaces, judged by ZT-MTLS-SHARED-ROOT-mesh-enforced."""
    own = p.ownership
    out = []
    for cluster in own.clusters:
        owned = own.owned(cluster.urn)
        classes = [n for n in owned if n.type == t.K8S_RUNTIME_CLASS
                   and k8s_name(n) == SANDBOX_RUNTIME_CLASS]
        if not classes or not any(mesh_wide_strict(n, cfg) for n in owned):
            continue
        if _meshed_namespaces_refuse_sandboxed_pods(owned):
            continue
        # Not verifiable rather than failed: the mesh holds for every other workload, and this
        # is a documented limit of the sandboxes (zero_trust_clusters/components/kubernetes/mesh.py), not a defect.
        out.append(unverifiable(
            _MESH, f"mTLS for pods of RuntimeClass {SANDBOX_RUNTIME_CLASS!r}",
            why="they cannot run the mesh sidecar: the sandbox's network stack bypasses "
                "istio-cni redirection, and in-sandbox redirection needs NET_ADMIN, which PSA "
                "restricted refuses; no admission policy bound to the meshed namespaces "
                "refuses them there (or their sidecar.istio.io/inject=false opt-out), so they "
                "may run outside the mesh, reached under NetworkPolicy only; run them in "
                "sandboxed namespaces behind a sandbox gateway",
            urn=classes[0].urn, cluster=own.display[cluster.urn]))
    return out


# --- the audit chain (ZT-AUDIT-IMMUTABLE), judged link by link against the posture ------------
DEFAULT_AUDIT_DAYS = 90


def _audit_problems(p: Posture, cfg: Mapping[str, Any]
                    ) -> list[tuple[Any, str, chain.Problem]]:
    own = p.ownership
    want = cfg.get("minRetentionDays")
    want = int(want) if isinstance(want, int | float) and not isinstance(want, bool) \
        else DEFAULT_AUDIT_DAYS
    out = []
    for cluster in own.clusters:
        check = chain.CHAINS.get(cluster.type)
        if check is None or CLOUD_PHASE not in own.phases[cluster.urn]:
            continue  # audit is a cloud-phase control; unknown clouds have no chain to follow
        out.extend((cluster, own.display[cluster.urn], problem)
                   for problem in check(cluster, own.nodes, want))
    return out


def audit_chain(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Every cluster's audit source reaches a locked sink, every link present and every
    retention at least the posture's (stack/audit_chain.py)."""
    c = "ZT-AUDIT-IMMUTABLE"
    out = []
    for cluster, name, problem in _audit_problems(p, cfg):
        where = {"urn": cluster.urn, "cluster": name}
        if problem.kind == chain.FAIL:
            out.append(fail(c, f"audit chain broken: {problem.text}", **where))
        elif problem.kind == chain.UNKNOWN:
            out.append(unverifiable(c, f"audit chain: {problem.text}", **where))
    return out


def audit_lock_pending(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Say (advisory) that an Azure immutability policy is Unlocked with no lock resource of
    this stack locking it (ARM creates it Unlocked): the cell is not verifiable, never passed.
    Our components lock it in the same deployment (AccountImmutabilityLock), so they never
    reach this; a hand-written program that locks it some other way does."""
    return [unverifiable("ZT-AUDIT-IMMUTABLE", f"audit chain: {problem.text}",
                         why="nothing in this stack locks it",
                         urn=cluster.urn, cluster=name)
            for cluster, name, problem in _audit_problems(p, cfg) if problem.kind == chain.PENDING]


# --- RBAC: cloud settings that re-enable bindings to everyone (ZT-IAM-ONLY) -------------------
# GKE refuses bindings to system:anonymous / system:unauthenticated / system:authenticated only
# when rbacBindingConfig sets both flags false (pulumi-gcp ClusterRbacBindingConfigArgs; GKE
# https://cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster
# #restrict-insecure-bindings). GKE's default when unset is not documented in the API reference:
# unset is refused (fail closed). EKS and AKS have no such setting; the bindings themselves are
# judged on every cloud (rules/kubernetes.py no_anonymous_bindings).
INSECURE_BINDING_FLAGS = ("enableInsecureBindingSystemUnauthenticated",
                          "enableInsecureBindingSystemAuthenticated")


def insecure_binding_settings(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    c = "ZT-IAM-ONLY"
    own = p.ownership
    out = []
    for cluster in own.clusters:
        if cluster.type != t.GKE_CLUSTER:
            continue
        where = {"urn": cluster.urn, "cluster": own.display[cluster.urn]}
        for flag in INSECURE_BINDING_FLAGS:
            value = lookup(cluster.props, f"rbacBindingConfig.{flag}")
            if is_unknown(value):
                out.append(unverifiable(c, f"rbacBindingConfig.{flag}", **where))
            elif as_bool(value) is not False:
                out.append(fail(c, f"rbacBindingConfig.{flag} is "
                                f"{'unset' if value is MISSING else repr(value)}: the cluster "
                                "accepts RBAC bindings that grant roles to every (un)authenticated "
                                "caller; set it to false", **where))
    return out


# --- admission by effect (ZT-IMAGE-PROVENANCE) -------------------------------------------------
POLICY_CONTROLLER_CHART = "policy-controller"
# The chart's default webhook namespaceSelector: only namespaces that opt in are checked
# (https://docs.sigstore.dev/policy-controller/overview/, chart values.yaml
# webhook.namespaceSelector, vendored in zero_trust_clusters/engine/schema/data/charts/policy-controller).
SIGSTORE_NAMESPACE_SELECTOR = {"matchExpressions": [
    {"key": "policy.sigstore.dev/include", "operator": "In", "values": ["true"]}]}
# What the webhook does with an image no ClusterImagePolicy matches: configData
# `no-match-policy` (deny | warn | allow); unset, the image is rejected (chart README,
# https://github.com/sigstore/helm-charts/tree/main/charts/policy-controller: "By default, any
# image that does not match a policy is rejected whenever no-match-policy is not configured").
NO_MATCH_KEY = "no-match-policy"


def admission_effect(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """The image admission a cluster really enforces: the Sigstore policy-controller checks every
    workload namespace and denies unmatched images; Gatekeeper constraints consulting Ratify
    deny unverified images in every workload namespace (stack/gatekeeper.py); a GKE Binary
    Authorization policy blocks unattested images by default, for this cluster, with no
    registry-wide exemption."""
    own = p.ownership
    ns_cfg = {"systemNamespaces": SYSTEM_NAMESPACES, **cfg}
    out = []
    for cluster in own.clusters:
        name = own.display[cluster.urn]
        owned = own.owned(cluster.urn)
        where = {"urn": cluster.urn, "cluster": name}
        images = [n for n in owned if n.type.endswith(":ClusterImagePolicy")]
        if images and CLUSTER_PHASE in own.phases[cluster.urn]:
            out += _policy_controller(owned, ns_cfg, where)
        out += _vap_bindings(owned, ns_cfg, where)
        out += gatekeeper.judge(owned, [n for n in owned if workload_namespace(n, ns_cfg)],
                                _namespace_labels, where)
        if cluster.type == t.GKE_CLUSTER:
            out += _binauthz(cluster, own.nodes, own.display[cluster.urn], where)
    return out


def _policy_controller(owned: list, cfg: Mapping[str, Any], where: dict) -> list[Finding]:
    c = "ZT-IMAGE-PROVENANCE"
    releases = releases_of(owned, POLICY_CONTROLLER_CHART)
    if not releases:
        return [unverifiable(c, "the policy-controller's no-match policy and namespace selector",
                             why="its Helm release is not in this stack", **where)]
    out = []
    for rel in releases:
        values = lookup(rel.props, "values")
        if contains_unknown(values):
            out.append(unverifiable(c, f"Helm release {rel.name} values", **where))
            continue
        policy = lookup(values, f"webhook.configData.{NO_MATCH_KEY}")
        if policy not in (MISSING, "deny"):
            out.append(fail(c, f"policy-controller webhook.configData.{NO_MATCH_KEY} is "
                            f"{policy!r}, not deny (the value that rejects an image no "
                            "ClusterImagePolicy matches); set it to deny or leave it unset",
                            **where))
        selector = lookup(values, "webhook.namespaceSelector")
        selector = SIGSTORE_NAMESPACE_SELECTOR if selector is MISSING else selector
        for ns in (n for n in owned if workload_namespace(n, cfg)):
            labels = _namespace_labels(ns)
            if contains_unknown(labels):
                out.append(unverifiable(c, f"labels of namespace {k8s_name(ns)!r}", **where))
                continue
            try:
                checked = selects(selector, labels)
            except SelectorError as error:
                out.append(fail(c, f"policy-controller webhook.namespaceSelector: {error}",
                                **where))
                break
            if not checked:
                out.append(fail(c, f"workload namespace {k8s_name(ns)!r} is outside the "
                                "policy-controller's namespaceSelector (label it "
                                "policy.sigstore.dev/include=true): its images are not checked",
                                urn=ns.urn, cluster=where["cluster"]))
    return out


def _namespace_labels(ns) -> object:
    """A namespace's labels as the API server holds them: it sets kubernetes.io/metadata.name
    to the name on every namespace (https://kubernetes.io/docs/reference/labels-annotations-
    taints/#kubernetes-io-metadata-name)."""
    labels = lookup(ns.props, "metadata.labels")
    if contains_unknown(labels):
        return labels
    return {**(labels if isinstance(labels, dict) else {}), NAMESPACE_NAME_LABEL: k8s_name(ns)}


def _vap_bindings(owned: list, cfg: Mapping[str, Any], where: dict) -> list[Finding]:
    """A denying ValidatingAdmissionPolicyBinding whose matchResources.namespaceSelector leaves
    a workload namespace out does not check it (https://kubernetes.io/docs/reference/
    access-authn-authz/validating-admission-policy/#binding; an absent selector matches all)."""
    c = "ZT-IMAGE-PROVENANCE"
    out = []
    namespaces = [n for n in owned if workload_namespace(n, cfg)]
    policies = {k8s_name(n): n for n in owned if n.type == t.K8S_VAP}
    for b in (n for n in owned if n.type == t.K8S_VAP_BINDING):
        if "Deny" not in as_list(lookup(b.props, "spec.validationActions")):
            continue  # judged by the resource rule
        policy = policies.get(lookup(b.props, "spec.policyName"))
        # Another control's admission policy (the mesh's membership rules) is not judged here;
        # a policy not in the stack is (fail closed).
        if policy is not None and not admission_policy(policy, cfg):
            continue
        selector = lookup(b.props, "spec.matchResources.namespaceSelector")
        if contains_unknown(selector):
            out.append(unverifiable(c, f"binding {k8s_name(b)} namespaceSelector", **where))
            continue
        for ns in namespaces:
            try:
                checked = selects(selector, _namespace_labels(ns))
            except SelectorError as error:
                out.append(fail(c, f"ValidatingAdmissionPolicyBinding {k8s_name(b)} "
                                f"namespaceSelector: {error}", **where))
                break
            if not checked:
                out.append(fail(c, f"ValidatingAdmissionPolicyBinding {k8s_name(b)} leaves "
                                f"workload namespace {k8s_name(ns)!r} out of its "
                                "namespaceSelector: its images are not checked", **where))
    return out


# Binary Authorization: a project without a policy resource has the default policy, which
# allows every image; ALWAYS_ALLOW and DRYRUN_AUDIT_LOG_ONLY admit unattested images
# (https://cloud.google.com/binary-authorization/docs/policy-yaml-reference).
BINAUTHZ_BLOCK = "ENFORCED_BLOCK_AND_AUDIT_LOG"


def _binauthz_rule(rule_: object, where: str) -> list[str]:
    if not isinstance(rule_, dict):
        return [f"{where} is {rule_!r}, not a rule"]
    out = []
    mode, enforce = rule_.get("evaluationMode"), rule_.get("enforcementMode")
    if mode not in ("REQUIRE_ATTESTATION", "ALWAYS_DENY"):
        out.append(f"{where}.evaluationMode is {mode!r}: unattested images are admitted")
    if mode != "ALWAYS_DENY" and enforce != BINAUTHZ_BLOCK:
        out.append(f"{where}.enforcementMode is {enforce!r}, not {BINAUTHZ_BLOCK}: violations "
                   "are only logged")
    return out


_BINAUTHZ_RULE_FIELDS = ("evaluationMode", "enforcementMode")


def _binauthz_unknown(props: dict) -> str:
    """The first field the verdict reads that is still unknown ("" if none): the modes, the
    clusters rules target and the exempt patterns. The attestors a rule names (IDs computed at
    deployment) are not read: which attestor signs is not what admits an unattested image."""
    default = lookup(props, "defaultAdmissionRule")
    rules, patterns = (lookup(props, k) for k in ("clusterAdmissionRules",
                                                  "admissionWhitelistPatterns"))
    for field, value in (("defaultAdmissionRule", default), ("clusterAdmissionRules", rules),
                         ("admissionWhitelistPatterns", patterns)):
        if is_unknown(value):
            return field
    checks = [(f"defaultAdmissionRule.{f}", lookup(default, f)) for f in _BINAUTHZ_RULE_FIELDS]
    for i, rule_ in enumerate(as_list(rules)):
        checks += [(f"clusterAdmissionRules[{i}].{f}", lookup(rule_, f))
                   for f in ("cluster", *_BINAUTHZ_RULE_FIELDS)]
    checks += [(f"admissionWhitelistPatterns[{i}]", p) for i, p in enumerate(as_list(patterns))]
    return next((field for field, value in checks if contains_unknown(value)), "")


def _binauthz(cluster, nodes: list, name: str, where: dict) -> list[Finding]:
    c = "ZT-IMAGE-PROVENANCE"
    policies = [n for n in nodes if n.type == t.BINAUTHZ_POLICY]
    if not policies:
        return [fail(c, "no Binary Authorization policy in the stack: the project's default "
                        "policy admits every image", **where)]
    out = []
    cluster_name = lookup(cluster.props, "name")
    cluster_name = cluster_name if isinstance(cluster_name, str) else cluster.name
    for pol in policies:
        unknown = _binauthz_unknown(pol.props)
        if unknown:
            out.append(unverifiable(c, f"Binary Authorization policy {pol.name} {unknown}",
                                    **where))
            continue
        problems = _binauthz_rule(lookup(pol.props, "defaultAdmissionRule"),
                                  "defaultAdmissionRule")
        for i, rule_ in enumerate(as_list(lookup(pol.props, "clusterAdmissionRules"))):
            target = rule_.get("cluster") if isinstance(rule_, dict) else None
            if isinstance(target, str) and target.rsplit(".", 1)[-1] == cluster_name:
                problems += _binauthz_rule(rule_, f"clusterAdmissionRules[{i}] ({target})")
        for i, pattern in enumerate(as_list(lookup(pol.props, "admissionWhitelistPatterns"))):
            glob = pattern.get("namePattern") if isinstance(pattern, dict) else pattern
            if broad_registry(glob) or (isinstance(glob, str) and glob.rstrip("*/") == (
                    glob.split("/", 1)[0])):
                problems.append(f"admissionWhitelistPatterns[{i}] {glob!r} exempts a whole "
                                "registry (or every registry) from attestation")
        out += [fail(c, f"Binary Authorization policy {pol.name}: {x}", **where)
                for x in problems]
    return out


# --- the sandbox RuntimeClass lands on sandbox pools (ZT-SANDBOX) ------------------------------
# GKE Sandbox nodes carry the label and taint sandbox.gke.io/runtime=gvisor
# (https://cloud.google.com/kubernetes-engine/docs/how-to/sandbox-pods); GKE and AKS label each
# node with its pool name (cloud.google.com/gke-nodepool, kubernetes.azure.com/agentpool).
GKE_SANDBOX_LABEL = {"sandbox.gke.io/runtime": "gvisor"}
GKE_SANDBOX_TAINT = ("sandbox.gke.io/runtime", "gvisor", "NoSchedule")
TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute",
                 "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
_NODE_LABELS_FLAG = re.compile(r"--node-labels=([^\s\"']+)")


@dataclass(frozen=True)
class Pool:
    name: str
    labels: dict
    taints: list  # (key, value, effect)
    sandbox: bool
    unknown: bool = False  # labels or taints still unknown at preview


def _mapping(value: object) -> dict:
    """A label map as given; anything else (unknown, wrong shape) is no labels: the caller
    marks the pool unknown, so a mismatch is "not verifiable", never a pass."""
    return value if isinstance(value, dict) else {}


def _taints(values: object) -> list:
    return [(x.get("key"), x.get("value"), TAINT_EFFECTS.get(x.get("effect"), x.get("effect")))
            for x in as_list(values) if isinstance(x, dict)]


def _user_data_labels(n, nodes_by_urn: Mapping[str, Any]) -> dict:
    """Labels an EKS node sets itself: kubelet --node-labels in its launch template's user data
    (zero_trust_clusters/components/aws/userdata.py sets the sandbox label once gVisor is verified)."""
    labels: dict = {}
    for dep in n.deps:
        lt = nodes_by_urn.get(dep)
        data = lookup(lt.props, "userData") if lt is not None and lt.type == t.LAUNCH_TEMPLATE \
            else None
        if not isinstance(data, str) or is_unknown(data):
            continue
        try:
            text = base64.b64decode(data, validate=True).decode("utf-8", "replace")
        except (ValueError, binascii.Error):
            text = data
        for flag in _NODE_LABELS_FLAG.findall(text):
            for pair in flag.split(","):
                key, _, value = pair.partition("=")
                labels[key] = value
    return labels


def _pools(cluster, owned: list, nodes_by_urn: Mapping[str, Any], cfg) -> list[Pool]:
    entry = clouds.find(p_cloud(cluster))
    sandbox = (lambda n: entry.sandbox_pool(n, cfg)) if entry else (lambda n: False)
    out = []
    for n in owned:
        if n.type == t.EKS_NODE_GROUP:
            labels, taints = lookup(n.props, "labels"), lookup(n.props, "taints")
            out.append(Pool(n.name, {**_mapping(labels), **_user_data_labels(n, nodes_by_urn)},
                            _taints(taints), sandbox(n),
                            contains_unknown(labels) or contains_unknown(taints)))
        elif n.type == t.GKE_NODE_POOL:
            labels, taints = lookup(n.props, "nodeConfig.labels"), \
                lookup(n.props, "nodeConfig.taints")
            pool_name = lookup(n.props, "name")
            merged = {**_mapping(labels), "cloud.google.com/gke-nodepool":
                      pool_name if isinstance(pool_name, str) else n.name}
            merged_taints = _taints(taints)
            if sandbox(n):
                merged.update(GKE_SANDBOX_LABEL)
                merged_taints.append(GKE_SANDBOX_TAINT)
            out.append(Pool(n.name, merged, merged_taints, sandbox(n),
                            contains_unknown(labels) or contains_unknown(taints)))
        elif n.type == t.AKS_POOL:
            out.append(_aks_pool(n.props, lookup(n.props, "agentPoolName") or n.name,
                                 sandbox(n)))
        elif n.type == t.AKS_CLUSTER:
            for prof in as_list(lookup(n.props, "agentPoolProfiles")):
                if isinstance(prof, dict):
                    kata = str(prof.get("workloadRuntime")).casefold() == "katavmisolation"
                    out.append(_aks_pool(prof, prof.get("name") or n.name, kata))
    return out


def _aks_pool(props: Mapping[str, Any], name: str, sandbox: bool) -> Pool:
    labels = {**_mapping(props.get("nodeLabels")), "kubernetes.azure.com/agentpool": name}
    taints = []
    for text in as_list(props.get("nodeTaints")):  # "key=value:Effect"
        if isinstance(text, str):
            kv, _, effect = text.partition(":")
            key, _, value = kv.partition("=")
            taints.append((key, value, effect))
    unknown = contains_unknown(props.get("nodeLabels")) or contains_unknown(
        props.get("nodeTaints"))
    return Pool(str(name), labels, taints, sandbox, unknown)


def p_cloud(cluster) -> str:
    return clouds.cluster_types().get(cluster.type, "")


def _tolerates(tolerations: list, taint: tuple) -> bool:
    key, value, effect = taint
    for tol in tolerations:
        if not isinstance(tol, dict):
            continue
        if tol.get("effect") not in (None, "", effect):
            continue
        if tol.get("operator") == "Exists":
            if tol.get("key") in (None, "", key):
                return True
        elif tol.get("key") == key and tol.get("value") == value:
            return True
    return False


def sandbox_scheduling(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """The sandboxed RuntimeClass's scheduling.nodeSelector selects only pools that run the VM
    sandbox, at least one, whose taints its tolerations admit
    (https://kubernetes.io/docs/concepts/containers/runtime-class/#scheduling). Judged where
    the stack holds both phases of a cluster; in a one-phase stack the pools or the class are
    in the other stack, and the ZT-SANDBOX cell is already deferred ("not verifiable")."""
    c = "ZT-SANDBOX"
    own = p.ownership
    out = []
    for cluster in own.clusters:
        if own.cloud[cluster.urn] == UNKNOWN_CLOUD and CLUSTER_PHASE in own.phases[cluster.urn]:
            # No cloud named, so no cloud evidence is deferred: say what cannot be seen.
            out.append(unverifiable(c, f"the pools the RuntimeClass {SANDBOX_RUNTIME_CLASS!r} "
                                    "lands on", why="the cluster's identity ConfigMap names no "
                                    "known cloud and its pools are in no stack in view",
                                    urn=cluster.urn, cluster=own.display[cluster.urn]))
            continue
        if own.phases[cluster.urn] != {CLOUD_PHASE, CLUSTER_PHASE} or \
                cluster.type not in clouds.cluster_types():
            continue
        owned = own.owned(cluster.urn)
        name = own.display[cluster.urn]
        pools = _pools(cluster, owned, own.by_urn, cfg)
        for rc in (n for n in owned if n.type == t.K8S_RUNTIME_CLASS
                   and k8s_name(n) == SANDBOX_RUNTIME_CLASS):
            where = {"urn": rc.urn, "cluster": name}
            scheduling = lookup(rc.props, "scheduling")
            if contains_unknown(scheduling):
                out.append(unverifiable(c, f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r} scheduling",
                                        **where))
                continue
            selector = lookup(rc.props, "scheduling.nodeSelector")
            if not isinstance(selector, dict) or not selector:
                continue  # sandbox_everywhere reports a missing selector
            hits = [pl for pl in pools
                    if all(pl.labels.get(k) == v for k, v in selector.items())]
            off = [pl.name for pl in hits if not pl.sandbox]
            unsure = [pl.name for pl in pools if pl.unknown]
            if unsure and (not hits or off):
                out.append(unverifiable(c, f"the pools the RuntimeClass {SANDBOX_RUNTIME_CLASS!r}"
                                        f" lands on ({', '.join(unsure)} labels or taints)",
                                        **where))
            elif not hits:
                out.append(fail(c, f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r} nodeSelector "
                                f"{selector} matches no node pool of the cluster: sandboxed "
                                "pods cannot be scheduled", **where))
            elif off:
                out.append(fail(c, f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r} nodeSelector "
                                f"{selector} also matches {', '.join(off)}, which do not run "
                                "the VM sandbox", **where))
            else:
                tolerations = as_list(lookup(rc.props, "scheduling.tolerations"))
                if not any(all(_tolerates(tolerations, x) for x in pl.taints
                               if x[2] in ("NoSchedule", "NoExecute")) for pl in hits):
                    out.append(fail(c, f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r} does not "
                                    f"tolerate the taints of {', '.join(pl.name for pl in hits)}"
                                    ": sandboxed pods cannot be scheduled", **where))
    return out
