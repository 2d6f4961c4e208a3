"""EKS-specific checks on a ClusterSpec, run before any resource is registered."""

from __future__ import annotations

import re

from zero_trust_clusters.components.aws import instance_types
from zero_trust_clusters.components.spec import MANDATORY_POOLS, ClusterSpec, SpecError, cluster_key

# `kubernetes.io/role/cni=0` keeps the node's primary subnet (and its ENI) out of pod IP
# allocation only from this release on (aws/amazon-vpc-cni-k8s #3647, "fix primary subnet
# exclusion logic", first tagged v1.22.1); an older add-on would quietly hand out node-subnet
# addresses to pods.
MIN_VPC_CNI = (1, 22, 1)
_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)")


def vpc_cni_too_old(version: str) -> bool:
    match = _VERSION.match(version)
    found = tuple(int(p) for p in match.groups()) if match else (0, 0, 0)
    return found < MIN_VPC_CNI


def image_key(cluster: ClusterSpec, pool: str, prefix: str) -> str:
    """The config key that chose a pool's AMI: `aws.amiIds.<pool>` (the older `aws.amiId`), or
    `aws.poolAmiIds.<pool>` for a user pool.

    `prefix` is the cluster's key (zero_trust_clusters.components.spec.cluster_key)."""
    settings = cluster.settings
    if pool not in MANDATORY_POOLS:
        return f"{prefix}.aws.poolAmiIds.{pool}"
    if settings and settings.image_for(pool) and not (
            settings.ami_ids and getattr(settings.ami_ids, pool)):
        return f"{prefix}.aws.amiId"
    return f"{prefix}.aws.amiIds.{pool}"


def cluster_problems(cluster: ClusterSpec, index: int | None = None) -> list[str]:
    """Config problems only EKS cares about; each names the config key and the fix."""
    prefix = cluster_key(cluster.name, index)
    problems: list[str] = []
    pools = cluster.all_pools()
    for pool_name, pool in pools.items():
        problem = instance_types.nitro_problem(pool.machine_type)
        if problem:
            problems.append(f"{cluster.pool_key(index, pool_name, 'machineType')}: {problem}")
    # Bottlerocket gets taints as `key = ["value:effect"]` in settings.kubernetes.node-taints
    # (userdata.bottlerocket_settings); an empty value (":NoSchedule") parses there since
    # bottlerocket-os/bottlerocket commit 5b713b14 ("models: make kubernetes taint values
    # optional", its tests list ":NoSchedule" as good), and the EKS NodeGroup taint's value is
    # optional, so a taint without value needs no check here.
    if cluster.settings is None:
        return problems
    pinned_cni = cluster.settings.addon_versions.vpc_cni
    if pinned_cni and vpc_cni_too_old(pinned_cni):
        wanted = "v" + ".".join(map(str, MIN_VPC_CNI))
        problems.append(
            f"{prefix}.aws.addonVersions.vpcCni: {pinned_cni} is older than {wanted}, from "
            "which pods are kept off the node subnets (kubernetes.io/role/cni=0); pin a newer "
            "release (aws eks describe-addon-versions --addon-name vpc-cni)")
    for name in sorted(cluster.settings.pool_ami_ids):
        if name not in cluster.pools:
            problems.append(
                f"{prefix}.aws.poolAmiIds.{name}: no user pool of this cluster is named "
                f"{name!r}; use a name under pools ({', '.join(sorted(cluster.pools)) or 'none defined'}) "
                "(the mandatory pools' images go in amiIds)")
    # One AMI has one CPU architecture and one flavour: pools sharing an image share both (a
    # GPU pool runs the NVIDIA variant, the sandbox pool AL2023 + gVisor, the others plain
    # Bottlerocket).
    served: dict[str, tuple[str, str, str]] = {}
    for pool_name, pool in pools.items():
        image = cluster.settings.image_for(pool_name)
        if image is None:
            continue
        arch = instance_types.architecture(pool.machine_type)
        flavour = image_flavour(cluster, pool_name)
        first_pool, first_arch, first_flavour = served.setdefault(image, (pool_name, arch, flavour))
        if (arch, flavour) != (first_arch, first_flavour):
            problems.append(
                f"{image_key(cluster, pool_name, prefix)}: {image} cannot serve both "
                f"{first_flavour} {first_arch} (pool {first_pool}) and {flavour} {arch} "
                f"(pool {pool_name}); give each pool an image of its own flavour and CPU "
                "architecture in amiIds / poolAmiIds"
            )
    return problems


def image_flavour(cluster: ClusterSpec, pool_name: str) -> str:
    """The node image a pool runs: AL2023 + gVisor (sandbox), Bottlerocket NVIDIA (a GPU user
    pool) or Bottlerocket."""
    if pool_name == "sandbox":
        return "al2023"
    user = cluster.pools.get(pool_name)
    return "bottlerocket-nvidia" if user is not None and user.gpu else "bottlerocket"


def check_cluster(cluster: ClusterSpec, index: int | None = None) -> None:
    """Raise SpecError when the cluster cannot be built on EKS as specified."""
    problems = cluster_problems(cluster, index)
    if problems:
        raise SpecError(problems)
