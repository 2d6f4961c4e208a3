"""The examples (examples/<cloud>-byo-network): a platform team's own Pulumi program using a
cluster component in an existing network, run by the offline engine as `ztc preview` runs a
project: both phases (the example's cloud phase, then the stock cluster phase reading its
`clusterPhase` output through the stack reference), the schema stage, the real pack over gRPC.

Done when (issue 15): 0 diagnostics, mandatory or advisory; a GPU pool and a spot pool
(tests/pools/test_example_pools.py); a user pool without trusted boot is a mandatory violation.
"""

from __future__ import annotations

import copy
import runpy
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.cluster import OUTPUT_KEYS
from zero_trust_clusters.components.cluster_phase import CLUSTER_PHASE_OUTPUT
from zero_trust_clusters.engine import schema
from zero_trust_clusters.engine.analyzer import analyze_stacks
from zero_trust_clusters.engine.mocks import CapturedResource, is_secret, unwrap
from zero_trust_clusters.engine.preview import (
    POLICY_PACK_DIR,
    Capture,
    capture_stack,
    check_policies,
)
from zero_trust_clusters.engine.runner import Graph, run_program
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT, load_stack_config, to_pulumi_config

EXAMPLES = PROJECT_ROOT / "examples"
STACK = "example"
CLUSTER_STACK = "example-cluster"
# What the example's own network is made of: the component must create none of it.
NETWORK_TYPES = {
    "aws": ("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"),
    "azure": ("azure-native:network:VirtualNetwork", "azure-native:network:Subnet",
              "azure-native:network:NetworkSecurityGroup"),
    "gcp": ("gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork"),
}
POOL_TYPES = {"aws": "aws:eks/nodeGroup:NodeGroup",
              "azure": "azure-native:containerservice:AgentPool",
              "gcp": "gcp:container/nodePool:NodePool"}
LEDGER_TYPES = {"aws": "ztc:ledger:LedgerBucket", "azure": "ztc:ledger:LedgerContainer",
                "gcp": "ztc:ledger:LedgerGcsBucket"}


def run_example(directory: Path, *, preview: bool) -> Graph:
    """The example's cloud phase alone under the mocks, with its project name and stack config."""
    project = yaml.safe_load((directory / "Pulumi.yaml").read_text())["name"]
    config, _ = load_stack_config(STACK, root=directory)
    return run_program(
        lambda: runpy.run_path(str(directory / "__main__.py"), run_name="__main__"),
        config=to_pulumi_config(config), stack=STACK, project=project, preview=preview)


def capture_example(cloud: str, *, preview: bool = False) -> Capture:
    """Both phases of the example, as `ztc preview --stack example` in its directory runs them."""
    return capture_stack(STACK, preview=preview, root=EXAMPLES / f"{cloud}-byo-network")


def diagnostics(capture: Capture) -> list[tuple[str, str, str]]:
    result = check_policies(capture, POLICY_PACK_DIR)
    assert result.resources_checked >= len([r for r in capture.graph.resources if r.custom])
    return [(d.enforcement_level, d.policy_name, d.message.splitlines()[-1])
            for d in result.diagnostics]


@pytest.fixture(scope="module", params=list(clouds.BUILTIN))
def example(request) -> tuple[str, Capture]:
    cloud = request.param
    return cloud, capture_example(cloud)


def test_each_cloud_has_an_example_project_with_both_phases():
    for cloud in clouds.BUILTIN:
        directory = EXAMPLES / f"{cloud}-byo-network"
        assert (directory / "Pulumi.yaml").is_file(), cloud
        assert (directory / "__main__.py").is_file(), cloud
        assert (directory / "stacks" / f"Pulumi.{STACK}.yaml").is_file(), cloud
        cluster_phase, _ = load_stack_config(CLUSTER_STACK, root=directory)
        assert cluster_phase == {"zero-trust-clusters:phase": "cluster",
                                 "zero-trust-clusters:cloudStack": STACK}, cloud


def test_the_example_passes_the_pack_with_no_diagnostic_at_all(example):
    cloud, capture = example
    assert set(capture.phases) == {"cloud", "cluster"}, cloud
    assert diagnostics(capture) == [], cloud


def test_the_example_passes_the_schema_stage(example):
    cloud, capture = example
    report = schema.check_graph(capture.graph)
    assert [f"{f.type} {f.path}: {f.message}" for f in report.findings] == [], cloud


def test_the_example_holds_its_ledger_store_and_every_clusters_baseline(example):
    cloud, capture = example
    cloud_phase, cluster_phase = capture.phases["cloud"], capture.phases["cluster"]
    (store,) = [r for r in cloud_phase.resources if r.type == LEDGER_TYPES[cloud]]
    assert store.name == "ledger"
    (cluster,) = capture.spec.clusters
    baselines = [r for r in cluster_phase.resources if r.type == "ztc:kubernetes:ClusterBaseline"]
    assert [b.name for b in baselines] == [f"{cluster.name}-baseline"]
    releases = {r.inputs["name"] for r in cluster_phase.resources
                if r.type == "kubernetes:helm.sh/v3:Release"}
    # EKS alone runs the Cluster Autoscaler; AKS and GKE pools carry the managed one.
    assert ("cluster-autoscaler" in releases) == (cloud == "aws"), releases


