"""Customer-managed keys of one cluster: Kubernetes Secrets, node boot disks, audit bucket.

One key ring per cluster in the cluster's region (GKE and Cloud Storage require the key in the
same location as what it encrypts). Each key has one purpose and one consumer, and the consumer
(a Google service agent) gets Encrypter/Decrypter on that key only. Symmetric keys rotate every
90 days; old versions stay enabled so existing data remains readable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components.cluster import HardenedCluster
from zero_trust_clusters.components.gcp.service_agents import ServiceAgents

ROTATION_PERIOD = "7776000s"  # 90 days
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def crypto_key_id(project: str, location: str, key_ring: str, key: str) -> str:
    """The id Cloud KMS gives a key: known before it exists, so a first preview can verify it."""
    return f"projects/{project}/locations/{location}/keyRings/{key_ring}/cryptoKeys/{key}"


@dataclass(frozen=True)
class ClusterKeys:
    key_ring: gcp.kms.KeyRing
    secrets: gcp.kms.CryptoKey
    disks: gcp.kms.CryptoKey
    audit: gcp.kms.CryptoKey
    # Grants that must exist before the consumer first uses the key (depends_on targets).
    secrets_grant: gcp.kms.CryptoKeyIAMMember
    disks_grant: gcp.kms.CryptoKeyIAMMember
    audit_grant: gcp.kms.CryptoKeyIAMMember
    # Plain ids (consumers also depend_on the grants, which depend on the keys).
    secrets_id: str
    disks_id: str
    audit_id: str


def _key(
    name: str, key_ring: gcp.kms.KeyRing, labels: dict[str, str], opts: pulumi.ResourceOptions,
    kept: pulumi.ResourceOptions,
) -> gcp.kms.CryptoKey:
    return gcp.kms.CryptoKey(
        f"{name}-key",
        name=name,
        key_ring=key_ring.id,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=ROTATION_PERIOD,
        version_template=gcp.kms.CryptoKeyVersionTemplateArgs(
            algorithm="GOOGLE_SYMMETRIC_ENCRYPTION", protection_level="SOFTWARE"
        ),
        labels=labels,
        # Destroying a key makes everything it encrypted unreadable: never by accident
        # (kept unless the cluster is decommissioned, zero_trust_clusters/components/lifecycle.py).
        opts=pulumi.ResourceOptions.merge(opts, kept),
    )


def _grant(
    name: str, key: gcp.kms.CryptoKey, member: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> gcp.kms.CryptoKeyIAMMember:
    return gcp.kms.CryptoKeyIAMMember(
        name, crypto_key_id=key.id, role=ENCRYPTER_DECRYPTER, member=member, opts=opts
    )


def build_keys(
    owner: HardenedCluster,
    name: str,
    project: str,
    region: str,
    agents: ServiceAgents,
    labels: dict[str, str],
    opts: pulumi.ResourceOptions,
    kept: pulumi.ResourceOptions | None = None,
) -> ClusterKeys:
    """`kept`: the stateful resources' options (zero_trust_clusters/components/lifecycle.py), protect +
    retainOnDelete unless the cluster is decommissioned."""
    kept = kept or pulumi.ResourceOptions(protect=True, retain_on_delete=True)
    key_ring = gcp.kms.KeyRing(
        f"{name}-keys",
        name=f"{name}-keys",
        project=project,
        location=region,
        # GCP never deletes a key ring: a destroy only drops it from the state.
        opts=pulumi.ResourceOptions.merge(opts, kept),
    )
    secrets = _key(f"{name}-secrets", key_ring, labels, opts, kept)
    disks = _key(f"{name}-disks", key_ring, labels, opts, kept)
    audit = _key(f"{name}-audit", key_ring, labels, opts, kept)
    keys = ClusterKeys(
        key_ring=key_ring,
        secrets=secrets,
        disks=disks,
        audit=audit,
        secrets_grant=_grant(f"{name}-secrets-gke-agent", secrets, agents.gke, opts),
        disks_grant=_grant(f"{name}-disks-compute-agent", disks, agents.compute, opts),
        audit_grant=_grant(f"{name}-audit-storage-agent", audit, agents.storage, opts),
        secrets_id=crypto_key_id(project, region, f"{name}-keys", f"{name}-secrets"),
        disks_id=crypto_key_id(project, region, f"{name}-keys", f"{name}-disks"),
        audit_id=crypto_key_id(project, region, f"{name}-keys", f"{name}-audit"),
    )
    owner.implements(secrets, "ZT-SECRETS-KMS")
    owner.implements(keys.secrets_grant, "ZT-SECRETS-KMS")
    owner.implements(disks, "ZT-DISK-CMK")
    owner.implements(keys.disks_grant, "ZT-DISK-CMK")
    owner.implements(audit, "ZT-AUDIT-IMMUTABLE")
    return keys
