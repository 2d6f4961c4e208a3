"""GKE region, machine type and label checks from data files (zero_trust_clusters/components/gcp/data/).

See each data file's `source`. Machine types are checked at the series level (the series,
the kind and the shape of the name), custom and shared-core types included.
"""

from __future__ import annotations

import re

from zero_trust_clusters.components.datafiles import load, machine_type_problems, region_problems
from zero_trust_clusters.components.spec import ClusterSpec, cluster_key, show

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
    out = region_problems(cluster, index, regions(), what="a Google Cloud region",
                          example="one such as europe-west1",
                          data="zero_trust_clusters/components/gcp/data/regions.json lists them")
    out += machine_type_problems(cluster, index, machine_type_known,
                                 what="a Compute Engine machine type of a known series",
                                 example="one such as n2-standard-4",
                                 data="zero_trust_clusters/components/gcp/data/machine_types.json",
                                 gpu_problem=lambda machine: None if gpu_accelerator(machine) else (
                                     f"{show(machine)} is not an accelerator-optimized GPU "
                                     "machine type; use one such as g2-standard-8 "
                                     "(zero_trust_clusters/components/gcp/data/gpu_machine_types.json lists them)"))
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
