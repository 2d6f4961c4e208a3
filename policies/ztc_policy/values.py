"""Reading resource properties as the engine sends them: camelCase, maybe unknown, maybe missing.

The SDK wraps props in proxies that raise `UnknownValueError`, which it then downgrades to an
advisory (fail-open). We unwrap to plain data and detect unknowns ourselves so that an unknown
value becomes an explicit "could not be verified" finding instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


class _Marker:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:  # a missing value is never "set"
        return False


MISSING: Any = _Marker("MISSING")
UNKNOWN: Any = _Marker("UNKNOWN")


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in UNKNOWN_SENTINELS)


def raw(value: Any) -> Any:
    """Plain dicts/lists from SDK proxies or captured wire values (secret wrappers removed)."""
    if type(value).__name__ == "Unknown":  # pulumi.output.Unknown from an in-process capture
        return UNKNOWN_STRING_VALUE
    if isinstance(value, Mapping):
        try:
            target = value["__target"]  # the SDK's proxies hand out their target this way
        except (KeyError, TypeError):
            target = value
        if isinstance(target, Mapping) and target.get(_SIG_KEY) == _SECRET_SIG:
            return raw(target.get("value"))
        return {k: raw(target[k]) for k in target if k != "__target"}
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, Sequence):
        try:
            target = value["__target"]  # type: ignore[index]
        except (KeyError, TypeError, IndexError):
            target = value
        return [raw(v) for v in target]
    return value


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def lookup(props: Any, path: str) -> Any:
    """Value at a dotted path; MISSING if absent (or null), UNKNOWN if it or a parent is unknown."""
    current = props
    for key in path.split("."):
        if is_unknown(current):
            return UNKNOWN
        if isinstance(current, list):
            # A single-element list stands for an optional block (TF-style "max 1" lists).
            if len(current) != 1:
                return MISSING
            current = current[0]
            if is_unknown(current):
                return UNKNOWN
        if not isinstance(current, dict) or key not in current or current[key] is None:
            return MISSING
        current = current[key]
    return UNKNOWN if is_unknown(current) else current


def as_bool(value: Any) -> bool | None:
    """Provider booleans sometimes travel as strings ("true"); None when not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_list(value: Any) -> list:
    if value is MISSING or value is None:
        return []
    return value if isinstance(value, list) else [value]


WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"
WORLD_WORDS = frozenset({WORLD_V4, WORLD_V6, "*", "Internet", "any", "Any", "0.0.0.0", "::"})


def is_world(cidr: Any) -> bool:
    return isinstance(cidr, str) and cidr.strip() in WORLD_WORDS


def version_tuple(value: Any) -> tuple[int, ...] | None:
    if not isinstance(value, str):
        return None
    parts = []
    for piece in value.lstrip("v").split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
        if len(parts) == 2:
            break
    return tuple(parts) if parts else None
