"""The stack as a graph, and which cluster owns each resource.

A Kubernetes object belongs to the cluster its provider leads to (the provider's kubeconfig
depends on that cluster). In a cluster-phase stack (the in-cluster baseline applied from the
deployer network, with no cloud cluster resource in the stack) the provider leads to no cluster:
its `kube-system/ztc-cluster` ConfigMap names the cluster and cloud, and the provider stands for
that cluster (merged with the cloud cluster of the same name when both are in view). Any other resource belongs to the cluster of the nearest component
above it that holds exactly one cluster; failing that (hand-written resources), to the nearest
cluster in the dependency and parent graph, ties broken by a cluster-name prefix. A resource
still equally near to several clusters (shared PKI root, project services) is shared.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import clouds
from .. import types as t
from ..values import lookup, raw


@dataclass
class Node:
    type: str
    name: str
    urn: str
    props: dict[str, Any]
    parent: str | None = None
    deps: list[str] = field(default_factory=list)
    provider: str | None = None
    prop_deps: dict[str, list[str]] = field(default_factory=dict)


def chart_name(node: Node) -> object:
    """A Helm release's chart without its repository prefix (`repo/x`, `oci://host/x` -> `x`);
    a non-string value as it is, for the caller to judge."""
    value = lookup(node.props, "chart")
    return value.rsplit("/", 1)[-1] if isinstance(value, str) else value


def releases_of(nodes: Iterable[Node], chart: str) -> list[Node]:
    """The Helm releases among `nodes` that install `chart`."""
    return [n for n in nodes if n.type == t.HELM_RELEASE and chart_name(n) == chart]


def provider_urn(ref: str | None) -> str | None:
    """A provider reference is "<urn>::<id>"; URNs alone have three "::"."""
    if not ref:
        return None
    return ref.rsplit("::", 1)[0] if ref.count("::") >= 4 else ref


def nodes_from_policy_resources(resources: Iterable[Any]) -> list[Node]:
    """From pulumi_policy's StackValidationArgs.resources (props only where a rule reads them)."""
    out = []
    for r in resources:
        deps = [d.urn for d in r.dependencies]
        for ds in r.property_dependencies.values():
            deps.extend(d.urn for d in ds)
        props = raw(r.props) if t.props_needed(r.resource_type) else {}
        out.append(Node(r.resource_type, r.name, r.urn, props,
                        r.parent.urn if r.parent is not None else r.opts.parent,
                        list(dict.fromkeys(deps)), r.provider.urn if r.provider else None,
                        {k: [d.urn for d in v] for k, v in r.property_dependencies.items()}))
    return out


def nodes_from_captured(resources: Iterable[Any]) -> list[Node]:
    """From the offline engine's captured graph (CapturedResource)."""
    out = []
    for r in resources:
        if r.type == "pulumi:pulumi:Stack":
            continue
        deps = list(r.dependencies)
        for ds in (r.property_dependencies or {}).values():
            deps.extend(ds)
        props = {**raw(r.outputs or {}), **raw(r.inputs or {})}
        out.append(Node(r.type, r.name, r.urn, props, r.parent or None,
                        list(dict.fromkeys(deps)), provider_urn(r.provider),
                        dict(r.property_dependencies or {})))
    return out


def _cluster_display_name(node: Node, by_urn: dict[str, Node]) -> str:
    parent = by_urn.get(node.parent or "")
    if parent is not None and parent.type.startswith("ztc:") and parent.type.endswith("Cluster"):
        return parent.name
    return node.name


CLOUD_PHASE, CLUSTER_PHASE = "cloud", "cluster"
UNKNOWN_CLOUD = "unknown"
IDENTITY_CONFIGMAP = ("kube-system", "ztc-cluster")  # zero_trust_clusters/components/kubernetes/names.py


def cluster_identity(node: Node) -> dict[str, str] | None:
    """The data of a `kube-system/ztc-cluster` ConfigMap (which cluster a provider reaches)."""
    if node.type != t.K8S_CONFIGMAP:
        return None
    where = (lookup(node.props, "metadata.namespace"), lookup(node.props, "metadata.name"))
    data = lookup(node.props, "data")
    if where != IDENTITY_CONFIGMAP or not isinstance(data, dict):
        return None
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


