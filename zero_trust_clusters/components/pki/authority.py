"""The pure PKI core: one shared root, name-constrained per-cluster intermediates, SPIFFE leaves.

No Pulumi here: the dynamic providers, the CLI and the tests all call these functions.

Choices (defaults drawn from Istio's plug-in CA, cert-manager, SPIFFE and step-ca practice):
- ECDSA P-256 everywhere by default (Linkerd's identity accepts only P-256); P-384 optional.
- Root: long-lived (10 y), path length 1 (root -> intermediate -> leaf), keyCertSign + cRLSign.
- Intermediate: one per cluster, 1 y, path length 0, critical name constraints confining it to
  its cluster's trust domain. DNS subtrees always: the trust domain, plus the mesh control
  plane's service names (`intermediate_dns_subtrees`). A URI subtree (the trust domain) when
  asked (`uri_name_constraint=True`; the estate asks by default, `posture.pki.
  uriNameConstraints`, and the mesh requires it): OpenSSL/BoringSSL handshakes and Go enforce
  it, and it is what confines an intermediate inside Envoy, but `cryptography`'s verifier
  rejects *any* chain carrying one ("unsupported name constraint"). Without it the SPIFFE trust
  domain is enforced by our own check (`spiffe_trust_domain_check`), keyed to the
  intermediate's trust-domain DNS subtree. tests/pki/test_name_constraints.py proves both.
- Leaf (X.509-SVID): 24 h, empty subject, exactly one critical URI SAN
  `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`, EKU serverAuth + clientAuth, digitalSignature.
- Trust bundles hold roots only (current + next during a rotation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from zero_trust_clusters.components.pki.settings import PkiSettings

KeyAlgorithm = Literal["ecdsa-p256", "ecdsa-p384"]
Usage = Literal["client", "server"]

ORGANIZATION = "Zero-Trust Clusters"
# Backdate notBefore a little so peers with a slightly slow clock accept fresh certificates.
CLOCK_SKEW = dt.timedelta(minutes=5)
# Renew an intermediate once it enters the last third of its life (cert-manager's default).
RENEW_FRACTION = 2 / 3

# "Change ledger signing" EKU. Arc 1.3.6.1.4.1.32473 is the IANA Private Enterprise Number
# reserved for documentation (RFC 5612): a PLACEHOLDER. An organisation deploying this
# replaces it with an OID under its own PEN before the first production deployer cert.
ZTC_PRIVATE_ARC = "1.3.6.1.4.1.32473.7"
CHANGE_LEDGER_SIGNING_OID = ObjectIdentifier(f"{ZTC_PRIVATE_ARC}.1.1")
# "Change ledger" certificate policy, same placeholder arc: a ledger signing CA and its deployer
# certificates assert it, so a ledger signer is told from a cluster intermediate by policy too.
CHANGE_LEDGER_POLICY_OID = ObjectIdentifier(f"{ZTC_PRIVATE_ARC}.2.1")

# Used with fullmatch: `$` in re.match would also accept a trailing newline.
_SPIFFE_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
_TRUST_DOMAIN = re.compile(r"[a-z0-9._-]{1,255}")


class PkiError(ValueError):
    """A request the PKI refuses (bad SPIFFE ID, wrong issuer, unusable settings)."""


class PkiVerificationError(Exception):
    """A certificate (chain) that must not be trusted; the message says why."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _curve(algorithm: KeyAlgorithm) -> ec.EllipticCurve:
    if algorithm == "ecdsa-p256":
        return ec.SECP256R1()
    if algorithm == "ecdsa-p384":
        return ec.SECP384R1()
    raise PkiError(
        f"key algorithm {algorithm!r} is not supported; set zero-trust-clusters:posture.pki.keyAlgorithm to "
        "ecdsa-p256 or ecdsa-p384"
    )


def _hash_for(key: ec.EllipticCurvePrivateKey) -> hashes.HashAlgorithm:
    return hashes.SHA384() if key.curve.key_size >= 384 else hashes.SHA256()


def generate_key(algorithm: KeyAlgorithm = "ecdsa-p256") -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(_curve(algorithm))


