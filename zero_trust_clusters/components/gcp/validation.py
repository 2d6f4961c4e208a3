"""GKE-specific checks the cloud-agnostic spec cannot make.

Run before any resource is registered. Each problem names the `zero-trust-clusters:clusters[i]...` key and says
what to change; `GkeCluster` raises them as one `SpecError`.
"""

from __future__ import annotations

import ipaddress
import re

from zero_trust_clusters.components.spec import ClusterSpec, EstateSpec, SpecError, cluster_key

# GKE Sandbox does not run on shared-core machine types (gVisor needs dedicated vCPUs).
SANDBOX_UNSUPPORTED_MACHINE_TYPES = frozenset(
    {"e2-micro", "e2-small", "e2-medium", "f1-micro", "g1-small"}
)
# Shared-core types are too small for the system pool (GKE add-ons + Dataplane V2 agents).
SHARED_CORE_MACHINE_TYPES = SANDBOX_UNSUPPORTED_MACHINE_TYPES

_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_ZONE = re.compile(r"^([a-z]+-[a-z]+[0-9]+)-[a-z]$")
# Compute Engine machine types: family-kind[-vcpus][-suffix], e.g. n2-standard-4, c3d-highmem-8,
# e2-medium, custom-4-16384, n2-custom-4-16384.
_MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
# GCP resource labels: lowercase letters, digits, '_' and '-', at most 63 characters.
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
# The node range is split: nodes take the lower half, the control plane a /28 of the upper half.
MAX_NODE_PREFIX = 22


def cluster_problems(cluster: ClusterSpec, index: int | None = None) -> list[str]:
    """Everything about `cluster` that GKE would reject or that breaks our hardening."""
    key = cluster_key(cluster.name, index)
    problems: list[str] = []
    if cluster.cloud != "gcp":
        return [f"{key}.cloud: {cluster.cloud!r} is not gcp; GkeCluster only builds GKE clusters"]
    zone = _ZONE.fullmatch(cluster.region)
    if zone:
        problems.append(
            f"{key}.region: {cluster.region!r} is a zone; GKE clusters here are regional "
            f"(control plane and nodes spread over zones), use the region {zone.group(1)!r}"
        )
    elif not _REGION.fullmatch(cluster.region):
        problems.append(
            f"{key}.region: {cluster.region!r} is not a Google Cloud region; use a name such "
            "as europe-west1 or us-central1"
        )
    for pool_name, pool in cluster.all_pools().items():
        mkey = cluster.pool_key(index, pool_name, "machineType")
        machine = pool.machine_type
        if not _MACHINE_TYPE.fullmatch(machine):
            problems.append(
                f"{mkey}: {machine!r} is not a Compute Engine machine type (this looks like "
                "another cloud's size); use one such as n2-standard-4"
            )
            continue
        if pool_name == "sandbox" and machine in SANDBOX_UNSUPPORTED_MACHINE_TYPES:
            problems.append(
                f"{mkey}: GKE Sandbox (gVisor) does not support shared-core {machine!r}; "
                "use a standard type such as e2-standard-4 or n2-standard-4"
            )
        elif pool_name == "system" and machine in SHARED_CORE_MACHINE_TYPES:
            problems.append(
                f"{mkey}: shared-core {machine!r} is too small for GKE system add-ons; "
                "use e2-standard-2 or larger"
            )
    if cluster.node_pools.system.min_size < 1:
        problems.append(
            f"{key}.nodePools.system.minSize: the system pool must keep at least 1 node for "
            "GKE add-ons (sandbox pools cannot run them); set minSize to 1 or more"
        )
    prefix = ipaddress.ip_network(cluster.node_cidr).prefixlen
    if prefix > MAX_NODE_PREFIX:
        problems.append(
            f"{key}.nodeCidr: /{prefix} is too small on GKE (nodes take the lower half and the "
            f"control plane a /28 of the upper half); use /{MAX_NODE_PREFIX} or larger"
        )
    for label, value in cluster.labels.items():
        if not _LABEL_VALUE.fullmatch(value):
            problems.append(
                f"{key}.labels.{label}: {value!r} is not a valid GCP label value; use at most 63 "
                "lowercase letters, digits, '_' or '-'"
            )
    return problems


def check_cluster(cluster: ClusterSpec, index: int | None = None) -> None:
    problems = cluster_problems(cluster, index)
    if problems:
        raise SpecError(problems)


def validate(spec: EstateSpec) -> None:
    """Check every gcp cluster of the estate (with its `clusters[i]` index)."""
    problems = [
        problem
        for i, cluster in enumerate(spec.clusters)
        if cluster.cloud == "gcp"
        for problem in cluster_problems(cluster, i)
    ]
    if problems:
        raise SpecError(problems)
