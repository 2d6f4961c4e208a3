"""Pod networking without the Kubernetes API: vpc-cni configuration known at preview, pod
subnets chosen by subnet tags, and no Kubernetes resource anywhere in the cloud phase."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pulumi.output import Unknown

from zero_trust_clusters.components.aws.addons import check_vpc_cni_version
from zero_trust_clusters.components.spec import SpecError
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.runner import Graph

ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
COMPONENT = "ztc:aws:EksCluster"
PREFIX_DELEGATION_ENV = {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}


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
    # No ENIConfig / custom-networking settings: pod subnets come from subnet tags.
    assert json.loads(values) == {"enableNetworkPolicy": "true", "env": PREFIX_DELEGATION_ENV}


def _is_kubernetes(type_: str) -> bool:
    return type_.startswith("kubernetes:") or type_ == "pulumi:providers:kubernetes"


def _under(graph: Graph, ancestor: str) -> list:
    parents = {r.urn: r.parent for r in graph.resources}

    def descends(urn: str) -> bool:
        while urn:
            urn = parents.get(urn, "")
            if urn == ancestor:
                return True
        return False

    return [r for r in graph.resources if descends(r.urn)]


def _needs(graph: Graph, start) -> set[str]:
    """Every URN `start` waits for: dependencies, property dependencies, providers, transitively."""
    by_urn = {r.urn: r for r in graph.resources}
    seen: set[str] = set()
    todo = [start]
    while todo:
        r = todo.pop()
        edges = [*r.dependencies, *(u for us in r.property_dependencies.values() for u in us)]
        if r.provider:
            edges.append(r.provider.rsplit("::", 1)[0])
        for urn in edges:
            if urn not in seen:
                seen.add(urn)
                if urn in by_urn:
                    todo.append(by_urn[urn])
    return seen


def test_the_cloud_phase_never_needs_the_kubernetes_api(graph):
    """Prod API servers are private and unreachable from where the cloud phase runs: nothing
    under an EksCluster is a Kubernetes resource or provider, and no node group waits for one."""
    component = _one(graph, COMPONENT, "dev-aws")
    children = _under(graph, component.urn)
    assert len(children) > 100
    assert [r.type for r in children if _is_kubernetes(r.type)] == []
    kubernetes = {r.urn for r in graph.resources if _is_kubernetes(r.type)}
    groups = graph.of_type(NODE_GROUP)
    assert sorted(g.name for g in groups) == ["dev-aws-general", "dev-aws-sandbox",
                                             "dev-aws-system"]
    for group in groups:
        assert _needs(graph, group) & kubernetes == set(), group.name


def test_vpc_cni_is_pinned_to_a_release_that_excludes_node_subnets(graph):
    """`kubernetes.io/role/cni=0` keeps the node subnets out only from v1.22.1; the newest
    release EKS offers is looked up (an invoke, known at a first preview) and checked."""
    cni = unwrap(_one(graph, ADDON, "dev-aws-vpc-cni").inputs)
    assert cni["addonVersion"] == "v1.22.4-eksbuild.1"


@pytest.mark.parametrize("version", ["v1.20.4-eksbuild.2", "v1.22.0-eksbuild.1", "garbage"])
def test_an_older_vpc_cni_is_a_keyed_error(version):
    with pytest.raises(SpecError) as failure:
        check_vpc_cni_version(version, "1.35")
    message = str(failure.value)
    assert "zero-trust-clusters:posture.kubernetesVersion" in message
    assert version in message and "v1.22.1" in message


def test_controls_record_cni_and_pod_subnets(dev_graph):
    controls = dev_graph.exports["controls"]
    assert "dev-aws-vpc-cni" in controls["ZT-NETPOL-DEFAULT-DENY"]
    assert {"dev-aws-pods-a", "dev-aws-pods-b", "dev-aws-pods-c"} <= set(
        controls["ZT-NODE-PRIVATE"])


# What may stay unknown at a first preview: references to resources not created yet (ids, ARNs,
# names the provider assigns) and documents built from them. Anything else that a control
# depends on must be a known value, or a policy pack gating the preview cannot verify it.
REFERENCE = re.compile(r"(Id|Ids|Arn|Arns)$|^(id|bucket|url|subnet|securityGroups|logDestination|"
                       r"version|arn|logGroupName|logStreamName|alarmActions|okActions)$")
# Documents built from references: inline role, bucket and topic policies name the log group,
# stream, bucket and topic ARNs; node user data embeds the cluster endpoint and CA, which exist only once the
# control plane does. Key policies are not among them (kms.py).
DOCUMENTS = {
    ("aws:iam/rolePolicy:RolePolicy", "policy"),
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
    ("aws:sns/topicPolicy:TopicPolicy", "policy"),
    ("aws:ec2/launchTemplate:LaunchTemplate", "userData"),
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