def fingerprint_sha256(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class CertifiedKey:
    """A certificate with its private key, and the chain up to (not including) the root."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey
    # Issuing CAs below the root, nearest first (empty for the root and intermediates).
    chain: tuple[x509.Certificate, ...] = field(default=())

    @property
    def certificate_pem(self) -> str:
        return to_pem(self.certificate)

    @property
    def fingerprint_sha256(self) -> str:
        return fingerprint_sha256(self.certificate)

    def private_key_pem(self, passphrase: bytes | str | None = None) -> str:
        return private_key_to_pem(self.private_key, passphrase)

    def chain_pem(self, root: x509.Certificate | None = None) -> str:
        """This certificate, its issuing CAs, and `root` when given (leaf first)."""
        certs = [self.certificate, *self.chain, *([root] if root is not None else [])]
        return "".join(to_pem(c) for c in certs)


# ---------------------------------------------------------------------------- PEM helpers


def to_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def private_key_to_pem(
    key: ec.EllipticCurvePrivateKey, passphrase: bytes | str | None = None
) -> str:
    """PKCS#8 PEM; encrypted (best available: AES-256-CBC + scrypt/PBKDF2) with a passphrase."""
    if passphrase:
        secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
        algorithm: serialization.KeySerializationEncryption = serialization.BestAvailableEncryption(
            secret
        )
    else:
        algorithm = serialization.NoEncryption()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm
    ).decode()


def load_private_key(
    pem: str | bytes, passphrase: bytes | str | None = None
) -> ec.EllipticCurvePrivateKey:
    data = pem.encode() if isinstance(pem, str) else pem
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    try:
        key = serialization.load_pem_private_key(data, password=secret or None)
    except TypeError as exc:  # encrypted without passphrase, or passphrase for a plain key
        raise PkiError(f"cannot read the private key: {exc}; check the passphrase") from None
    except ValueError:
        raise PkiError("cannot decrypt or parse the private key; check the passphrase") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError("the private key is not an ECDSA key; use a key from `ztc pki init-root`")
    return key


def load_certificates(pem: str | bytes) -> list[x509.Certificate]:
    data = pem.encode() if isinstance(pem, str) else pem
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise PkiError("no PEM certificate found (expected -----BEGIN CERTIFICATE-----)")
    return x509.load_pem_x509_certificates(data)


def load_certificate(pem: str | bytes) -> x509.Certificate:
    return load_certificates(pem)[0]


# ---------------------------------------------------------------------------- SPIFFE IDs


def validate_trust_domain(trust_domain: str) -> str:
    if not _TRUST_DOMAIN.fullmatch(trust_domain):
        raise PkiError(
            f"trust domain {trust_domain!r} is invalid: use lowercase letters, digits, '.', "
            "'-' and '_' (SPIFFE)"
        )
    return trust_domain


def spiffe_id(trust_domain: str, namespace: str, service_account: str) -> str:
    """The workload identity `spiffe://<trust-domain>/ns/<ns>/sa/<sa>` (Istio/Linkerd form)."""
    validate_trust_domain(trust_domain)
    for what, segment in (("namespace", namespace), ("service account", service_account)):
        if not _SPIFFE_PATH_SEGMENT.fullmatch(segment) or segment in (".", ".."):
            raise PkiError(f"{what} {segment!r} is not a valid SPIFFE path segment")
    return f"spiffe://{trust_domain}/ns/{namespace}/sa/{service_account}"


def parse_spiffe_id(uri: str) -> tuple[str, str]:
    """(trust domain, path) of a SPIFFE ID; raises PkiError when `uri` is not one."""
    parts = urlsplit(uri)
    if parts.scheme != "spiffe" or not parts.netloc:
        raise PkiError(f"{uri!r} is not a SPIFFE ID (spiffe://<trust-domain>/<path>)")
    if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
        raise PkiError(f"{uri!r} is not a SPIFFE ID: no port, user, query or fragment allowed")
    validate_trust_domain(parts.netloc)
    segments = parts.path.split("/")[1:]
    if not parts.path or any(
        not _SPIFFE_PATH_SEGMENT.fullmatch(s) or s in (".", "..") for s in segments
    ):
        raise PkiError(f"{uri!r} has an invalid SPIFFE path")
    return parts.netloc, parts.path


# ---------------------------------------------------------------------------- issuance


