"""The two phases of an environment (DEPLOYING.md): the cloud phase calls cloud APIs only, the
cluster phase applies the in-cluster baseline from the deployer network through its own stack,
and each stack passes the pack on its own as `pulumi preview --policy-pack` would judge it."""

from __future__ import annotations

import json
import runpy
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from zero_trust_clusters.cli.main import app
from zero_trust_clusters.components.cluster_phase import (
    CloudPhaseMismatchError,
    checked_cloud_phase,
)
from zero_trust_clusters.components.estate import spec_digest
from zero_trust_clusters.engine import preview as engine
from zero_trust_clusters.engine.analyzer import analyze
from zero_trust_clusters.engine.runner import ORGANIZATION, PROJECT, run_program
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT, load_stack_config, to_pulumi_config

NODE_POOL_TYPES = {
    "aws:eks/nodeGroup:NodeGroup",
    "azure-native:containerservice:AgentPool",
    "azure-native:containerservice:ManagedCluster",  # AKS's system pool is in the cluster
    "gcp:container/nodePool:NodePool",
}


@pytest.fixture(scope="module", params=["dev", "prod"])
def capture(request) -> engine.Capture:
    return engine.capture_stack(request.param)


def _is_kubernetes(type_: str) -> bool:
    return type_.startswith("kubernetes:") or type_ == "pulumi:providers:kubernetes"


def test_cloud_phase_never_needs_the_kubernetes_api(capture):
    cloud = capture.phases[engine.CLOUD_PHASE]
    kubernetes = [r.name for r in cloud.resources if _is_kubernetes(r.type)]
    assert kubernetes == [], f"{capture.stack}: Kubernetes resources in the cloud phase"
    by_urn = {r.urn: r for r in cloud.resources}
    for pool in (r for r in cloud.resources if r.type in NODE_POOL_TYPES):
        seen, todo = set(), [pool.urn]
        while todo:  # every transitive dependency of a node pool is a cloud resource
            node = by_urn.get(todo.pop())
            if node is None or node.urn in seen:
                continue
            seen.add(node.urn)
            assert not _is_kubernetes(node.type), (pool.name, node.name)
            todo += node.dependencies + [u for us in node.property_dependencies.values()
                                         for u in us]


def test_cluster_phase_holds_the_whole_baseline_of_every_cluster(capture):
    cluster = capture.phases[engine.CLUSTER_PHASE]
    assert cluster.stack == f"{capture.stack}-cluster"
    assert {r.type for r in cluster.resources if not _is_kubernetes(r.type)} <= {
        "ztc:estate:ClusterPhase", "ztc:kubernetes:ClusterBaseline"}
    providers = [r for r in cluster.resources if r.type == "pulumi:providers:kubernetes"]
    assert sorted(p.name for p in providers) == sorted(f"{c.name}-k8s" for c in capture.spec.clusters)
    # Each provider authenticates with its cluster's kubeconfig from the cloud stack's secret
    # `clusterPhase` output.
    exported = capture.phases[engine.CLOUD_PHASE].exports["clusterPhase"]
    assert engine.mask(exported) == engine.SECRET_MASK
    for provider in providers:
        assert engine.mask(provider.inputs["kubeconfig"]) == engine.SECRET_MASK
        cluster_name = provider.name.removesuffix("-k8s")
        assert provider.inputs["kubeconfig"]["value"] == \
            exported["value"]["clusters"][cluster_name]["kubeconfig"]


def test_each_phase_passes_the_pack_alone_and_says_where_the_rest_is_checked(capture):
    """What `pulumi preview --policy-pack zero_trust_clusters/policies -s dev` and `-s dev-cluster` would answer."""
    for phase, graph in capture.phases.items():
        result = analyze(graph.resources, engine.POLICY_PACK_DIR, stack=graph.stack,
                         project=graph.project)
        assert result.mandatory == [], (phase, [d.message for d in result.mandatory])
        elsewhere = [d for d in result.diagnostics if d.policy_name == "phase-elsewhere"]
        # One advisory per cluster: the other phase is checked in its own stack.
        assert len(elsewhere) == len(capture.spec.clusters), phase
        assert all(d.enforcement_level == "advisory" for d in elsewhere)


def test_a_missing_runtime_class_in_the_cluster_phase_is_still_a_violation(capture):
    graph = capture.phases[engine.CLUSTER_PHASE]
    first = capture.spec.clusters[0].name
    kept = [r for r in graph.resources if r.name != f"{first}-runtimeclass-sandboxed"]
    assert len(kept) == len(graph.resources) - 1
    result = analyze(kept, engine.POLICY_PACK_DIR, stack=graph.stack, project=graph.project)
    assert any("ZT-SANDBOX" in d.message and f"(cluster {first})" in d.message
               for d in result.mandatory), [d.message for d in result.diagnostics]


def test_combined_preview_has_no_phase_advisories(capture):
    result = engine.check_policies(capture)
    assert result.diagnostics == [] or all(
        d.policy_name != engine.PHASE_ELSEWHERE_POLICY for d in result.diagnostics)


