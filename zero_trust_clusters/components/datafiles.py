"""Per-cloud facts kept as data (regions, machine types, label and name rules).

Each file under zero_trust_clusters/components/<cloud>/data/ names its `source` (a URL or the SDK file it was
generated from) and when it was checked; the checks in zero_trust_clusters/components/<cloud>/known.py read
them, so a new region or size is one line of data with its source, not a new regex.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from functools import cache
from pathlib import Path
from typing import Any

from zero_trust_clusters.components.spec import ClusterSpec, cluster_key, show

ROOT = Path(__file__).resolve().parent


@cache
def load(cloud: str, name: str) -> dict[str, Any]:
    """zero_trust_clusters/components/<cloud>/data/<name>.json; every file must say where its facts come from."""
    path = ROOT / cloud / "data" / f"{name}.json"
    document = json.loads(path.read_text())
    if not isinstance(document, dict) or not str(document.get("source", "")).strip():
        raise ValueError(f"{path} has no `source`: every cloud data file names where it comes from")
    return document


def closest(value: str, known: list[str] | set[str], limit: int = 3) -> str:
    """A 'did you mean' hint for an unknown name ('' when nothing is close)."""
    from difflib import get_close_matches

    matches = get_close_matches(value, sorted(known), n=limit, cutoff=0.6)
    return f" (did you mean {', '.join(matches)}?)" if matches else ""


# --- the checks every cloud's known.py makes, on that cloud's data -------------------------------
POOLS = ("system", "general", "sandbox")


def region_problems(cluster: ClusterSpec, index: int | None, known: Collection[str], *,
                    what: str, example: str, data: str) -> list[str]:
    """The cluster's region, if it is not one of `known` (`what`: "an AWS region with EKS")."""
    if cluster.region in known:
        return []
    hint = closest(cluster.region, set(known))
    return [f"{cluster_key(cluster.name, index, 'region')}: {show(cluster.region)} is not "
            + f"{what}{hint}; use {example} ({data})"]


def machine_type_problems(cluster: ClusterSpec, index: int | None,
                          is_known: Callable[[str], bool], *, what: str, example: str,
                          data: str, known: Collection[str] = (),
                          gpu_problem: Callable[[str], str | None] = lambda _: None) -> list[str]:
    """Each node pool's machine type `is_known` refuses (`known`: names to suggest from), and a
    GPU pool's (`pools.<name>.gpu`) that `gpu_problem` refuses."""
    out = []
    for pool, spec in cluster.all_pools().items():
        machine = spec.machine_type
        key = cluster.pool_key(index, pool, "machineType")
        if not is_known(machine):
            hint = closest(machine, set(known)) if known else ""
            out.append(f"{key}: {show(machine)} is not {what}{hint}; use {example} ({data})")
        elif pool in cluster.pools and cluster.pools[pool].gpu and (why := gpu_problem(machine)):
            out.append(f"{key}: {why}")
    return out
