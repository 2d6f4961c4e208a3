"""What a rule returns: a failed or unverifiable control, worded so the message names it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .catalog import CONTROL_IDS
from .values import MISSING, UNKNOWN, contains_unknown, lookup

# Every diagnostic of an unknown value carries this phrase; the report keys on it.
UNVERIFIABLE_MARK = "could not be verified at preview"
_CONTROL_RE = re.compile(r"\[(ZT-[A-Z-]+)\]")


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNVERIFIABLE = "not-verifiable"


@dataclass(frozen=True)
class Finding:
    control: str
    status: Status
    detail: str
    urn: str | None = None  # stack rules point at the offending resource
    cluster: str | None = None

    @property
    def message(self) -> str:
        where = f" (cluster {self.cluster})" if self.cluster else ""
        return f"[{self.control}]{where} {self.detail}"


def fail(control: str, detail: str, **kw: Any) -> Finding:
    return Finding(control, Status.FAIL, detail, **kw)


def unverifiable(control: str, what: str, why: str = "value unknown", **kw: Any) -> Finding:
    return Finding(control, Status.UNVERIFIABLE, f"{what} {UNVERIFIABLE_MARK} ({why}); "
                   "the control is not proven until it is", **kw)


def expect(props: Any, path: str, ok: Any, *, control: str, default: Any = MISSING,
           why: str, reference: bool = False) -> list[Finding]:
    """Judge `props[path]` with `ok(value)`; a missing value is judged as the provider `default`.

    `why` describes the violation; `{value}` in it is replaced by what was found.
    `reference=True` marks a check that only needs the field set (a key ARN, an identity id):
    an unknown value there is a computed reference, so it is set; any other unknown value
    could not be verified.
    """
    value = lookup(props, path)
    if value is UNKNOWN or contains_unknown(value):
        return [] if reference else [unverifiable(control, path)]
    if value is MISSING:
        value = default
    shown = "unset" if value is MISSING else repr(value)
    return [] if ok(value) else [fail(control, why.replace("{value}", shown))]


def controls_named(text: str) -> list[str]:
    """Control IDs a diagnostic message names, in order, catalog IDs only."""
    seen: list[str] = []
    for match in _CONTROL_RE.findall(text or ""):
        if match in CONTROL_IDS and match not in seen:
            seen.append(match)
    return seen
