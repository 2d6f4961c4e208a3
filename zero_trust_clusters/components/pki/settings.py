"""`posture.pki`: where the shared root comes from and how long certificates live.

Its own module so the PKI (authority.py) reads its settings without importing the spec."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from zero_trust_clusters.components.model import SpecModel


class PkiSettings(SpecModel):
    """Where the shared root comes from: issued by `pulumi up` (managed) or kept offline."""

    root_mode: Literal["managed", "offline"] = "managed"
    # For root_mode offline: the PEM written by `ztc pki init-root`; its key is the secret
    # config `pkiRootKey` (encrypted PEM) with passphrase `pkiRootPassphrase`.
    offline_root_certificate_file: str | None = None
    key_algorithm: Literal["ecdsa-p256", "ecdsa-p384"] = "ecdsa-p256"
    root_validity_days: Annotated[int, Field(ge=365, le=7300)] = 3650
    intermediate_validity_days: Annotated[int, Field(ge=30, le=1095)] = 365
    leaf_validity_hours: Annotated[int, Field(ge=1, le=720)] = 24
    # Change to rotate the managed root; both roots stay in the trust bundle meanwhile.
    root_rotation: Annotated[str, Field(min_length=1, max_length=64)] = "0"
    # cluster name -> token; change one to reissue that cluster's intermediate.
    intermediate_rotations: dict[str, Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=dict)
    # URI name constraints on intermediates (the trust domain as a URI subtree). The mesh's
    # proxies (Envoy/BoringSSL) and Go enforce them, and they are the only thing confining each
    # cluster's intermediate to its own SPIFFE trust domain in the data plane, so the mesh
    # requires them (zero_trust_clusters/components/spec.py `_mesh_problems`). `cryptography`'s verifier refuses
    # such chains; `ztc pki verify` checks them with OpenSSL (zero_trust_clusters/components/pki/README.md).
    uri_name_constraints: bool = True

    @model_validator(mode="after")
    def _offline_needs_file(self) -> PkiSettings:
        if self.root_mode == "offline" and not self.offline_root_certificate_file:
            raise ValueError(
                "rootMode offline needs offlineRootCertificateFile (the PEM written by "
                "`ztc pki init-root`)"
            )
        return self
