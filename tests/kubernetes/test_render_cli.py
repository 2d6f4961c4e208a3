"""`ztc render --stack NAME --out DIR` (the typer command the lead mounts)."""

from __future__ import annotations

import base64

import kubernetes_validate
import yaml
from typer.testing import CliRunner

from zero_trust_clusters.cli import render_cli
from zero_trust_clusters.components.kubernetes.delivery import ISTIO_KEYS
from zero_trust_clusters.engine.stackfile import load_stack_config

from .crd_schemas import SPEC_SCHEMAS, validate_custom_resource
from .support import shared_pki, stack_spec

runner = CliRunner()


def test_render_writes_every_object_per_cluster(tmp_path):
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(shared_pki("dev").trust_bundle)
    out = tmp_path / "out"
    result = runner.invoke(
        render_cli.app, ["--stack", "dev", "--out", str(out), "--trust-bundle", str(bundle)]
    )
    assert result.exit_code == 0, result.output
    spec = stack_spec("dev")
    for cluster in spec.clusters:
        files = sorted((out / cluster.name).glob("*.yaml"))
        objects = [yaml.safe_load(f.read_text()) for f in files]
        assert len(objects) == len(render_cli.render_cluster(spec, cluster, "x"))
        assert objects[0]["kind"] == "Namespace"  # numbered: namespaces apply first
        kinds = {o["kind"] for o in objects}
        assert {"Namespace", "NetworkPolicy", "RuntimeClass", "ClusterRoleBinding", "RoleBinding",
                "ConfigMap", "Secret", "ClusterIssuer", "ClusterImagePolicy"} <= kinds
        for obj in objects:
            if (obj["apiVersion"], obj["kind"]) in SPEC_SCHEMAS:
                validate_custom_resource(obj, spec.posture.kubernetes_version)
            else:
                kubernetes_validate.validate(obj, spec.posture.kubernetes_version, strict=True)
        bundles = [o for o in objects if o["kind"] == "ConfigMap"
                   and o["metadata"]["name"] == "ztc-trust-bundle"]
        assert all(o["data"]["ca.crt"] == bundle.read_text() for o in bundles)
        releases = yaml.safe_load((out / cluster.name / "helm" / "releases.yaml").read_text())
        # dev: a sandboxed namespace, peers; the Cluster Autoscaler on EKS only.
        autoscaler = ["cluster-autoscaler"] if cluster.cloud == "aws" else []
        assert [r["name"] for r in releases["releases"]] == [
            "cert-manager", "policy-controller", "istio-base", "istio-cni", "istiod",
            "sandbox-jobs", "istio-eastwestgateway", *autoscaler]
        east_west = releases["releases"][6]["values"]["service"]
        # Only the estate's own ranges may reach the internal load balancer.
        assert east_west["loadBalancerSourceRanges"] == sorted(
            r for c in spec.clusters for r in (c.node_cidr, c.pod_cidr))
        istiod = releases["releases"][4]["values"]["meshConfig"]
        # Every cluster of the stack is a caller the mesh accepts.
        assert istiod["caCertificates"] == [
            {"trustDomains": sorted(spec.trust_domain(c) for c in spec.clusters)}]


def test_secrets_are_masked(tmp_path):
    result = runner.invoke(render_cli.app, ["--stack", "dev", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    secrets = 0
    for path in tmp_path.glob("*/*.yaml"):
        text = path.read_text()
        assert "PRIVATE KEY" not in text and "private key" not in text
        obj = yaml.safe_load(text)
        if obj["kind"] == "Secret":
            secrets += 1
            assert obj["metadata"]["annotations"]["ztc.io/masked"] == "true"
            assert {base64.b64decode(v) for v in obj["data"].values()} == {b"**masked**"}
            assert set(obj["data"]) in ({"ca.crt", "tls.crt", "tls.key"},  # cert-manager
                                        set(ISTIO_KEYS))  # istiod's cacerts
    assert secrets == 2 * len(stack_spec("dev").clusters)


def test_rerender_replaces_stale_files(tmp_path):
    stale = tmp_path / "dev-aws" / "99-networkpolicy-old-thing.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("kind: Stale\n")
    keep = tmp_path / "dev-aws" / "notes.txt"
    keep.write_text("mine")
    assert runner.invoke(render_cli.app, ["--stack", "dev", "--out", str(tmp_path)]).exit_code == 0
    assert not stale.exists() and keep.exists()


def test_unknown_stack_exits_2(tmp_path):
    result = runner.invoke(render_cli.app, ["--stack", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "known stacks" in result.output


def test_invalid_spec_exits_2_naming_the_key(tmp_path, monkeypatch):
    config, secure = load_stack_config("dev")
    key = next(k for k in config if k.endswith(":posture"))
    config = {**config, key: {**config[key], "kubernetesVersion": "1.20"}}
    monkeypatch.setattr(render_cli, "load_stack_config", lambda stack, *_: (config, secure))
    result = runner.invoke(render_cli.app, ["--stack", "dev", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "posture.kubernetesVersion" in result.output
    assert not any(tmp_path.iterdir())
