"""The open pool map: keyed errors for what a cloud refuses, and the EKS autoscaler's identity."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.pools.support import CLUSTERS, dev_config
from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.aws import userdata
from zero_trust_clusters.components.cluster import Toleration
from zero_trust_clusters.components.spec import SpecError, load_spec
from zero_trust_clusters.engine.mocks import unwrap

INDEX = {"aws": 0, "azure": 1, "gcp": 2}  # stacks/Pulumi.dev.yaml
GPU_TYPES = {"aws": "g6.xlarge", "azure": "Standard_NC4as_T4_v3", "gcp": "g2-standard-8"}
CPU_TYPES = {"aws": "m7i.xlarge", "azure": "Standard_D4ds_v5", "gcp": "n2-standard-4"}


def _problems(edit: Any) -> list[str]:
    config = dev_config()
    edit(config[CLUSTERS])
    with pytest.raises(SpecError) as failure:
        load_spec(config, check_offline_root=False)
    return failure.value.problems


def _accepted(edit: Any) -> None:
    config = dev_config()
    edit(config[CLUSTERS])
    load_spec(config, check_offline_root=False)


def test_no_user_pool_can_wear_a_clouds_sandbox_label():
    """A user pool with the sandbox RuntimeClass's node selector would receive sandboxed pods
    outside the VM sandbox: every registered cloud's selector keys are refused."""
    for entry in clouds.entries():
        for key, value in entry.sandbox.node_selector.items():
            problems = _problems(lambda cs, k=key, v=value: cs[0].update(pools={"spot": {
                "machineType": "m7i.large", "maxSize": 2, "labels": {k: v}}}))
            assert [p.split(": ", 1)[0] for p in problems] == [
                f"zero-trust-clusters:clusters[0].pools.spot.labels.{key}"], (entry.name, problems)


def test_a_pool_error_names_the_pools_key():
    problems = _problems(lambda cs: cs[0].update(
        pools={"gpu": {"machineType": "g6.xlarge", "maxSize": 0, "gpu": True}}))
    assert problems == [
        ("zero-trust-clusters:clusters[0].pools.gpu.maxSize: Input should be greater than or "
        "equal to 1")]


@pytest.mark.parametrize("name", ["system", "general", "sandbox"])
def test_a_user_pool_cannot_take_a_mandatory_pools_name(name):
    problems = _problems(lambda cs: cs[0].update(
        pools={name: {"machineType": "m7i.large", "maxSize": 2}}))
    assert len(problems) == 1
    assert problems[0].startswith("zero-trust-clusters:clusters[0].pools: ")
    assert f"'{name}' is a mandatory pool" in problems[0]


@pytest.mark.parametrize("key", ["kubernetes.io/role", "node.kubernetes.io/x", "ztc.io/pool",
                                 "sandbox.ztc.io/runtime", "cloud.google.com/gke-spot"])
def test_reserved_label_and_taint_keys_are_refused(key):
    problems = _problems(lambda cs: cs[0].update(pools={"spot": {
        "machineType": "m7i.large", "maxSize": 2, "labels": {key: "x"},
        "taints": [{"key": key, "value": "x"}]}}))
    assert any(p.startswith(f"zero-trust-clusters:clusters[0].pools.spot.labels.{key}: ")
               for p in problems), problems
    assert any(p.startswith("zero-trust-clusters:clusters[0].pools.spot.taints[0].key: ")
               for p in problems), problems


@pytest.mark.parametrize("cloud", sorted(INDEX))
def test_a_gpu_pool_needs_a_gpu_machine_type_of_its_cloud(cloud):
    i = INDEX[cloud]
    problems = _problems(lambda cs: cs[i].update(pools={"gpu": {
        "machineType": CPU_TYPES[cloud], "maxSize": 2, "gpu": True}}))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"zero-trust-clusters:clusters[{i}].pools.gpu.machineType: ")
    assert "GPU" in problems[0]
    _accepted(lambda cs: cs[i].update(pools={"gpu": {
        "machineType": GPU_TYPES[cloud], "maxSize": 2, "gpu": True}}))


def test_an_aws_image_for_no_pool_is_refused():
    def edit(cs):
        cs[0]["aws"]["poolAmiIds"] = {"gpus": "ami-0123456789abcdef0"}
        cs[0]["pools"] = {"gpu": {"machineType": "g6.xlarge", "maxSize": 2, "gpu": True}}

    problems = _problems(edit)
    assert problems == [
        ("zero-trust-clusters:clusters[0].aws.poolAmiIds.gpus: no user pool of this cluster is "
         "named 'gpus'; use a name under pools (gpu) (the mandatory pools' images go in "
         "amiIds)")]


def test_a_gpu_pool_cannot_share_the_plain_bottlerocket_image():
    def edit(cs):
        cs[0]["aws"]["poolAmiIds"] = {"gpu": cs[0]["aws"]["amiIds"]["system"]}
        cs[0]["pools"] = {"gpu": {"machineType": "g6.xlarge", "maxSize": 2, "gpu": True}}

    problems = _problems(edit)
    assert len(problems) == 1 and problems[0].startswith(
        "zero-trust-clusters:clusters[0].aws.poolAmiIds.gpu: ")
    assert "bottlerocket-nvidia" in problems[0]


def test_eks_autoscaler_may_resize_only_its_own_node_groups(dev_run):
    associations = [unwrap(r.inputs) for r in dev_run.graph.resources
                    if r.type == "aws:eks/podIdentityAssociation:PodIdentityAssociation"]
    assert [(a["namespace"], a["serviceAccount"]) for a in associations] == [
        ("cluster-autoscaler", "cluster-autoscaler")]
    policies = [json.loads(unwrap(r.inputs)["policy"]) for r in dev_run.graph.resources
                if r.type == "aws:iam/rolePolicy:RolePolicy"
                and r.name == "dev-aws-cluster-autoscaler"]
    assert len(policies) == 1
    statements = {s["Sid"]: s for s in policies[0]["Statement"]}
    resize = statements["ResizeOwnGroups"]
    assert sorted(resize["Action"]) == ["autoscaling:SetDesiredCapacity",
                                        "autoscaling:TerminateInstanceInAutoScalingGroup"]
    assert resize["Condition"] == {"Null": {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/dev-aws": "false"}}
    assert "eks:DescribeNodegroup" in statements["Discover"]["Action"]
    assert not {"autoscaling:SetDesiredCapacity"} & set(statements["Discover"]["Action"])


def test_every_eks_node_group_has_min_and_max_for_the_autoscaler(dev_run):
    groups = [unwrap(r.inputs) for r in dev_run.graph.resources
              if r.type == "aws:eks/nodeGroup:NodeGroup"]
    assert len(groups) == 3
    for group in groups:
        scaling = group["scalingConfig"]
        assert scaling["minSize"] <= scaling["desiredSize"] <= scaling["maxSize"]


def test_an_eks_taint_without_a_value_renders_as_bottlerocket_parses_it():
    """An empty taint value is valid Kubernetes and valid Bottlerocket (":NoSchedule" is among
    the good values of Bottlerocket's taint model since commit 5b713b14): accepted, rendered."""
    _accepted(lambda cs: cs[0].update(pools={"spot": {
        "machineType": "m7i.large", "maxSize": 2, "taints": [{"key": "acme.example.com/x"}]}}))
    text = userdata.bottlerocket_settings(
        cluster_name="c", endpoint="https://e", certificate_authority="Q0E=",
        cluster_dns_ip="10.100.0.10", labels={},
        taints=[Toleration("acme.example.com/x", "")])
    assert '"acme.example.com/x" = [":NoSchedule"]' in text
