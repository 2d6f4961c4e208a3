"""The registry of resource rules: control x cloud x provider types -> check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..findings import Finding, fail, shown
from ..values import last_read


@dataclass(frozen=True)
class Resource:
    """One resource as a rule sees it: plain props (camelCase wire names)."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]


Check = Callable[[Resource, Mapping[str, Any]], Iterable[Finding]]


@dataclass(frozen=True)
class ResourceRule:
    control: str
    cloud: str  # aws | azure | gcp | kubernetes | pki
    types: tuple[str, ...]
    summary: str
    check: Check


RULES: list[ResourceRule] = []
_BY_CONTROL_TYPE: dict[tuple[str, str], list[ResourceRule]] = defaultdict(list)


def rule(control: str, cloud: str, *types: str, summary: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        r = ResourceRule(control, cloud, tuple(types), summary, check)
        RULES.append(r)
        for t in types:
            _BY_CONTROL_TYPE[(control, t)].append(r)
        return check

    return register


def rules_for(control: str, type_: str) -> list[ResourceRule]:
    return _BY_CONTROL_TYPE.get((control, type_), [])


def judge(resource: Resource, control: str, config: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    for r in rules_for(control, resource.type):
        try:
            out.extend(r.check(resource, config))
        except Exception as error:  # noqa: BLE001 - any input must get an answer, not an error
            out.append(cannot_judge(control, error))
    return out


def cannot_judge(control: str | None, error: BaseException) -> Finding:
    """A rule that raised on a malformed value: a violation naming the field it was reading."""
    field = last_read() or "a property"
    return fail(control, f"{field} could not be judged ({type(error).__name__}: "
                         f"{shown(str(error))}); fix the value, the control is not proven")
