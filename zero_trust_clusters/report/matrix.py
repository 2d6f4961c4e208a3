"""The control x cluster matrix: pass / fail / not verifiable / not checked / exempt, and what
implements each cell.

Input is what `ztc preview` already has: the captured graph's resources, the diagnostics the
pack returned over gRPC, and the policies' enforcement levels and settings in force. The pack's
own ownership and evidence logic (imported, not re-implemented) names the cluster and the
implementing resources; each diagnostic's control, status and cluster come from its structured
trailer (`decode`, the pack's one reader of it), never from the wording.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from zero_trust_clusters.components import clouds
from zero_trust_clusters.report.rules import (
    BY_ID,
    CONTROL_IDS,
    EVIDENCE_POLICY,
    JUDGED_BY,
    POLICY_CONTROL,
    Ownership,
    Status,
    decode,
    evaluate,
    nodes_from_captured,
    parse_exemptions,
)

PASS, FAIL, UNVERIFIABLE = "pass", "fail", "not-verifiable"
NOT_CHECKED, EXEMPT = "not-checked", "exempt"
STATUSES = (PASS, FAIL, UNVERIFIABLE, NOT_CHECKED, EXEMPT)
DISABLED = "disabled"


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str  # mandatory | advisory
    message: str  # the pack's human text (without the SDK's description line or the trailer)
    urn: str = ""
    control: str | None = None  # from the trailer
    status: str = FAIL  # fail | not-verifiable, from the trailer
    cluster: str | None = None  # from the trailer, when the finding names its cluster

    @property
    def unverifiable(self) -> bool:
        return self.status == UNVERIFIABLE


@dataclass
class Implementer:
    name: str
    type: str
    urn: str


@dataclass
class Cell:
    control: str
    cluster: str
    cloud: str
    status: str
    implemented_by: list[Implementer] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    how: str = ""  # the catalog's per-cloud implementation ("equivalent: ..." when not native)
    not_checked_by: list[str] = field(default_factory=list)  # policies disabled for this cell
    exempt_until: str = ""  # YYYY-MM-DD of the live exemption covering the cell
    exemption: str = ""  # its reason


@dataclass
class Column:
    name: str
    cloud: str
    urn: str


@dataclass
class Matrix:
    stack: str
    clusters: list[Column]
    cells: dict[tuple[str, str], Cell]
    unattributed: list[Finding] = field(default_factory=list)

    @property
    def controls(self) -> list[str]:
        return list(CONTROL_IDS)

    def cell(self, control: str, cluster: str) -> Cell:
        return self.cells[(control, cluster)]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for c in self.cells.values():
            out[c.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "counts": self.counts(),
            "clusters": [asdict(c) for c in self.clusters],
            "controls": [{"id": c, "title": BY_ID[c].title, "principle": BY_ID[c].principle,
                          "notes": BY_ID[c].notes} for c in self.controls],
            "cells": [
                {"control": cell.control, "cluster": cell.cluster, "cloud": cell.cloud,
                 "status": cell.status, "how": cell.how, "missing": cell.missing,
                 "notCheckedBy": cell.not_checked_by, "exemptUntil": cell.exempt_until,
                 "exemption": cell.exemption,
                 "implementedBy": [asdict(i) for i in cell.implemented_by],
                 "findings": [asdict(f) for f in cell.findings]}
                for cell in self.cells.values()
            ],
            "unattributed": [asdict(f) for f in self.unattributed],
        }


def _finding(d: Any) -> Finding:
    if isinstance(d, Mapping):
        policy = d.get("policy") or d.get("policyName") or d.get("policy_name") or ""
        level = d.get("enforcementLevel") or d.get("enforcement_level") or "mandatory"
        message, urn = d.get("message", ""), d.get("urn", "")
        description = d.get("description", "")
    else:
        policy, level, message, urn = d.policy_name, d.enforcement_level, d.message, d.urn
        description = getattr(d, "description", "")
    reported = decode(message or "", description or "")
    if reported is None:  # not the pack's own report (no trailer): shown, never attributed
        return Finding(policy, level, (message or "").strip(), urn or "")
    status = UNVERIFIABLE if reported.status == Status.UNVERIFIABLE else FAIL
    return Finding(policy, level, reported.text, urn or "", reported.control, status,
                   reported.cluster)


def message_text(d: Any) -> str:
    """A diagnostic's text for people: the pack's own line without the SDK's description line
    and the structured trailer (any other pack's message as it came)."""
    return _finding(d).message


def _sharers(urn: str, own: Ownership, clusters: list[Column]) -> list[str]:
    """Clusters a shared resource's finding concerns: those of its cloud, else all of them."""
    node = own.by_urn.get(urn)
    entry = clouds.by_package(node.type.split(":")[0]) if node else None
    cloud = entry.name if entry else None
    return [c.name for c in clusters if cloud is None or c.cloud == cloud]


def _clusters_named(resource: str, own: Ownership, clusters: list[Column]) -> list[str]:
    """The clusters an exemption's `resource` (URN, name or cluster name) concerns."""
    hits = [c.name for c in clusters if resource in (c.name, c.urn, own.by_urn[c.urn].name)]
    if hits:
        return hits
    out: list[str] = []
    for node in own.nodes:
        if resource in (node.urn, node.name):
            name = own.name_of(node.urn)
            out += [name] if name else _sharers(node.urn, own, clusters)
    return list(dict.fromkeys(out))


def _exemptions(settings: Mapping[str, Mapping[str, Any]], levels: Mapping[str, str],
                own: Ownership, clusters: list[Column]) -> dict[tuple[str, str], tuple[dt.date,
                                                                                    str]]:
    """(control, cluster) -> (expires, reason) of the live exemptions in the pack's config."""
    today = dt.datetime.now(dt.UTC).date()
    out: dict[tuple[str, str], tuple[dt.date, str]] = {}
    for policy, props in settings.items():
        if levels.get(policy) == DISABLED or not isinstance(props, Mapping):
            continue
        default = POLICY_CONTROL.get(policy)
        entries, _ = parse_exemptions(props.get("exemptions") or [], policy, default)
        for e in entries:
            if e["expires"] < today:
                continue  # expired: the pack reports the finding again
            control = e["control"] or default
            for c in [control] if control in CONTROL_IDS else list(CONTROL_IDS):
                for name in _clusters_named(e["resource"], own, clusters):
                    held = out.get((c, name))
                    if held is None or e["expires"] < held[0]:
                        out[(c, name)] = (e["expires"], e["reason"])
    return out


def build_matrix(resources: Iterable[Any], diagnostics: Iterable[Any], stack: str = "", *,
                 levels: Mapping[str, str] | None = None,
                 settings: Mapping[str, Mapping[str, Any]] | None = None) -> Matrix:
    """`resources`: the captured graph (CapturedResource); `diagnostics`: the pack's answers;
    `levels` / `settings`: each policy's enforcement level and properties in force
    (AnalysisResult.policies / .settings), for "not checked" and "exempt until" cells."""
    levels, settings = dict(levels or {}), dict(settings or {})
    nodes = nodes_from_captured(resources)
    own = Ownership(nodes)
    posture = evaluate(nodes, ownership=own)
    clusters = sorted((Column(own.display[c.urn], own.cloud[c.urn], c.urn) for c in own.clusters),
                      key=lambda c: c.name)
    required = (settings.get(EVIDENCE_POLICY) or {}).get("requiredControls") or CONTROL_IDS
    cells: dict[tuple[str, str], Cell] = {}
    for col in clusters:
        for control in CONTROL_IDS:
            p = posture.cell(col.urn, control)
            cells[(control, col.name)] = Cell(
                control, col.name, col.cloud, PASS,
                implemented_by=[Implementer(n.name, n.type, n.urn) for n in p.implementers],
                missing=list(p.missing) + list(p.unproven),
                how=BY_ID[control].notes.get(col.cloud, ""),
                not_checked_by=[x for x in JUDGED_BY[control] if levels.get(x) == DISABLED])
    unattributed: list[Finding] = []
    names = [c.name for c in clusters]
    for d in diagnostics:
        f = _finding(d)
        if f.level == DISABLED:
            continue
        if f.control is None:
            unattributed.append(f)
            continue
        cluster = f.cluster if f.cluster in names else own.name_of(f.urn)
        for name in [cluster] if cluster in names else _sharers(f.urn, own, clusters):
            cells[(f.control, name)].findings.append(f)
    exempt = _exemptions(settings, levels, own, clusters)
    urn_of = {c.name: c.urn for c in clusters}
    for (control, name), cell in cells.items():
        p = posture.cell(urn_of[name], control)
        evidence_checked = levels.get(EVIDENCE_POLICY) != DISABLED and control in required
        if any(not f.unverifiable for f in cell.findings) or (p.missing and evidence_checked):
            cell.status = FAIL
        elif cell.not_checked_by or (p.missing and not evidence_checked):
            cell.status = NOT_CHECKED
        elif cell.findings or p.unproven:
            cell.status = UNVERIFIABLE
        elif (control, name) in exempt:
            cell.status = EXEMPT
        if (control, name) in exempt:
            expires, cell.exemption = exempt[(control, name)]
            cell.exempt_until = expires.isoformat()
    return Matrix(stack, clusters, cells, unattributed)


def combine(matrices: Iterable[Matrix], stack: str = "") -> Matrix:
    """Several stacks' matrices as one (a fleet's report): each cluster named `<stack>/<name>`
    (two stacks may hold clusters of the same name), every cell and finding kept."""
    matrices = list(matrices)
    clusters: list[Column] = []
    cells: dict[tuple[str, str], Cell] = {}
    unattributed: list[Finding] = []
    for m in matrices:
        for col in m.clusters:
            name = f"{m.stack}/{col.name}"
            clusters.append(Column(name, col.cloud, col.urn))
            for control in CONTROL_IDS:
                cells[(control, name)] = replace(m.cell(control, col.name), cluster=name)
        unattributed += m.unattributed
    return Matrix(stack or " + ".join(m.stack for m in matrices), clusters, cells, unattributed)
