"""The facades constructed as the provider host constructs them: the dev stack's config in wire
form (a protobuf Struct, so every number is a float) through the SDK's ComponentProvider
(camelCase -> Python names), under the offline engine's mocks. The real components are built
as children, the same resources as the Python program's, and bad inputs are refused by key
with nothing registered."""

import copy
from enum import Enum
from typing import Any

import pulumi
import pytest
from google.protobuf import struct_pb2
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.runtime import rpc

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.cluster_phase import ClusterPhase, ClusterPhaseArgs
from zero_trust_clusters.components.estate import EstateArgs, ZeroTrustEstate, spec_digest
from zero_trust_clusters.components.provider import PACKAGE_NAME, type_token
from zero_trust_clusters.components.provider.config import Cluster, Posture
from zero_trust_clusters.components.provider.host import COMPONENTS, VERSION
from zero_trust_clusters.components.provider.inputs import InputError, to_config
from zero_trust_clusters.components.spec import load_spec
from zero_trust_clusters.engine.mocks import is_secret, unwrap
from zero_trust_clusters.engine.runner import Graph, ProgramError, run_program
from zero_trust_clusters.engine.stackfile import load_stack_config, to_pulumi_config

ESTATE_TYPE = "ztc:estate:ZeroTrustEstate"
CLUSTER_PHASE_TYPE = "ztc:estate:ClusterPhase"


def _dev() -> dict[str, Any]:
    config, _ = load_stack_config("dev")
    return {"posture": config["zero-trust-clusters:posture"],
            "clusters": config["zero-trust-clusters:clusters"]}


def _wire(inputs: dict[str, Any]) -> dict[str, Any]:
    """What the provider server hands `construct` (rpc.deserialize_properties of the request's
    Struct): numbers arrive as floats."""
    struct = struct_pb2.Struct()
    struct.update(inputs)
    return rpc.deserialize_properties(struct, keep_unknowns=True)


def _construct(component: str, name: str, inputs: dict[str, Any], *, stack: str = "dev",
               secrets: dict[str, Any] | None = None) -> Graph:
    """Construct `component` as the provider server would; `secrets` are top-level inputs
    that arrive secret (the server hands those over as secret Outputs)."""
    config, _ = load_stack_config(stack)

    def program() -> None:
        provider = ComponentProvider(COMPONENTS, PACKAGE_NAME, None, VERSION)
        wired = _wire(inputs)
        wired.update({k: pulumi.Output.secret(v) for k, v in (secrets or {}).items()})
        result = provider.construct(name, type_token(component), wired, None)
        for key, value in result.state.items():
            pulumi.export(key, value)

    return run_program(program, config=to_pulumi_config(config), stack=stack)


def _descendants(graph: Graph, urn: str) -> list:
    by_urn = {r.urn: r for r in graph.resources}

    def under(resource) -> bool:
        while resource.parent in by_urn:
            if resource.parent == urn:
                return True
            resource = by_urn[resource.parent]
        return False

    return [r for r in graph.resources if under(r)]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_hosts_mapping_comes_back_as_the_stack_files_config(stack):
    """Through the wire and the host's input mapping (Python names, enum members, floats),
    `to_config` gives back the stack file's posture and clusters, enum fields included."""
    config, _ = load_stack_config(stack)
    raw = {"posture": copy.deepcopy(config["zero-trust-clusters:posture"]),
           "clusters": config["zero-trust-clusters:clusters"]}
    raw["posture"]["pki"] = {"rootMode": "managed", "keyAlgorithm": "ecdsa-p384"}
    raw["posture"]["ledger"] = {**raw["posture"].get("ledger", {}), "cloud": "aws"}
    provider = ComponentProvider(COMPONENTS, PACKAGE_NAME, None, VERSION)
    mapped = provider.map_inputs(_wire(raw), provider._component_defs["ZeroTrustEstate"])
    assert isinstance(mapped["posture"]["pki"]["key_algorithm"], Enum)  # as the host passes it
    posture = to_config(mapped["posture"], Posture, "posture")
    clusters = [to_config(c, Cluster, "c") for c in mapped["clusters"]]
    assert posture == raw["posture"] and clusters == raw["clusters"]
    assert type(clusters[0]["nodePools"]["system"]["maxSize"]) is int
    assert type(posture["auditRetentionDays"]) is int


