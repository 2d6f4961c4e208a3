"""GKE region, machine type and label checks from data files (components/gcp/data/).

See each data file's `source`. Machine types are checked at the series level (the series,
the kind and the shape of the name), custom and shared-core types included.
"""

from __future__ import annotations

import re

from components.datafiles import closest, load
from components.spec import ClusterSpec, cluster_key, show

_PREDEFINED = re.compile(
    r"(?P<series>[a-z][a-z0-9]*)-(?P<kind>[a-z]+)-(?P<size>[1-9]\d{0,3}g?)(?:-(?P<suffix>[a-z]+))?"
)
_CUSTOM = re.compile(r"(?:(?P<series>[a-z][a-z0-9]*)-)?custom-[1-9]\d{0,3}-[1-9]\d{2,7}(?:-ext)?")


def regions() -> frozenset[str]:
    return frozenset(load("gcp", "regions")["regions"])


def machine_type_known(machine: str) -> bool:
    data = load("gcp", "machine_types")
    if machine in data["sharedCore"]:
        return True
    custom = _CUSTOM.fullmatch(machine)
    if custom:
        return (custom["series"] or "n1") in data["customSeries"]
    match = _PREDEFINED.fullmatch(machine)
    return bool(
        match
        and match["series"] in data["series"]
        and match["kind"] in data["kinds"]
        and (match["suffix"] is None or match["suffix"] in data["suffixes"])
    )


def gpu_accelerator(machine: str) -> tuple[str, int] | None:
    """(GKE accelerator type, count) of an accelerator-optimized machine type, or None."""
    found = load("gcp", "gpu_machine_types")["machineTypes"].get(machine)
    return (found["type"], found["count"]) if found else None


def problems(cluster: ClusterSpec, index: int | None = None) -> list[str]:
    out: list[str] = []
    known_regions = regions()
    if cluster.region not in known_regions:
        out.append(
            f"{cluster_key(cluster.name, index, 'region')}: {show(cluster.region)} is not a Google "
            f"Cloud region{closest(cluster.region, known_regions)}; use one such as europe-west1 "
            "(components/gcp/data/regions.json lists them)"
        )
    for pool, spec in cluster.all_pools().items():
        machine = spec.machine_type
        if not machine_type_known(machine):
            out.append(
                f"{cluster.pool_key(index, pool, 'machineType')}: "
                f"{show(machine)} is not a Compute Engine machine type of a known series; use one "
                "such as n2-standard-4 (components/gcp/data/machine_types.json)"
            )
        elif pool in cluster.pools and cluster.pools[pool].gpu and not gpu_accelerator(machine):
            out.append(
                f"{cluster.pool_key(index, pool, 'machineType')}: {show(machine)} is not an "
                "accelerator-optimized GPU machine type; use one such as g2-standard-8 "
                "(components/gcp/data/gpu_machine_types.json lists them)"
            )
    rules = load("gcp", "labels")
    for key, value in cluster.labels.items():
        where = cluster_key(cluster.name, index, "labels", key)
        if not re.fullmatch(rules["keyPattern"], key) or not re.fullmatch(
            rules["valuePattern"], value
        ):
            out.append(
                f"{where}: {show(value)} is not a valid GCP label (at most 63 lowercase letters, "
                "digits, '_' or '-'); change it"
            )
    return out
