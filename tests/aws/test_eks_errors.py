"""Config the generic spec accepts but EKS cannot honour fails with a clear, keyed error."""

from __future__ import annotations

import pytest

from zero_trust_clusters.components.aws import instance_types
from zero_trust_clusters.components.aws.audit import cloudwatch_retention
from zero_trust_clusters.components.aws.validation import cluster_problems
from zero_trust_clusters.components.spec import SpecError, cluster_key
from zero_trust_clusters.engine.runner import ProgramError


def test_a_non_nitro_instance_type_is_refused_before_any_resource(dev_spec, eks_run,
                                                                 aws_clusters):
    index, cluster = aws_clusters(dev_spec)
    pools = cluster.node_pools.model_copy(update={
        "general": cluster.node_pools.general.model_copy(update={"machine_type": "m4.xlarge"})})
    bad = cluster.model_copy(update={"node_pools": pools})
    with pytest.raises((ProgramError, SpecError)) as failure:
        eks_run(dev_spec, bad, index)
    message = str(failure.value)
    assert cluster_key(cluster.name, index, "nodePools", "general", "machineType") in message
    assert "m4.xlarge is not a Nitro instance type" in message
    graph = getattr(failure.value, "graph", None)
    if graph is not None:
        assert not [r for r in graph.resources if r.type.startswith(("aws:", "ztc:aws"))]


@pytest.mark.parametrize("machine_type", ["m7i.large", "m7g.xlarge", "c6in.2xlarge", "t3.medium",
                                          "i3en.large", "z1d.large", "r8g.4xlarge"])
def test_nitro_types_pass(machine_type):
    assert instance_types.nitro_problem(machine_type) is None


@pytest.mark.parametrize("machine_type,fragment", [
    ("t2.micro", "not a Nitro"), ("c4.large", "not a Nitro"), ("i3.large", "not a Nitro"),
    ("m7i.metal-24xl", "bare metal"), ("large", "not an EC2 instance type"),
])
def test_types_without_a_tpm_root_of_trust_are_refused(machine_type, fragment):
    assert fragment in instance_types.nitro_problem(machine_type)


def test_architecture_follows_graviton_families():
    assert instance_types.architecture("m7g.large") == "arm64"
    assert instance_types.architecture("c7gn.large") == "arm64"
    assert instance_types.architecture("m7i.large") == "x86_64"


def test_problems_name_the_cluster_when_the_index_is_unknown(dev_spec, aws_clusters):
    _, cluster = aws_clusters(dev_spec)
    pools = cluster.node_pools.model_copy(update={
        "sandbox": cluster.node_pools.sandbox.model_copy(update={"machine_type": "t2.large"})})
    problems = cluster_problems(cluster.model_copy(update={"node_pools": pools}))
    key = cluster_key("dev-aws", None, "nodePools", "sandbox", "machineType")
    assert key.endswith(":clusters[name=dev-aws].nodePools.sandbox.machineType")
    assert problems == [(
        f"{key}: t2.large is not a Nitro instance type, so it has no NitroTPM or UEFI Secure "
        "Boot; use a current Nitro type such as m7i.large, m7g.large or c7i.xlarge")]


@pytest.mark.parametrize("days,expected", [(1, 1), (90, 90), (91, 120), (365, 365),
                                           (3650, 3653)])
def test_cloudwatch_retention_never_shortens_the_spec(days, expected):
    assert cloudwatch_retention(days) == expected
