"""How stateful resources are kept: one rule, the same on every cloud.

Stateful means what outlives a cluster's compute: customer keys (KMS keys, the Key Vault and its
keys, Cloud KMS keys) and audit storage (the S3 Object Lock bucket and CloudWatch log groups,
the Log Analytics workspace, storage account and its containers, the Cloud Storage audit
bucket). Each is registered with `protect` (Pulumi refuses to delete it) and `retainOnDelete`
(a delete removes it from the state only), and the cloud's own deletion protection is on where
the resource has one (EKS cluster, CloudWatch log groups, GKE cluster).

`clusters[i].decommission: true` lifts all three for that cluster, so `pulumi destroy` can
remove it (DEPLOYING.md, "Decommissioning a cluster"). What a cloud never lets go of stays as
documented there: Key Vault purge protection, S3 Object Lock COMPLIANCE retention, a locked
Azure immutability policy or Cloud Storage retention policy, KMS deletion windows, Cloud KMS key
rings (which GCP never deletes).

Stack-wide stores (the change ledger's WORM store, the shared PKI's managed root) belong to no
one cluster and stay kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zero_trust_clusters.components.spec import ClusterSpec


def kept(cluster: ClusterSpec) -> dict[str, bool]:
    """Resource options of a cluster's stateful resource (`protect`, `retain_on_delete`)."""
    keep = not cluster.decommission
    return {"protect": keep, "retain_on_delete": keep}


def deletion_protection(cluster: ClusterSpec) -> bool:
    """The cloud-side deletion protection flag of a cluster's resource."""
    return not cluster.decommission
