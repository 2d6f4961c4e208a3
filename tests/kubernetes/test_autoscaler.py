"""The EKS Cluster Autoscaler in the cluster phase (charts.py, autoscaler.py), and each
cluster's own Kubernetes version reaching its baseline (PSA labels, the autoscaler's image).

AKS and GKE pools carry the cloud's managed autoscaler, so only EKS clusters get the chart."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from zero_trust_clusters.components.aws import pools
from zero_trust_clusters.components.kubernetes import (
    default_sandbox_placement,
    render_baseline,
    render_charts,
)
from zero_trust_clusters.components.kubernetes.charts import (
    _POOL_LABEL,
    CLUSTER_AUTOSCALER_IMAGE_TAGS,
    CLUSTER_AUTOSCALER_NAMESPACE,
    CLUSTER_AUTOSCALER_POD_LABELS,
    CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
    UnsupportedAutoscalerVersionError,
    cluster_autoscaler_release,
)
from zero_trust_clusters.components.spec import SUPPORTED_KUBERNETES_VERSIONS
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.preview import capture_stack
from zero_trust_clusters.engine.schema import helm
from zero_trust_clusters.engine.schema import kubernetes as schema_kubernetes
from zero_trust_clusters.engine.schema.plan import from_captured, masked
from zero_trust_clusters.engine.stackfile import PROJECT_ROOT

from .support import stack_spec

RELEASE = "kubernetes:helm.sh/v3:Release"
PSA_VERSION = "pod-security.kubernetes.io/enforce-version"


def _eks():
    spec = stack_spec("dev")
    (cluster,) = [c for c in spec.clusters if c.cloud == "aws"]
    return spec, cluster


def _paths(values: dict, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    out = set()
    for key, value in values.items():
        path = (*prefix, key)
        if isinstance(value, dict) and value:
            out |= _paths(value, path)
        else:
            out.add(path)
    return out


def test_only_eks_installs_the_cluster_autoscaler():
    spec = stack_spec("dev")
    for c in spec.clusters:
        names = [r.name for r in render_charts(c.cloud, spec.posture, "td", cluster=c)]
        assert ("cluster-autoscaler" in names) == (c.cloud == "aws"), c.name


def test_the_release_is_published_and_sets_only_keys_the_chart_reads():
    spec, cluster = _eks()
    release = cluster_autoscaler_release(cluster, cluster.version(spec.posture))
    assert helm.is_published(release.repo, release.chart, release.version) is True
    _schema, defaults, note = helm.chart_files(release.chart, release.version)
    assert note and defaults, "the vendored chart files of the release"
    # A key the chart does not read is silently ignored by Helm (no values.schema.json here).
    # Leaves we set are scalars or lists, or mappings the chart renders verbatim (toYaml).
    verbatim = {("securityContext",), ("containerSecurityContext",), ("nodeSelector",)}
    chart_paths = _paths(defaults) | verbatim
    for path in _paths(release.values):
        assert any(path[:len(p)] == p for p in chart_paths), path


def test_the_autoscaler_runs_as_the_service_account_pod_identity_binds():
    _spec, cluster = _eks()
    values = cluster_autoscaler_release(cluster, "1.35").values
    assert cluster_autoscaler_release(cluster, "1.35").namespace == CLUSTER_AUTOSCALER_NAMESPACE
    assert values["rbac"]["serviceAccount"]["name"] == CLUSTER_AUTOSCALER_SERVICE_ACCOUNT
    assert (pools.AUTOSCALER_NAMESPACE, pools.AUTOSCALER_SERVICE_ACCOUNT) == (
        CLUSTER_AUTOSCALER_NAMESPACE, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT)
    # It discovers the node groups EKS tags with the cluster's name, the IAM condition's key.
    assert values["autoDiscovery"]["clusterName"] == cluster.name
    assert values["awsRegion"] == cluster.region
    assert pools.autoscaler_discovery_tag(cluster.name) == f"k8s.io/cluster-autoscaler/{cluster.name}"
    # On the system pool, which it never scales to zero.
    assert _POOL_LABEL == pools.POOL_LABEL and values["nodeSelector"] == {_POOL_LABEL: "system"}


def test_the_autoscaler_pod_meets_psa_restricted_in_its_own_namespace():
    spec, cluster = _eks()
    values = cluster_autoscaler_release(cluster, "1.35").values
    assert values["hostNetwork"] is False
    pod, container = values["securityContext"], values["containerSecurityContext"]
    assert pod["runAsNonRoot"] is True and pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    objects = render_baseline("aws", spec.posture, cluster, "td",
                              default_sandbox_placement("aws"), "bundle")
    mine = [o for o in objects if CLUSTER_AUTOSCALER_NAMESPACE in (
        o["metadata"].get("namespace"), o["metadata"]["name"] if o["kind"] == "Namespace" else None)]
    (namespace,) = [o for o in mine if o["kind"] == "Namespace"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = {o["metadata"]["name"]: o["spec"] for o in mine if o["kind"] == "NetworkPolicy"}
    assert policies["default-deny-all"] == {"podSelector": {},
                                            "policyTypes": ["Ingress", "Egress"]}
    egress = [(peer, port["port"]) for p in policies.values() for rule in p.get("egress", [])
              for peer in rule["to"] for port in rule["ports"]]
    # The API server and AWS APIs on 443 (never to another pod), the Pod Identity Agent on 80,
    # and DNS: nothing else leaves the namespace.
    assert ({"ipBlock": {"cidr": "0.0.0.0/0", "except": [cluster.pod_cidr]}}, 443) in egress
    assert ({"ipBlock": {"cidr": "169.254.170.23/32"}}, 80) in egress
    assert {port for _peer, port in egress} == {53, 80, 443}
    for name, policy in policies.items():
        if name not in ("default-deny-all", "allow-dns-egress"):
            assert policy["podSelector"] == {"matchLabels": CLUSTER_AUTOSCALER_POD_LABELS}


def test_every_supported_kubernetes_minor_has_its_own_autoscaler_release():
    _spec, cluster = _eks()
    assert set(CLUSTER_AUTOSCALER_IMAGE_TAGS) == set(SUPPORTED_KUBERNETES_VERSIONS)
    for minor in SUPPORTED_KUBERNETES_VERSIONS:
        (image,) = cluster_autoscaler_release(cluster, minor).images
        assert image.tag.startswith(f"v{minor}."), (minor, image.tag)


def test_a_minor_without_an_autoscaler_release_names_the_clusters_version_key():
    _spec, cluster = _eks()
    with pytest.raises(UnsupportedAutoscalerVersionError) as error:
        cluster_autoscaler_release(cluster, "1.99")
    assert str(error.value).startswith(
        f"zero-trust-clusters:clusters[name={cluster.name}].kubernetesVersion: ")


# --- each cluster's own version, through both phases of the real program ----------------------


@pytest.fixture(scope="module")
def canary(tmp_path_factory) -> tuple[str, dict]:
    """The dev estate with its EKS cluster one minor ahead of the posture (a canary)."""
    root = tmp_path_factory.mktemp("canary")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    shutil.copytree(PROJECT_ROOT / "stacks", root / "stacks")
    path = root / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    clusters = copy.deepcopy(document["config"]["zero-trust-clusters:clusters"])
    (eks,) = [c for c in clusters if c["cloud"] == "aws"]
    assert document["config"]["zero-trust-clusters:posture"]["kubernetesVersion"] == "1.35"
    eks["kubernetesVersion"] = "1.36"
    document["config"]["zero-trust-clusters:clusters"] = clusters
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return eks["name"], capture_stack("dev", root=Path(root)).phases


def test_a_canary_clusters_baseline_uses_its_own_kubernetes_version(canary):
    eks, phases = canary
    cluster_phase = phases["cluster"].resources
    by_cluster: dict[str, set[str]] = {}
    for r in cluster_phase:
        if r.type == "kubernetes:core/v1:Namespace":
            owner = r.name.split("-")[0] + "-" + r.name.split("-")[1]
            by_cluster.setdefault(owner, set()).add(unwrap(r.inputs)["metadata"]["labels"][
                PSA_VERSION])
    assert by_cluster[eks] == {"v1.36"}
    assert all(v == {"v1.35"} for name, v in by_cluster.items() if name != eks), by_cluster
    (release,) = [unwrap(r.inputs) for r in cluster_phase
                  if r.type == RELEASE and unwrap(r.inputs)["name"] == "cluster-autoscaler"]
    assert release["values"]["image"]["tag"] == CLUSTER_AUTOSCALER_IMAGE_TAGS["1.36"]
    (control_plane,) = [unwrap(r.inputs) for r in phases["cloud"].resources
                        if r.type == "aws:eks/cluster:Cluster"]
    assert control_plane["version"] == "1.36"


def test_the_schema_stage_validates_a_canarys_objects_against_its_own_version(canary):
    """The cluster-phase stack has no cluster resource: its `baselineVersions` output tells the
    schema stage each baseline's version, so the canary's objects meet 1.36's schemas."""
    eks, phases = canary
    graph = phases["cluster"]
    resources = from_captured(graph.resources)
    ctx = schema_kubernetes.context(resources, masked(graph.exports))
    seen: dict[str, set[str | None]] = {}
    for r in resources:
        if r.type == "kubernetes:core/v1:Namespace":
            owner = "-".join(r.name.split("-")[:2])
            seen.setdefault(owner, set()).add(schema_kubernetes.kubernetes_version(r, ctx))
    assert seen[eks] == {"1.36"}
    assert all(v == {"1.35"} for name, v in seen.items() if name != eks), seen
