"""The policy pack's Azure rules on the real AKS graph: clean as built, and the old faults
(developers writing cluster-wide, world ingress through an NSG's singular fields) caught."""

from __future__ import annotations

import copy
import sys

import pytest

from zero_trust_clusters import PACK_DIR as _PACK_DIR

if str(_PACK_DIR) not in sys.path:
    sys.path.insert(0, str(_PACK_DIR))

from ztc_policy.findings import Status
from ztc_policy.rules.registry import Resource, judge


def _judge(resource, props: dict, control: str) -> list:
    res = Resource(resource.type, resource.name, resource.urn, props)
    return [f for f in judge(res, control, {}) if f.status != Status.PASS]


@pytest.mark.parametrize(("type_", "control"), [
    ("azure-native:authorization:RoleAssignment", "ZT-IAM-ONLY"),
    ("azure-native:network:NetworkSecurityGroup", "ZT-NET-SEGMENT"),
])
def test_pack_passes_the_built_role_assignments_and_nsgs(dev, type_, control):
    resources = dev.of_type(type_)
    assert resources
    for resource in resources:
        assert _judge(resource, dev.inputs(resource), control) == [], resource.name


def test_pack_flags_developers_writing_on_the_whole_cluster(dev):
    grant = dev.named(f"dev-azure-developers-rbac-{dev.spec.posture.workload_namespaces[0].name}")
    cluster_wide = {**dev.inputs(grant), "scope": dev.cluster.id}  # what the old code did
    (finding,) = _judge(grant, cluster_wide, "ZT-IAM-ONLY")
    assert finding.status == Status.FAIL and "namespaces/<namespace>" in finding.detail
    group = {**dev.inputs(grant), "scope": dev.cluster.id.split("/providers/")[0]}
    assert _judge(grant, group, "ZT-IAM-ONLY")[0].status == Status.FAIL


@pytest.mark.parametrize("world", ["*", "Internet", "0.0.0.0/0"])
def test_pack_still_flags_world_ingress_written_in_a_singular_field(dev, world):
    nsg = dev.named("dev-azure-nodes-nsg")
    props = copy.deepcopy(dev.inputs(nsg))
    rule = props["securityRules"][0]
    assert rule["access"] == "Allow" and "sourceAddressPrefix" in rule
    rule["sourceAddressPrefix"] = world
    (finding,) = _judge(nsg, props, "ZT-NET-SEGMENT")
    assert finding.status == Status.FAIL and world in finding.detail
