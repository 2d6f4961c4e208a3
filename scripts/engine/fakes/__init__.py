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
from types import ModuleType


def stable_hex(*parts: str, length: int = 17) -> str:
    """A deterministic hex string derived from `parts` (fake ids that never churn)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def stable_digits(*parts: str, length: int = 12) -> str:
    return str(int(stable_hex(*parts, length=24), 16))[:length].rjust(length, "1")


def for_package(package: str) -> ModuleType | None:
    """The fake module for a provider package token prefix (aws, azure-native, gcp, kubernetes)."""
    from scripts.engine.fakes import aws, azure, gcp, kubernetes

    return {"aws": aws, "azure-native": azure, "gcp": gcp, "kubernetes": kubernetes}.get(package)
