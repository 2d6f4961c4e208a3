"""Cross-cluster, cross-cloud mTLS with what the baseline renders: real TLS 1.3 handshakes on
loopback, judged as Istio's sidecars judge them (tests/kubernetes/meshpeer.py).

The estate is dev's: one root, one intermediate per cluster issued as the PKI issues it (URI
name constraints on, as `posture.pki.uriNameConstraints` defaults), delivered through each
cluster's rendered `cacerts` Secret; istiod's rendered meshConfig; the rendered
AuthorizationPolicies. dev declares `payments.ingressFromNamespaces: [frontend]`.
Every refusal asserts its reason, and each has an accepted control in the same setup.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import pytest

from zero_trust_clusters.components.kubernetes import (
    IssuerMaterial,
    default_sandbox_placement,
    mesh_peers,
    render_baseline,
    render_charts,
)
from zero_trust_clusters.components.kubernetes.mesh import remote_host
from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.components.pki.formats import trust_bundle_pem
from zero_trust_clusters.components.spec import ExportedService, Posture

from .meshpeer import ClusterMesh, Workload, call, call_across
from .support import stack_spec

AWS, AZURE, GCP = "dev-aws", "dev-azure", "dev-gcp"
LEDGER = ExportedService(name="ledger", port=8443)  # dev: payments.exportedServices


def _estate(root: pki.CertifiedKey, clusters: list[str] | None = None,
            posture: Posture | None = None) -> dict[str, ClusterMesh]:
    spec = stack_spec("dev")
    settings, posture = spec.posture.pki, posture or spec.posture
    assert posture.mesh and settings.uri_name_constraints  # the defaults under test
    domains = [spec.trust_domain(c) for c in spec.clusters]
    bundle = trust_bundle_pem(root.certificate_pem)
    meshes = {}
    for cluster in spec.clusters:
        if clusters and cluster.name not in clusters:
            continue
        td = spec.trust_domain(cluster)
        inter = pki.issue_intermediate_ca(root, cluster.name, td, settings,
                                          uri_name_constraint=settings.uri_name_constraints)
        objects = render_baseline(
            cluster.cloud, posture, cluster, td, default_sandbox_placement(cluster.cloud),
            bundle, issuer=IssuerMaterial(inter.certificate_pem, inter.private_key_pem(),
                                          inter.chain_pem(root.certificate)),
            mesh_trust_domains=domains, mesh_peers=mesh_peers(spec, cluster),
        )
        (istiod,) = [r for r in render_charts(cluster.cloud, posture, td, domains)
                     if r.name == "istiod"]
        meshes[cluster.name] = ClusterMesh.from_rendered(objects, istiod.values)
    return meshes


@functools.cache
def _root() -> pki.CertifiedKey:
    return pki.create_root_ca(stack_spec("dev").posture.trust_domain)


@functools.cache
def estate() -> dict[str, ClusterMesh]:
    return _estate(_root())


@pytest.mark.parametrize("caller", [AWS, AZURE, GCP])
def test_frontend_on_any_cluster_calls_payments_on_gcp(caller):
    meshes = estate()
    payments = meshes[GCP].workload("payments", "ledger")
    frontend = meshes[caller].workload("frontend", "web")

    outcome = call(payments, frontend)

    assert outcome.ok, outcome.errors
    assert outcome.server_saw == f"{caller}.dev.zt.example.com/ns/frontend/sa/web"
    assert outcome.client_saw == "dev-gcp.dev.zt.example.com/ns/payments/sa/ledger"


def test_an_undeclared_caller_is_refused_by_authorization():
    meshes = estate()
    payments = meshes[GCP].workload("payments", "ledger")
    # Authenticated, same estate, but payments does not declare it (nor itself).
    for caller in (meshes[AWS].workload("payments", "batch"), meshes[GCP].workload("shop", "x")):
        outcome = call(payments, caller)
        assert outcome.server_saw is None
        assert "RBAC: access denied" in (outcome.server_error or ""), outcome.errors
    # frontend declares no caller at all: deny by default.
    frontend = meshes[AZURE].workload("frontend", "web")
    outcome = call(frontend, meshes[GCP].workload("payments", "ledger"))
    assert "RBAC: access denied" in (outcome.server_error or ""), outcome.errors
    assert call(payments, meshes[AWS].workload("frontend", "web")).ok  # the control


def test_a_workload_of_another_root_is_refused_at_the_handshake():
    meshes = estate()
    payments = meshes[GCP].workload("payments", "ledger")
    # Another PKI with the very same names: only the keys differ.
    stranger = _estate(pki.create_root_ca("dev.zt.example.com"), [AWS])[AWS]
    # It trusts our root too, so only our side of the handshake can refuse.
    stranger = replace(stranger, roots_pem=stranger.roots_pem + meshes[GCP].roots_pem)
    imposter = stranger.workload("frontend", "web")

    outcome = call(payments, imposter)

    assert outcome.server_saw is None
    assert "certificate verify failed" in (outcome.server_error or ""), outcome.errors


def test_a_trust_domain_outside_the_estate_is_refused_even_under_the_shared_root():
    """A cluster the estate does not hold (here an intermediate for `dev-oci`, as if issued
    under the same root): the chain is valid, the trust domain is not accepted."""
    meshes, root = estate(), _root()
    foreign_td = "dev-oci.dev.zt.example.com"
    rogue = pki.issue_intermediate_ca(root, "dev-oci", foreign_td, uri_name_constraint=True)
    caller = meshes[AWS].workload_with(
        pki.issue_workload_certificate(rogue, pki.spiffe_id(foreign_td, "frontend", "web")),
        "frontend")
    payments = meshes[GCP].workload("payments", "ledger")

    outcome = call(payments, _with_signer_chain(caller, rogue, root))

    assert outcome.server_saw is None
    assert "matches no trust domain" in (outcome.server_error or ""), outcome.errors


def test_one_clusters_intermediate_cannot_mint_another_clusters_identity():
    """dev-aws's intermediate (via its cacerts) signs a dev-gcp frontend identity: the URI name
    constraint makes the handshake itself refuse it, as Envoy does."""
    meshes = estate()
    forged = pki.issue_workload_certificate(
        meshes[AWS].signer, pki.spiffe_id("dev-gcp.dev.zt.example.com", "frontend", "web"))
    payments = meshes[GCP].workload("payments", "ledger")

    outcome = call(payments, meshes[AWS].workload_with(forged, "frontend"))

    assert outcome.server_saw is None
    assert "permitted subtree violation" in (outcome.server_error or ""), outcome.errors


def test_strict_refuses_plaintext_and_callers_without_a_certificate():
    payments = estate()[GCP].workload("payments", "ledger")

    plaintext = call(payments, None, plaintext=True)
    anonymous = call(payments, None)

    assert plaintext.server_saw is None and "SSL" in (plaintext.server_error or "")
    assert anonymous.server_saw is None
    assert "certificate" in (anonymous.server_error or ""), anonymous.errors


def test_the_client_refuses_a_server_that_is_not_the_destination():
    meshes = estate()
    frontend = meshes[AWS].workload("frontend", "web")
    # Another workload of the mesh answers for payments (same cluster, valid certificate).
    impostor = meshes[GCP].workload("payments", "not-ledger")
    expected = meshes[GCP].workload("payments", "ledger")

    outcome = call(impostor, frontend, expect=expected.spiffe_id)

    assert outcome.client_saw is None
    assert "expected spiffe://dev-gcp.dev.zt.example.com/ns/payments/sa/ledger" in (
        outcome.client_error or ""), outcome.errors


def _with_signer_chain(workload: Workload, issuer: pki.CertifiedKey,
                       root: pki.CertifiedKey) -> Workload:
    """A workload whose chain is its own intermediate + root (not its cluster's cacerts)."""
    mesh = replace(workload.mesh, signer_chain_pem=issuer.chain_pem(root.certificate))
    return mesh.workload_with(workload.svid, workload.namespace)


# --- across clusters, through the rendered routes and east-west gateways ---------------------

def _ledger_host(cluster: str) -> str:
    spec = stack_spec("dev")
    peer = next(p for c in spec.clusters if c.name != cluster
                for p in mesh_peers(spec, c) if p.name == cluster)
    return remote_host(LEDGER, "payments", peer)


@pytest.mark.parametrize("caller,callee", [(AWS, GCP), (GCP, AZURE), (AZURE, AWS)])
def test_frontend_calls_the_ledger_of_another_cluster_through_its_route(caller, callee):
    meshes = estate()
    ledger = meshes[callee].workload("payments", "ledger")
    frontend = meshes[caller].workload("frontend", "web")

    outcome = call_across(ledger, frontend, _ledger_host(callee))

    assert outcome.ok, outcome.errors
    assert outcome.server_saw == f"{caller}.dev.zt.example.com/ns/frontend/sa/web"
    assert outcome.client_saw == f"{callee}.dev.zt.example.com/ns/payments/sa/ledger"


def test_the_route_refuses_a_server_that_is_not_the_exported_service():
    meshes = estate()
    impostor = meshes[GCP].workload("payments", "not-ledger")  # valid identity, wrong one

    outcome = call_across(impostor, meshes[AWS].workload("frontend", "web"), _ledger_host(GCP))

    assert outcome.client_saw is None
    assert "expected spiffe://dev-gcp.dev.zt.example.com/ns/payments/sa/ledger" in (
        outcome.client_error or ""), outcome.errors


def test_an_undeclared_caller_has_no_route_and_is_refused_by_the_callee_anyway():
    meshes = estate()
    ledger = meshes[GCP].workload("payments", "ledger")
    batch = meshes[AWS].workload("payments", "batch")  # payments does not call payments

    no_route = call_across(ledger, batch, _ledger_host(GCP))
    # Even with the route's settings copied by hand, the callee's sidecar refuses it.
    tls = meshes[AWS].route("frontend", _ledger_host(GCP))
    forced = call(ledger, batch, expect=tls["subjectAltNames"][0], sni=tls["sni"],
                  via_gateway=True)

    assert "no route to ledger.payments.svc.dev-gcp" in (no_route.client_error or "")
    assert forced.server_saw is None
    assert "RBAC: access denied" in (forced.server_error or ""), forced.errors


def test_the_east_west_gateway_passes_only_exported_services():
    meshes = estate()
    other = meshes[GCP].workload("payments", "admin")
    frontend = meshes[AWS].workload("frontend", "web")

    outcome = call(other, frontend, expect=other.spiffe_id,
                   sni="outbound_.9000_._.admin.payments.svc.cluster.local", via_gateway=True)

    assert outcome.server_saw is None
    assert "passes no route" in (outcome.server_error or ""), outcome.errors


def test_a_caller_of_another_root_is_refused_across_clusters():
    meshes = estate()
    stranger = _estate(pki.create_root_ca("dev.zt.example.com"), [AWS])[AWS]
    stranger = replace(stranger, roots_pem=stranger.roots_pem + meshes[GCP].roots_pem)

    outcome = call_across(meshes[GCP].workload("payments", "ledger"),
                          stranger.workload("frontend", "web"), _ledger_host(GCP))

    assert outcome.server_saw is None
    assert "certificate verify failed" in (outcome.server_error or ""), outcome.errors


def test_a_cluster_not_listed_in_ingress_from_clusters_is_refused():
    """payments accepts frontend from dev-aws and its own cluster only: dev-azure's frontend
    gets no route, and the callee refuses it (authenticated, same root, not authorized)."""
    spec = stack_spec("dev")
    namespaces = [ns.model_copy(update={"ingress_from_clusters": [AWS]})
                  if ns.name == "payments" else ns for ns in spec.posture.workload_namespaces]
    posture = spec.posture.model_copy(update={"workload_namespaces": namespaces})
    meshes = _estate(_root(), posture=posture)
    ledger = meshes[GCP].workload("payments", "ledger")

    allowed = call_across(ledger, meshes[AWS].workload("frontend", "web"), _ledger_host(GCP))
    unlisted = meshes[AZURE].workload("frontend", "web")
    no_route = call_across(ledger, unlisted, _ledger_host(GCP))
    forced = call(ledger, unlisted)

    assert allowed.ok, allowed.errors
    assert "no route" in (no_route.client_error or "")
    assert "RBAC: access denied" in (forced.server_error or ""), forced.errors


# --- the sandbox gateway: the only identity a sandboxed namespace has in the mesh ------------

def test_the_sandbox_gateway_is_the_sandboxed_callers_identity():
    meshes = estate()
    payments = meshes[GCP].workload("payments", "ledger")
    gateway = meshes[GCP].workload("istio-system", "sandbox-jobs")

    outcome = call(payments, gateway)

    assert outcome.ok, outcome.errors
    assert outcome.server_saw == "dev-gcp.dev.zt.example.com/ns/istio-system/sa/sandbox-jobs"


def test_no_other_identity_speaks_for_the_sandbox():
    meshes = estate()
    payments = meshes[GCP].workload("payments", "ledger")
    callers = [
        meshes[AWS].workload("istio-system", "sandbox-jobs"),  # another cluster's gateway
        meshes[GCP].workload("jobs", "default"),  # the sandbox's own identity, were it meshed
        meshes[GCP].workload("istio-system", "istio-eastwestgateway"),
    ]
    for caller in callers:
        outcome = call(payments, caller)
        assert outcome.server_saw is None
        assert "RBAC: access denied" in (outcome.server_error or ""), (caller, outcome.errors)
