"""The stage's view of a plan: each resource's type, URN, parent and masked wire inputs.

Both sources give the same view: a graph captured in-process (`ztc preview`) is masked the
way `--format json` writes it, so `ztc validate plan.json` finds exactly what the preview found.
Secrets and unknowns (computed outputs at preview) are opaque: never checked, never printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown

from zero_trust_clusters.engine.mocks import CapturedResource, is_secret

SECRET = "[secret]"
UNKNOWN = "[unknown]"
OPAQUE = frozenset({SECRET, UNKNOWN})


def opaque(value: Any) -> bool:
    """True for a value nobody knows offline: a secret or an unknown computed output."""
    return isinstance(value, str) and value in OPAQUE


@dataclass(frozen=True)
class PlanResource:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    # Top-level inputs fed by other resources' outputs: absent when unknown at preview.
    dependent: frozenset[str] = frozenset()


def masked(value: Any) -> Any:
    """The value as `ztc preview --format json` writes it (zero_trust_clusters/engine/preview.py `mask`)."""
    if is_secret(value):
        return SECRET
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def from_captured(resources: Iterable[CapturedResource]) -> list[PlanResource]:
    return [
        PlanResource(
            r.type, r.name, r.urn, r.parent, r.custom, masked(r.inputs),
            frozenset(k for k, v in r.property_dependencies.items() if v),
        )
        for r in resources
    ]


def from_plan(plan: Mapping[str, Any]) -> list[PlanResource]:
    """Resources of a plan document (`ztc preview --format json`); KeyError if it is not one."""
    return [
        PlanResource(
            r["type"], r["name"], r["urn"], r.get("parent", ""), bool(r.get("custom", True)),
            r.get("inputs") or {},
            frozenset(k for k, v in (r.get("propertyDependencies") or {}).items() if v),
        )
        for r in plan["resources"]
    ]


def join(path: str, key: str | int) -> str:
    """`a.b` + `c` -> `a.b.c`; `a` + 0 -> `a[0]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key