class Ownership:
    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self._by_owner: dict[str | None, list[Node]] | None = None
        self.by_urn = {n.urn: n for n in nodes}
        cluster_types = clouds.cluster_types()
        self._cluster_types = cluster_types
        self.clusters = [n for n in nodes if n.type in cluster_types]
        self.cloud = {c.urn: cluster_types[c.type] for c in self.clusters}
        self.display = {c.urn: _cluster_display_name(c, self.by_urn) for c in self.clusters}
        # Which phases of each cluster this stack holds (cloud resources, in-cluster objects).
        self.phases: dict[str, set[str]] = {c.urn: {CLOUD_PHASE} for c in self.clusters}
        self._provider_cluster: dict[str, str] = {}
        self._cluster_phase_anchors()
        self.owner: dict[str, str | None] = self._nearest()
        for urn, cluster in self._by_component().items():
            self.owner[urn] = cluster
        by_display = {v: k for k, v in self.display.items()}
        for n in nodes:
            if n.type.startswith("kubernetes:") or n.type == t.K8S_PROVIDER:
                via = self._via_provider(n)
                if via:
                    self.owner[n.urn] = via
            if n.type == t.DYNAMIC:
                name = lookup(n.props, "clusterName")
                if isinstance(name, str) and name in by_display:
                    self.owner[n.urn] = by_display[name]
        for n in nodes:
            owner = self.owner.get(n.urn)
            if owner and (n.type.startswith("kubernetes:") or n.type == t.K8S_PROVIDER):
                self.phases[owner].add(CLUSTER_PHASE)

    def owned(self, cluster_urn: str) -> list[Node]:
        return self._groups().get(cluster_urn, [])

    def shared(self) -> list[Node]:
        return self._groups().get(None, [])

    def _groups(self) -> dict[str | None, list[Node]]:
        if self._by_owner is None:
            groups: dict[str | None, list[Node]] = {}
            for n in self.nodes:
                groups.setdefault(self.owner.get(n.urn), []).append(n)
            self._by_owner = groups
        return self._by_owner

    def name_of(self, urn: str | None) -> str | None:
        owner = self.owner.get(urn or "")
        return self.display.get(owner) if owner else None

    # --- internals ---------------------------------------------------------------------------
    def _cluster_phase_anchors(self) -> None:
        """Providers that reach no cloud cluster but name theirs in a ztc-cluster ConfigMap."""
        by_display = {name: urn for urn, name in self.display.items()}
        for node in self.nodes:
            data = cluster_identity(node)
            if data is None or not data.get("cluster") or node.provider is None:
                continue
            provider = self.by_urn.get(node.provider)
            if provider is None or self._via_provider(provider) is not None:
                continue  # an unlisted provider, or one whose kubeconfig reaches a cluster
            name = data["cluster"]
            if name in by_display:  # the cloud phase of the same cluster is in view too
                self._provider_cluster[provider.urn] = by_display[name]
                continue
            self.clusters.append(provider)
            self.cloud[provider.urn] = data.get("cloud") if data.get("cloud") in (
                self._cluster_types.values()) else UNKNOWN_CLOUD
            self.display[provider.urn] = name
            self.phases[provider.urn] = set()  # filled in from what it owns
            by_display[name] = provider.urn


    def _adjacency(self) -> dict[str, set[str]]:
        adj: dict[str, set[str]] = {n.urn: set() for n in self.nodes}
        for n in self.nodes:
            links = list(n.deps)
            if n.parent:
                links.append(n.parent)
            for other in links:
                if other in adj and other != n.urn:
                    adj[n.urn].add(other)
                    adj[other].add(n.urn)
        return adj

    def _by_component(self) -> dict[str, str]:
        """Resources under a component whose subtree holds exactly one cluster."""
        clusters_under: dict[str, set[str]] = {}
        for c in self.clusters:
            for parent in self._ancestors(c):
                clusters_under.setdefault(parent, set()).add(c.urn)
        out: dict[str, str] = {}
        for n in self.nodes:
            for parent in self._ancestors(n):
                held = clusters_under.get(parent)
                if held:
                    if len(held) == 1:
                        out[n.urn] = next(iter(held))
                    break
        return out

    def _ancestors(self, node: Node) -> list[str]:
        """The listed parents above `node`, nearest first; a parent cycle (only a malformed
        request can hold one) ends the chain where it closes."""
        chain: list[str] = []
        seen = {node.urn}
        parent = node.parent
        while parent and parent in self.by_urn and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = self.by_urn[parent].parent
        return chain

    def _tie_break(self, urn: str, owners: set[str]) -> str | None:
        name = self.by_urn[urn].name
        prefixed = [o for o in owners
                    if name.startswith((self.display[o] + "-", self.by_urn[o].name + "-"))]
        return prefixed[0] if len(prefixed) == 1 else None

    def _nearest(self) -> dict[str, str | None]:
        adj = self._adjacency()
        dist: dict[str, int] = {}
        owners: dict[str, set[str]] = {}
        frontier = deque()
        for c in self.clusters:
            dist[c.urn] = 0
            owners[c.urn] = {c.urn}
            frontier.append(c.urn)
        while frontier:
            u = frontier.popleft()
            for v in adj.get(u, ()):
                if v in self.cloud:  # another cluster (cloud resource or cluster-phase anchor)
                    continue
                if v not in dist:
                    dist[v] = dist[u] + 1
                    owners[v] = set(owners[u])
                    frontier.append(v)
                elif dist[v] == dist[u] + 1:
                    owners[v] |= owners[u]
        return {urn: (next(iter(o)) if len(o) == 1 else self._tie_break(urn, o))
                for urn, o in owners.items()}

    def _via_provider(self, node: Node) -> str | None:
        start = node.urn if node.type == t.K8S_PROVIDER else node.provider
        if start in self._provider_cluster:
            return self._provider_cluster[start]
        if start in self.phases:  # a cluster-phase anchor stands for its cluster
            return start
        if start and start not in self.by_urn:
            # The engine did not list the provider: fall back on its name ("<cluster>-k8s").
            name = start.rsplit("::", 1)[-1]
            hits = [c.urn for c in self.clusters
                    if name.startswith((self.display[c.urn] + "-", c.name + "-"))]
            return hits[0] if len(hits) == 1 else None
        if not start:
            return None
        seen = {start}
        queue = deque([start])
        while queue:
            u = queue.popleft()
            n = self.by_urn[u]
            if n.type in self._cluster_types:
                return u
            for d in n.deps:
                if d in self.by_urn and d not in seen:
                    seen.add(d)
                    queue.append(d)
        return None
