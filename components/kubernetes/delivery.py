"""Delivery formats of the shared PKI material (cert-manager CA secret, Istio cacerts).

Plain-string functions (PEM in, Secret `data` out), applied through `lift` so the same code
serves `ztc render` and Pulumi Outputs.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import pulumi

from components.kubernetes.values import lift

_PEM_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.DOTALL
)


@dataclass(frozen=True)
class IssuerMaterial:
    """The cluster's intermediate CA: its certificate, key, and the chain up to the root."""

    certificate_pem: pulumi.Input[str]
    private_key_pem: pulumi.Input[str]
    chain_pem: pulumi.Input[str]

    @classmethod
    def placeholder(cls, trust_domain: str) -> IssuerMaterial:
        """Stand-ins for `ztc render` (Secrets are masked there; keys are issued at deploy)."""
        what = f"issued by `pulumi up` for {trust_domain}"
        return cls(f"<intermediate CA certificate {what}>", f"<private key {what}>",
                   f"<chain to the shared root {what}>")


def certificates(*pems: str) -> list[str]:
    """PEM certificate blocks in order, duplicates dropped (a chain may repeat the leaf)."""
    seen: list[str] = []
    for pem in pems:
        blocks = _PEM_BLOCK.findall(pem) or ([pem.strip()] if pem.strip() else [])
        for block in blocks:
            if block not in seen:
                seen.append(block)
    return seen


def _join(blocks: list[str]) -> str:
    return "\n".join(blocks) + "\n"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def cert_manager_ca_data(cert: str, key: str, chain: str, trust_bundle: str) -> dict[str, str]:
    """kubernetes.io/tls Secret data for a cert-manager CA issuer: the signing certificate with
    its chain in tls.crt (so issued certificates carry it), the root in ca.crt."""
    return {
        "tls.crt": b64(_join(certificates(cert, chain))),
        "tls.key": b64(key),
        "ca.crt": b64(trust_bundle),
    }


def istio_cacerts_data(cert: str, key: str, chain: str, trust_bundle: str) -> dict[str, str]:
    """Istio's plug-in CA Secret `cacerts` (ca-cert, ca-key, cert-chain, root-cert)."""
    return {
        "ca-cert.pem": b64(cert),
        "ca-key.pem": b64(key),
        "cert-chain.pem": b64(_join(certificates(cert, chain))),
        "root-cert.pem": b64(trust_bundle),
    }


def secret_data(fn, issuer: IssuerMaterial, trust_bundle: pulumi.Input[str]):
    return lift(fn, issuer.certificate_pem, issuer.private_key_pem, issuer.chain_pem, trust_bundle)
