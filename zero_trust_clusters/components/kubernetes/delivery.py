"""Delivery of the shared PKI material, in the formats `zero_trust_clusters.components.pki.formats` defines
(cert-manager CA Secret, Istio `cacerts`), as base64 Secret `data`.

Applied through `lift`, so the same code serves `ztc render` (strings) and Pulumi Outputs.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

import pulumi

from zero_trust_clusters.components.kubernetes.values import lift
from zero_trust_clusters.components.pki import formats
from zero_trust_clusters.components.pki.authority import load_certificates, to_pem

_PEM_MARK = "-----BEGIN CERTIFICATE-----"
CERT_MANAGER_KEYS = ("ca.crt", "tls.crt", "tls.key")
ISTIO_KEYS = ("ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem")


@dataclass(frozen=True)
class IssuerMaterial:
    """The cluster's intermediate CA: its certificate, key, and chain (intermediate..root)."""

    certificate_pem: pulumi.Input[str]
    private_key_pem: pulumi.Input[str]
    chain_pem: pulumi.Input[str]

    @classmethod
    def placeholder(cls, trust_domain: str) -> IssuerMaterial:
        """Stand-ins for `ztc render` (its Secrets are masked; keys are issued at deploy)."""
        what = f"issued by `pulumi up` for {trust_domain}"
        return cls(f"<intermediate CA certificate {what}>", f"<private key {what}>",
                   f"<chain to the shared root {what}>")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def issuing_root(certificate_pem: str, chain_pem: str, trust_bundle_pem: str) -> str:
    """The root that signed the intermediate: from its chain, else from the trust bundle
    (which may hold the next root too during a rotation)."""
    intermediate = load_certificates(certificate_pem)[0]
    candidates = load_certificates(chain_pem) + load_certificates(trust_bundle_pem)
    for cert in candidates:
        if cert.subject == intermediate.issuer and cert.subject == cert.issuer:
            return to_pem(cert)
    raise ValueError(
        f"no root for {intermediate.subject.rfc4514_string()} in its chain or the trust bundle"
    )


def _deliver(
    build: Callable[[str, str, str, str], dict[str, str]], keys: tuple[str, ...]
) -> Callable[[str, str, str, str], dict[str, str]]:
    def data(cert: str, key: str, chain: str, bundle: str) -> dict[str, str]:
        if _PEM_MARK not in cert:  # `ztc render` without PKI material: same keys, no values
            return {k: b64(f"<{k}: {cert.strip('<>')}>") for k in keys}
        return {k: b64(v) for k, v in sorted(build(cert, key, chain, bundle).items())}

    return data


cert_manager_ca_data = _deliver(
    lambda cert, key, chain, bundle: formats.cert_manager_ca_secret(
        cert, key, issuing_root(cert, chain, bundle)
    ),
    CERT_MANAGER_KEYS,
)
istio_cacerts_data = _deliver(
    lambda cert, key, chain, bundle: formats.istio_cacerts(cert, key, bundle),
    ISTIO_KEYS,
)


def secret_data(fn, issuer: IssuerMaterial, trust_bundle: pulumi.Input[str]):
    return lift(fn, issuer.certificate_pem, issuer.private_key_pem, issuer.chain_pem, trust_bundle)
