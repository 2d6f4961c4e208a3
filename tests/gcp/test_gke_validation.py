"""GKE-specific config mistakes fail before anything is registered, naming the key."""

from __future__ import annotations

import pytest

from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.components.gcp.validation import cluster_problems, validate
from zero_trust_clusters.components.spec import ClusterSpec, EstateSpec, SpecError, load_spec
from zero_trust_clusters.engine.runner import ProgramError, run_program
from zero_trust_clusters.engine.stackfile import load_stack_config


@pytest.fixture(scope="module")
def dev_spec() -> EstateSpec:
    config, _ = load_stack_config("dev")
    return load_spec(config)


def gcp_cluster(spec: EstateSpec) -> tuple[int, ClusterSpec]:
    return next((i, c) for i, c in enumerate(spec.clusters) if c.cloud == "gcp")


def with_changes(cluster: ClusterSpec, **changes) -> ClusterSpec:
    data = cluster.model_dump(by_alias=True)
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        target[leaf] = value
    return ClusterSpec.model_validate(data)


def test_dev_and_prod_stacks_are_valid_for_gke(dev_spec: EstateSpec) -> None:
    validate(dev_spec)
    config, _ = load_stack_config("prod")
    validate(load_spec(config))


@pytest.mark.parametrize("machine_type", ["e2-micro", "e2-small", "e2-medium", "f1-micro"])
def test_sandbox_pool_rejects_shared_core_machine_types(
    dev_spec: EstateSpec, machine_type: str
) -> None:
    index, cluster = gcp_cluster(dev_spec)
    bad = with_changes(cluster, nodePools__sandbox__machineType=machine_type)
    (problem,) = cluster_problems(bad, index)
    assert problem.startswith(f"zero-trust-clusters:clusters[{index}].nodePools.sandbox.machineType:")
    assert "GKE Sandbox" in problem and machine_type in problem


def test_zone_instead_of_region_names_the_region(dev_spec: EstateSpec) -> None:
    index, cluster = gcp_cluster(dev_spec)
    (problem,) = cluster_problems(with_changes(cluster, region="europe-west1-b"), index)
    assert problem.startswith(f"zero-trust-clusters:clusters[{index}].region:")
    assert "'europe-west1'" in problem  # says what to write instead


def test_other_clouds_machine_type_is_caught(dev_spec: EstateSpec) -> None:
    index, cluster = gcp_cluster(dev_spec)
    bad = with_changes(cluster, nodePools__general__machineType="m7i.xlarge")
    (problem,) = cluster_problems(bad, index)
    assert problem.startswith(f"zero-trust-clusters:clusters[{index}].nodePools.general.machineType:")


def test_label_values_must_be_gcp_labels(dev_spec: EstateSpec) -> None:
    index, cluster = gcp_cluster(dev_spec)
    (problem,) = cluster_problems(with_changes(cluster, labels={"team": "Platform Team"}), index)
    assert problem.startswith(f"zero-trust-clusters:clusters[{index}].labels.team:")


def test_system_pool_must_keep_a_node(dev_spec: EstateSpec) -> None:
    index, cluster = gcp_cluster(dev_spec)
    (problem,) = cluster_problems(with_changes(cluster, nodePools__system__minSize=0), index)
    assert problem.startswith(f"zero-trust-clusters:clusters[{index}].nodePools.system.minSize:")


def test_validate_reports_every_problem_with_its_index(dev_spec: EstateSpec) -> None:
    index, cluster = gcp_cluster(dev_spec)
    bad = with_changes(cluster, region="us-central1-a", nodePools__sandbox__machineType="e2-small")
    clusters = list(dev_spec.clusters)
    clusters[index] = bad
    with pytest.raises(SpecError) as error:
        validate(dev_spec.model_copy(update={"clusters": clusters}))
    assert [p.split(":")[1].split(".")[1] for p in error.value.problems] == [
        "region",
        "nodePools",
    ]


def test_component_fails_before_registering_anything(dev_spec: EstateSpec) -> None:
    _, cluster = gcp_cluster(dev_spec)
    bad = with_changes(cluster, nodePools__sandbox__machineType="e2-medium")

    def program() -> None:
        from zero_trust_clusters.components.gcp import GkeCluster

        GkeCluster(bad.name, ClusterArgs(bad, dev_spec.posture, dev_spec.trust_domain(bad)))

    with pytest.raises(ProgramError) as error:
        run_program(program)
    assert "zero-trust-clusters:clusters[name=dev-gcp].nodePools.sandbox.machineType" in str(error.value)
    assert error.value.graph.resources == []