def _name(common_name: str, unit: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION)]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _validity(
    now: dt.datetime | None, lifetime: dt.timedelta, issuer: x509.Certificate | None
) -> tuple[dt.datetime, dt.datetime]:
    start = (now or utcnow()) - CLOCK_SKEW
    end = start + CLOCK_SKEW + lifetime
    # Never outlive the issuer: the chain would expire under the holder's feet.
    if issuer is not None:
        end = min(end, issuer.not_valid_after_utc)
        if end <= start:
            raise PkiError("the issuing CA has expired; renew it before issuing")
    return start, end


def _ski(key: ec.EllipticCurvePrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def _aki(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _signing_key_usage(*, content_commitment: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _issue(
    issuer: CertifiedKey,
    key: ec.EllipticCurvePrivateKey,
    subject: x509.Name,
    validity: tuple[dt.datetime, dt.datetime],
    extensions: Sequence[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    """A certificate for `key` signed by `issuer`: `extensions` (value, critical), then SKI/AKI."""
    start, end = validity
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return (
        builder.add_extension(_ski(key), critical=False)
        .add_extension(_aki(issuer.certificate), critical=False)
        .sign(issuer.private_key, _hash_for(issuer.private_key))
    )


def create_root_ca(
    trust_domain: str,
    settings: PkiSettings | None = None,
    *,
    generation: int = 1,
    path_length: int = 1,
    key: ec.EllipticCurvePrivateKey | None = None,
    now: dt.datetime | None = None,
) -> CertifiedKey:
    """The shared root for `trust_domain` (the posture's domain; clusters sit below it).

    `generation` names the root (G1, G2, ...) so current and next roots are told apart in a
    rotation; `path_length` 2 leaves room for a cross-signed intermediate layer.
    """
    settings = settings or PkiSettings()
    validate_trust_domain(trust_domain)
    key = key or generate_key(settings.key_algorithm)
    subject = _name(f"{trust_domain} root CA G{generation}")
    start, end = _validity(now, dt.timedelta(days=settings.root_validity_days), None)
    ski = _ski(key)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, _hash_for(key))
    )
    return CertifiedKey(certificate, key)


# The mesh's control plane DNS names. istiod signs its own serving certificate (xDS + CA on
# 15012, the injection/validation webhook on 15017) with the plugged-in intermediate, for
# `istiod.istio-system.svc` and its aliases (pilot/pkg/bootstrap/server.go getDNSNames,
# certcontroller.go initDNSCertsIstiod, https://github.com/istio/istio/blob/1.30.3/). Proxies
# (Go, istio-agent) and the API server (Go) check DNS name constraints, so an intermediate whose
# DNS subtree is only its trust domain makes every proxy refuse istiod. These names are the same
# in every cluster (cluster-local DNS): the trust domain stays confined by the URI subtree.
MESH_CONTROL_PLANE_DNS_SUBTREE = "istio-system.svc"


def intermediate_dns_subtrees(trust_domain: str) -> tuple[str, ...]:
    """The permitted DNS subtrees of a cluster intermediate: its trust domain, then the mesh
    control plane's service names."""
    return (trust_domain, MESH_CONTROL_PLANE_DNS_SUBTREE)


def issue_intermediate_ca(
    root: CertifiedKey,
    cluster_name: str,
    trust_domain: str,
    settings: PkiSettings | None = None,
    *,
    uri_name_constraint: bool = False,
    key: ec.EllipticCurvePrivateKey | None = None,
    now: dt.datetime | None = None,
) -> CertifiedKey:
    """A cluster's issuing CA, name-constrained to `trust_domain` (see the module docstring)."""
    settings = settings or PkiSettings()
    validate_trust_domain(trust_domain)
    key = key or generate_key(settings.key_algorithm)
    start, end = _validity(
        now, dt.timedelta(days=settings.intermediate_validity_days), root.certificate
    )
    permitted: list[x509.GeneralName] = [
        x509.DNSName(name) for name in intermediate_dns_subtrees(trust_domain)
    ]
    if uri_name_constraint:
        permitted.append(x509.UniformResourceIdentifier(trust_domain))
    certificate = _issue(
        root,
        key,
        _name(f"{cluster_name} intermediate CA", unit=trust_domain),
        (start, end),
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_ca_key_usage(), True),
            (x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), True),
        ],
    )
    return CertifiedKey(certificate, key)


