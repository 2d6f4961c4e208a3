"""At a first `pulumi preview` (nothing exists yet) the hardening is still verifiable.

Node service account e-mails and KMS key ids follow fixed formats, so the component passes them
as plain strings (with explicit dependencies) instead of outputs that would be unknown, and the
policy pack can check every node config before anything is created.
"""

from __future__ import annotations

import pytest

from zero_trust_clusters.engine.mocks import unwrap

SA = "dev-gcp-nodes@acme-zt-dev.iam.gserviceaccount.com"
KEYS = "projects/acme-zt-dev/locations/europe-west1/keyRings/dev-gcp-keys/cryptoKeys/"


@pytest.fixture(scope="module")
def first_preview(gke_runner):
    _, graph = gke_runner("dev", preview=True)
    return graph


def test_node_configs_are_known_at_first_preview(first_preview) -> None:
    for pool in first_preview.of_type("gcp:container/nodePool:NodePool"):
        config = unwrap(pool.inputs)["nodeConfig"]
        assert config["serviceAccount"] == SA
        assert config["bootDiskKmsKey"] == KEYS + "dev-gcp-disks"
    cluster = unwrap(first_preview.of_type("gcp:container/cluster:Cluster")[0].inputs)
    assert cluster["databaseEncryption"]["keyName"] == KEYS + "dev-gcp-secrets"
    assert cluster["nodeConfig"]["serviceAccount"] == SA


def test_plain_values_keep_their_dependencies(first_preview) -> None:
    by_name = {r.name: r for r in first_preview.resources}
    cluster = first_preview.of_type("gcp:container/cluster:Cluster")[0]
    for grant in ("dev-gcp-secrets-gke-agent", "dev-gcp-disks-compute-agent"):
        assert by_name[grant].urn in cluster.dependencies
    for pool in first_preview.of_type("gcp:container/nodePool:NodePool"):
        assert by_name["dev-gcp-disks-compute-agent"].urn in pool.dependencies
        assert by_name["dev-gcp-nodes-defaultnodeserviceaccount"].urn in pool.dependencies
    firewall = by_name["dev-gcp-allow-control-plane"]
    assert by_name["dev-gcp-nodes-sa"].urn in firewall.dependencies
    assert unwrap(firewall.inputs)["targetServiceAccounts"] == [SA]
    bucket = first_preview.of_type("gcp:storage/bucket:Bucket")[0]
    assert by_name["dev-gcp-audit-storage-agent"].urn in bucket.dependencies
