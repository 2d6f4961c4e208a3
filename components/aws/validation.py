"""EKS-specific checks on a ClusterSpec, run before any resource is registered."""

from __future__ import annotations

from components.aws import instance_types
from components.spec import ClusterSpec, SpecError, cluster_key


def eks_problems(cluster: ClusterSpec, index: int | None = None) -> list[str]:
    """Config problems only EKS cares about; each names the config key and the fix."""
    prefix = cluster_key(cluster.name, index)
    problems: list[str] = []
    for pool_name in ("system", "general", "sandbox"):
        pool = getattr(cluster.node_pools, pool_name)
        problem = instance_types.nitro_problem(pool.machine_type)
        if problem:
            problems.append(f"{prefix}.nodePools.{pool_name}.machineType: {problem}")
    arches = {
        instance_types.architecture(getattr(cluster.node_pools, p).machine_type)
        for p in ("system", "general")
    }
    if cluster.aws is not None and cluster.aws.ami_id and len(arches) > 1:
        problems.append(
            f"{prefix}.aws.amiId: one custom AMI cannot serve both x86_64 and arm64 pools; "
            "give nodePools.system and nodePools.general the same CPU architecture"
        )
    return problems


def validate_eks_cluster(cluster: ClusterSpec, index: int | None = None) -> None:
    """Raise SpecError when the cluster cannot be built on EKS as specified."""
    problems = eks_problems(cluster, index)
    if problems:
        raise SpecError(problems)
