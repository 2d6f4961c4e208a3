"""A ledger entry: what was deployed, from which code, by whom, linked to its predecessor.

Layout (all hashed and signed in canonical JSON, see `canonical.py`):

    {"format": "ztc-ledger/1", "seq": 7, "prev": "sha256:…",
     "stack": "prod", "project": "zero-trust-clusters", "time": "2026-11-27T10:20:10Z",
     "state": {"digest": "sha256:…", "resources": 412, "secrets": 9},
     "code": {"commit": "…", "tree": "…", "dirty": false, "subtrees": {"policies": "…"}},
     "signer": {"chain": ["-----BEGIN CERTIFICATE-----…", …]},
     "signature": {"alg": "ECDSA-SHA256", "value": "<base64 DER>"}}

- The signature covers the canonical JSON of the entry without its `signature` member,
  so the signer's certificate chain is bound into what is signed.
- The entry hash (what the next entry's `prev` holds) is SHA-256 over the canonical JSON
  of the whole entry, signature included.
- The first entry's `prev` is GENESIS_PREV.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from zero_trust_clusters.components.ledger.canonical import canonical_bytes, sha256_hex

FORMAT = "ztc-ledger/1"
GENESIS_PREV = "sha256:" + "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
UNSIGNED = {"alg": "none", "value": ""}

SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class EntryError(ValueError):
    """An entry is malformed or its signature does not check."""


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Signer:
    """A deployer key and its certificate chain (leaf first, then intermediates)."""

    key: SigningKey
    chain: Sequence[x509.Certificate]

    def chain_pem(self) -> list[str]:
        return [c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in self.chain]


def signing_payload(entry: Mapping[str, Any], *, normalized: bool = False) -> bytes:
    body = {k: v for k, v in entry.items() if k != "signature"}
    return canonical_bytes(body, normalized=normalized)


def entry_hash(entry: Mapping[str, Any], *, normalized: bool = False) -> str:
    return sha256_hex(canonical_bytes(entry, normalized=normalized))


def build_entry(
    *,
    seq: int,
    prev: str,
    stack: str,
    project: str,
    time: datetime,
    state: Mapping[str, Any],
    code: Mapping[str, Any],
    signer: Signer | None,
) -> dict[str, Any]:
    """The entry for these facts, signed by `signer` (or marked unsigned for previews)."""
    entry: dict[str, Any] = {
        "format": FORMAT,
        "seq": seq,
        "prev": prev,
        "stack": stack,
        "project": project,
        "time": format_time(time),
        "state": dict(state),
        "code": dict(code),
        "signer": {"chain": signer.chain_pem() if signer else []},
    }
    entry["signature"] = sign(entry, signer.key) if signer else dict(UNSIGNED)
    return entry


def sign(entry: Mapping[str, Any], key: SigningKey) -> dict[str, str]:
    payload = signing_payload(entry)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        alg, raw = "ECDSA-SHA256", key.sign(payload, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        alg, raw = "Ed25519", key.sign(payload)
    else:
        raise EntryError(f"deployer key type {type(key).__name__} is not supported (EC or Ed25519)")
    return {"alg": alg, "value": base64.b64encode(raw).decode("ascii")}


def load_chain(entry: Mapping[str, Any]) -> list[x509.Certificate]:
    pems = (entry.get("signer") or {}).get("chain") or []
    if not pems:
        raise EntryError("entry is unsigned (no signer certificate)")
    try:
        return [x509.load_pem_x509_certificate(p.encode("ascii")) for p in pems]
    except (ValueError, TypeError, AttributeError) as exc:
        raise EntryError(f"signer certificate does not parse: {exc}") from exc


def verify_signature(
    entry: Mapping[str, Any], leaf: x509.Certificate, *, normalized: bool = False
) -> None:
    """Raise EntryError unless `entry` carries a valid signature by `leaf`'s key.

    `normalized`: the entry was parsed with `canonical.loads` (skips a re-check).
    """
    signature = entry.get("signature") or {}
    try:
        raw = base64.b64decode(signature.get("value", ""), validate=True)
    except ValueError as exc:
        raise EntryError("signature is not base64") from exc
    try:
        public = leaf.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        raise EntryError(f"signer certificate has an unusable public key: {exc}") from exc
    alg = signature.get("alg")
    payload = signing_payload(entry, normalized=normalized)
    try:
        if alg == "ECDSA-SHA256" and isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(raw, payload, ec.ECDSA(hashes.SHA256()))
        elif alg == "Ed25519" and isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(raw, payload)
        else:
            raise EntryError(f"signature algorithm {alg!r} does not match the signer's key")
    except InvalidSignature as exc:
        raise EntryError("signature does not match the entry (content changed or wrong key)") \
            from exc
