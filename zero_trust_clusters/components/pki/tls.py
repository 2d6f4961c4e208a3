"""Mutual TLS with this PKI in Python's `ssl` (OpenSSL): contexts and SPIFFE peer authorization.

OpenSSL validates the chain in the handshake (roots only as anchors, CRLs when given, DNS/URI
name constraints, EKU purpose). `authorize_peer` then applies what OpenSSL cannot: our SPIFFE
rule (exactly one URI SAN, inside the trust domain its intermediate is constrained to) and the
set of federated trust domains.
"""

from __future__ import annotations

import os
import secrets
import ssl
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from typing import Literal

from cryptography import x509

from zero_trust_clusters.components.pki.authority import (
    PkiVerificationError,
    VerifiedWorkload,
    load_private_key,
    parse_spiffe_id,
    private_key_to_pem,
    spiffe_trust_domain_check,
)

Side = Literal["client", "server"]


@contextmanager
def _pem_file(text: str):
    """ssl loads certificates and CRLs from files only: a private temp file, removed on exit."""
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        yield path
    finally:
        os.unlink(path)


def mtls_context(
    side: Side,
    *,
    chain_pem: str,
    key_pem: str,
    trust_bundle_pem: str,
    crl_pems: Sequence[str] = (),
) -> ssl.SSLContext:
    """A TLS 1.3 context that presents `chain_pem` (leaf + intermediate) and requires a peer
    certificate chaining to the trust bundle (roots only). With CRLs, each peer leaf is
    checked against its issuer's CRL (VERIFY_CRL_CHECK_LEAF: a missing CRL fails closed).
    """
    protocol = ssl.PROTOCOL_TLS_SERVER if side == "server" else ssl.PROTOCOL_TLS_CLIENT
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = False  # identities are SPIFFE URIs, checked by authorize_peer
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    # ssl reads keys from files only: hand it the key encrypted under a one-time password,
    # so no plaintext key ever touches the disk.
    one_time = secrets.token_urlsafe(32)
    encrypted = private_key_to_pem(load_private_key(key_pem), one_time)
    with _pem_file(encrypted) as key_path, _pem_file(chain_pem) as chain_path:
        context.load_cert_chain(chain_path, key_path, password=one_time)
    with _pem_file(trust_bundle_pem + "".join(crl_pems)) as anchors:
        context.load_verify_locations(cafile=anchors)
    if crl_pems:
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return context


def peer_chain(sock: ssl.SSLSocket) -> list[x509.Certificate]:
    """The chain OpenSSL verified in the handshake, leaf first.

    `get_verified_chain` is public from Python 3.13; on 3.11/3.12 it lives on the
    internal SSL object with the same behaviour.
    """
    getter = getattr(sock, "get_verified_chain", None) or sock._sslobj.get_verified_chain
    return [x509.load_der_x509_certificate(c.public_bytes(ssl._ssl.ENCODING_DER)) for c in getter()]


def authorize_peer(
    sock: ssl.SSLSocket, *, allowed_trust_domains: Iterable[str] | None = None
) -> VerifiedWorkload:
    """The peer's SPIFFE identity from the chain OpenSSL verified (chain, validity, EKU
    purpose, CRL and name constraints are already checked), plus our SPIFFE rule."""
    chain = peer_chain(sock)
    if len(chain) < 2:
        raise PkiVerificationError("the peer presented no chain")
    identity = spiffe_trust_domain_check(chain[0], chain[1])
    domain, _ = parse_spiffe_id(identity)
    if allowed_trust_domains is not None and domain not in set(allowed_trust_domains):
        raise PkiVerificationError(f"trust domain {domain} is not federated with this workload")
    return VerifiedWorkload(spiffe_id=identity, trust_domain=domain, chain=chain)
