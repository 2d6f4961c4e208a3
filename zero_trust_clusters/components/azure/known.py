"""AKS region, VM size, tag and derived-name checks from data files (zero_trust_clusters/components/azure/data/).

The names checked are the ones the component will create (zero_trust_clusters/components/azure/naming.py), so a
cluster name that would give an invalid Key Vault or storage account name is refused here,
before anything is registered. See each data file's `source`.
"""

from __future__ import annotations

import re

from zero_trust_clusters.components.azure import naming
from zero_trust_clusters.components.datafiles import load, machine_type_problems, region_problems
from zero_trust_clusters.components.spec import ClusterSpec, cluster_key, show


def regions() -> frozenset[str]:
    return frozenset(load("azure", "regions")["regions"])


def vm_sizes() -> frozenset[str]:
    return frozenset(load("azure", "vm_sizes")["vmSizes"])


def gpu_size(size: str) -> bool:
    """An NVIDIA GPU VM size AKS installs the driver on (data/gpu_vm_sizes.json)."""
    data = load("azure", "gpu_vm_sizes")
    return size.startswith(tuple(data["nvidiaPrefixes"])) and not any(
        re.fullmatch(pattern, size) for pattern in data["notNvidiaPatterns"])


def trusted_launch_unsupported(size: str) -> bool:
    """A VM size Trusted Launch (Secure Boot + vTPM, every AKS pool here) does not support
    (data/trusted_launch.json)."""
    return any(re.fullmatch(p, size) for p in load("azure", "trusted_launch")["unsupportedPatterns"])


def _derived_names(cluster: ClusterSpec) -> dict[str, str]:
    subscription = cluster.settings.subscription_id if cluster.settings else ""
    names = {
        "keyVault": naming.key_vault(subscription, cluster.name),
        "storageAccount": naming.storage_account(subscription, cluster.name),
        "managedCluster": cluster.name,
    }
    if not (cluster.settings and cluster.settings.resource_group):
        names["resourceGroup"] = naming.resource_group(cluster.name)
    return names


def problems(cluster: ClusterSpec, index: int | None = None) -> list[str]:
    sizes = vm_sizes()
    out = region_problems(cluster, index, regions(), what="an Azure region",
                          example="a programmatic name such as westeurope",
                          data="zero_trust_clusters/components/azure/data/regions.json lists them")
    out += machine_type_problems(cluster, index, sizes.__contains__, known=sizes,
                                 what="a known Azure VM size", example="one such as Standard_D4ds_v5",
                                 data="zero_trust_clusters/components/azure/data/vm_sizes.json lists them",
                                 gpu_problem=lambda size: None if gpu_size(size) else (
                                     f"{show(size)} is not an NVIDIA GPU size; use an N-series "
                                     "size such as Standard_NC4as_T4_v3 "
                                     "(zero_trust_clusters/components/azure/data/gpu_vm_sizes.json)"))
    for pool, spec in cluster.all_pools().items():
        if trusted_launch_unsupported(spec.machine_type):
            out.append(f"{cluster.pool_key(index, pool, 'machineType')}: {show(spec.machine_type)} "
                       "does not support Trusted Launch, which every pool boots with; use a "
                       "Generation 2 size such as Standard_NC4as_T4_v3 or Standard_D4ds_v5 "
                       "(zero_trust_clusters/components/azure/data/trusted_launch.json)")
    rules = load("azure", "names")
    for kind, name in _derived_names(cluster).items():
        rule = rules["names"][kind]
        if not re.fullmatch(rule["pattern"], name):
            out.append(
                f"{cluster_key(cluster.name, index, 'name')}: gives the Azure {kind} name "
                f"{show(name)}, which Azure refuses ({rule['rule']}); choose a cluster name "
                "without consecutive or trailing hyphens"
            )
    tags = rules["tags"]
    for key, value in cluster.labels.items():
        where = cluster_key(cluster.name, index, "labels", key)
        if len(key) > tags["nameMaxLength"] or len(value) > tags["valueMaxLength"]:
            out.append(
                f"{where}: Azure tags allow names of {tags['nameMaxLength']} and values of "
                f"{tags['valueMaxLength']} characters; shorten it"
            )
        elif key.lower().startswith(tuple(tags["reservedNamePrefixes"])):
            out.append(f"{where}: tag names starting with {', '.join(tags['reservedNamePrefixes'])}"
                       " are reserved by Azure; rename it")
    return out
