"""Real TLS 1.3 mutual handshakes on loopback with certificates from this PKI (ZT-MTLS-SHARED-ROOT).

Each refusal asserts the specific reason, so a test cannot pass because something unrelated
broke. Every refused case has a matching accepted control in the same setup.
"""

from __future__ import annotations

import datetime as dt

from cryptography.x509.oid import ExtendedKeyUsageOID

from zero_trust_clusters.components.pki import authority as pki

from .conftest import AWS_DOMAIN, GCP_DOMAIN, build_estate
from .tlspeer import Workload, bundle_of, exchange

FEDERATION = [AWS_DOMAIN, GCP_DOMAIN]


def test_workloads_on_two_clouds_complete_mutual_tls(estate):
    bundle = bundle_of(estate.root)
    gcp_server = Workload(estate.leaf("gcp", "payments", "ledger"), bundle)
    aws_client = Workload(estate.leaf("aws", "shop", "api"), bundle)

    outcome = exchange(gcp_server, aws_client, allowed_trust_domains=FEDERATION)

    assert outcome.ok, outcome.errors
    assert outcome.server_saw == f"spiffe://{AWS_DOMAIN}/ns/shop/sa/api"
    assert outcome.client_saw == f"spiffe://{GCP_DOMAIN}/ns/payments/sa/ledger"


def test_self_signed_imposter_is_refused(estate):
    bundle = bundle_of(estate.root)
    server = Workload(estate.leaf("gcp"), bundle)
    # Same SPIFFE ID as a real AWS workload, but a self-made root+intermediate.
    fake_root = pki.create_root_ca(AWS_DOMAIN)
    fake_issuer = pki.issue_intermediate_ca(fake_root, "dev-aws", AWS_DOMAIN)
    imposter = pki.issue_workload_certificate(fake_issuer, pki.spiffe_id(AWS_DOMAIN, "shop", "api"))
    # A bare self-signed leaf too.
    self_signed = pki.create_root_ca(AWS_DOMAIN)

    for svid in (imposter, self_signed):
        outcome = exchange(server, Workload(svid, bundle))
        assert not outcome.ok
        assert outcome.server_saw is None
        assert "certificate verify failed" in (outcome.server_error or ""), outcome.errors


def test_chain_to_another_root_is_refused(estate, other_estate):
    server = Workload(estate.leaf("gcp"), bundle_of(estate.root))
    # The stranger trusts our root, so only our side of the handshake can refuse.
    stranger = Workload(other_estate.leaf("aws"), bundle_of(other_estate.root, estate.root))

    outcome = exchange(server, stranger)

    assert outcome.server_saw is None
    assert "unable to get local issuer certificate" in (outcome.server_error or ""), outcome.errors


def test_expired_leaf_is_refused(estate):
    bundle = bundle_of(estate.root)
    server = Workload(estate.leaf("gcp"), bundle)
    last_week = pki.utcnow() - dt.timedelta(days=7)
    expired = estate.leaf("aws", now=last_week, lifetime=dt.timedelta(hours=1))

    outcome = exchange(server, Workload(expired, bundle))

    assert outcome.server_saw is None
    assert "certificate has expired" in (outcome.server_error or ""), outcome.errors


def test_revoked_leaf_is_refused_with_the_crl_and_others_still_pass(estate):
    bundle = bundle_of(estate.root)
    revoked = estate.leaf("aws", "shop", "stolen")
    healthy = estate.leaf("aws", "shop", "api")
    crls = (
        pki.crl_to_pem(pki.build_crl(estate.aws, [revoked.certificate.serial_number])),
        pki.crl_to_pem(pki.build_crl(estate.gcp, [])),
    )
    server = Workload(estate.leaf("gcp"), bundle, crls)

    refused = exchange(server, Workload(revoked, bundle, crls))
    accepted = exchange(server, Workload(healthy, bundle, crls))

    assert refused.server_saw is None
    assert "certificate revoked" in (refused.server_error or ""), refused.errors
    assert accepted.ok, accepted.errors


def test_leaf_outside_its_intermediates_trust_domain_is_refused(estate):
    """The AWS intermediate mints a GCP identity: refused by our SPIFFE rule after the
    OpenSSL handshake (the default chain carries only the DNS constraint)."""
    bundle = bundle_of(estate.root)
    server = Workload(estate.leaf("gcp", "payments", "ledger"), bundle)
    forged = pki.issue_workload_certificate(
        estate.aws, pki.spiffe_id(GCP_DOMAIN, "payments", "admin")
    )

    outcome = exchange(server, Workload(forged, bundle), allowed_trust_domains=FEDERATION)

    assert outcome.server_saw is None
    assert "outside the issuing intermediate's trust domain" in (outcome.server_error or "")


def test_uri_constrained_intermediate_is_refused_by_openssl_itself():
    uri_estate = build_estate(uri_name_constraint=True)
    bundle = bundle_of(uri_estate.root)
    server = Workload(uri_estate.leaf("gcp"), bundle)
    forged = pki.issue_workload_certificate(
        uri_estate.aws, pki.spiffe_id(GCP_DOMAIN, "payments", "admin")
    )

    refused = exchange(server, Workload(forged, bundle))
    accepted = exchange(server, Workload(uri_estate.leaf("aws"), bundle))

    assert "permitted subtree violation" in (refused.server_error or ""), refused.errors
    assert accepted.ok, accepted.errors


def test_wrong_extended_key_usage_is_refused_on_both_sides(estate):
    bundle = bundle_of(estate.root)
    server_only = estate.leaf("aws", extended_key_usages=[ExtendedKeyUsageOID.SERVER_AUTH])
    client_only = estate.leaf("gcp", extended_key_usages=[ExtendedKeyUsageOID.CLIENT_AUTH])

    # A server-only certificate used as a client...
    as_client = exchange(Workload(estate.leaf("gcp"), bundle), Workload(server_only, bundle))
    # ...and a client-only certificate used as a server.
    as_server = exchange(Workload(client_only, bundle), Workload(estate.leaf("aws"), bundle))

    assert "unsuitable certificate purpose" in (as_client.server_error or ""), as_client.errors
    assert "unsuitable certificate purpose" in (as_server.client_error or ""), as_server.errors


def test_rotation_bundle_with_current_and_next_root_accepts_both_generations(estate):
    next_root = pki.create_root_ca("dev.zt.example.com", generation=2)
    next_gcp = pki.issue_intermediate_ca(next_root, "dev-gcp", GCP_DOMAIN)
    new_server = pki.issue_workload_certificate(next_gcp, pki.spiffe_id(GCP_DOMAIN, "a", "b"))
    bundle = bundle_of(estate.root, next_root)

    outcome = exchange(Workload(new_server, bundle), Workload(estate.leaf("aws"), bundle))
    old_only = exchange(
        Workload(new_server, bundle), Workload(estate.leaf("aws"), bundle_of(estate.root))
    )

    assert outcome.ok, outcome.errors
    assert "certificate verify failed" in (old_only.client_error or ""), old_only.errors