def test_wire_form_numbers_are_floats():
    wired = _wire(_dev())
    assert wired["clusters"][0]["nodePools"]["system"]["minSize"] == 2.0
    assert isinstance(wired["clusters"][0]["nodePools"]["system"]["minSize"], float)


@pytest.fixture(scope="module")
def estate() -> Graph:
    return _construct("ZeroTrustEstate", "dev", _dev())


@pytest.fixture(scope="module")
def direct() -> Graph:
    """The Python program's cloud phase, for comparison."""
    config, _ = load_stack_config("dev")
    spec = load_spec(config)

    def program() -> None:
        ZeroTrustEstate("dev", EstateArgs(spec=spec))

    return run_program(program, config=to_pulumi_config(config))


def test_the_estate_facade_builds_the_real_estate_as_its_child(estate):
    (facade,) = estate.of_type(type_token("ZeroTrustEstate"))
    (real,) = estate.of_type(ESTATE_TYPE)
    assert real.parent == facade.urn
    for cluster in _dev()["clusters"]:
        (built,) = [r for r in estate.of_type(clouds.get(cluster["cloud"]).component_type)
                    if r.name == cluster["name"]]
        assert built.parent == real.urn


def test_the_facade_builds_what_the_python_program_builds(estate, direct):
    (real,) = estate.of_type(ESTATE_TYPE)
    (direct_real,) = direct.of_type(ESTATE_TYPE)
    facade_children = sorted((r.type, r.name) for r in _descendants(estate, real.urn))
    direct_children = sorted((r.type, r.name) for r in _descendants(direct, direct_real.urn))
    assert len(facade_children) > 100
    assert facade_children == direct_children


def test_the_spec_is_the_stack_files_spec(estate):
    """camelCase keys, enum values and float integers come back as the stack file's config:
    the cloud phase's digest is the one the Python program computes from the file."""
    config, _ = load_stack_config("dev")
    phase = estate.exports["clusterPhase"]
    assert is_secret(phase)
    assert unwrap(phase)["specDigest"] == spec_digest(load_spec(config))


def test_the_estate_outputs(estate):
    exports = estate.exports
    names = {c["name"] for c in _dev()["clusters"]}
    assert is_secret(exports["kubeconfigs"])
    assert set(unwrap(exports["kubeconfigs"])) == names
    for key in ("clouds", "regions", "trustDomains", "endpoints", "oidcIssuers", "controls"):
        assert set(exports[key]) == names, key
    assert all(url.startswith("https://") for url in exports["endpoints"].values())
    assert exports["trustDomains"]["dev-aws"] == "dev-aws.dev.zt.example.com"
    assert "BEGIN CERTIFICATE" in exports["rootCertificatePem"]
    assert "BEGIN CERTIFICATE" in exports["trustBundlePem"]
    assert exports["ledgerStore"].startswith("s3://acme-ztc-dev-change-ledger")
    assert exports["postureSummary"]["trustDomain"] == "dev.zt.example.com"


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_the_cluster_facade_builds_the_clouds_cluster(cloud):
    dev = _dev()
    cluster = next(c for c in dev["clusters"] if c["cloud"] == cloud)
    graph = _construct("ZeroTrustCluster", f"my-{cloud}",
                       {"posture": dev["posture"], "cluster": cluster})
    (facade,) = graph.of_type(type_token("ZeroTrustCluster"))
    (built,) = graph.of_type(clouds.get(cloud).component_type)
    assert built.parent == facade.urn and built.name == cluster["name"]
    assert not graph.of_type(ESTATE_TYPE)
    exports = graph.exports
    assert is_secret(exports["kubeconfig"])
    assert exports["endpoint"].startswith("https://")
    assert exports["cloud"] == cloud
    assert exports["sandboxHandler"] == clouds.get(cloud).sandbox.handler
    assert exports["trustDomain"] == f"{cluster['name']}.dev.zt.example.com"
    assert exports["controls"] and all(exports["controls"].values())
    # What each cloud registers beyond the contract, and nothing from another cloud.
    extras = {"aws": {"clusterName", "oidcProviderArn", "auditBucket", "auditAlarmTopic"},
              "azure": set(), "gcp": {"workloadPool"}}[cloud]
    present = {k for k in ("clusterName", "oidcProviderArn", "auditBucket", "auditAlarmTopic",
                           "workloadPool") if exports.get(k) is not None}
    assert present == extras
    if cloud == "aws":
        assert exports["oidcProviderArn"].startswith("arn:aws:iam::")
    if cloud == "gcp":
        assert exports["workloadPool"] == "acme-zt-dev.svc.id.goog"


