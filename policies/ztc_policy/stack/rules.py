"""Cross-resource and cross-cluster rules. Each returns findings; pack.py wraps them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
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
    allow_sources,
    k8s_name,
)
from ..rules.pki import INTERMEDIATE, ROOT, pki_kind
from ..values import MISSING, as_bool, as_list, is_unknown, lookup, world_sources
from .evidence import (
    default_deny_policy,
    mesh_wide_strict,
    workload_namespace,
)
from .graph import CLOUD_PHASE, CLUSTER_PHASE, cluster_identity
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
# The mesh's control plane DNS subtree an intermediate must permit (components/pki/authority.py).
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


# A namespace of sandboxed pods, outside the mesh by declaration (components/kubernetes/mesh.py):
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


def estate_trust_domains(own) -> set[str]:
    """Every cluster trust domain the stack names: identity ConfigMaps and intermediates."""
    domains: set[str] = set()
    for n in own.nodes:
        data = cluster_identity(n)
        if data and data.get("trustDomain"):
            domains.add(data["trustDomain"])
        if pki_kind(n) == INTERMEDIATE and isinstance(lookup(n.props, "trustDomain"), str):
            domains.add(lookup(n.props, "trustDomain"))
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
        # is a documented limit of the sandboxes (components/kubernetes/mesh.py), not a defect.
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