def test_the_cluster_phase_refuses_a_cloud_phase_from_another_config():
    config, _ = load_stack_config("dev")
    from zero_trust_clusters.components.spec import load_spec

    spec = load_spec(config)
    good = {"specDigest": spec_digest(spec), "trustBundlePem": "x",
            "clusters": {c.name: {} for c in spec.clusters}}
    assert checked_cloud_phase(good, spec, "dev") is good
    with pytest.raises(CloudPhaseMismatchError, match="zero-trust-clusters:cloudStack: .*different"):
        checked_cloud_phase({**good, "specDigest": "0" * 64}, spec, "dev")
    with pytest.raises(CloudPhaseMismatchError, match="pulumi up -s dev"):
        checked_cloud_phase(None, spec, "dev")
    with pytest.raises(CloudPhaseMismatchError, match="no cluster 'dev-aws'"):
        checked_cloud_phase({**good, "clusters": {}}, spec, "dev")


def _project_without_deployer(tmp_path: Path) -> Path:
    shutil.copy(PROJECT_ROOT / "__main__.py", tmp_path / "__main__.py")
    shutil.copytree(PROJECT_ROOT / "stacks", tmp_path / "stacks")
    path = tmp_path / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["zero-trust-clusters:posture"].pop("deployer")
    path.write_text(yaml.safe_dump(document))
    return tmp_path


def test_no_path_from_the_deployer_to_private_api_servers_exits_2_naming_the_key(tmp_path):
    project = _project_without_deployer(tmp_path)
    for stack in ("dev", "dev-cluster"):
        result = CliRunner().invoke(app, ["preview", "--stack", stack, "--project-dir",
                                          str(project)])
        assert result.exit_code == 2, result.output
        assert "zero-trust-clusters:posture.deployer.networks" in result.output
        assert "no network path" in result.output


def test_either_stack_of_an_environment_previews_both_phases():
    cloud, cluster, config = engine.phase_stacks("dev-cluster")
    assert (cloud, cluster) == ("dev", "dev-cluster")
    assert engine.phase_stacks("dev")[:2] == ("dev", "dev-cluster")
    assert config[engine.PHASE_KEY] == "cluster"


# ------------------------------------------------- what the real CLI does with these files

def test_every_stack_sets_every_config_key_pulumi_yaml_requires():
    """The CLI refuses a stack that lacks a project key declared in Pulumi.yaml without a
    default (pulumi/pulumi sdk/go/common/workspace/config.go, mergeConfig ->
    missingStackConfigurationKeysError): every shipped stack, both phases, must set them all."""
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    required = {f"{project['name']}:{key}" for key, decl in (project.get("config") or {}).items()
                if not (isinstance(decl, dict) and "default" in decl)}
    for path in sorted((PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi."):-len(".yaml")]
        config, _ = load_stack_config(stack)
        assert required <= set(config), (stack, sorted(required - set(config)))


def test_the_spec_digest_ignores_the_order_keys_are_written_in():
    """The CLI hands the cloud phase its objects with sorted keys (Go maps); the cluster phase
    reads the file's order. Both phases must fingerprint the same spec the same way."""
    from zero_trust_clusters.components.spec import load_spec

    config, _ = load_stack_config("dev")
    config = json.loads(json.dumps(config))
    cluster = config["zero-trust-clusters:clusters"][0]
    cluster["labels"] = {"team": "payments", "env": "dev"}
    as_written = load_spec(config)
    cluster["labels"] = dict(sorted(cluster["labels"].items()))
    as_sorted = load_spec(config)
    assert spec_digest(as_written) == spec_digest(as_sorted)


def test_an_unquoted_date_in_a_stack_file_stays_a_string(tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.d.yaml").write_text(
        "config:\n  zero-trust-clusters:x:\n    rotation: 2026-01-15\n")
    config, _ = load_stack_config("d", tmp_path)
    assert config["zero-trust-clusters:x"] == {"rotation": "2026-01-15"}


def test_the_cluster_phase_of_an_offline_root_estate_needs_no_root_secret(tmp_path, capture):
    """The cluster phase signs nothing with the root: an offline-root estate's cluster stack
    runs without pkiRootKey / pkiRootPassphrase (only the cloud phase has them)."""
    if capture.stack != "dev":
        pytest.skip("one estate is enough")
    shutil.copy(PROJECT_ROOT / "__main__.py", tmp_path / "__main__.py")
    shutil.copytree(PROJECT_ROOT / "stacks", tmp_path / "stacks")
    path = tmp_path / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["zero-trust-clusters:posture"]["pki"] = {
        "rootMode": "offline", "offlineRootCertificateFile": "pki/root-ca.pem"}
    path.write_text(yaml.safe_dump(document))
    from zero_trust_clusters.components.spec import load_spec

    offline = load_spec(document["config"], check_offline_root=False)
    exports = json.loads(json.dumps(capture.phases[engine.CLOUD_PHASE].exports))
    exports["clusterPhase"]["value"]["specDigest"] = spec_digest(offline)
    cluster_config, _ = load_stack_config("dev-cluster", tmp_path)
    graph = run_program(
        lambda: runpy.run_path(str(tmp_path / "__main__.py"), run_name="__main__"),
        config=to_pulumi_config(cluster_config), stack="dev-cluster",
        stack_outputs={f"{ORGANIZATION}/{PROJECT}/dev": exports})
    assert len(graph.of_type("ztc:kubernetes:ClusterBaseline")) == len(offline.clusters)
