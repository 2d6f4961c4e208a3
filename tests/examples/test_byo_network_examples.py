"""The examples (examples/<cloud>-byo-network): a platform team's own Pulumi program using a
cluster component in an existing network, run by the offline engine like `ztc preview` runs
the project (the real program under the mocks, the schema stage, the real pack over gRPC).

The engine's `capture_stack` runs this project's own program and stacks; an example is another
project, so it is run here with the engine's parts (`run_program`, `schema.check_graph`,
`analyze_stacks`), its stack config read from its own `stacks/` directory."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import yaml

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.cluster import OUTPUT_KEYS
from zero_trust_clusters.engine import schema
from zero_trust_clusters.engine.analyzer import analyze_stacks
from zero_trust_clusters.engine.mocks import is_secret
from zero_trust_clusters.engine.preview import POLICY_PACK_DIR
from zero_trust_clusters.engine.runner import Graph, run_program
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT, load_stack_config, to_pulumi_config

EXAMPLES = PROJECT_ROOT / "examples"
STACK = "example"
# What the example's own network is made of: the component must create none of it.
NETWORK_TYPES = {
    "aws": ("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"),
    "azure": ("azure-native:network:VirtualNetwork", "azure-native:network:Subnet",
              "azure-native:network:NetworkSecurityGroup"),
    "gcp": ("gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork"),
}


def run_example(directory: Path, *, preview: bool) -> Graph:
    """The example's program under the mocks, with its project name and stack config."""
    project = yaml.safe_load((directory / "Pulumi.yaml").read_text())["name"]
    config, _ = load_stack_config(STACK, root=directory)
    return run_program(
        lambda: runpy.run_path(str(directory / "__main__.py"), run_name="__main__"),
        config=to_pulumi_config(config), stack=STACK, project=project, preview=preview)


@pytest.fixture(scope="module", params=list(clouds.BUILTIN))
def example(request) -> tuple[str, Graph]:
    cloud = request.param
    return cloud, run_example(EXAMPLES / f"{cloud}-byo-network", preview=False)


def test_each_cloud_has_an_example_project():
    for cloud in clouds.BUILTIN:
        directory = EXAMPLES / f"{cloud}-byo-network"
        assert (directory / "Pulumi.yaml").is_file(), cloud
        assert (directory / "__main__.py").is_file(), cloud
        assert (directory / "stacks" / f"Pulumi.{STACK}.yaml").is_file(), cloud


def test_the_example_passes_the_pack_with_no_mandatory_finding(example):
    cloud, graph = example
    project = yaml.safe_load((EXAMPLES / f"{cloud}-byo-network" / "Pulumi.yaml").read_text())
    result = analyze_stacks([(STACK, graph.resources)], POLICY_PACK_DIR, project=project["name"])
    assert result.resources_checked >= len([r for r in graph.resources if r.custom])
    mandatory = [(d.policy_name, d.message.splitlines()[0]) for d in result.diagnostics
                 if d.mandatory]
    assert mandatory == [], cloud


def test_the_example_passes_the_schema_stage(example):
    cloud, graph = example
    report = schema.check_graph(graph)
    assert [f"{f.type} {f.path}: {f.message}" for f in report.findings] == [], cloud


def test_the_cluster_sits_in_the_examples_network_and_builds_none(example):
    cloud, graph = example
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


def test_the_example_exports_every_output_key(example):
    cloud, graph = example
    assert set(OUTPUT_KEYS) <= set(graph.exports), cloud
    assert is_secret(graph.exports["kubeconfig"])
    assert graph.exports["trustDomainIntermediate"].startswith("-----BEGIN CERTIFICATE-----")


def test_the_examples_provider_is_the_only_one_and_every_child_uses_it(example):
    cloud, graph = example
    providers = [r for r in graph.resources if r.type.startswith("pulumi:providers:")]
    assert [p.name for p in providers] == ["platform"], cloud
    (given,) = providers
    entry = clouds.get(cloud)
    for resource in graph.resources:
        if resource.custom and resource.type.split(":")[0] == entry.provider_package:
            assert resource.provider == f"{given.urn}::{given.id}", resource.name


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_a_first_preview_of_the_example_passes_the_pack(cloud):
    directory = EXAMPLES / f"{cloud}-byo-network"
    graph = run_example(directory, preview=True)
    project = yaml.safe_load((directory / "Pulumi.yaml").read_text())["name"]
    result = analyze_stacks([(STACK, graph.resources)], POLICY_PACK_DIR, project=project)
    assert [d.policy_name for d in result.diagnostics if d.mandatory] == [], cloud
