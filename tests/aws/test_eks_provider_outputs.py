"""Explicit provider for every child, parenting, the cluster contract outputs, controls."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography import x509

from zero_trust_clusters.components.catalog import CONTROL_IDS
from zero_trust_clusters.engine.mocks import is_secret, unwrap

PROVIDER = "pulumi:providers:aws"


def test_one_explicit_provider_pinned_to_the_region(dev):
    providers = dev.graph.of_type(PROVIDER)
    assert len(providers) == 1
    assert providers[0].inputs["region"] == "eu-west-1"
    component = dev.graph.of_type("ztc:aws:EksCluster")[0]
    assert providers[0].parent == component.urn
    assert "assumeRoles" not in providers[0].inputs  # dev has no account role


def test_every_child_goes_through_the_explicit_provider_and_is_parented(dev):
    provider = dev.graph.of_type(PROVIDER)[0]
    # The one provider: the cloud phase has no Kubernetes provider (test_eks_pod_network).
    assert [p.type for p in dev.graph.resources if p.type.startswith("pulumi:providers:")] == [
        PROVIDER]
    component = dev.graph.of_type("ztc:aws:EksCluster")[0]
    children = [r for r in dev.graph.resources
                if r.custom and not r.type.startswith("pulumi:providers:")]
    assert len(children) > 90
    for child in children:
        assert child.provider == f"{provider.urn}::{provider.id}", child.name
        assert child.parent == component.urn, child.name


def test_regional_children_name_their_region_and_names_are_deterministic(dev):
    for child in dev.graph.resources:
        if child.type.startswith("aws:") and not child.type.startswith("aws:iam/"):
            assert child.inputs.get("region") == "eu-west-1", child.name
    for role in dev.of_type("aws:iam/role:Role"):
        assert role["name"].startswith("ztc-dev-aws-")


def test_outputs_endpoint_ca_issuer(dev_graph):
    exports = dev_graph.exports
    assert exports["endpoint"].startswith("https://")
    assert exports["endpoint"].endswith(".gr7.eu-west-1.eks.amazonaws.com")
    pem = base64.b64decode(exports["certificateAuthority"])
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    ca = x509.load_pem_x509_certificate(pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert exports["oidcIssuer"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")


def test_kubeconfig_is_secret_and_authenticates_only_through_aws_eks_get_token(dev_graph):
    raw = dev_graph.exports["kubeconfig"]
    assert is_secret(raw)
    config = json.loads(unwrap(raw))
    user = config["users"][0]["user"]
    assert set(user) == {"exec"}  # no token, no client certificate, no password
    assert user["exec"]["command"] == "aws"
    assert user["exec"]["args"] == ["eks", "get-token", "--cluster-name", "dev-aws",
                                    "--region", "eu-west-1"]
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"] == dev_graph.exports["endpoint"]
    assert cluster["certificate-authority-data"] == dev_graph.exports["certificateAuthority"]


def test_controls_recorded_for_every_aws_control(dev_graph):
    controls = dev_graph.exports["controls"]
    in_cluster = {"ZT-POD-SECURITY", "ZT-MTLS-SHARED-ROOT",
                  "ZT-IMAGE-PROVENANCE", "ZT-CHANGE-LEDGER"}
    assert set(controls) == set(CONTROL_IDS) - in_cluster
    assert "dev-aws-sandbox" in controls["ZT-SANDBOX"]
    assert "dev-aws" in controls["ZT-API-PRIVATE"]
    component = dev_graph.of_type("ztc:aws:EksCluster")[0]
    assert dev_graph.component_outputs[component.urn]["controls"] == controls


@pytest.fixture(scope="module")
def prod(eks_run, aws_clusters, load_stack):
    spec = load_stack("prod")
    index, cluster = aws_clusters(spec, "prod-aws-use1")
    return eks_run(spec, cluster, index)


def test_account_role_is_assumed_and_used_by_the_kubeconfig(prod):
    provider = prod.of_type(PROVIDER)[0]
    assert provider.inputs["region"] == "us-east-1"
    roles = provider.inputs["assumeRoles"]
    roles = json.loads(roles) if isinstance(roles, str) else roles
    assert roles[0]["roleArn"] == "arn:aws:iam::444455556666:role/ztc-deployer"
    allowed = provider.inputs["allowedAccountIds"]
    assert (json.loads(allowed) if isinstance(allowed, str) else allowed) == ["444455556666"]
    args = json.loads(unwrap(prod.exports["kubeconfig"]))["users"][0]["user"]["exec"]["args"]
    assert args[-2:] == ["--role-arn", "arn:aws:iam::444455556666:role/ztc-deployer"]
    assert prod.exports["endpoint"].endswith(".gr7.us-east-1.eks.amazonaws.com")


def test_the_deployer_role_gets_an_explicit_visible_admin_entry(prod):
    deployer = "arn:aws:iam::444455556666:role/ztc-deployer"
    entries = [unwrap(r.inputs) for r in prod.of_type("aws:eks/accessEntry:AccessEntry")
               if unwrap(r.inputs)["principalArn"] == deployer]
    assert entries == [{**entries[0], "kubernetesGroups": ["ztc-admins"], "type": "STANDARD"}]
    associations = [unwrap(r.inputs) for r in prod.of_type(
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if unwrap(r.inputs)["principalArn"] == deployer]
    assert [a["policyArn"] for a in associations] == [
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"]
    # prod lists no authorized networks: the API is private only, admitted from the deployer.
    cluster = unwrap(prod.of_type("aws:eks/cluster:Cluster")[0].inputs)
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster["vpcConfig"]
    ingress = [unwrap(r.inputs) for r in prod.of_type(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")]
    assert [(r["cidrIpv4"], r["fromPort"]) for r in ingress if "cidrIpv4" in r] == [
        ("10.254.0.0/24", 443)]


def test_a_first_preview_registers_the_same_children_with_unknown_outputs(dev_preview_graph,
                                                                          dev_graph):
    assert sorted((r.type, r.name) for r in dev_preview_graph.resources) == sorted(
        (r.type, r.name) for r in dev_graph.resources)
