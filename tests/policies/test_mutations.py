"""Mutation test on the real dev stack: each control off on each cloud must be caught.

The dev stack's resources come from running the real program under the mocks, including the
change ledger's WORM store (`posture.ledger`). Should a stack keep its ledger outside, the
store is added exactly as `zero_trust_clusters.components.ledger.LedgerBucket` registers it, so ZT-CHANGE-LEDGER
still has an in-stack implementer to turn off.
"""

from __future__ import annotations

import pytest
from policy_testkit import partial
from policy_testkit.mutations import MUTATIONS, Graph, control_of
from ztc_policy.catalog import CLOUDS, CONTROL_IDS

from zero_trust_clusters.components.ledger.bucket import LedgerBucket, LedgerBucketArgs
from zero_trust_clusters.engine.analyzer import _analyze
from zero_trust_clusters.engine.preview import capture_stack
from zero_trust_clusters.engine.runner import PROJECT, run_program


@pytest.fixture(scope="module")
def dev() -> Graph:
    resources = capture_stack("dev").graph.resources
    if not any(r.type == "ztc:ledger:LedgerBucket" for r in resources):
        resources = resources + run_program(lambda: LedgerBucket("dev-ledger", LedgerBucketArgs(
            bucket_name="ztc-dev-ledger-111122223333")), stack="dev", project=PROJECT).resources
    return Graph(resources)


def _mandatory(stub, resources, changed=None):
    if changed is None:
        by_urn = {r.urn: r for r in resources}
        return _analyze(stub, resources, by_urn, "dev", PROJECT, None, True).mandatory
    return [d for d in partial.analyze(stub, resources, changed) if d.mandatory]


def test_untouched_dev_has_no_mandatory_violation(pack, dev):
    assert [(d.policy_name, d.message) for d in _mandatory(pack.stub, dev.resources)] == []


def test_untouched_prod_has_no_mandatory_violation(pack):
    resources = capture_stack("prod").graph.resources
    assert [(d.policy_name, d.message) for d in _mandatory(pack.stub, resources)] == []


@pytest.mark.parametrize("key", sorted(MUTATIONS), ids=lambda k: f"{k[1]}:{k[0]}")
def test_control_turned_off_is_a_mandatory_violation_naming_it(pack, dev, key):
    name, cloud = key
    control = control_of(name)
    change = MUTATIONS[key](dev)
    mutated = change.apply(dev.resources)
    partial.configure(pack.stub, "dev", PROJECT)
    diags = _mandatory(pack.stub, mutated, change.edited)
    naming = [d for d in diags if d.policy_name == control or f"[{control}]" in d.message]
    assert naming, f"{cloud}: {name} went unnoticed; got {[d.policy_name for d in diags]}"
    if cloud != "shared":  # the finding lands on that cloud's cluster
        cluster = dev.cluster(cloud)
        assert any(f"(cluster {cluster})" in d.message or dev.cluster_of.get(d.urn) == cluster
                   for d in naming)


def test_mutations_cover_every_control_on_every_cloud():
    """The controls the cases above turn off (each case asserts its own catch), listed."""
    per_cloud: dict[str, set[str]] = {}
    for name, cloud in MUTATIONS:
        per_cloud.setdefault(cloud, set()).add(control_of(name))
    print("\ncontrols covered by the mutation test:")
    for cloud, controls in sorted(per_cloud.items()):
        print(f"  {cloud}: {len(controls)}: {', '.join(sorted(controls))}")
    everything = set().union(*per_cloud.values())
    assert sorted(everything) == sorted(CONTROL_IDS)
    assert len(everything) == len(CONTROL_IDS) == 19
    for cloud in CLOUDS:  # every control but the estate-wide ledger, on each cloud
        assert per_cloud[cloud] == set(CONTROL_IDS) - {"ZT-CHANGE-LEDGER"}
    assert per_cloud["shared"] == {"ZT-CHANGE-LEDGER"}
