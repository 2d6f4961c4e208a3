"""The bridge to the shared PKI: deployer signers and the deployer-chain verifier."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from cryptography import x509

from zero_trust_clusters.components.ledger.chain import ChainVerifier
from zero_trust_clusters.components.ledger.entry import Signer
from zero_trust_clusters.components.pki.authority import (
    CertifiedKey,
    load_certificates,
    load_private_key,
    trust_bundle,
    verify_deployer_certificate,
)


def signer_from_certified(deployer: CertifiedKey) -> Signer:
    """A signer from `issue_deployer_certificate(...)`: its key, certificate and CA chain."""
    return Signer(key=deployer.private_key, chain=(deployer.certificate, *deployer.chain))


def signer_from_files(key_path: Path, chain_path: Path, passphrase: str | None = None) -> Signer:
    """A signer from a PKCS#8 key file and a PEM chain file (deployer certificate first)."""
    key = load_private_key(Path(key_path).read_bytes(), passphrase)
    chain = load_certificates(Path(chain_path).read_bytes())
    # The root is the verifier's trust anchor; embedding it would only add bytes.
    chain = [c for c in chain if c.issuer != c.subject] or chain
    if chain[0].public_key().public_numbers() != key.public_key().public_numbers():
        raise ValueError(
            f"the first certificate in {chain_path} does not belong to the key in {key_path}; "
            "put the deployer certificate first in the chain file"
        )
    return Signer(key=key, chain=chain)


def pki_verifier(
    roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList] = (),
) -> ChainVerifier:
    """Entries must be signed by a deployer certificate (ledger EKU) under one of `roots`.

    Only self-signed roots are accepted as anchors (PkiError otherwise): trusting the
    ledger signing CA itself would make the shared root irrelevant.
    """
    anchors = trust_bundle(roots)

    def check(leaf: x509.Certificate, intermediates: Sequence[x509.Certificate],
              at: datetime) -> None:
        verify_deployer_certificate(leaf, intermediates, anchors, now=at, crls=crls)

    return check


def roots_from_file(path: Path) -> list[x509.Certificate]:
    return load_certificates(Path(path).read_bytes())
