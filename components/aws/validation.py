"""EKS-specific checks on a ClusterSpec, run before any resource is registered."""

from __future__ import annotations

from components.aws import instance_types
from components.spec import ClusterSpec, SpecError, cluster_key

POOLS = ("system", "general", "sandbox")


def image_key(cluster: ClusterSpec, pool: str, prefix: str) -> str:
    """The config key that chose a pool's AMI: `aws.amiIds.<pool>`, or the older `aws.amiId`.

    `prefix` is the cluster's key (components.spec.cluster_key)."""
    settings = cluster.settings
    if settings and settings.image_for(pool) and not (
            settings.ami_ids and getattr(settings.ami_ids, pool)):
        return f"{prefix}.aws.amiId"
    return f"{prefix}.aws.amiIds.{pool}"


def cluster_problems(cluster: ClusterSpec, index: int | None = None) -> list[str]:
    """Config problems only EKS cares about; each names the config key and the fix."""
    prefix = cluster_key(cluster.name, index)
    problems: list[str] = []
    for pool_name in POOLS:
        pool = getattr(cluster.node_pools, pool_name)
        problem = instance_types.nitro_problem(pool.machine_type)
        if problem:
            problems.append(f"{prefix}.nodePools.{pool_name}.machineType: {problem}")
    # One AMI has one CPU architecture: pools sharing an image must share it too.
    if cluster.settings is not None:
        served: dict[str, tuple[str, str]] = {}
        for pool_name in POOLS:
            image = cluster.settings.image_for(pool_name)
            if image is None:
                continue
            arch = instance_types.architecture(getattr(cluster.node_pools, pool_name).machine_type)
            first_pool, first_arch = served.setdefault(image, (pool_name, arch))
            if arch != first_arch:
                problems.append(
                    f"{image_key(cluster, pool_name, prefix)}: {image} cannot serve both "
                    f"{first_arch} (nodePools.{first_pool}) and {arch} "
                    f"(nodePools.{pool_name}); give the pools the same CPU architecture or "
                    "each its own image in amiIds"
                )
    return problems


def check_cluster(cluster: ClusterSpec, index: int | None = None) -> None:
    """Raise SpecError when the cluster cannot be built on EKS as specified."""
    problems = cluster_problems(cluster, index)
    if problems:
        raise SpecError(problems)