def issue_workload_certificate(
    issuer: CertifiedKey,
    spiffe_uri: str,
    settings: PkiSettings | None = None,
    *,
    dns_names: Sequence[str] = (),
    extended_key_usages: Sequence[ObjectIdentifier] = (
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
    ),
    key: ec.EllipticCurvePrivateKey | None = None,
    now: dt.datetime | None = None,
    lifetime: dt.timedelta | None = None,
) -> CertifiedKey:
    """A short-lived X.509-SVID for `spiffe_uri`, signed by a cluster intermediate.

    Issuance does not police the trust domain: the name constraints and the verifiers do
    (the tests issue an out-of-domain leaf on purpose to prove it is refused).
    """
    settings = settings or PkiSettings()
    parse_spiffe_id(spiffe_uri)
    key = key or generate_key(settings.key_algorithm)
    start, end = _validity(
        now, lifetime or dt.timedelta(hours=settings.leaf_validity_hours), issuer.certificate
    )
    sans: list[x509.GeneralName] = [x509.UniformResourceIdentifier(spiffe_uri)]
    sans += [x509.DNSName(name) for name in dns_names]
    certificate = _issue(
        issuer,
        key,
        x509.Name([]),  # SPIFFE: identity lives in the SAN only
        (start, end),
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_signing_key_usage(), True),
            (x509.ExtendedKeyUsage(list(extended_key_usages)), False),
            # An empty subject makes the SAN critical (RFC 5280 4.2.1.6).
            (x509.SubjectAlternativeName(sans), True),
        ],
    )
    return CertifiedKey(certificate, key, chain=(issuer.certificate, *issuer.chain))


# ---------------------------------------------------------------------------- change-ledger signing


def _ledger_policy() -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(CHANGE_LEDGER_POLICY_OID, None)])


def ledger_signing_ca_problem(ca: x509.Certificate) -> str | None:
    """Why `ca` is not a ledger signing CA (from `issue_signing_intermediate`), or None.

    A ledger signing CA is a CA below the root whose EKU is the ledger EKU (not
    anyExtendedKeyUsage, not absent) and which asserts the ledger certificate policy. Cluster
    intermediates have neither, and their keys sit in every cluster's cert-manager Secret, so
    nothing they issue may sign the change record.
    """
    name = ca.subject.rfc4514_string() or "(empty subject)"
    if ca.issuer == ca.subject:
        return f"{name} is a root; deployer certificates come from a ledger signing CA below it"
    try:
        basic = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
        eku = ca.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        policies = ca.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return (
            f"{name} is not a ledger signing CA (no ledger EKU and certificate policy); only a CA "
            "from `ztc pki issue ledger-ca` may issue deployer certificates"
        )
    if not basic.ca or list(eku) != [CHANGE_LEDGER_SIGNING_OID]:
        return f"{name} is not a ledger signing CA: its EKU must be the ledger EKU alone"
    if CHANGE_LEDGER_POLICY_OID not in [p.policy_identifier for p in policies]:
        return f"{name} is not a ledger signing CA: it does not assert the ledger policy"
    return None


def issue_signing_intermediate(
    root: CertifiedKey,
    name: str = "change-ledger",
    settings: PkiSettings | None = None,
    *,
    key: ec.EllipticCurvePrivateKey | None = None,
    now: dt.datetime | None = None,
) -> CertifiedKey:
    """An intermediate that may only issue change-ledger signing certificates.

    It carries the ledger EKU itself (EKU chaining, as OpenSSL applies it), has path length 0
    and excludes every DNS name and URI, so it can never mint a workload identity.
    """
    settings = settings or PkiSettings()
    key = key or generate_key(settings.key_algorithm)
    start, end = _validity(
        now, dt.timedelta(days=settings.intermediate_validity_days), root.certificate
    )
    certificate = _issue(
        root,
        key,
        _name(f"{name} signing CA", unit="change-ledger"),
        (start, end),
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_ca_key_usage(), True),
            (x509.ExtendedKeyUsage([CHANGE_LEDGER_SIGNING_OID]), False),
            (_ledger_policy(), False),
        ],
    )
    return CertifiedKey(certificate, key)