def test_the_cluster_sits_in_the_examples_network_and_builds_none(example):
    cloud, capture = example
    graph = capture.phases["cloud"]
    entry = clouds.get(cloud)
    (component,) = graph.of_type(entry.component_type)
    by_urn = {r.urn: r for r in graph.resources}

    def under_cluster(resource) -> bool:
        seen = resource
        while seen.parent in by_urn:
            seen = by_urn[seen.parent]
            if seen.urn == component.urn:
                return True
        return False

    network = [r for r in graph.resources if r.type in NETWORK_TYPES[cloud]]
    assert network, cloud
    assert not [r.name for r in network if under_cluster(r)], cloud
    network_ids = {r.id for r in network}
    assert graph.exports["networkId"] in network_ids, cloud
    assert set(graph.exports["subnetIds"]) <= network_ids, cloud


def test_the_example_exports_every_output_key_and_the_cluster_phases_input(example):
    cloud, capture = example
    exports = capture.phases["cloud"].exports
    assert set(OUTPUT_KEYS) <= set(exports), cloud
    assert is_secret(exports["kubeconfig"])
    assert exports["trustDomainIntermediate"].startswith("-----BEGIN CERTIFICATE-----")
    assert is_secret(exports[CLUSTER_PHASE_OUTPUT])


def test_the_azure_examples_admins_from_another_stack_are_the_ones_rbac_binds(example):
    """The Azure example hands its admins' Entra group over as an Output (ClusterArgs.access):
    the AKS admin group and the cluster phase's `ztc-admins` binding both name it, not the
    posture's group; the other groups keep the posture's."""
    cloud, capture = example
    if cloud != "azure":
        pytest.skip("the Azure example overrides its admins")
    groups = capture.spec.posture.groups
    (aks,) = [unwrap(r.inputs) for r in capture.phases["cloud"].resources
              if r.type == "azure-native:containerservice:ManagedCluster"]
    (admins,) = aks["aadProfile"]["adminGroupObjectIDs"]
    assert admins != groups.admins.azure_group_object_id
    bindings = {r.inputs["metadata"]["name"]: unwrap(r.inputs["subjects"])
                for r in capture.phases["cluster"].resources
                if r.type.startswith("kubernetes:rbac.authorization.k8s.io/v1:")}
    assert [s["name"] for s in bindings["ztc-admins"]] == [admins]
    assert [s["name"] for s in bindings["ztc-auditors"]] == [groups.auditors.azure_group_object_id]
    assert [s["name"] for s in bindings["ztc-developers"]] == [
        groups.developers.azure_group_object_id]


def test_the_examples_provider_is_the_only_one_and_every_child_uses_it(example):
    cloud, capture = example
    graph = capture.phases["cloud"]
    providers = [r for r in graph.resources if r.type.startswith("pulumi:providers:")]
    assert [p.name for p in providers] == ["platform"], cloud
    (given,) = providers
    entry = clouds.get(cloud)
    for resource in graph.resources:
        if resource.custom and resource.type.split(":")[0] == entry.provider_package:
            assert resource.provider == f"{given.urn}::{given.id}", resource.name


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_a_first_preview_of_the_example_passes_the_pack(cloud):
    capture = capture_example(cloud, preview=True)
    assert diagnostics(capture) == [], cloud


def _without_trusted_boot(resource: CapturedResource) -> CapturedResource:
    inputs = copy.deepcopy(resource.inputs)
    if resource.type == POOL_TYPES["aws"]:
        # An EKS-managed NVIDIA image: no proven NitroTPM + Secure Boot.
        inputs["amiType"] = "BOTTLEROCKET_x86_64_NVIDIA"
    elif resource.type == POOL_TYPES["azure"]:
        inputs["securityProfile"]["enableSecureBoot"] = False
    else:
        inputs["nodeConfig"]["shieldedInstanceConfig"]["enableSecureBoot"] = False
    return replace(resource, inputs=inputs)


@pytest.mark.parametrize("pool", ["gpu", "spot"])
def test_a_user_pool_without_trusted_boot_is_a_mandatory_violation(example, pool):
    cloud, capture = example
    graph = capture.phases["cloud"]
    (cluster,) = capture.spec.clusters
    (target,) = [r for r in graph.resources
                 if r.type == POOL_TYPES[cloud] and r.name == f"{cluster.name}-{pool}"]
    mutated = [_without_trusted_boot(r) if r.urn == target.urn else r for r in graph.resources]
    result = analyze_stacks([(STACK, mutated)], POLICY_PACK_DIR, project=graph.project)
    mandatory = {(d.policy_name, d.urn) for d in result.diagnostics if d.mandatory}
    assert ("ZT-NODE-TRUSTED-BOOT", target.urn) in mandatory, (cloud, pool, mandatory)
