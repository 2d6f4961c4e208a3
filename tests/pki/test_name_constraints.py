"""DNS vs URI name constraints, against `cryptography`'s verifier and OpenSSL (Python ssl).

The evidence behind the default in zero_trust_clusters/components/pki/authority.py: DNS constraints work in both
verifiers; a URI constraint is enforced by OpenSSL but makes `cryptography` reject the whole
chain, so URI constraints are opt-in and our SPIFFE rule covers the trust domain instead.
"""

from __future__ import annotations

import pytest

from zero_trust_clusters.components.pki import authority as pki

from .conftest import AWS_DOMAIN, GCP_DOMAIN, build_estate
from .tlspeer import Workload, bundle_of, exchange


def test_cryptography_verifier_enforces_the_dns_constraint(estate):
    inside = estate.leaf("aws", dns_names=[f"api.shop.{AWS_DOMAIN}"])
    outside = estate.leaf("aws", dns_names=["api.shop.evil.example.org"])

    ok = pki.verify_workload(
        inside.certificate, [estate.aws.certificate], [estate.root.certificate]
    )
    assert ok.trust_domain == AWS_DOMAIN
    with pytest.raises(pki.PkiVerificationError, match="no permitted name constraints matched"):
        pki.verify_workload(
            outside.certificate, [estate.aws.certificate], [estate.root.certificate]
        )


def test_openssl_handshake_enforces_the_dns_constraint(estate):
    bundle = bundle_of(estate.root)
    server = Workload(estate.leaf("gcp"), bundle)
    outside = estate.leaf("aws", dns_names=["api.shop.evil.example.org"])

    outcome = exchange(server, Workload(outside, bundle))

    assert "permitted subtree violation" in (outcome.server_error or ""), outcome.errors


def test_cryptography_verifier_rejects_any_chain_with_a_uri_constraint():
    uri_estate = build_estate(uri_name_constraint=True)
    valid = uri_estate.leaf("aws")

    with pytest.raises(pki.PkiVerificationError, match="unsupported name constraint"):
        pki.verify_workload(
            valid.certificate, [uri_estate.aws.certificate], [uri_estate.root.certificate]
        )


def test_our_spiffe_rule_confines_the_default_chain_in_the_cryptography_path(estate):
    forged = pki.issue_workload_certificate(estate.aws, pki.spiffe_id(GCP_DOMAIN, "pay", "admin"))

    with pytest.raises(pki.PkiVerificationError, match="outside the issuing intermediate"):
        pki.verify_workload(forged.certificate, [estate.aws.certificate], [estate.root.certificate])


def test_both_constraints_are_critical_and_scoped_to_the_cluster():
    uri_estate = build_estate(uri_name_constraint=True)
    ext = uri_estate.aws.certificate.extensions.get_extension_for_class(pki.x509.NameConstraints)
    assert ext.critical
    assert pki.constrained_trust_domains(uri_estate.aws.certificate) == [AWS_DOMAIN]
    assert {type(n).__name__ for n in ext.value.permitted_subtrees} == {
        "DNSName",
        "UniformResourceIdentifier",
    }


@pytest.mark.parametrize("uri", [False, True], ids=["dns-only", "dns-and-uri"])
def test_istiods_own_serving_certificate_fits_the_intermediates_constraints(uri):
    """istiod signs its xDS/webhook certificate for `istiod.istio-system.svc` with the plugged-in
    intermediate: a DNS subtree of only the trust domain made every proxy refuse istiod."""
    from .istiod import connect, issue_serving_certificate

    constrained = build_estate(uri_name_constraint=uri)
    bundle = bundle_of(constrained.root)
    istiod = issue_serving_certificate(constrained.gcp)

    assert connect(istiod, bundle, "istiod.istio-system.svc") is None
    # The subtree is istiod's namespace only: any other service name is still refused.
    elsewhere = issue_serving_certificate(constrained.gcp, ["api.payments.svc"])
    assert "permitted subtree violation" in (connect(elsewhere, bundle, "api.payments.svc") or "")


def test_the_control_plane_subtree_is_no_trust_domain(estate):
    """`istio-system.svc` is permitted as a DNS name, never as a SPIFFE trust domain."""
    assert pki.constrained_trust_domains(estate.aws.certificate) == [AWS_DOMAIN]
    forged = pki.issue_workload_certificate(
        estate.aws, pki.spiffe_id("istio-system.svc", "payments", "admin"))
    with pytest.raises(pki.PkiVerificationError, match="outside the issuing intermediate"):
        pki.verify_workload(forged.certificate, [estate.aws.certificate], [estate.root.certificate])
