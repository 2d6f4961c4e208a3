"""The pack's cloud registry: what the stack rules need to know about each cloud.

The pack may not import the components (it runs in the Pulumi CLI's own virtualenv), so it keeps
its own registry, one entry per cloud, defined with that cloud's resource rules in
`rules/<cloud>.py` (`CLOUD`). Adding a cloud to the pack is that module and one line in
`BUILTIN`; an unknown cloud has no entry, so its clusters need the common in-cluster evidence.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
    # control -> the cloud's own evidence (stack/evidence.py Requirement); the common,
    # in-cluster part every cloud needs is added by `stack.evidence.requirements`.
    evidence: Mapping[str, Sequence[Any]]


_entries: dict[str, PackCloud] = {}


def register(entry: PackCloud) -> PackCloud:
    _entries[entry.name] = entry
    return entry


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
