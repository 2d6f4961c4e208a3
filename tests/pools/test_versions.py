"""Per-cluster Kubernetes versions and add-on versions that an ordinary `pulumi up` never moves."""

from __future__ import annotations

import pytest

from tests.pools.support import CLUSTERS, dev_config, run_cloud_phase
from zero_trust_clusters.components.aws.addons import version_options
from zero_trust_clusters.components.spec import SpecError, load_spec
from zero_trust_clusters.engine.mocks import unwrap

ADDON = "aws:eks/addon:Addon"
PINS = {"vpcCni": "v1.22.4-eksbuild.1", "coredns": "v1.12.4-eksbuild.1",
        "kubeProxy": "v1.35.0-eksbuild.2", "podIdentityAgent": "v1.3.10-eksbuild.1"}
ADDON_PIN = {"vpc-cni": "vpcCni", "coredns": "coredns", "kube-proxy": "kubeProxy",
             "eks-pod-identity-agent": "podIdentityAgent"}


def _one(run, type_: str) -> dict:
    found = [unwrap(r.inputs) for r in run.graph.resources if r.type == type_]
    assert len(found) == 1, (type_, len(found))
    return found[0]


def test_one_cluster_can_go_first_on_every_cloud():
    config = dev_config()
    versions = {"aws": "1.36", "azure": "1.34", "gcp": "1.36"}  # the posture says 1.35
    for cluster in config[CLUSTERS]:
        cluster["kubernetesVersion"] = versions[cluster["cloud"]]
    run = run_cloud_phase(config)
    assert _one(run, "aws:eks/cluster:Cluster")["version"] == "1.36"
    aks = _one(run, "azure-native:containerservice:ManagedCluster")
    assert aks["kubernetesVersion"] == "1.34"
    assert {p["orchestratorVersion"] for p in aks["agentPoolProfiles"]} == {"1.34"}
    pools = [unwrap(r.inputs) for r in run.graph.resources
             if r.type == "azure-native:containerservice:AgentPool"]
    assert {p["orchestratorVersion"] for p in pools} == {"1.34"}
    assert _one(run, "gcp:container/cluster:Cluster")["minMasterVersion"] == "1.36"


def test_without_its_own_version_a_cluster_follows_the_posture(dev_run):
    assert _one(dev_run, "aws:eks/cluster:Cluster")["version"] == "1.35"
    assert _one(dev_run, "gcp:container/cluster:Cluster")["minMasterVersion"] == "1.35"


def test_an_unsupported_cluster_version_names_its_key():
    config = dev_config()
    config[CLUSTERS][2]["kubernetesVersion"] = "1.29"
    with pytest.raises(SpecError) as failure:
        load_spec(config, check_offline_root=False)
    assert failure.value.problems == [
        ("zero-trust-clusters:clusters[2].kubernetesVersion: Kubernetes '1.29' is not supported; "
        "use one of 1.34, 1.35, 1.36")]


def test_unpinned_addons_are_created_then_left_where_they_are(dev_run):
    addons = [r for r in dev_run.graph.resources if r.type == ADDON]
    assert len(addons) == 4
    for addon in addons:
        # vpc-cni is created at the newest (checked) release, the others at EKS's default;
        # after that a newer release never rolls them on an ordinary `pulumi up`.
        assert dev_run.options[addon.urn].ignore_changes == ("addonVersion",), addon.name


def test_pinned_addons_are_exactly_the_pins():
    config = dev_config()
    config[CLUSTERS][0]["aws"]["addonVersions"] = PINS
    run = run_cloud_phase(config)
    addons = [r for r in run.graph.resources if r.type == ADDON]
    assert len(addons) == 4
    for addon in addons:
        inputs = unwrap(addon.inputs)
        assert inputs["addonVersion"] == PINS[ADDON_PIN[inputs["addonName"]]]
        assert run.options[addon.urn].ignore_changes == ()


def test_version_options():
    assert version_options(None) == {"addon_version": None, "ignore_changes": ["addonVersion"]}
    assert version_options("v1.3.10-eksbuild.1") == {"addon_version": "v1.3.10-eksbuild.1",
                                                     "ignore_changes": []}


@pytest.mark.parametrize(("pin", "problem"), [
    ("v1.20.1-eksbuild.3", "is older than v1.22.1"),
    ("1.22.4", "String should match pattern"),
])
def test_a_bad_vpc_cni_pin_names_its_key(pin, problem):
    config = dev_config()
    config[CLUSTERS][0]["aws"]["addonVersions"] = {"vpcCni": pin}
    with pytest.raises(SpecError) as failure:
        load_spec(config, check_offline_root=False)
    assert len(failure.value.problems) == 1
    assert failure.value.problems[0].startswith(
        "zero-trust-clusters:clusters[0].aws.addonVersions.vpcCni: ")
    assert problem in failure.value.problems[0]
