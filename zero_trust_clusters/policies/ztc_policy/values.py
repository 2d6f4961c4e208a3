"""Reading resource properties as the engine sends them: camelCase, maybe unknown, maybe missing.

The SDK wraps props in proxies that raise `UnknownValueError`, which it then downgrades to an
advisory (fail-open). We unwrap to plain data and detect unknowns ourselves so that an unknown
value becomes an explicit "could not be verified" finding instead.
"""

from __future__ import annotations

import threading
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

from . import addresses

# What the pack (serve.py) puts where a request held a value the SDK cannot read: NaN or
# +-Infinity (protobuf's JSON conversion refuses them), a malformed asset or secret object.
# Judged like an unknown value: never "set", so never passed.
UNREADABLE = "ztc:unreadable-value"
UNKNOWN_SENTINELS = frozenset(
    {
        UNREADABLE,
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


def _target(proxy: Any) -> Any:
    """What an SDK proxy wraps (it hands its target out under this key)."""
    try:
        return proxy["__target"]
    except (KeyError, TypeError, IndexError):
        return proxy


def raw(value: Any) -> Any:
    """Plain dicts/lists from SDK proxies or captured wire values (secret wrappers removed)."""
    if value is None or isinstance(value, (str, bytes, bool, int, float)):
        return value
    if type(value).__name__ == "Unknown":  # pulumi.output.Unknown from an in-process capture
        return UNKNOWN_STRING_VALUE
    if isinstance(value, Mapping):
        # Only a proxy (a Mapping, never a dict) is unwrapped: a plain dict may hold any key.
        target = value if isinstance(value, dict) else _target(value)
        if not isinstance(target, Mapping):
            return {}
        if target.get(_SIG_KEY) == _SECRET_SIG:
            return raw(target.get("value"))
        return {k: raw(v) for k, v in target.items() if k != "__target"}
    if isinstance(value, Sequence):
        target = value if isinstance(value, (list, tuple)) else _target(value)
        return [raw(v) for v in target] if isinstance(target, (list, tuple)) else []
    return value


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def contains_value(value: Any, wanted: str) -> bool:
    """Whether `wanted` (a sentinel string) is `value` or anywhere inside it."""
    if isinstance(value, str):
        return value == wanted
    if isinstance(value, dict):
        return any(contains_value(v, wanted) for v in value.values())
    if isinstance(value, list):
        return any(contains_value(v, wanted) for v in value)
    return False


_reading = threading.local()


def forget_reads() -> None:
    """Start a new judgement: `last_read` names nothing until `lookup` reads again."""
    _reading.path = None


def last_read() -> str | None:
    """The last path `lookup` read on this thread: the field a failing rule was looking at."""
    return getattr(_reading, "path", None)


def lookup(props: Any, path: str) -> Any:
    """Value at a dotted path; MISSING if absent (or null), UNKNOWN if it or a parent is unknown."""
    value = lookup_raw(props, path)
    return UNKNOWN if is_unknown(value) else value


def lookup_raw(props: Any, path: str) -> Any:
    """`lookup`, but an unknown value comes back as found (which sentinel, for the reason)."""
    _reading.path = path
    current = props
    for key in path.split("."):
        if is_unknown(current):
            return current
        if isinstance(current, list):
            # A single-element list stands for an optional block (TF-style "max 1" lists).
            if len(current) != 1:
                return MISSING
            current = current[0]
            if is_unknown(current):
                return current
        if not isinstance(current, dict) or key not in current or current[key] is None:
            return MISSING
        current = current[key]
    return current


def shape_problem(props: Any, path: str) -> str | None:
    """Where a path cannot be followed because a value on the way is not an object (a string,
    a number, a list of several blocks): "vpcConfig is a str". None if the path is only absent."""
    current = props
    walked: list[str] = []
    for key in path.split("."):
        if isinstance(current, list) and len(current) == 1:
            current = current[0]
        if current is None or current is MISSING:
            return None
        if not isinstance(current, dict):
            where = ".".join(walked) or "the resource"
            kind = f"a list of {len(current)}" if isinstance(current, list) else (
                f"a {type(current).__name__}")
            return f"{where} is {kind}, not an object"
        walked.append(key)
        current = current.get(key)
    return None


def as_bool(value: Any) -> bool | None:
    """Provider booleans sometimes travel as strings ("true"); None when not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    """A whole number: 1 and 1.0 (JSON numbers travel as floats) are 1. True, 1.5, NaN and
    strings ("1") are None: that a provider would coerce a numeric string is not established,
    so such a value fails closed (a violation naming the field), never passes."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def as_list(value: Any) -> list:
    if value is MISSING or value is None:
        return []
    return value if isinstance(value, list) else [value]


WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"
WORLD_WORDS = frozenset({WORLD_V4, WORLD_V6, "*", "Internet", "any", "Any", "0.0.0.0", "::"})


_WORLD_WORDS_FOLDED = frozenset(w.casefold() for w in WORLD_WORDS)
# A source set reaching more public addresses than a /8 of IPv4 (or a /32 of IPv6) is as good as
# the Internet for ingress to a cluster: no office, VPN or partner range is that large.
MAX_PUBLIC_V4, MAX_PUBLIC_V6 = 2**24, 2**96


def is_world(cidr: Any) -> bool:
    return isinstance(cidr, str) and cidr.strip().casefold() in _WORLD_WORDS_FOLDED


def world_sources(values: Any) -> list[str]:
    """The entries through which a set of sources admits the Internet, judged together: a word
    meaning "anywhere" (0.0.0.0/0, ::/0, *, Internet, any; any case), or CIDRs that together
    cover every public address or more than a /8 of them, however they are split
    (0.0.0.0/1 + 128.0.0.0/1, the 256 /8s, ::ffff:0:0/96: ztc_policy/addresses.py)."""
    texts = [v.strip() for v in as_list(values) if isinstance(v, str)]
    words = [v for v in texts if is_world(v)]
    if words:
        return words
    cidrs = []
    for text in texts:
        try:
            addresses.parse(text)
        except ValueError:
            continue
        cidrs.append(text)
    if cidrs and (addresses.covers_internet(cidrs) or addresses.exceeds(
            cidrs, max_public_v4=MAX_PUBLIC_V4, max_public_v6=MAX_PUBLIC_V6)):
        return cidrs
    return []


def version_tuple(value: Any) -> tuple[int, ...] | None:
    if not isinstance(value, str):
        return None
    parts = []
    for piece in value.lstrip("v").split(".", 2):
        digits = "".join(ch for ch in piece[:12] if ch.isdigit())
        if not digits:  # (a version number is short: a longer piece is cut, never parsed whole)
            break
        parts.append(int(digits))
        if len(parts) == 2:
            break
    return tuple(parts) if parts else None
