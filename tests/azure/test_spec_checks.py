"""AKS-only config checks: the Kata pool's VM size, caught before anything is registered."""

from __future__ import annotations

import pytest

from zero_trust_clusters.components.azure.validation import cluster_problems, kata_capable
from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.components.spec import SpecError, config_key
from zero_trust_clusters.engine.runner import ProgramError, run_program


@pytest.mark.parametrize(
    ("size", "ok"),
    [
        ("Standard_D4s_v3", True),
        ("Standard_D4s_v5", True),
        ("Standard_D8as_v5", True),
        ("Standard_D4ads_v5", True),
        ("Standard_D4s_v6", True),
        ("Standard_D4as_v4", False),  # Dasv4: no nested virtualization
        ("Standard_D4ps_v5", False),  # Arm64
        ("Standard_B2s", False),
        ("m7i.xlarge", False),
    ],
)
def test_kata_capable_sizes(size, ok):
    assert kata_capable(size) is ok


def _with_sandbox_size(dev, size: str):
    pools = dev.cluster_spec.node_pools.model_copy(
        update={"sandbox": dev.cluster_spec.node_pools.sandbox.model_copy(
            update={"machine_type": size})}
    )
    return dev.cluster_spec.model_copy(update={"node_pools": pools})


def test_spec_problem_names_the_config_key_and_the_fix(dev):
    index = next(i for i, c in enumerate(dev.spec.clusters) if c.name == "dev-azure")
    problems = cluster_problems(_with_sandbox_size(dev, "Standard_B4ms"), index)
    assert len(problems) == 1
    key = config_key("clusters", index, "nodePools", "sandbox", "machineType")
    assert problems[0].startswith(f"{key}: 'Standard_B4ms' cannot run AKS Pod Sandboxing")
    assert "Standard_D4s_v5" in problems[0]
    assert cluster_problems(dev.cluster_spec, index) == []


def test_component_refuses_a_bad_sandbox_size_before_registering_anything(dev):
    bad = _with_sandbox_size(dev, "Standard_B4ms")

    def program() -> None:
        from zero_trust_clusters.components.azure import AksCluster

        AksCluster(bad.name, ClusterArgs(bad, dev.spec.posture, dev.spec.trust_domain(bad)))

    with pytest.raises(ProgramError) as caught:
        run_program(program)
    assert isinstance(caught.value.__cause__, SpecError)
    message = str(caught.value)
    assert "nodePools.sandbox.machineType" in message and "Standard_B4ms" in message
    assert caught.value.graph.resources == []


@pytest.mark.parametrize("pool", ["system", "general"])
def test_trusted_launch_pools_refuse_arm64_sizes(dev, pool):
    """'Trusted Launch can't be enabled in the same node pool as Arm64' (AKS use-trusted-launch)."""
    index = next(i for i, c in enumerate(dev.spec.clusters) if c.name == "dev-azure")
    pools = dev.cluster_spec.node_pools.model_copy(
        update={pool: getattr(dev.cluster_spec.node_pools, pool).model_copy(
            update={"machine_type": "Standard_D4ps_v5"})})
    problems = cluster_problems(dev.cluster_spec.model_copy(update={"node_pools": pools}), index)
    assert len(problems) == 1
    key = config_key("clusters", index, "nodePools", pool, "machineType")
    assert problems[0].startswith(f"{key}: 'Standard_D4ps_v5' is an Arm64 size")
