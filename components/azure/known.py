"""AKS region, VM size, tag and derived-name checks from data files (components/azure/data/).

The names checked are the ones the component will create (components/azure/naming.py), so a
cluster name that would give an invalid Key Vault or storage account name is refused here,
before anything is registered. See each data file's `source`.
"""

from __future__ import annotations

import re

from components.azure import naming
from components.datafiles import closest, load
from components.spec import ClusterSpec, cluster_key, show


def regions() -> frozenset[str]:
    return frozenset(load("azure", "regions")["regions"])


def vm_sizes() -> frozenset[str]:
    return frozenset(load("azure", "vm_sizes")["vmSizes"])


def gpu_size(size: str) -> bool:
    """An NVIDIA GPU VM size AKS installs the driver on (data/gpu_vm_sizes.json)."""
    data = load("azure", "gpu_vm_sizes")
    return size.startswith(tuple(data["nvidiaPrefixes"])) and not any(
        re.fullmatch(pattern, size) for pattern in data["notNvidiaPatterns"])


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
    out: list[str] = []
    known_regions = regions()
    if cluster.region not in known_regions:
        out.append(
            f"{cluster_key(cluster.name, index, 'region')}: {show(cluster.region)} is not an Azure "
            f"region{closest(cluster.region, known_regions)}; use a programmatic name such as "
            "westeurope (components/azure/data/regions.json lists them)"
        )
    sizes = vm_sizes()
    for pool, spec in cluster.all_pools().items():
        size = spec.machine_type
        if size not in sizes:
            out.append(
                f"{cluster.pool_key(index, pool, 'machineType')}: "
                f"{show(size)} is not a known Azure VM size{closest(size, sizes)}; use one such as "
                "Standard_D4ds_v5 (components/azure/data/vm_sizes.json lists them)"
            )
        elif pool in cluster.pools and cluster.pools[pool].gpu and not gpu_size(size):
            out.append(
                f"{cluster.pool_key(index, pool, 'machineType')}: {show(size)} is not an NVIDIA "
                "GPU size; use an N-series size such as Standard_NC4as_T4_v3 "
                "(components/azure/data/gpu_vm_sizes.json)"
            )
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
