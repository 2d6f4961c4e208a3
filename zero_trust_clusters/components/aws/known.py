"""EKS region, EC2 instance type and tag checks from data files (zero_trust_clusters/components/aws/data/).

Regions and instance types are generated from the pinned botocore (endpoints.json and the
EC2 API's InstanceType enum); tag rules from the AWS tagging guide. See each file's `source`.
"""

from __future__ import annotations

import re

from zero_trust_clusters.components.datafiles import load, machine_type_problems, region_problems
from zero_trust_clusters.components.spec import ClusterSpec, cluster_key, show


def regions() -> dict[str, str]:
    """region -> partition, for every region with an EKS endpoint."""
    return load("aws", "regions")["regions"]


def instance_types() -> frozenset[str]:
    return frozenset(load("aws", "instance_types")["instanceTypes"])


def gpu_families() -> frozenset[str]:
    """EC2 families the EKS NVIDIA images (Bottlerocket aws-k8s-nvidia) support."""
    return frozenset(load("aws", "gpu_instance_families")["nvidiaFamilies"])


def gpu_problem(instance_type: str) -> str | None:
    """Why `instance_type` cannot serve a GPU pool, or None."""
    family = instance_type.split(".", 1)[0]
    if family in gpu_families():
        return None
    return (f"{show(instance_type)} is not an NVIDIA GPU instance type the EKS NVIDIA images "
            "support; use one such as g6.xlarge or g5.xlarge "
            "(zero_trust_clusters/components/aws/data/gpu_instance_families.json lists the families)")


def problems(cluster: ClusterSpec, index: int | None = None) -> list[str]:
    """Unknown region, unknown instance types, tags AWS would refuse; keyed and with a fix."""
    types = instance_types()
    out = region_problems(cluster, index, regions(), what="an AWS region with EKS",
                          example="one such as eu-west-1",
                          data="zero_trust_clusters/components/aws/data/regions.json lists them")
    out += machine_type_problems(cluster, index, types.__contains__, known=types,
                                 what="an EC2 instance type", example="one such as m7i.large",
                                 data="zero_trust_clusters/components/aws/data/instance_types.json lists them",
                                 gpu_problem=gpu_problem)
    rules = load("aws", "tags")
    allowed = re.compile(rules["allowedPattern"])
    for key, value in cluster.labels.items():
        where = cluster_key(cluster.name, index, "labels", key)
        if len(key) > rules["keyMaxLength"] or len(value) > rules["valueMaxLength"]:
            out.append(
                f"{where}: AWS tags allow keys of {rules['keyMaxLength']} and values of "
                f"{rules['valueMaxLength']} characters; shorten it"
            )
        elif not allowed.fullmatch(value) or value.lower().startswith(rules["reservedPrefix"]):
            out.append(
                f"{where}: {show(value)} is not a valid AWS tag value (letters, digits, spaces "
                f"and _ . : / = + - @ only, not starting with {rules['reservedPrefix']})"
            )
    return out
