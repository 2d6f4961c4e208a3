"""The components' claims and the pack's evidence agree (issue 14 part 3: one source of truth for
which resources implement which control).

The rule, per environment (dev, prod), phase stack, cluster and control:
1. every resource the pack's evidence accepts for the control (stack/posture.py `Cell.
   implementers`, from the records in ztc_policy/catalog.py) is one the components claim for
   it: named in the cluster's control map (`implements(...)` of its cloud component, the
   `ztc.io/controls` annotations the baseline reads back), in the shared PKI's map for that
   cluster, or by an estate-wide store that claims the control for every cluster (the ledger);
2. every evidence the pack asks in that phase is met (`Cell.missing` is empty), so the claimed
   resources alone satisfy it.
The components may claim more than the pack counts as evidence (subnets, NAT, grants, alarms:
resources that serve the control without standing for it). Claims are resource names (what the
control maps record). Run as a first preview (outputs unknown, references followed through
property dependencies) and once deployed (values known, references followed by value).
"""

from __future__ import annotations

import pytest
from ztc_policy.stack.graph import nodes_from_captured
from ztc_policy.stack.posture import evaluate

from zero_trust_clusters.engine.preview import capture_stack
from zero_trust_clusters.engine.runner import Graph

PKI_TYPE = "ztc:pki:SharedPki"
BASELINE_TYPE = "ztc:kubernetes:ClusterBaseline"


def claims(graph: Graph) -> tuple[dict[str, dict[str, set[str]]], dict[str, set[str]]]:
    """(cluster -> control -> claimed names, control -> names claimed for every cluster)."""
    per_cluster: dict[str, dict[str, set[str]]] = {}
    everywhere: dict[str, set[str]] = {}

    def add(cluster: str, control: str, names) -> None:
        per_cluster.setdefault(cluster, {}).setdefault(control, set()).update(names)

    for r in graph.resources:
        controls = (graph.component_outputs.get(r.urn) or {}).get("controls")
        if r.type == PKI_TYPE:
            for cluster, held in controls.items():
                for control, names in held.items():
                    add(cluster, control, names)
        elif r.type == BASELINE_TYPE or (r.type.startswith("ztc:") and r.type.endswith("Cluster")):
            for control, names in (controls or {}).items():
                add(r.name.removesuffix("-baseline"), control, names)
        elif isinstance(controls, list):  # a store of the estate (the ledger) claims itself
            for control in controls:
                everywhere.setdefault(control, set()).add(r.name)
    return per_cluster, everywhere


@pytest.fixture(scope="module", params=[("dev", True), ("prod", True), ("dev", False)],
                ids=["dev-first-preview", "prod-first-preview", "dev-deployed"])
def capture(request):
    stack, preview = request.param
    return capture_stack(stack, preview=preview)


def test_claims_and_evidence_agree_per_cluster_and_control(capture):
    checked = 0
    for phase, graph in capture.phases.items():
        per_cluster, everywhere = claims(graph)
        posture = evaluate(nodes_from_captured(graph.resources))
        assert posture.cells, phase
        for cell in posture.cells.values():
            claimed = per_cluster.get(cell.cluster, {}).get(cell.control, set()) | \
                everywhere.get(cell.control, set())
            where = (capture.stack, phase, cell.cluster, cell.control)
            assert cell.missing == [], where
            unclaimed = sorted({n.name for n in cell.implementers} - claimed)
            assert unclaimed == [], (*where, "evidence no component claims", unclaimed)
            checked += bool(cell.implementers)
    assert checked >= 19 * len(capture.spec.clusters)  # every control had evidence somewhere