def issue_deployer_certificate(
    issuer: CertifiedKey,
    deployer: str,
    settings: PkiSettings | None = None,
    *,
    validity_days: int = 90,
    key: ec.EllipticCurvePrivateKey | None = None,
    now: dt.datetime | None = None,
) -> CertifiedKey:
    """A change-ledger signing certificate (+ key) for `deployer` (a person or a CI identity).

    `issuer` is an intermediate from `issue_signing_intermediate`; the result's `.chain` holds
    it, so `result.chain_pem()` is what a ledger entry embeds. EKU: CHANGE_LEDGER_SIGNING_OID
    only (critical), key usage digitalSignature + contentCommitment (non-repudiation).
    """
    settings = settings or PkiSettings()
    if not deployer or not _SPIFFE_PATH_SEGMENT.fullmatch(deployer):
        raise PkiError(
            f"deployer name {deployer!r} is invalid: use letters, digits, '.', '-' and '_'"
        )
    key = key or generate_key(settings.key_algorithm)
    start, end = _validity(now, dt.timedelta(days=validity_days), issuer.certificate)
    certificate = _issue(
        issuer,
        key,
        _name(deployer, unit="change-ledger deployer"),
        (start, end),
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_signing_key_usage(content_commitment=True), True),
            (x509.ExtendedKeyUsage([CHANGE_LEDGER_SIGNING_OID]), True),
            (_ledger_policy(), False),
        ],
    )
    return CertifiedKey(certificate, key, chain=(issuer.certificate, *issuer.chain))


# ---------------------------------------------------------------------------- issuance checks

IssueKind = Literal["intermediate", "workload", "ledger-ca", "deployer"]
_ROOT_NAME = re.compile(r"(?P<domain>[a-z0-9._-]{1,255}) root CA G\d+")


def root_trust_domain(root: x509.Certificate) -> str | None:
    """The trust domain a root from `create_root_ca` was made for (None for other roots)."""
    for attribute in root.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        match = _ROOT_NAME.fullmatch(str(attribute.value))
        if match:
            return match["domain"]
    return None


def issuance_problem(
    issuer: x509.Certificate, kind: IssueKind, trust_domain: str | None = None
) -> str | None:
    """Why `issuer` must not issue a `kind` certificate (for `trust_domain`), or None.

    Refuses what could never verify, before a key is written: a leaf as issuer, a CA with no
    path length left, a workload outside the intermediate's trust domain, an intermediate
    outside the root's trust domain, a deployer certificate from anything but a ledger
    signing CA, a ledger signing CA from anything but the root.
    """
    name = issuer.subject.rfc4514_string() or "(empty subject)"
    try:
        basic = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return f"{name} is not a CA certificate; issue from a root or an intermediate"
    if not basic.ca or not usage.key_cert_sign:
        return f"{name} is a leaf certificate, which cannot issue; give a CA (--ca-cert)"
    if kind in ("intermediate", "ledger-ca"):
        if issuer.issuer != issuer.subject:
            return f"{name} is not the root; {kind} certificates are issued by the root"
        if basic.path_length is not None and basic.path_length < 1:
            return f"{name} has path length 0, so a CA below it would not verify"
    if kind == "intermediate":
        domain = root_trust_domain(issuer)
        if domain and trust_domain and not (
            trust_domain == domain or trust_domain.endswith("." + domain)
        ):
            return (
                f"trust domain {trust_domain} is outside the root's trust domain {domain}; "
                f"use <cluster>.{domain}"
            )
    if kind == "workload":
        allowed = constrained_trust_domains(issuer)
        if not allowed:
            return (
                f"{name} has no name constraints; workload certificates come from a cluster "
                "intermediate (`ztc pki issue intermediate`)"
            )
        if trust_domain not in allowed:
            return (
                f"trust domain {trust_domain} is outside the intermediate's "
                f"{', '.join(allowed)}; the certificate would never verify"
            )
    if kind == "deployer":
        return ledger_signing_ca_problem(issuer)
    return None


# ---------------------------------------------------------------------------- CRLs


def build_crl(
    issuer: CertifiedKey,
    revoked_serials: Iterable[int],
    *,
    now: dt.datetime | None = None,
    next_update: dt.timedelta = dt.timedelta(days=1),
    crl_number: int = 1,
    reason: x509.ReasonFlags = x509.ReasonFlags.key_compromise,
) -> x509.CertificateRevocationList:
    """A CRL signed by `issuer` (the CA that issued the revoked certificates)."""
    moment = now or utcnow()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(moment - CLOCK_SKEW)
        .next_update(moment + next_update)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(_aki(issuer.certificate), critical=False)
    )
    for serial in sorted(set(revoked_serials)):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(moment - CLOCK_SKEW)
            .add_extension(x509.CRLReason(reason), critical=False)
            .build()
        )
    return builder.sign(issuer.private_key, _hash_for(issuer.private_key))


def crl_to_pem(crl: x509.CertificateRevocationList) -> str:
    return crl.public_bytes(serialization.Encoding.PEM).decode()


def _check_revocation(
    chain: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    moment: dt.datetime,
) -> None:
    """Each non-root certificate is checked against a valid CRL from its issuer, if one is given."""
    for cert, issuer in itertools.pairwise(chain):
        for crl in crls:
            if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):
                continue
            if crl.next_update_utc is not None and crl.next_update_utc < moment:
                raise PkiVerificationError(
                    f"the CRL of {issuer.subject.rfc4514_string()} is stale; publish a new one"
                )
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                raise PkiVerificationError(
                    f"certificate serial {cert.serial_number:x} is revoked by "
                    f"{issuer.subject.rfc4514_string()}"
                )


# ---------------------------------------------------------------------------- trust bundles


def trust_bundle(roots: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    """Roots only, de-duplicated, in the order given (current first, then next/previous)."""
    unique: dict[str, x509.Certificate] = {}
    for root in roots:
        basic = root.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not basic.ca or root.issuer != root.subject:
            raise PkiError(
                f"{root.subject.rfc4514_string()} is not a self-signed root; trust bundles "
                "hold roots only"
            )
        unique.setdefault(fingerprint_sha256(root), root)
    return list(unique.values())


def needs_renewal(
    certificate: x509.Certificate, now: dt.datetime | None = None, fraction: float = RENEW_FRACTION
) -> bool:
    """True once `certificate` is in the last (1 - fraction) of its life."""
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    return (now or utcnow()) >= start + (end - start) * fraction


def renew_after(certificate: x509.Certificate, fraction: float = RENEW_FRACTION) -> dt.datetime:
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    return start + (end - start) * fraction


# ---------------------------------------------------------------------------- verification


def constrained_trust_domains(ca: x509.Certificate) -> list[str]:
    """The trust domains an intermediate may issue for: its permitted DNS and URI subtrees."""
    try:
        constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return []
    # The mesh control plane's DNS subtree is a service name, not a trust domain.
    domains = [
        n.value
        for n in constraints.permitted_subtrees or []
        if isinstance(n, (x509.DNSName, x509.UniformResourceIdentifier))
        and n.value != MESH_CONTROL_PLANE_DNS_SUBTREE
    ]
    return sorted(set(domains))


def spiffe_trust_domain_check(leaf: x509.Certificate, issuer: x509.Certificate) -> str:
    """Our SPIFFE rule: exactly one URI SAN, a SPIFFE ID in the issuer's trust domain.

    Returns the SPIFFE ID. Applied on every path (cryptography verifier, TLS peers), because
    the default chain carries no URI constraint for the verifiers to enforce.
    """
    try:
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise PkiVerificationError("the certificate has no SAN, so no SPIFFE ID") from None
    uris = sans.get_values_for_type(x509.UniformResourceIdentifier)
    if len(uris) != 1:
        raise PkiVerificationError(
            f"an X.509-SVID carries exactly one URI SAN; this one has {len(uris)}"
        )
    try:
        domain, _path = parse_spiffe_id(uris[0])
    except PkiError as exc:
        raise PkiVerificationError(str(exc)) from None
    allowed = constrained_trust_domains(issuer)
    if not allowed:
        raise PkiVerificationError(
            f"issuer {issuer.subject.rfc4514_string()} has no name constraints; only "
            "name-constrained cluster intermediates may issue workload identities"
        )
    if domain not in allowed:
        raise PkiVerificationError(
            f"SPIFFE ID {uris[0]} is outside the issuing intermediate's trust domain "
            f"{', '.join(allowed)}"
        )
    return uris[0]


def _eku_policy(required: ObjectIdentifier, *, require_san: bool) -> ExtensionPolicy:
    def check(_policy, _cert, eku: x509.ExtendedKeyUsage) -> None:
        if required not in eku:
            raise ValueError(f"extended key usage does not include {required.dotted_string}")

    # webpki EE defaults, with our EKU rule (the defaults pin EKU to the verifier kind).
    policy = ExtensionPolicy.webpki_defaults_ee().require_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, check
    )
    if not require_san:  # signing (not TLS) certificates name their holder in the subject
        policy = policy.may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    return policy


