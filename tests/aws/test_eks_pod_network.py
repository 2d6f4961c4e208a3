"""Pod networking: vpc-cni configuration known at preview, one ENIConfig per zone before nodes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pulumi.output import Unknown

from scripts.engine.mocks import is_secret, unwrap
from scripts.engine.runner import Graph

ADDON = "aws:eks/addon:Addon"
ENI_CONFIG = "kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig"
K8S_PROVIDER = "pulumi:providers:kubernetes"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
CUSTOM_NETWORKING_ENV = {
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
    "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
    "ENABLE_PREFIX_DELEGATION": "true",
    "WARM_PREFIX_TARGET": "1",
}


def _one(graph: Graph, type_: str, name: str):
    found = [r for r in graph.of_type(type_) if r.name == name]
    assert len(found) == 1, f"expected one {type_} named {name}, found {len(found)}"
    return found[0]


@pytest.fixture(params=["run", "preview"])
def graph(request, dev_graph: Graph, dev_preview_graph: Graph) -> Graph:
    return dev_graph if request.param == "run" else dev_preview_graph


def test_vpc_cni_configuration_is_a_known_json_string(graph):
    values = unwrap(_one(graph, ADDON, "dev-aws-vpc-cni").inputs)["configurationValues"]
    assert isinstance(values, str), f"configurationValues is {values!r}, not a plain string"
    assert json.loads(values) == {"enableNetworkPolicy": "true", "env": CUSTOM_NETWORKING_ENV}


def test_one_eniconfig_per_zone_points_at_its_pod_subnet_and_the_node_sg(dev_graph):
    pods = {unwrap(r.inputs)["availabilityZone"]: r.id
            for r in dev_graph.of_type(SUBNET) if "-pods-" in r.name}
    assert sorted(pods) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    node_sg = _one(dev_graph, "aws:ec2/securityGroup:SecurityGroup", "dev-aws-node-sg").id
    configs = {unwrap(r.inputs)["metadata"]["name"]: unwrap(r.inputs)
               for r in dev_graph.of_type(ENI_CONFIG)}
    # Named after the zone: ENI_CONFIG_LABEL_DEF picks the config by topology.kubernetes.io/zone.
    assert configs == {zone: {"apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig",
                              "metadata": {"name": zone},
                              "spec": {"subnet": subnet, "securityGroups": [node_sg]}}
                       for zone, subnet in pods.items()}


def test_eniconfigs_go_through_the_clusters_own_kubeconfig_after_the_cni(dev_graph):
    provider = _one(dev_graph, K8S_PROVIDER, "dev-aws-cni-k8s")
    component = _one(dev_graph, "ztc:aws:EksCluster", "dev-aws")
    assert provider.parent == component.urn
    assert is_secret(provider.inputs["kubeconfig"])
    assert unwrap(provider.inputs)["kubeconfig"] == unwrap(dev_graph.exports["kubeconfig"])
    cluster = _one(dev_graph, "aws:eks/cluster:Cluster", "dev-aws")
    assert provider.property_dependencies["kubeconfig"] == [cluster.urn]
    cni = _one(dev_graph, ADDON, "dev-aws-vpc-cni")
    entries = {r.urn for r in dev_graph.of_type("aws:eks/accessEntry:AccessEntry")}
    for config in dev_graph.of_type(ENI_CONFIG):
        assert config.parent == component.urn
        assert config.provider.split("::")[:-1] == provider.urn.split("::")
        assert {cni.urn, *entries} <= set(config.dependencies)


def test_every_node_group_waits_for_every_eniconfig(graph):
    configs = {r.urn for r in graph.of_type(ENI_CONFIG)}
    assert len(configs) == 3
    groups = graph.of_type(NODE_GROUP)
    assert sorted(g.name for g in groups) == ["dev-aws-general", "dev-aws-sandbox", "dev-aws-system"]
    for group in groups:
        assert configs <= set(group.dependencies), group.name


def test_controls_record_cni_and_eniconfigs(dev_graph):
    controls = dev_graph.exports["controls"]
    assert "dev-aws-vpc-cni" in controls["ZT-NETPOL-DEFAULT-DENY"]
    assert {"dev-aws-eniconfig-a", "dev-aws-eniconfig-b", "dev-aws-eniconfig-c"} <= set(
        controls["ZT-NODE-PRIVATE"])


# What may stay unknown at a first preview: references to resources not created yet (ids, ARNs,
# names the provider assigns) and documents built from them. Anything else that a control
# depends on must be a known value, or a policy pack gating the preview cannot verify it.
REFERENCE = re.compile(r"(Id|Ids|Arn|Arns)$|^(id|bucket|url|subnet|securityGroups|logDestination|"
                       r"version)$")
# Documents built from references: inline role and bucket policies name the log group, stream
# and bucket ARNs; node user data and the kubeconfig embed the cluster endpoint and CA, which
# exist only once the control plane does. Key policies are not among them (kms.py).
DOCUMENTS = {
    ("aws:iam/rolePolicy:RolePolicy", "policy"),
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
    ("aws:ec2/launchTemplate:LaunchTemplate", "userData"),
    ("pulumi:providers:kubernetes", "kubeconfig"),
}


def _unknown_paths(value: Any, path: str = "") -> list[str]:
    if isinstance(value, Unknown):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _unknown_paths(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unknown_paths(v, f"{path}[{i}]")]
    return []


def test_a_first_preview_leaves_only_references_unknown(dev_preview_graph):
    offending = []
    for r in dev_preview_graph.resources:
        for path in _unknown_paths(unwrap(r.inputs)):
            leaf = re.sub(r"\[\d+\]", "", path.rsplit(".", 1)[-1])
            if not (REFERENCE.search(leaf) or (r.type, leaf) in DOCUMENTS):
                offending.append(f"{r.type} {r.name}: {path}")
    assert offending == []
    # And the preview really is a first preview: references are unknown.
    cni = unwrap(_one(dev_preview_graph, ADDON, "dev-aws-vpc-cni").inputs)
    assert isinstance(cni["podIdentityAssociations"][0]["roleArn"], Unknown)


def test_key_policies_name_their_principals_at_preview(dev_graph, dev_preview_graph):
    """Who may use each customer key is known before anything exists, and equals the real ARNs."""
    roles = {r.name: r.outputs["arn"] for r in dev_graph.of_type("aws:iam/role:Role")}
    for name, principal in (("dev-aws-secrets", "dev-aws-cluster"),
                            ("dev-aws-audit", "dev-aws-audit-firehose")):
        preview_key = _one(dev_preview_graph, "aws:kms/key:Key", name)
        policy = preview_key.inputs["policy"]
        assert isinstance(policy, str), f"{name} key policy unknown at preview"
        assert policy == _one(dev_graph, "aws:kms/key:Key", name).inputs["policy"]
        named = [p for st in json.loads(policy)["Statement"]
                 for p in _as_list(st.get("Principal", {}).get("AWS"))]
        assert roles[principal] in named
        role_urn = _one(dev_graph, "aws:iam/role:Role", principal).urn
        assert role_urn in _one(dev_graph, "aws:kms/key:Key", name).dependencies


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []
