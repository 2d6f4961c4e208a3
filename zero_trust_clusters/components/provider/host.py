"""The component provider's entry (provider/__main__.py calls `serve`)."""

from importlib.metadata import version

from pulumi.provider.experimental import component_provider_host

from zero_trust_clusters.components.provider import PACKAGE_NAME
from zero_trust_clusters.components.provider.cluster_phase import ZeroTrustClusterPhase
from zero_trust_clusters.components.provider.clusters import ZeroTrustCluster
from zero_trust_clusters.components.provider.estate import ZeroTrustEstate

# Every facade the provider serves; tests/provider checks the schema of each.
COMPONENTS = [ZeroTrustEstate, ZeroTrustCluster, ZeroTrustClusterPhase]
# The package's version (pyproject.toml), so the schema and the SDKs carry it.
VERSION = version("zero-trust-clusters")


def serve() -> None:
    """Serve the facades over gRPC; the schema is inferred from their annotations."""
    component_provider_host(components=COMPONENTS, name=PACKAGE_NAME, version=VERSION)
