"""Time-boxed exemptions (resource, control, reason, expires) from a policy's config."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .findings import Finding, fail


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def apply(findings: Iterable[Finding], cfg: Mapping[str, Any], policy: str,
          names: Callable[[str | None], set[str]], control: str | None = None) -> list[Finding]:
    """Drop findings covered by a live exemption; say so on those whose exemption expired.

    `names(urn)` gives every name a finding's resource answers to (URN, name, cluster).
    """
    exemptions, problems = parse(cfg.get("exemptions") or [], policy, control)
    out: list[Finding] = list(problems)
    now = today()
    for f in findings:
        match = next((e for e in exemptions if (e["control"] in (None, f.control))
                      and e["resource"] in names(f.urn)), None)
        if match is None:
            out.append(f)
        elif match["expires"] < now:
            out.append(Finding(f.control, f.status, f"{f.detail} (exemption expired on "
                               f"{match['expires'].isoformat()}: {match['reason']})",
                               f.urn, f.cluster))
    return out


def parse(raw: Any, policy: str, default: str | None) -> tuple[list[dict], list[Finding]]:
    """A policy's exemptions ({resource, control, reason, expires: date}) and, for each entry
    that is malformed, a violation naming its config key."""
    good, bad = [], []
    entries = raw if isinstance(raw, list) else [raw]
    for i, e in enumerate(entries):
        key = f"policy config {policy}.exemptions[{i}]"
        control = e.get("control") if isinstance(e, dict) else None
        control = control if isinstance(control, str) and control else None
        shown = control or default
        if not isinstance(e, dict) or not isinstance(e.get("resource"), str) or not e.get(
                "resource") or not isinstance(e.get("reason"), str) or not e.get("reason"):
            bad.append(fail(shown, f"{key} needs resource, control, reason and expires "
                                   "(strings)"))
            continue
        try:
            expires = dt.date.fromisoformat(str(e.get("expires")))
        except ValueError:
            bad.append(fail(shown, f"{key}.expires={e.get('expires')!r:.40} is not a date; "
                            "write YYYY-MM-DD"))
            continue
        good.append({"resource": e["resource"], "control": control, "reason": e["reason"],
                     "expires": expires})
    return good, bad
