"""Canonical JSON: the one byte form every ledger hash and signature is computed over.

Rules (stable across Python versions and machines):
- UTF-8, no insignificant whitespace (`,` and `:` separators), no BOM, no trailing newline.
- Object keys must be strings; they are sorted by Unicode code point (Python `sorted`).
  This equals RFC 8785 (JCS) ordering for every key made of BMP characters, which covers
  all keys the ledger and Pulumi produce.
- Non-ASCII characters are written as themselves (not `\\u` escapes); JSON's mandatory
  escapes (quote, backslash, control characters) use Python's `json` short forms.
- Numbers: booleans stay `true`/`false`; integers (and floats with an integral value, since
  Pulumi's wire form turns every number into a double) are written as integers; any
  other float is written in its shortest round-trip form (`repr`), so 0.1 is `0.1`.
  NaN and infinities are refused: JSON has no spelling for them.
- Tuples are arrays; any other type (bytes, datetime, objects) is refused, so nothing is
  silently stringified.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any


class CanonicalFormError(ValueError):
    """A value has no canonical JSON form."""


def normalize(value: Any, path: str = "$") -> Any:
    """Return `value` with numbers normalized and types checked (see module rules)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalFormError(f"{path}: {value!r} has no JSON form")
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalFormError(f"{path}: object key {key!r} is not a string")
            out[key] = normalize(item, f"{path}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [normalize(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise CanonicalFormError(f"{path}: type {type(value).__name__} has no canonical JSON form")


def _parse_float(text: str) -> int | float:
    value = float(text)
    if not math.isfinite(value):  # e.g. 1e999
        raise CanonicalFormError(f"{text} has no finite JSON value")
    return int(value) if value.is_integer() else value


def _refuse_constant(name: str) -> Any:
    raise CanonicalFormError(f"{name} has no JSON form")


def loads(data: bytes | str) -> Any:
    """Parse JSON straight into normalized values (integral floats as int, no NaN), so
    `canonical_bytes(value, normalized=True)` can skip the walk over the whole value."""
    return json.loads(data, parse_float=_parse_float, parse_constant=_refuse_constant)


def canonical_bytes(value: Any, *, normalized: bool = False) -> bytes:
    """The canonical JSON bytes of `value` (`normalized`: it came from `loads`)."""
    return json.dumps(
        value if normalized else normalize(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def digest(value: Any) -> str:
    """`sha256:<hex>` of the canonical JSON of `value`."""
    return sha256_hex(canonical_bytes(value))