def _refused(component: str, inputs: dict[str, Any]) -> tuple[str, Graph]:
    with pytest.raises(ProgramError) as caught:
        _construct(component, "bad", inputs)
    cause = caught.value.__cause__
    while cause is not None and not isinstance(cause, InputError):
        cause = cause.__cause__ or getattr(cause, "inner", None)
    assert isinstance(cause, InputError), caught.value
    return str(cause), caught.value.graph


def test_a_bad_value_is_refused_by_its_input_key_and_registers_nothing():
    dev = copy.deepcopy(_dev())
    dev["clusters"][1]["nodeCidr"] = "8.8.0.0/16"
    message, graph = _refused("ZeroTrustEstate", dev)
    assert "clusters[1].nodeCidr: " in message
    assert "zero-trust-clusters:" not in message
    assert graph.resources == []


def test_a_fractional_integer_is_refused_by_key():
    dev = copy.deepcopy(_dev())
    dev["clusters"][0]["nodePools"]["system"]["minSize"] = 1.5
    message, _ = _refused("ZeroTrustEstate", dev)
    assert "clusters[0].nodePools.system.minSize: " in message


def test_the_cluster_facade_names_the_cluster_input():
    dev = copy.deepcopy(_dev())
    cluster = dev["clusters"][2]
    del cluster["gcp"]
    message, graph = _refused("ZeroTrustCluster", {"posture": dev["posture"], "cluster": cluster})
    assert "cluster: cloud gcp needs a `gcp` block" in message
    assert graph.resources == []


def test_an_offline_root_is_refused_by_the_estate_facade():
    dev = copy.deepcopy(_dev())
    dev["posture"]["pki"] = {"rootMode": "offline", "offlineRootCertificateFile": "root.pem"}
    message, _ = _refused("ZeroTrustEstate", dev)
    assert "posture.pki.rootMode: offline is not available" in message


def test_an_output_in_the_config_is_refused_by_key():
    posture = {"trust_domain": pulumi.Output.from_input("x.example.com")}
    with pytest.raises(TypeError, match=r"^posture\.trustDomain: is an Output"):
        to_config(posture, Posture, "posture")


def test_the_cluster_phase_facade_applies_the_baseline_from_the_cloud_phase(estate):
    """The cloud phase's `clusterPhase` output (from the estate facade), passed as a secret:
    the real ClusterPhase is the child and builds what the Python program's cluster phase
    builds from the same output."""
    dev = _dev()
    cloud_phase = unwrap(estate.exports["clusterPhase"])
    graph = _construct("ZeroTrustClusterPhase", "dev-cluster",
                       {**dev, "cloudStack": "dev"}, stack="dev-cluster",
                       secrets={"cloudPhase": cloud_phase})
    (facade,) = graph.of_type(type_token("ZeroTrustClusterPhase"))
    (real,) = graph.of_type(CLUSTER_PHASE_TYPE)
    assert real.parent == facade.urn
    assert set(graph.exports["controls"]) == {c["name"] for c in dev["clusters"]}
    assert all(graph.exports["controls"].values())

    config, _ = load_stack_config("dev")
    spec = load_spec(config)

    def program() -> None:
        ClusterPhase("dev-cluster", ClusterPhaseArgs(
            spec=spec, cloud_phase=pulumi.Output.secret(cloud_phase), cloud_stack="dev"))

    direct = run_program(program, stack="dev-cluster")
    (direct_real,) = direct.of_type(CLUSTER_PHASE_TYPE)
    facade_children = sorted((r.type, r.name) for r in _descendants(graph, real.urn))
    assert len(facade_children) > 50
    assert facade_children == sorted(
        (r.type, r.name) for r in _descendants(direct, direct_real.urn))
