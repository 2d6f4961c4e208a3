"""posture.mesh: Istio with the shared PKI plugged in (`cacerts`) and STRICT mTLS."""

from __future__ import annotations

import base64

import pytest

from components.spec import EstateSpec
from scripts.engine.mocks import is_secret, unwrap
from scripts.engine.runner import Graph, run_program

from .conftest import baseline_program
from .support import shared_pki, stack_spec


@pytest.fixture(scope="module")
def mesh_graph() -> Graph:
    spec = stack_spec("dev")
    gcp = next(c for c in spec.clusters if c.cloud == "gcp")
    mesh_spec = EstateSpec(posture=spec.posture.model_copy(update={"mesh": True}), clusters=[gcp])
    return run_program(baseline_program(mesh_spec, shared_pki("dev")), stack="dev")


def _named(graph: Graph, kind: str, name: str):
    (match,) = [r for r in graph.resources if r.type.endswith(f":{kind}")
                and r.inputs.get("metadata", {}).get("name") == name]
    return match


def test_strict_mtls_mesh_wide(mesh_graph):
    peer = _named(mesh_graph, "PeerAuthentication", "default")
    assert peer.type == "kubernetes:security.istio.io/v1:PeerAuthentication"
    assert peer.inputs["metadata"]["namespace"] == "istio-system"  # root namespace: whole mesh
    assert peer.inputs["spec"] == {"mtls": {"mode": "STRICT"}}
    base = next(r for r in mesh_graph.of_type("kubernetes:helm.sh/v3:Release")
                if r.inputs["name"] == "istio-base")
    assert base.urn in peer.dependencies


def test_cacerts_carries_the_clusters_intermediate(mesh_graph):
    pki = shared_pki("dev")
    secret = _named(mesh_graph, "Secret", "cacerts")
    assert secret.inputs["metadata"]["namespace"] == "istio-system"
    assert is_secret(secret.inputs["data"])
    data = {k: base64.b64decode(v).decode() for k, v in unwrap(secret.inputs["data"]).items()}
    inter = pki.intermediates["dev-gcp"]
    assert data["ca-key.pem"] == inter.key
    assert data["ca-cert.pem"].strip() == inter.certificate.strip()
    assert data["root-cert.pem"].strip() == pki.root.strip()
    assert data["cert-chain.pem"].startswith(inter.certificate.strip())


def test_istio_releases_and_namespaces(mesh_graph):
    releases = {r.inputs["name"]: r for r in mesh_graph.of_type("kubernetes:helm.sh/v3:Release")}
    assert set(releases) == {"cert-manager", "policy-controller", "istio-base", "istio-cni", "istiod"}
    istiod = releases["istiod"]
    assert {releases["istio-base"].urn, releases["istio-cni"].urn} <= set(istiod.dependencies)
    assert istiod.inputs["values"]["meshConfig"]["trustDomain"] == "dev-gcp.dev.zt.example.com"
    # istiod 1.27 reads `cni` at the top level (a `pilot:` key is silently ignored).
    assert istiod.inputs["values"]["cni"] == {"enabled": True}
    assert "pilot" not in istiod.inputs["values"]
    assert istiod.inputs["values"]["global"] == {
        "hub": "docker.io/istio", "tag": "1.27.3", "platform": "gke"}
    labels = _named(mesh_graph, "Namespace", "istio-system").inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    workload = _named(mesh_graph, "Namespace", "payments").inputs["metadata"]["labels"]
    assert workload["istio-injection"] == "enabled"
    assert workload["pod-security.kubernetes.io/enforce"] == "restricted"
