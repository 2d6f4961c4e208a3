"""Realistic fake cloud answers for the offline engine, one module per provider package.

Each module exposes:
- `outputs(type_: str, name: str, inputs: dict) -> dict`: the output properties the
  provider would compute for a new resource (ids, ARNs, endpoints...), merged over inputs;
- `resource_id(type_: str, name: str, inputs: dict) -> str | None`: a realistic physical id;
- `call(token: str, args: dict) -> dict | None`: the result of an invoke (None: unknown);
- optionally `create_dynamic(kind: str, inputs: dict) -> (id, outputs)`: what a dynamic resource
  whose `ztcKind` is `<package>:...` reads back from the cloud (engine/mocks.py).
Values must be deterministic (derived from names, never random) so runs are reproducible.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from zero_trust_clusters.components import clouds
from zero_trust_clusters.engine.fakes.ids import stable_digits, stable_hex

__all__ = ["for_package", "stable_digits", "stable_hex"]


def for_package(package: str) -> ModuleType | None:
    """The fake module for a provider package token prefix: each cloud's comes from its registry
    entry (zero_trust_clusters/components/clouds.py); Kubernetes is common to all."""
    if package == "kubernetes":
        return importlib.import_module("zero_trust_clusters.engine.fakes.kubernetes")
    entry = clouds.by_package(package)
    return importlib.import_module(entry.fakes_module) if entry and entry.fakes_module else None
