"""Stateful resources are kept the same way on every cloud, and `decommission: true` lifts it.

Kept: `protect` + `retainOnDelete` on keys and audit storage, the cloud's deletion protection
on. A decommissioned cluster: nothing it owns is protected or retained and every deletion
protection flag is off, so `pulumi destroy` can remove it; Key Vault purge protection is the
one flag Azure never lets go of (DEPLOYING.md, "Decommissioning a cluster").
"""

from __future__ import annotations

import pytest

from tests.pools.support import Run, dev_config, edit_clusters, run_cloud_phase
from zero_trust_clusters.engine.mocks import unwrap

CLUSTER_TYPES = ("ztc:aws:EksCluster", "ztc:azure:AksCluster", "ztc:gcp:GkeCluster")
# Keys and audit storage, per cloud: what zero_trust_clusters/components/lifecycle.py keeps.
STATEFUL = {
    "aws": ("aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:cloudwatch/logGroup:LogGroup"),
    "azure": ("azure-native:keyvault:Vault", "azure-native:keyvault:Key",
              "azure-native:operationalinsights:Workspace", "azure-native:storage:StorageAccount",
              "azure-native:storage:BlobContainer"),
    "gcp": ("gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey", "gcp:storage/bucket:Bucket"),
}
# Cloud-side deletion protection: (resource type, input, value when protected).
DELETION_FLAGS = (
    ("aws:eks/cluster:Cluster", "deletionProtection"),
    ("aws:cloudwatch/logGroup:LogGroup", "deletionProtectionEnabled"),
    ("gcp:container/cluster:Cluster", "deletionProtection"),
)


def _owned(run: Run):
    """Every resource a cluster component owns (its URN's type chain names the component)."""
    owned = [r for r in run.graph.resources if any(f"{t}$" in r.urn for t in CLUSTER_TYPES)]
    assert len(owned) > 150
    return owned


@pytest.fixture(scope="module")
def decommissioned() -> Run:
    return run_cloud_phase(edit_clusters(dev_config(), lambda c: c.update(decommission=True)))


@pytest.mark.parametrize("cloud", sorted(STATEFUL))
def test_stateful_resources_are_kept_the_same_way_on_every_cloud(dev_run, cloud):
    stateful = [r for r in _owned(dev_run) if r.type in STATEFUL[cloud]]
    assert {r.type for r in stateful} == set(STATEFUL[cloud])
    loose = [r.name for r in stateful
             if not (dev_run.options[r.urn].protect and dev_run.options[r.urn].retain_on_delete)]
    assert loose == []


def test_deletion_protection_is_on_while_a_cluster_is_kept(dev_run):
    for type_, flag in DELETION_FLAGS:
        values = [unwrap(r.inputs).get(flag) for r in _owned(dev_run) if r.type == type_]
        assert values and all(v is True for v in values), (type_, values)


def test_a_decommissioned_cluster_is_all_deletable(decommissioned):
    owned = _owned(decommissioned)
    held = [(r.type, r.name) for r in owned
            if decommissioned.options[r.urn].protect
            or decommissioned.options[r.urn].retain_on_delete]
    assert held == []
    for type_, flag in DELETION_FLAGS:
        values = [unwrap(r.inputs).get(flag) for r in owned if r.type == type_]
        assert values and all(v is False for v in values), (type_, values)
    # What Azure never lifts, as documented: purge protection, once on, stays on.
    vaults = [unwrap(r.inputs) for r in owned if r.type == "azure-native:keyvault:Vault"]
    assert [v["properties"]["enablePurgeProtection"] for v in vaults] == [True]


def test_the_managed_root_is_protected_even_when_every_cluster_is_decommissioned(
        dev_run, decommissioned):
    for run in (dev_run, decommissioned):
        roots = [r for r in run.graph.resources
                 if unwrap(r.inputs).get("ztcKind") == "pki-root"]
        assert len(roots) == 1
        assert run.options[roots[0].urn].protect is True
