"""Two GKE clusters in one project (prod) share one set of project singletons."""

from __future__ import annotations

import pytest

from zero_trust_clusters.engine.mocks import unwrap


@pytest.fixture(scope="module")
def prod(gke_runner):
    return gke_runner("prod")


def test_one_binauthz_policy_and_audit_config_per_project(prod) -> None:
    spec, graph = prod
    gke = [c for c in spec.clusters if c.cloud == "gcp"]
    assert len(gke) == 2 and gke[0].settings.project == gke[1].settings.project
    assert len(graph.of_type("ztc:gcp:GkeCluster")) == 2
    for singleton in (
        "ztc:gcp:ProjectGuardrails",
        "gcp:binaryauthorization/policy:Policy",
        "gcp:binaryauthorization/attestor:Attestor",
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "gcp:projects/service:Service",
    ):
        names = [r.name for r in graph.of_type(singleton)]
        assert len(names) == len(set(names)), singleton
    assert len(graph.of_type("gcp:binaryauthorization/policy:Policy")) == 1
    # Both clusters enforce, and report, the one shared policy.
    policy = graph.of_type("gcp:binaryauthorization/policy:Policy")[0].name
    for component in graph.of_type("ztc:gcp:GkeCluster"):
        controls = unwrap(graph.component_outputs[component.urn]["controls"])
        assert policy in controls["ZT-IMAGE-PROVENANCE"]


def test_each_cluster_has_its_own_regional_provider(prod) -> None:
    spec, graph = prod
    regions = sorted(
        unwrap(p.inputs)["region"]
        for p in graph.of_type("pulumi:providers:gcp")
        if "region" in p.inputs
    )
    assert regions == sorted(c.region for c in spec.clusters if c.cloud == "gcp")
    for cluster in graph.of_type("gcp:container/cluster:Cluster"):
        provider = graph.by_urn(cluster.provider.rsplit("::", 1)[0])
        assert unwrap(provider.inputs)["region"] == unwrap(cluster.inputs)["location"]


def test_prod_api_is_private_only_and_admits_the_deployer(prod) -> None:
    spec, graph = prod
    assert spec.posture.authorized_networks == []  # prod admits no people's networks
    for cluster in graph.of_type("gcp:container/cluster:Cluster"):
        inputs = unwrap(cluster.inputs)
        assert inputs["privateClusterConfig"]["enablePrivateEndpoint"] is True
        config = inputs["masterAuthorizedNetworksConfig"]
        # Only the cluster phase's runners reach the API server.
        assert config["cidrBlocks"] == [{"cidrBlock": "10.254.0.0/24", "displayName": "deployer-0"}]
        assert config["gcpPublicCidrsAccessEnabled"] is False


def test_one_policy_admits_the_baseline_images_of_both_clusters(prod) -> None:
    _, graph = prod
    (policy,) = graph.of_type("gcp:binaryauthorization/policy:Policy")
    patterns = [p["namePattern"] for p in unwrap(policy.inputs)["admissionWhitelistPatterns"]]
    assert patterns == sorted(set(patterns)) and patterns
