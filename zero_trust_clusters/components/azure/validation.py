"""Which VM sizes can host Kata pods (AKS Pod Sandboxing) - checked before anything is registered.

AKS Pod Sandboxing needs a generation 2 VM size with nested virtualization
(learn.microsoft.com/azure/aks/use-pod-sandboxing: "Any Azure VM size that is a generation 2
VM and supports nested virtualization works. For example, Dsv3"). The series below are the
ones whose size pages (learn.microsoft.com/azure/virtual-machines/sizes/...) list both
"Generation 2 VMs: Supported" and "Nested Virtualization: Supported". Arm64 sizes (a `p` in
the name) are excluded: Pod Sandboxing runs on x86-64 Azure Linux only. Other capable
series exist; add them here once their size page has been checked.
"""

from __future__ import annotations

import re

from zero_trust_clusters.components.spec import ClusterSpec, cluster_key

# (family, feature letters, version): Standard_D4s_v5 -> ("D", "s", 5).
KATA_CAPABLE_SERIES: frozenset[tuple[str, str, int]] = frozenset(
    {
        ("D", "", 3),  # Dv3: the SDK's WorkloadRuntime docs ("such as Dv3 series")
        ("D", "s", 3),  # Dsv3: the AKS Pod Sandboxing page's example
        ("D", "s", 4),  # Dsv4 size page
        ("D", "s", 5),  # Dsv5 size page
        ("D", "as", 5),  # Dasv5 size page
        ("D", "ads", 5),  # Dadsv5 (listed as nested-virtualization capable)
        ("D", "s", 6),  # Dsv6 size page
    }
)

# Standard_<family><vCPUs>[-<constrained vCPUs>]<features>[_<accelerator>][_v<version>]
_SIZE = re.compile(
    r"^Standard_(?P<family>[A-Z]+)(?P<vcpus>\d+)(-\d+)?(?P<features>[a-z]*)(_[A-Z0-9]+)?"
    r"(_v(?P<version>\d+))?$"
)


def parse_size(size: str) -> tuple[str, str, int] | None:
    match = _SIZE.fullmatch(size)
    if not match:
        return None
    return match["family"], match["features"], int(match["version"] or 1)


def kata_capable(size: str) -> bool:
    series = parse_size(size)
    return series is not None and "p" not in series[1] and series in KATA_CAPABLE_SERIES


def _series_names() -> str:
    return ", ".join(
        sorted(f"{fam}{feat}v{ver}" for fam, feat, ver in KATA_CAPABLE_SERIES)
    )


def cluster_problems(cluster: ClusterSpec, index: int | None = None) -> list[str]:
    """Config errors only an AKS cluster can have; empty when the cluster is valid.

    `index` is the cluster's position in `clusters` (when the caller knows it).
    """
    problems: list[str] = []
    size = cluster.node_pools.sandbox.machine_type
    if not kata_capable(size):
        problems.append(
            f"{cluster_key(cluster.name, index, 'nodePools', 'sandbox', 'machineType')}: {size!r} cannot run "
            "AKS Pod Sandboxing (Kata needs a generation 2 x86-64 size with nested "
            f"virtualization); use a size from one of these series: {_series_names()} "
            "(for example Standard_D4s_v5)"
        )
    for pool, spec in cluster.all_pools().items():
        size = spec.machine_type
        series = parse_size(size)
        key = cluster.pool_key(index, pool, "machineType")
        if series is None and not (pool == "sandbox" and problems):
            problems.append(
                f"{key}: {size!r} is not an Azure VM size name; write it like Standard_D4ds_v5"
            )
        elif series is not None and pool != "sandbox" and "p" in series[1]:
            # System, general and user pools run Trusted Launch, which "can't be enabled in the same
            # node pool as Arm64" (learn.microsoft.com/azure/aks/use-trusted-launch#limitations).
            problems.append(
                f"{key}: {size!r} is an Arm64 size and this pool runs Trusted Launch (Secure Boot "
                "+ vTPM), which AKS does not allow on Arm64; use an x86-64 generation 2 size "
                "such as Standard_D4ds_v5"
            )
    return problems
