"""The pack's cloud registry: what the stack rules need to know about each cloud.

The pack may not import the components (it runs in the Pulumi CLI's own virtualenv), so it keeps
its own registry, one entry per cloud, defined with that cloud's resource rules in
`rules/<cloud>.py` (`CLOUD`). What each control needs on a cloud (its evidence) is in the
controls' home, `catalog.py`; a cloud registered at run time brings it in `controls`. An unknown
cloud has no entry, so its clusters need the common in-cluster evidence.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import CLOUDS, Part

# The built-in clouds, by name: the module defining each one's CLOUD.
BUILTIN: dict[str, str] = {
    "aws": "ztc_policy.rules.aws",
    "azure": "ztc_policy.rules.azure",
    "gcp": "ztc_policy.rules.gcp",
}


@dataclass(frozen=True)
class PackCloud:
    name: str
    # The managed cluster's resource type: what stands for a cluster in a cloud-phase stack.
    cluster_type: str
    # Does this resource run the cloud's VM sandbox (a pool with the sandbox runtime)?
    sandbox_pool: Callable[[Any, Mapping[str, Any]], bool]
    # CRI handlers of the common RuntimeClass that reach that sandbox.
    sandbox_handlers: tuple[str, ...]
    # Every source address a firewalling resource of this cloud admits inbound (type, props).
    ingress_sources: Callable[[str, dict], list]
    # The cloud's part of each control (catalog.Part: note, builders, evidence) for a cloud
    # whose parts are not written in the controls' home (catalog.py): a plug-in, or a test's.
    # A built-in cloud's parts live in the home only (one source; `register` refuses both).
    controls: Mapping[str, Part] = field(default_factory=dict)


_entries: dict[str, PackCloud] = {}


def register(entry: PackCloud) -> PackCloud:
    if entry.controls and entry.name in CLOUDS:
        raise ValueError(f"cloud {entry.name!r} has its parts in the controls' home "
                         "(ztc_policy/catalog.py); its registry entry may not bring others")
    _entries[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Forget a cloud registered at run time (a test's)."""
    _entries.pop(name, None)


def find(name: str) -> PackCloud | None:
    """The entry of cloud `name`, or None for a cloud the pack does not know."""
    if name not in _entries and name in BUILTIN:
        register(importlib.import_module(BUILTIN[name]).CLOUD)
    return _entries.get(name)


def entries() -> list[PackCloud]:
    return [e for name in dict.fromkeys([*BUILTIN, *_entries]) if (e := find(name))]


def cluster_types() -> dict[str, str]:
    """Managed cluster resource type -> cloud name."""
    return {e.cluster_type: e.name for e in entries()}
