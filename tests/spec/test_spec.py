"""The stack spec: valid stacks load, every bad config gets an error naming its key."""

import copy
import runpy

import pytest

from zero_trust_clusters.components.spec import SUPPORTED_KUBERNETES_VERSIONS, SpecError, load_spec
from zero_trust_clusters.engine.runner import ProgramError, run_program
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT, load_stack_config, to_pulumi_config

NS = "zero-trust-clusters"


@pytest.fixture
def dev() -> dict:
    config, _ = load_stack_config("dev")
    return copy.deepcopy(config)


def _problems(config: dict) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(config)
    return caught.value.problems


def _clusters(config: dict) -> list[dict]:
    return config[f"{NS}:clusters"]


def _posture(config: dict) -> dict:
    return config[f"{NS}:posture"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_are_valid(stack):
    config, secure = load_stack_config(stack)
    spec = load_spec(config)
    assert secure == []
    assert {c.cloud for c in spec.clusters} == {"aws", "azure", "gcp"}
    if stack == "prod":
        for cloud in ("aws", "azure", "gcp"):
            regions = {c.region for c in spec.clusters if c.cloud == cloud}
            assert len(regions) >= 2, f"prod needs two regions on {cloud}"


def test_structured_config_may_arrive_as_json_strings(dev):
    spec = load_spec(to_pulumi_config(dev))
    assert spec.clusters[0].name == "dev-aws"
    assert spec.trust_domain(spec.clusters[0]) == "dev-aws.dev.zt.example.com"


@pytest.mark.parametrize(
    ("mutate", "key", "hint"),
    [
        (lambda c: _clusters(c)[0].update(nodeCidr="10.10.0.0/33"), "clusters[0].nodeCidr", "10.10.0.0/16"),
        (lambda c: _clusters(c)[0].update(nodeCidr="10.10.0.1/16"), "clusters[0].nodeCidr", "network address"),
        (lambda c: _clusters(c)[0].update(podCidr="8.8.0.0/16"), "clusters[0].podCidr", "private IPv4"),
        (lambda c: _clusters(c)[0].update(serviceCidr="10.0.0.0/8"), "clusters[0].serviceCidr", "/16 to /24"),
        (lambda c: _clusters(c)[1].update(nodeCidr=_clusters(c)[0]["nodeCidr"]), "clusters[1].nodeCidr", "overlaps"),
        (lambda c: _clusters(c)[2].update(podCidr="10.101.128.0/20"), "clusters[2].podCidr", "overlaps"),
        (lambda c: _clusters(c)[1].update(name="dev-aws"), "clusters[1].name", "unique"),
        (lambda c: _clusters(c)[0].update(cloud="oracle"), "clusters[0].cloud", "'aws', 'azure' or 'gcp'"),
        (lambda c: _clusters(c)[2].pop("gcp"), "clusters[2]", "`gcp` block"),
        (lambda c: _clusters(c)[1]["azure"].pop("subscriptionId"), "clusters[1].azure.subscriptionId", "required"),
        (lambda c: _clusters(c)[0].update(gcp={"project": "acme-zt-dev"}), "clusters[0]", "remove it"),
        (lambda c: _posture(c).update(kubernetesVersion="1.20"), "posture.kubernetesVersion", SUPPORTED_KUBERNETES_VERSIONS[0]),
        (lambda c: _clusters(c)[0]["nodePools"].pop("sandbox"), "clusters[0].nodePools.sandbox", "required"),
        (lambda c: _clusters(c)[0]["nodePools"]["general"].update(maxSize=0), "clusters[0].nodePools.general.maxSize", "greater than or equal to 1"),
        (lambda c: _clusters(c)[0]["nodePools"]["system"].update(minSize=9, maxSize=3), "clusters[0].nodePools.system", "maxSize at least minSize"),
        (lambda c: _posture(c).update(authorizedNetworks=["0.0.0.0/0"]), "posture.authorizedNetworks[0]", "not a private range"),
        (lambda c: _posture(c).update(authorizedNetworks=["::/0"]), "posture.authorizedNetworks[0]", "not a private range"),
        # GKE refuses public master authorized networks with a private endpoint; so do we, everywhere.
        (lambda c: _posture(c).update(authorizedNetworks=["198.51.100.0/24"]), "posture.authorizedNetworks[0]", "not a private range"),
        # No deployer range: the cluster phase cannot reach any private API server.
        (lambda c: _posture(c).pop("deployer"), "posture.deployer.networks", "no network path"),
        (lambda c: _posture(c).update(deployer={"networks": []}), "posture.deployer.networks", "at least 1"),
        (lambda c: _posture(c).update(deployer={"networks": ["203.0.113.0/24"]}), "posture.deployer.networks[0]", "not a private range"),
        (lambda c: _posture(c).update(deployer={"networks": ["10.10.4.0/24"]}), "posture.deployer.networks[0]", "overlaps"),
        (lambda c: _posture(c)["groups"]["admins"].pop("gcpGroupEmail"), "posture.groups.admins.gcpGroupEmail", "gcp cluster"),
        (lambda c: _posture(c)["groups"]["admins"].update(awsRoleArns=[]), "posture.groups.admins.awsRoleArns", "aws cluster"),
        (lambda c: _posture(c).update(workloadNamespaces=[{"name": "kube-system"}]), "posture.workloadNamespaces[0].name", "system namespace"),
        (lambda c: _clusters(c)[0].update(nodeCidrs="10.0.0.0/16"), "clusters[0].nodeCidrs", "spelling"),
        (lambda c: c.pop(f"{NS}:clusters"), "clusters", "required"),
        (lambda c: c.update({f"{NS}:clusters": []}), "clusters", "at least 1"),
        # The mesh's proxies confine an intermediate to its trust domain only through URI
        # name constraints: turning them off under the mesh is refused.
        (lambda c: _posture(c).update(pki={"uriNameConstraints": False}),
         "posture.pki.uriNameConstraints", "turn the mesh off"),
    ],
)
def test_bad_config_names_the_key(dev, mutate, key, hint):
    mutate(dev)
    problems = _problems(dev)
    matching = [p for p in problems if p.startswith(f"{NS}:{key}")]
    assert matching, problems
    assert any(hint in p for p in matching), matching


def test_invalid_spec_registers_nothing(dev):
    _clusters(dev)[1]["nodeCidr"] = _clusters(dev)[0]["nodeCidr"]
    with pytest.raises(ProgramError, match="overlaps") as caught:
        run_program(
            lambda: runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__main__"),
            config=to_pulumi_config(dev),
        )
    assert caught.value.graph.resources == []


def test_the_mesh_and_uri_name_constraints_are_on_by_default(dev):
    posture = load_spec(dev).posture
    assert posture.mesh is True
    assert posture.pki.uri_name_constraints is True
    # Without the mesh, DNS-only intermediates remain a valid choice.
    _posture(dev).update(mesh=False, pki={"uriNameConstraints": False})
    assert load_spec(dev).posture.pki.uri_name_constraints is False
