"""Delivery formats every cluster can consume; pure functions of PEM text (usable in `apply`).

- cert-manager CA issuer secret: `tls.crt` (the intermediate followed by the root, as
  cert-manager documents for an intermediate CA), `tls.key`, `ca.crt` (the root).
- PEM trust bundle (ConfigMap / trust-manager Bundle source): roots only.
- Istio plug-in CA secret `cacerts`: ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem.
- SPIFFE trust bundle (JWKS, `use: x509-svid`) for federating trust domains.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from zero_trust_clusters.components.pki.authority import load_certificates, to_pem, trust_bundle

SPIFFE_REFRESH_HINT_SECONDS = 300
_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384"}


def _pems(pems: Iterable[str] | str) -> list[x509.Certificate]:
    if isinstance(pems, str):
        pems = [pems]
    return [cert for pem in pems if pem for cert in load_certificates(pem)]


def trust_bundle_pem(root_pems: Iterable[str] | str) -> str:
    """The roots (current first, then next/previous during a rotation), one PEM document."""
    return "".join(to_pem(root) for root in trust_bundle(_pems(root_pems)))


def cert_manager_ca_secret(
    intermediate_pem: str, intermediate_key_pem: str, root_pem: str
) -> dict[str, str]:
    """`stringData` of the kubernetes.io/tls Secret a cert-manager CA (Cluster)Issuer reads."""
    root = load_certificates(root_pem)[0]
    return {
        "tls.crt": intermediate_pem.strip() + "\n" + to_pem(root),
        "tls.key": intermediate_key_pem,
        "ca.crt": to_pem(root),
    }


def istio_cacerts(
    intermediate_pem: str, intermediate_key_pem: str, root_pem: str | Iterable[str]
) -> dict[str, str]:
    """`stringData` of Istio's plug-in CA secret `cacerts` (istio-system).

    root-cert.pem may hold several roots during a rotation; cert-chain.pem is the
    intermediate followed by the root that signed it.
    """
    roots = _pems(root_pem)
    intermediate = load_certificates(intermediate_pem)[0]
    issuer = next((r for r in roots if r.subject == intermediate.issuer), roots[0])
    return {
        "ca-cert.pem": to_pem(intermediate),
        "ca-key.pem": intermediate_key_pem,
        "root-cert.pem": "".join(to_pem(r) for r in trust_bundle(roots)),
        "cert-chain.pem": to_pem(intermediate) + to_pem(issuer),
    }


def _b64url_int(value: int, size: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(size, "big")).rstrip(b"=").decode()


def _jwk(root: x509.Certificate) -> dict[str, object]:
    key = root.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise TypeError("SPIFFE bundles here carry EC roots only")
    numbers = key.public_numbers()
    size = (key.curve.key_size + 7) // 8
    der = root.public_bytes(serialization.Encoding.DER)
    return {
        "kty": "EC",
        "use": "x509-svid",
        "crv": _CURVE_NAMES[key.curve.name],
        "x": _b64url_int(numbers.x, size),
        "y": _b64url_int(numbers.y, size),
        "x5c": [base64.b64encode(der).decode()],
    }


def spiffe_bundle(
    root_pems: Iterable[str] | str,
    *,
    sequence: int = 1,
    refresh_hint_seconds: int = SPIFFE_REFRESH_HINT_SECONDS,
) -> dict[str, object]:
    """A SPIFFE trust bundle (SPIFFE Trust Domain and Bundle spec, JWKS form)."""
    return {
        "keys": [_jwk(root) for root in trust_bundle(_pems(root_pems))],
        "spiffe_sequence": sequence,
        "spiffe_refresh_hint": refresh_hint_seconds,
    }


def spiffe_bundle_json(root_pems: Iterable[str] | str, *, sequence: int = 1) -> str:
    return json.dumps(spiffe_bundle(root_pems, sequence=sequence), indent=2, sort_keys=True)


def roots_from_spiffe_bundle(document: str | dict) -> list[x509.Certificate]:
    """The X.509 authorities of a SPIFFE bundle (the federation consumer side)."""
    data = json.loads(document) if isinstance(document, str) else document
    return [
        x509.load_der_x509_certificate(base64.b64decode(k["x5c"][0]))
        for k in data.get("keys", [])
        if k.get("use") == "x509-svid"
    ]
