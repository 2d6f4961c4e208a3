"""Cross-resource and cross-cluster rules. Each returns findings; pack.py wraps them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from .. import types as t
from ..catalog import CONTROL_IDS, SANDBOX_RUNTIME_CLASS
from ..findings import Finding, Status, fail, unverifiable
from ..rules.kubernetes import k8s_name
from ..rules.pki import INTERMEDIATE, ROOT, pki_kind
from ..values import MISSING, as_bool, is_unknown, lookup
from .evidence import (
    aks_sandbox_pool,
    default_deny_policy,
    eks_sandbox_pool,
    gke_sandbox_pool,
    workload_namespace,
)
from .graph import CLOUD_PHASE, CLUSTER_PHASE
from .posture import Posture

SANDBOX_POOL = {"aws": eks_sandbox_pool, "azure": aks_sandbox_pool, "gcp": gke_sandbox_pool}
SANDBOX_HANDLERS = {"aws": ("runsc",), "gcp": ("gvisor", "runsc"),
                    "azure": ("kata", "kata-vm-isolation", "kata-mshv-vm-isolation")}
# A cluster-phase stack that does not name its cloud: any VM-sandbox handler will do.
ANY_SANDBOX_HANDLER = tuple(dict.fromkeys(h for hs in SANDBOX_HANDLERS.values() for h in hs))


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
        if CLOUD_PHASE in phases and not any(SANDBOX_POOL[cloud](n, cfg) for n in owned):
            out.append(fail(c, "no VM-sandbox node pool", urn=cluster.urn, cluster=name))
        if CLUSTER_PHASE not in phases:
            continue  # the RuntimeClass is checked in the cluster-phase stack
        classes = [n for n in owned if n.type == t.K8S_RUNTIME_CLASS
                   and k8s_name(n) == SANDBOX_RUNTIME_CLASS]
        if not classes:
            out.append(fail(c, f"no RuntimeClass {SANDBOX_RUNTIME_CLASS!r}", urn=cluster.urn,
                            cluster=name))
        handlers = SANDBOX_HANDLERS.get(cloud, ANY_SANDBOX_HANDLER)
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
    """One pki-root; every cluster's intermediate chains to it, inside its trust domain."""
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
    for cluster in own.clusters:
        if CLOUD_PHASE not in own.phases[cluster.urn]:
            continue  # the PKI is issued by the cloud phase
        if not any(own.owner.get(i.urn) == cluster.urn for i in inters):
            out.append(fail(c, "no pki-intermediate for this cluster", urn=cluster.urn,
                            cluster=own.display[cluster.urn]))
    return out


def namespaces_default_deny(p: Posture, cfg: Mapping[str, Any]) -> list[Finding]:
    """Every workload namespace of every cluster has a default-deny NetworkPolicy."""
    c = "ZT-NETPOL-DEFAULT-DENY"
    own = p.ownership
    out = []
    for cluster in own.clusters:
        owned = own.owned(cluster.urn)
        covered = {lookup(n.props, "metadata.namespace") for n in owned
                   if default_deny_policy(n, cfg)}
        for ns in owned:
            if workload_namespace(ns, cfg) and k8s_name(ns) not in covered:
                out.append(fail(c, f"workload namespace {k8s_name(ns)!r} has no default-deny "
                                "NetworkPolicy (podSelector {}, Ingress+Egress, no rules)",
                                urn=ns.urn, cluster=own.display[cluster.urn]))
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
    buckets = [n for n in kids if n.type in (t.S3_BUCKET, t.S3_BUCKET_V2)]
    locks = [n for n in kids if n.type in (t.S3_OBJECT_LOCK, t.S3_OBJECT_LOCK_V2)]
    out: list[Problem] = []
    if not buckets or any(lookup(b.props, "objectLockEnabled") is not True for b in buckets):
        out.append((False, "bucket without Object Lock"))
    if not locks or any(lookup(x.props, "rule.defaultRetention.mode") != "COMPLIANCE"
                        for x in locks):
        out.append((False, ("entries are not locked in COMPLIANCE mode, so they could be "
                           "deleted or rewritten")))
    for lock in locks:
        days, years = (lookup(lock.props, f"rule.defaultRetention.{k}") for k in ("days", "years"))
        if days is MISSING and isinstance(years, int | float) and not isinstance(years, bool):
            days = years * 365
        out += _shorter(days, want, "Object Lock default retention")
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
        if is_unknown(state):
            out.append((True, "immutability policy state"))
        elif state != "Locked":
            out.append((False, (
                f"immutability policy is {'unset' if state is MISSING else state}, not Locked: "
                "until it is locked an account owner can shorten or disable it (ARM creates "
                "it Unlocked and the next `pulumi up` locks it; deploy the first time with a "
                "time-boxed exemption of this policy)")))
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
    """No SG / NSG / firewall rule that belongs to a cluster admits 0.0.0.0/0 or ::/0."""
    out = []
    for cell in p.cells.values():
        if cell.control == "ZT-NET-SEGMENT":
            out.extend(f for f in cell.findings if f.status == Status.FAIL
                       and ("0.0.0.0/0" in f.detail or "::/0" in f.detail or "*" in f.detail
                            or "Internet" in f.detail))
    return out
