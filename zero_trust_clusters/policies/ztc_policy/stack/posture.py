"""Each cluster's standing on each control: implementers, missing evidence, rule findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import CONTROL_IDS
from ..config import settings
from ..findings import Finding, Status
from ..rules import Resource
from ..rules.registry import judge, rules_for
from .evidence import accepted, requirements
from .graph import Node, Ownership


@dataclass
class Cell:
    cluster: str
    cluster_urn: str
    cloud: str
    control: str
    implementers: list[Node] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unproven: list[str] = field(default_factory=list)  # optional evidence not in the stack
    # Evidence of the cluster's other phase, which this stack does not hold (phase -> labels).
    deferred: dict[str, list[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if self.missing or any(f.status == Status.FAIL for f in self.findings):
            return Status.FAIL
        if self.findings or self.unproven or self.deferred:
            return Status.UNVERIFIABLE
        return Status.PASS

    def reason(self) -> str:
        if self.missing:
            return "no " + " and no ".join(self.missing)
        if self.findings:
            return self.findings[0].detail
        if self.unproven:
            return "no " + " and no ".join(self.unproven)
        if self.deferred:
            return "; ".join(f"{', '.join(labels)} checked in the {phase}-phase stack"
                             for phase, labels in sorted(self.deferred.items()))
        return "held"


@dataclass
class Posture:
    ownership: Ownership
    cells: dict[tuple[str, str], Cell]

    def clusters(self) -> list[str]:
        return [c.urn for c in self.ownership.clusters]

    def cell(self, cluster_urn: str, control: str) -> Cell:
        return self.cells[(cluster_urn, control)]


def evaluate(nodes: list[Node], configs: Mapping[str, Mapping[str, Any]] | None = None,
             ownership: Ownership | None = None) -> Posture:
    own = ownership or Ownership(nodes)
    configs = configs or {}
    cfg = {c: settings(c, configs.get(c)) for c in CONTROL_IDS}
    shared = own.shared()
    cells: dict[tuple[str, str], Cell] = {}
    for cluster in own.clusters:
        cloud = own.cloud[cluster.urn]
        owned = own.owned(cluster.urn)
        for control in CONTROL_IDS:
            cell = Cell(own.display[cluster.urn], cluster.urn, cloud, control)
            for req in requirements(cloud, control):
                hits: list[Node] = []
                elsewhere: list[str] = []  # phases of options this stack does not hold
                for option in req.options:  # the first option met counts
                    if option.phase not in own.phases[cluster.urn]:
                        elsewhere.append(option.phase)
                        continue
                    pool = owned + shared if option.shared_ok else owned
                    hits = accepted(option, pool, owned, cfg[control], own.by_urn,
                                    cell.implementers)
                    if hits:
                        break
                if not hits and elsewhere:  # may be met by the other phase's stack
                    for phase in dict.fromkeys(elsewhere):
                        cell.deferred.setdefault(phase, []).append(req.label)
                    continue
                if not hits:
                    (cell.unproven if req.optional else cell.missing).append(req.wanted)
                cell.implementers.extend(h for h in hits if h not in cell.implementers)
            judged = {n.urn for n in owned} | {n.urn for n in cell.implementers}
            for urn in judged:
                n = own.by_urn[urn]
                if rules_for(control, n.type):
                    res = Resource(n.type, n.name, n.urn, n.props)
                    cell.findings.extend(
                        Finding(f.control, f.status, f.detail, urn=n.urn, cluster=cell.cluster)
                        for f in judge(res, control, cfg[control]))
            cells[(cluster.urn, control)] = cell
    return Posture(own, cells)
