"""Realistic fake cloud answers for the offline engine, one module per provider package.

Each module exposes:
- `outputs(type_: str, name: str, inputs: dict) -> dict`: the output properties the
  provider would compute for a new resource (ids, ARNs, endpoints...), merged over inputs;
- `resource_id(type_: str, name: str, inputs: dict) -> str | None`: a realistic physical id;
- `call(token: str, args: dict) -> dict | None`: the result of an invoke (None: unknown).
Values must be deterministic (derived from names, never random) so runs are reproducible.
"""

from __future__ import annotations

import hashlib
import importlib
from types import ModuleType

from components import clouds


def stable_hex(*parts: str, length: int = 17) -> str:
    """A deterministic hex string derived from `parts` (fake ids that never churn)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def stable_digits(*parts: str, length: int = 12) -> str:
    return str(int(stable_hex(*parts, length=24), 16))[:length].rjust(length, "1")


def for_package(package: str) -> ModuleType | None:
    """The fake module for a provider package token prefix: each cloud's comes from its registry
    entry (components/clouds.py); Kubernetes is common to all."""
    if package == "kubernetes":
        from scripts.engine.fakes import kubernetes

        return kubernetes
    entry = clouds.by_package(package)
    return importlib.import_module(entry.fakes_module) if entry and entry.fakes_module else None
