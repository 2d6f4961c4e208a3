"""The control x cluster matrix: pass / fail / not verifiable, and what implements each cell.

Input is what `ztc preview` already has: the captured graph's resources and the diagnostics the
pack returned over gRPC. Verdicts come from the diagnostics; the pack's own ownership and
evidence logic (imported, not re-implemented) names the cluster and implementing resources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from scripts.report.rules import (
    BY_ID,
    CONTROL_IDS,
    UNVERIFIABLE_MARK,
    Ownership,
    controls_named,
    evaluate,
    nodes_from_captured,
)

PASS, FAIL, UNVERIFIABLE = "pass", "fail", "not-verifiable"
_CLUSTER_RE = re.compile(r"\(cluster ([^)]+)\)")


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str  # mandatory | advisory
    message: str  # the pack's own line: "[ZT-...] (cluster x) ..."
    urn: str = ""

    @property
    def unverifiable(self) -> bool:
        return UNVERIFIABLE_MARK in self.message


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
        out = {PASS: 0, FAIL: 0, UNVERIFIABLE: 0}
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
    else:
        policy, level, message, urn = d.policy_name, d.enforcement_level, d.message, d.urn
    # The SDK prepends the policy description; the pack's own line is the last one.
    line = (message or "").strip().splitlines()[-1] if message else ""
    return Finding(policy, level, line, urn or "")


_PACKAGE_CLOUD = {"aws": "aws", "azure-native": "azure", "gcp": "gcp"}


def _sharers(urn: str, own: Ownership, clusters: list[Column]) -> list[str]:
    """Clusters a shared resource's finding concerns: those of its cloud, else all of them."""
    node = own.by_urn.get(urn)
    cloud = _PACKAGE_CLOUD.get(node.type.split(":")[0]) if node else None
    return [c.name for c in clusters if cloud is None or c.cloud == cloud]


def build_matrix(resources: Iterable[Any], diagnostics: Iterable[Any], stack: str = "") -> Matrix:
    """`resources`: the captured graph (CapturedResource); `diagnostics`: the pack's answers."""
    nodes = nodes_from_captured(resources)
    own = Ownership(nodes)
    posture = evaluate(nodes, ownership=own)
    clusters = sorted((Column(own.display[c.urn], own.cloud[c.urn], c.urn) for c in own.clusters),
                      key=lambda c: c.name)
    cells: dict[tuple[str, str], Cell] = {}
    for col in clusters:
        for control in CONTROL_IDS:
            p = posture.cell(col.urn, control)
            cells[(control, col.name)] = Cell(
                control, col.name, col.cloud, PASS,
                implemented_by=[Implementer(n.name, n.type, n.urn) for n in p.implementers],
                missing=list(p.missing) + list(p.unproven), how=BY_ID[control].notes[col.cloud])
            if p.missing:
                cells[(control, col.name)].status = FAIL
            elif p.unproven:
                cells[(control, col.name)].status = UNVERIFIABLE
    unattributed: list[Finding] = []
    names = [c.name for c in clusters]
    for d in diagnostics:
        f = _finding(d)
        if f.level == "disabled":
            continue
        controls = [f.policy] if f.policy in CONTROL_IDS else controls_named(f.message)
        named = _CLUSTER_RE.search(f.message)
        cluster = named.group(1) if named else own.name_of(f.urn)
        targets = [cluster] if cluster in names else _sharers(f.urn, own, clusters)
        if not controls:
            unattributed.append(f)
            continue
        for control in controls:
            for name in targets:
                cell = cells[(control, name)]
                cell.findings.append(f)
                if not f.unverifiable:
                    cell.status = FAIL
                elif cell.status == PASS:
                    cell.status = UNVERIFIABLE
    return Matrix(stack, clusters, cells, unattributed)