def _ca_policy(required: ObjectIdentifier) -> ExtensionPolicy:
    def check(_policy, _cert, eku: x509.ExtendedKeyUsage | None) -> None:
        if (
            eku is not None
            and required not in eku
            and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku
        ):
            raise ValueError(f"CA extended key usage does not allow {required.dotted_string}")

    return ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, check
    )


def verify_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    *,
    required_eku: ObjectIdentifier,
    now: dt.datetime | None = None,
    crls: Sequence[x509.CertificateRevocationList] = (),
    require_san: bool = True,
) -> list[x509.Certificate]:
    """Path validation with `cryptography.x509.verification` (RFC 5280 + CA/B webpki rules).

    Returns the chain leaf..root. Name constraints, validity, basic constraints and key usage
    are the library's; the EKU rule and CRL lookup are ours.
    """
    if not roots:
        raise PkiVerificationError("no trusted roots given")
    moment = now or utcnow()
    verifier = (
        PolicyBuilder()
        .store(Store(list(roots)))
        .time(moment)
        .max_chain_depth(3)
        .extension_policies(
            ca_policy=_ca_policy(required_eku),
            ee_policy=_eku_policy(required_eku, require_san=require_san),
        )
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(leaf, list(intermediates))
    except VerificationError as exc:
        raise PkiVerificationError(f"chain rejected: {exc}") from None
    chain = list(verified.chain)
    _check_revocation(chain, crls, moment)
    return chain


@dataclass(frozen=True)
class VerifiedWorkload:
    spiffe_id: str
    trust_domain: str
    chain: list[x509.Certificate]


def verify_workload(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    *,
    usage: Usage = "client",
    now: dt.datetime | None = None,
    crls: Sequence[x509.CertificateRevocationList] = (),
    allowed_trust_domains: Iterable[str] | None = None,
) -> VerifiedWorkload:
    """Verify an X.509-SVID presented as a TLS client or server; returns its SPIFFE ID."""
    required = (
        ExtendedKeyUsageOID.CLIENT_AUTH if usage == "client" else ExtendedKeyUsageOID.SERVER_AUTH
    )
    chain = verify_chain(leaf, intermediates, roots, required_eku=required, now=now, crls=crls)
    identity = spiffe_trust_domain_check(leaf, chain[1])
    domain, _ = parse_spiffe_id(identity)
    if allowed_trust_domains is not None and domain not in set(allowed_trust_domains):
        raise PkiVerificationError(f"trust domain {domain} is not federated with this workload")
    return VerifiedWorkload(spiffe_id=identity, trust_domain=domain, chain=chain)


def verify_deployer_certificate(
    certificate: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate] | x509.Certificate,
    *,
    now: dt.datetime | None = None,
    crls: Sequence[x509.CertificateRevocationList] = (),
) -> list[x509.Certificate]:
    """Check a change-ledger deployer certificate: chains to `roots`, carries the ledger EKU.

    Returns the chain leaf..root; raises PkiVerificationError otherwise.
    """
    anchors = [roots] if isinstance(roots, x509.Certificate) else list(roots)
    chain = verify_chain(
        certificate,
        intermediates,
        anchors,
        required_eku=CHANGE_LEDGER_SIGNING_OID,
        now=now,
        crls=crls,
        require_san=False,
    )
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    if not usage.digital_signature:
        raise PkiVerificationError("the deployer certificate may not sign (no digitalSignature)")
    # Exactly root -> ledger signing CA -> deployer: a chain through a cluster intermediate, or
    # a deployer certificate straight from the root, is never a ledger signer.
    problem = ledger_signing_ca_problem(chain[1])
    if problem is None and len(chain) != 3:
        problem = "a deployer chain is the deployer, its ledger signing CA and the root only"
    if problem is not None:
        raise PkiVerificationError(f"not issued by a ledger signing CA: {problem}")
    return chain


def public_key_sha256(certificate: x509.Certificate) -> str:
    """Hash of the SubjectPublicKeyInfo: stable across re-issuance with the same key."""
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()
