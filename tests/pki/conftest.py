from __future__ import annotations

from dataclasses import dataclass

import pytest

from zero_trust_clusters.components.pki import authority as pki
from zero_trust_clusters.components.spec import PkiSettings

ESTATE_DOMAIN = "dev.zt.example.com"
AWS_DOMAIN = "dev-aws.dev.zt.example.com"
GCP_DOMAIN = "dev-gcp.dev.zt.example.com"


@dataclass(frozen=True)
class Estate:
    settings: PkiSettings
    root: pki.CertifiedKey
    aws: pki.CertifiedKey
    gcp: pki.CertifiedKey

    def leaf(self, cluster: str, ns: str = "shop", sa: str = "api", **kw) -> pki.CertifiedKey:
        issuer = getattr(self, cluster)
        domain = AWS_DOMAIN if cluster == "aws" else GCP_DOMAIN
        return pki.issue_workload_certificate(
            issuer, pki.spiffe_id(domain, ns, sa), self.settings, **kw
        )


def build_estate(settings: PkiSettings | None = None, **intermediate_kw) -> Estate:
    settings = settings or PkiSettings()
    root = pki.create_root_ca(ESTATE_DOMAIN, settings)
    return Estate(
        settings,
        root,
        pki.issue_intermediate_ca(root, "dev-aws", AWS_DOMAIN, settings, **intermediate_kw),
        pki.issue_intermediate_ca(root, "dev-gcp", GCP_DOMAIN, settings, **intermediate_kw),
    )


@pytest.fixture(scope="session")
def estate() -> Estate:
    return build_estate()


@pytest.fixture(scope="session")
def other_estate() -> Estate:
    """A second, unrelated PKI with the very same names: only the keys differ."""
    return build_estate()
