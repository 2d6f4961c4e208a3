"""The pure core: certificate profiles, SPIFFE IDs, verification, deployer certs, CRLs, formats."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.components.pki import formats
from zero_trust_clusters.components.spec import PkiSettings

from .conftest import AWS_DOMAIN, ESTATE_DOMAIN, GCP_DOMAIN, build_estate


def ext(cert: x509.Certificate, kind):
    return cert.extensions.get_extension_for_class(kind)


def test_root_profile(estate):
    root = estate.root.certificate
    basic = ext(root, x509.BasicConstraints)
    usage = ext(root, x509.KeyUsage)
    assert basic.critical and basic.value.ca and basic.value.path_length == 1
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    assert isinstance(estate.root.private_key.curve, ec.SECP256R1)
    lifetime = root.not_valid_after_utc - root.not_valid_before_utc
    assert lifetime == dt.timedelta(days=3650) + pki.CLOCK_SKEW


def test_intermediate_profile_is_constrained_and_never_outlives_the_root(estate):
    cert = estate.aws.certificate
    assert ext(cert, x509.BasicConstraints).value.path_length == 0
    assert pki.constrained_trust_domains(cert) == [AWS_DOMAIN]
    assert ext(cert, x509.NameConstraints).critical
    assert (
        ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier
        == ext(estate.root.certificate, x509.SubjectKeyIdentifier).value.digest
    )
    short_root = pki.create_root_ca(ESTATE_DOMAIN, PkiSettings(root_validity_days=365))
    capped = pki.issue_intermediate_ca(
        short_root, "c", AWS_DOMAIN, PkiSettings(intermediate_validity_days=1095)
    )
    assert capped.certificate.not_valid_after_utc == short_root.certificate.not_valid_after_utc


def test_leaf_is_an_x509_svid(estate):
    leaf = estate.leaf("aws", "shop", "api").certificate
    san = ext(leaf, x509.SubjectAlternativeName)
    assert san.critical and leaf.subject == x509.Name([])
    assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [
        f"spiffe://{AWS_DOMAIN}/ns/shop/sa/api"
    ]
    assert list(ext(leaf, x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
    ]
    assert not ext(leaf, x509.BasicConstraints).value.ca
    assert (
        leaf.not_valid_after_utc - leaf.not_valid_before_utc
        == dt.timedelta(hours=24) + pki.CLOCK_SKEW
    )


def test_p384_setting_is_honoured():
    p384 = build_estate(PkiSettings(key_algorithm="ecdsa-p384"))
    leaf = p384.leaf("gcp")
    for key in (p384.root.private_key, p384.gcp.private_key, leaf.private_key):
        assert isinstance(key.curve, ec.SECP384R1)
    assert pki.verify_workload(leaf.certificate, [p384.gcp.certificate], [p384.root.certificate])


@pytest.mark.parametrize(
    "bad",
    [
        "https://dev-aws.dev.zt.example.com/ns/a/sa/b",
        "spiffe://Dev-AWS.example.com/ns/a/sa/b",
        "spiffe://dev-aws.example.com:8443/ns/a/sa/b",
        "spiffe://dev-aws.example.com/ns/../sa/b",
        "spiffe://dev-aws.example.com",
        "spiffe://dev-aws.example.com/ns/a?x=1",
    ],
)
def test_invalid_spiffe_ids_are_refused(bad):
    with pytest.raises(pki.PkiError):
        pki.parse_spiffe_id(bad)


def test_verifier_path_accepts_good_and_refuses_each_bad_case(estate, other_estate):
    roots = [estate.root.certificate]
    good = estate.leaf("gcp", "payments", "ledger")
    result = pki.verify_workload(good.certificate, [estate.gcp.certificate], roots, usage="server")
    assert result.spiffe_id == f"spiffe://{GCP_DOMAIN}/ns/payments/sa/ledger"
    assert result.chain[-1] == estate.root.certificate

    expired = estate.leaf(
        "aws", now=pki.utcnow() - dt.timedelta(days=3), lifetime=dt.timedelta(hours=1)
    )
    server_only = estate.leaf("aws", extended_key_usages=[ExtendedKeyUsageOID.SERVER_AUTH])
    stranger = other_estate.leaf("aws")
    cases = {
        "expired": (expired, [estate.aws.certificate], "client", "not valid at validation time"),
        "wrong eku": (server_only, [estate.aws.certificate], "client", "extended key usage"),
        "other root": (stranger, [other_estate.aws.certificate], "client", "candidates exhausted"),
    }
    for svid, intermediates, usage, reason in cases.values():
        with pytest.raises(pki.PkiVerificationError, match=reason):
            pki.verify_workload(svid.certificate, intermediates, roots, usage=usage)


def test_federation_allow_list(estate):
    leaf = estate.leaf("gcp")
    with pytest.raises(pki.PkiVerificationError, match="not federated"):
        pki.verify_workload(
            leaf.certificate,
            [estate.gcp.certificate],
            [estate.root.certificate],
            allowed_trust_domains=[AWS_DOMAIN],
        )


def test_revocation_in_the_verifier_path_and_stale_crls(estate):
    leaf = estate.leaf("aws")
    crl = pki.build_crl(estate.aws, [leaf.certificate.serial_number])
    with pytest.raises(pki.PkiVerificationError, match="revoked"):
        pki.verify_workload(
            leaf.certificate, [estate.aws.certificate], [estate.root.certificate], crls=[crl]
        )
    stale = pki.build_crl(estate.aws, [], now=pki.utcnow() - dt.timedelta(days=3))
    with pytest.raises(pki.PkiVerificationError, match="stale"):
        pki.verify_workload(
            leaf.certificate, [estate.aws.certificate], [estate.root.certificate], crls=[stale]
        )
    # A CRL signed by someone else is ignored, not trusted.
    forged = pki.build_crl(build_estate().aws, [leaf.certificate.serial_number])
    assert pki.verify_workload(
        leaf.certificate, [estate.aws.certificate], [estate.root.certificate], crls=[forged]
    )


def test_deployer_certificate_chains_to_the_root_with_the_ledger_eku(estate, other_estate):
    signing_ca = pki.issue_signing_intermediate(estate.root)
    deployer = pki.issue_deployer_certificate(signing_ca, "ci-github")
    chain = pki.verify_deployer_certificate(
        deployer.certificate, list(deployer.chain), estate.root.certificate
    )
    assert chain[-1] == estate.root.certificate
    eku = ext(deployer.certificate, x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [pki.CHANGE_LEDGER_SIGNING_OID]
    assert pki.CHANGE_LEDGER_SIGNING_OID.dotted_string.startswith("1.3.6.1.4.1.32473.")
    assert pki.load_certificates(deployer.chain_pem())[1] == signing_ca.certificate

    with pytest.raises(pki.PkiVerificationError, match="candidates exhausted"):
        pki.verify_deployer_certificate(
            deployer.certificate, [signing_ca.certificate], other_estate.root.certificate
        )
    workload = estate.leaf("aws")
    with pytest.raises(pki.PkiVerificationError, match="extended key usage"):
        pki.verify_deployer_certificate(
            workload.certificate, [estate.aws.certificate], estate.root.certificate
        )
    # ...and a deployer certificate is no workload identity.
    with pytest.raises(pki.PkiVerificationError):
        pki.verify_workload(
            deployer.certificate, [signing_ca.certificate], [estate.root.certificate]
        )


def test_trust_bundle_holds_roots_only_in_order(estate):
    next_root = pki.create_root_ca(ESTATE_DOMAIN, generation=2)
    bundle = pki.trust_bundle(
        [estate.root.certificate, next_root.certificate, estate.root.certificate]
    )
    assert bundle == [estate.root.certificate, next_root.certificate]
    with pytest.raises(pki.PkiError, match="roots only"):
        pki.trust_bundle([estate.aws.certificate])


def test_renewal_window():
    cert = build_estate().aws.certificate
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    assert not pki.needs_renewal(cert, start + (end - start) * 0.6)
    assert pki.needs_renewal(cert, start + (end - start) * 0.7)


def test_encrypted_key_round_trip_and_wrong_passphrase(estate):
    encrypted = estate.root.private_key_pem("a long enough passphrase")
    assert "ENCRYPTED PRIVATE KEY" in encrypted
    key = pki.load_private_key(encrypted, "a long enough passphrase")
    assert key.public_key() == estate.root.private_key.public_key()
    with pytest.raises(pki.PkiError, match="passphrase"):
        pki.load_private_key(encrypted, "wrong")
    with pytest.raises(pki.PkiError, match="passphrase"):
        pki.load_private_key(encrypted)


def test_delivery_formats(estate):
    root_pem, aws_pem = estate.root.certificate_pem, estate.aws.certificate_pem
    key_pem = estate.aws.private_key_pem()

    secret = formats.cert_manager_ca_secret(aws_pem, key_pem, root_pem)
    assert set(secret) == {"tls.crt", "tls.key", "ca.crt"}
    assert pki.load_certificates(secret["tls.crt"]) == [
        estate.aws.certificate,
        estate.root.certificate,
    ]
    assert pki.load_certificates(secret["ca.crt"]) == [estate.root.certificate]

    next_root = pki.create_root_ca(ESTATE_DOMAIN, generation=2)
    cacerts = formats.istio_cacerts(aws_pem, key_pem, [root_pem, next_root.certificate_pem])
    assert set(cacerts) == {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"}
    assert pki.load_certificates(cacerts["cert-chain.pem"]) == [
        estate.aws.certificate,
        estate.root.certificate,
    ]
    assert len(pki.load_certificates(cacerts["root-cert.pem"])) == 2

    bundle = formats.trust_bundle_pem([root_pem, next_root.certificate_pem])
    assert pki.load_certificates(bundle) == [estate.root.certificate, next_root.certificate]

    document = json.loads(formats.spiffe_bundle_json([root_pem]))
    (jwk,) = document["keys"]
    assert jwk["use"] == "x509-svid" and jwk["kty"] == "EC" and jwk["crv"] == "P-256"
    assert document["spiffe_refresh_hint"] > 0
    assert formats.roots_from_spiffe_bundle(document) == [estate.root.certificate]
    public = estate.root.certificate.public_key().public_numbers()
    assert formats._b64url_int(public.x, 32) == jwk["x"]
