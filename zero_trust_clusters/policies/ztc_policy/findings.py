"""What a rule returns (a failed or unverifiable control), and how the pack reports it.

Every diagnostic the pack reports is the finding's human line, then one machine-readable
trailer line the pack owns: `ztc-finding {"control": ..., "status": ..., "cluster": ...}`.
`decode()` is the one place that reads it back (the report's matrix keys on its fields, never on
the wording), so rewording a message changes no matrix cell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .catalog import CONTROL_IDS
from .values import (
    MISSING,
    UNREADABLE,
    contains_unknown,
    contains_value,
    is_unknown,
    lookup_raw,
    shape_problem,
)

# Every diagnostic of an unknown value carries this phrase (for people; the report reads the
# trailer's status).
UNVERIFIABLE_MARK = "could not be verified at preview"
TRAILER = "ztc-finding "
_SHOWN = 200  # characters of a found value or an error quoted in a message


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNVERIFIABLE = "not-verifiable"


@dataclass(frozen=True)
class Finding:
    control: str | None  # None: a finding of no single control (the pack could not read it)
    status: Status
    detail: str
    urn: str | None = None  # stack rules point at the offending resource
    cluster: str | None = None

    @property
    def message(self) -> str:
        where = f" (cluster {self.cluster})" if self.cluster else ""
        return f"[{self.control}]{where} {self.detail}" if self.control else (
            f"{where.strip()} {self.detail}".strip())

    @property
    def wire(self) -> str:
        """The reported text: the human line, then the structured trailer."""
        fields = {"control": self.control, "status": str(self.status), "cluster": self.cluster}
        return f"{self.message}\n{TRAILER}{json.dumps(fields, sort_keys=True)}"


@dataclass(frozen=True)
class Reported:
    """A diagnostic's finding, read back from its trailer."""

    control: str | None  # a catalog ID, or None (a finding of no single control)
    status: Status
    cluster: str | None
    text: str  # the human text, without the SDK's description line or the trailer


def decode(message: str, description: str = "") -> Reported | None:
    """The finding a diagnostic carries; None when it has no valid trailer (not the pack's own
    report, e.g. the SDK's "can't run policy" advisory)."""
    lines = (message or "").splitlines()
    at = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith(TRAILER)), None)
    if at is None:
        return None
    try:
        fields = json.loads(lines[at][len(TRAILER):])
        status = Status(fields["status"])
    except (ValueError, KeyError, TypeError):
        return None
    control, cluster = fields.get("control"), fields.get("cluster")
    body = lines[:at]
    if description and body and body[0] == description.splitlines()[0]:
        body = body[len(description.splitlines()):]
    return Reported(control if control in CONTROL_IDS else None, status,
                    cluster if isinstance(cluster, str) else None, "\n".join(body).strip())


def fail(control: str | None, detail: str, **kw: Any) -> Finding:
    return Finding(control, Status.FAIL, detail, **kw)


def unverifiable(control: str, what: str, why: str = "value unknown", **kw: Any) -> Finding:
    return Finding(control, Status.UNVERIFIABLE, f"{what} {UNVERIFIABLE_MARK} ({why}); "
                   "the control is not proven until it is", **kw)


def shown(value: Any) -> str:
    text = "unset" if value is MISSING else repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def expect(props: Any, path: str, ok: Any, *, control: str, default: Any = MISSING,
           why: str, reference: bool = False) -> list[Finding]:
    """Judge `props[path]` with `ok(value)`; a missing value is judged as the provider `default`.

    `why` describes the violation; `{value}` in it is replaced by what was found.
    `reference=True` marks a check that only needs the field set (a key ARN, an identity id):
    an unknown value there is a computed reference, so it is set; any other unknown value
    could not be verified. A value of the wrong shape is a violation naming the field, never an
    error: the pack must answer whatever it is sent.
    """
    value = lookup_raw(props, path)
    if is_unknown(value) or contains_unknown(value):
        if contains_value(value, UNREADABLE):
            return [unverifiable(control, path, "a value the policy SDK cannot read: NaN, Infinity or a malformed asset or secret")]
        return [] if reference else [unverifiable(control, path)]
    if value is MISSING:
        problem = shape_problem(props, path)
        if problem:
            return [fail(control, f"{path} cannot be read: {problem}")]
        value = default
    try:
        held = bool(ok(value))
    except Exception:  # noqa: BLE001 - a value of a type the check cannot compare
        return [fail(control, f"{path}={shown(value)} is of a type this check cannot judge")]
    return [] if held else [fail(control, why.replace("{value}", shown(value)))]
