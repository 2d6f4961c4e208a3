"""User pools (clusters[i].pools) on the real prod stack, judged by the pack over real gRPC.

Prod has a GPU pool and a spot pool on one cluster per cloud: they appear with the cloud's
GPU image/driver and spot capacity, the untouched stack has no mandatory violation, and taking
trusted boot away from a *user* pool is a mandatory ZT-NODE-TRUSTED-BOOT violation on every
cloud, exactly as for the mandatory pools.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from policy_testkit import partial
from policy_testkit.mutations import Graph

from zero_trust_clusters.engine.analyzer import _analyze
from zero_trust_clusters.engine.mocks import CapturedResource, unwrap
from zero_trust_clusters.engine.preview import capture_stack
from zero_trust_clusters.engine.runner import PROJECT

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
AGENT_POOL = "azure-native:containerservice:AgentPool"
GKE_POOL = "gcp:container/nodePool:NodePool"
# The clusters of stacks/Pulumi.prod.yaml with user pools.
WITH_POOLS = {"aws": "prod-aws-euw1", "azure": "prod-azure-weu", "gcp": "prod-gcp-euw1"}


@pytest.fixture(scope="module")
def prod() -> Graph:
    return Graph(capture_stack("prod").graph.resources)


def _pool(graph: Graph, type_: str, cluster: str, pool: str) -> CapturedResource:
    found = [r for r in graph.resources if r.type == type_ and r.name == f"{cluster}-{pool}"]
    assert len(found) == 1, f"{type_} {cluster}-{pool}: found {len(found)}"
    return found[0]


def test_prod_has_a_gpu_and_a_spot_pool_on_every_cloud(prod):
    eks = WITH_POOLS["aws"]
    gpu_group = unwrap(_pool(prod, NODE_GROUP, eks, "gpu").inputs)
    spot_group = unwrap(_pool(prod, NODE_GROUP, eks, "spot").inputs)
    gpu_template = unwrap(_pool(prod, LAUNCH_TEMPLATE, eks, "gpu").inputs)
    assert gpu_group["amiType"] == "CUSTOM" and gpu_group["capacityType"] == "ON_DEMAND"
    assert gpu_template["instanceType"] == "g6.xlarge" and gpu_template["imageId"]
    assert gpu_group["taints"] == [
        {"key": "acme.example.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert gpu_group["labels"] == {"acme.example.com/accelerator": "nvidia-l4",
                                   "ztc.io/pool": "gpu"}
    assert gpu_group["scalingConfig"] == {"minSize": 0, "maxSize": 4, "desiredSize": 0}
    assert spot_group["capacityType"] == "SPOT"

    aks = WITH_POOLS["azure"]
    gpu_pool = unwrap(_pool(prod, AGENT_POOL, aks, "gpu").inputs)
    spot_pool = unwrap(_pool(prod, AGENT_POOL, aks, "spot").inputs)
    assert gpu_pool["vmSize"] == "Standard_NC4as_T4_v3"
    assert gpu_pool["gpuProfile"] == {"driver": "Install"}
    assert gpu_pool["nodeTaints"] == ["acme.example.com/gpu=true:NoSchedule"]
    assert gpu_pool["enableAutoScaling"] is True and gpu_pool["minCount"] == 0
    assert spot_pool["scaleSetPriority"] == "Spot"
    assert spot_pool["scaleSetEvictionPolicy"] == "Delete" and spot_pool["spotMaxPrice"] == -1
    # What AKS sets on every Spot pool, declared so that no `pulumi up` shows a diff; no surge.
    assert spot_pool["nodeTaints"] == ["kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]
    assert spot_pool["nodeLabels"]["kubernetes.azure.com/scalesetpriority"] == "spot"
    assert "upgradeSettings" not in spot_pool
    assert gpu_pool["upgradeSettings"] == {"maxSurge": "33%"}
    for pool in (gpu_pool, spot_pool):
        assert pool["securityProfile"] == {"enableSecureBoot": True, "enableVTPM": True,
                                           "sshAccess": "Disabled"}

    gke = WITH_POOLS["gcp"]
    assert unwrap(_pool(prod, GKE_POOL, gke, "gpu").inputs)["initialNodeCount"] == 0
    assert unwrap(_pool(prod, GKE_POOL, gke, "system").inputs)["initialNodeCount"] == 1
    gpu_node = unwrap(_pool(prod, GKE_POOL, gke, "gpu").inputs)["nodeConfig"]
    spot_node = unwrap(_pool(prod, GKE_POOL, gke, "spot").inputs)["nodeConfig"]
    assert gpu_node["guestAccelerators"] == [{
        "type": "nvidia-l4", "count": 1,
        "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}}]
    assert spot_node["spot"] is True
    assert spot_node["taints"] == [
        {"key": "acme.example.com/spot", "value": "true", "effect": "NO_SCHEDULE"}]
    for node in (gpu_node, spot_node):
        assert node["shieldedInstanceConfig"]["enableSecureBoot"] is True


def test_untouched_prod_with_user_pools_has_no_mandatory_violation(pack, prod):
    by_urn = {r.urn: r for r in prod.resources}
    found = _analyze(pack.stub, prod.resources, by_urn, "prod", PROJECT, None, True).mandatory
    assert [(d.policy_name, d.message) for d in found] == []


def _without_trusted_boot(resource: CapturedResource) -> CapturedResource:
    inputs = copy.deepcopy(resource.inputs)
    if resource.type == NODE_GROUP:
        # An EKS-managed NVIDIA image: no proven NitroTPM + Secure Boot.
        inputs["amiType"] = "BOTTLEROCKET_x86_64_NVIDIA"
    elif resource.type == AGENT_POOL:
        inputs["securityProfile"]["enableSecureBoot"] = False
    else:
        inputs["nodeConfig"]["shieldedInstanceConfig"]["enableSecureBoot"] = False
    return replace(resource, inputs=inputs)


@pytest.mark.parametrize(("cloud", "type_"), [("aws", NODE_GROUP), ("azure", AGENT_POOL),
                                               ("gcp", GKE_POOL)])
@pytest.mark.parametrize("pool", ["gpu", "spot"])
def test_user_pool_without_trusted_boot_is_a_mandatory_violation(pack, prod, cloud, type_,
                                                                  pool):
    target = _pool(prod, type_, WITH_POOLS[cloud], pool)
    changed = _without_trusted_boot(target)
    mutated = [changed if r.urn == target.urn else r for r in prod.resources]
    partial.configure(pack.stub, "prod", PROJECT)
    mandatory = [d for d in partial.analyze(pack.stub, mutated, [changed]) if d.mandatory]
    on_pool = [d for d in mandatory
               if d.urn == target.urn and d.policy_name == "ZT-NODE-TRUSTED-BOOT"]
    assert on_pool, f"{cloud} user pool {pool} without trusted boot went unnoticed: " \
        f"{[(d.policy_name, d.urn) for d in mandatory]}"
