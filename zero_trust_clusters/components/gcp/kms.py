"""Customer-managed keys of one cluster: Kubernetes Secrets, node boot disks, audit bucket.

One key ring per cluster in the cluster's region (GKE and Cloud Storage require the key in the
same location as what it encrypts). Each key has one purpose and one consumer, and the consumer
(a Google service agent) gets Encrypter/Decrypter on that key only. Symmetric keys rotate every
90 days; old versions stay enabled so existing data remains readable.

Bring your own keys (`GkeKeysArgs`, or the stack's `gcp.keys` block): the three keys are the
security team's and the component creates no key ring or key; it still binds each consumer to
its key as for its own (roles/cloudkms.cryptoKeyEncrypterDecrypter on that key only): the GKE
service agent on the Secrets key ("give the GKE service account access to the key",
https://cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets), the Compute Engine
service agent on the boot-disk key (https://cloud.google.com/kubernetes-engine/docs/how-to/
using-cmek), the Cloud Storage service agent on the audit key
(https://cloud.google.com/storage/docs/encryption/using-customer-managed-keys). The deployer
needs setIamPolicy on those keys (e.g. roles/cloudkms.admin on them). Rotation is the owner's;
the policy pack cannot see a key outside the program and reports ZT-SECRETS-KMS "not
verifiable" for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components.cluster import ExistingKeys, HardenedCluster, checked_together
from zero_trust_clusters.components.gcp.cloud import KEY_FIELDS, key_problems
from zero_trust_clusters.components.gcp.service_agents import ServiceAgents

ROTATION_PERIOD = "7776000s"  # 90 days
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def crypto_key_id(project: str, location: str, key_ring: str, key: str) -> str:
    """The id Cloud KMS gives a key: known before it exists, so a first preview can verify it."""
    return f"projects/{project}/locations/{location}/keyRings/{key_ring}/cryptoKeys/{key}"


@dataclass(frozen=True)
class GkeKeysArgs(ExistingKeys):
    """Existing Cloud KMS keys for a GkeCluster (see this module's docstring for the bindings
    the component adds on them). Each may be a `pulumi.Input` (another stack's output); checked
    when known: a key resource name in the cluster's region."""

    secrets_key: pulumi.Input[str]
    """Application-layer Secrets encryption (`databaseEncryption.keyName`):
    projects/<p>/locations/<region>/keyRings/<r>/cryptoKeys/<k>."""
    disks_key: pulumi.Input[str]
    """Every node pool's boot disks (`nodeConfig.bootDiskKmsKey`), same form."""
    audit_key: pulumi.Input[str]
    """The audit bucket's default key, same form."""


@dataclass(frozen=True)
class ClusterKeys:
    # Grants that must exist before the consumer first uses the key (depends_on targets).
    secrets_grant: gcp.kms.CryptoKeyIAMMember
    disks_grant: gcp.kms.CryptoKeyIAMMember
    audit_grant: gcp.kms.CryptoKeyIAMMember
    # The keys' resource names: plain strings for the cluster's own keys (consumers also
    # depend_on the grants, which depend on the keys), the brought values otherwise.
    secrets_id: pulumi.Input[str]
    disks_id: pulumi.Input[str]
    audit_id: pulumi.Input[str]
    # The cluster's own key ring and keys; None when the keys are brought.
    key_ring: gcp.kms.KeyRing | None = None
    secrets: gcp.kms.CryptoKey | None = None
    disks: gcp.kms.CryptoKey | None = None
    audit: gcp.kms.CryptoKey | None = None


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
    name: str, key_id: pulumi.Input[str], member: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> gcp.kms.CryptoKeyIAMMember:
    return gcp.kms.CryptoKeyIAMMember(
        name, crypto_key_id=key_id, role=ENCRYPTER_DECRYPTER, member=member, opts=opts
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
        secrets_grant=_grant(f"{name}-secrets-gke-agent", secrets.id, agents.gke, opts),
        disks_grant=_grant(f"{name}-disks-compute-agent", disks.id, agents.compute, opts),
        audit_grant=_grant(f"{name}-audit-storage-agent", audit.id, agents.storage, opts),
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


def bring_keys(
    owner: HardenedCluster,
    name: str,
    region: str,
    agents: ServiceAgents,
    keys: GkeKeysArgs,
    where: str,
    opts: pulumi.ResourceOptions,
) -> ClusterKeys:
    """Use existing keys: no key ring or key of our own, only each consumer's binding on its
    brought key (the same three bindings as `build_keys`). Each key resolves once all three
    have been checked (errors name `where`.<field>)."""

    checked = checked_together(
        dict(zip(KEY_FIELDS, (keys.secrets_key, keys.disks_key, keys.audit_key), strict=True)),
        lambda v: key_problems(v, region, where))
    secrets_id, disks_id, audit_id = (checked[field] for field in KEY_FIELDS)
    brought = ClusterKeys(
        secrets_grant=_grant(f"{name}-secrets-gke-agent", secrets_id, agents.gke, opts),
        disks_grant=_grant(f"{name}-disks-compute-agent", disks_id, agents.compute, opts),
        audit_grant=_grant(f"{name}-audit-storage-agent", audit_id, agents.storage, opts),
        secrets_id=secrets_id,
        disks_id=disks_id,
        audit_id=audit_id,
    )
    owner.implements(brought.secrets_grant, "ZT-SECRETS-KMS")
    owner.implements(brought.disks_grant, "ZT-DISK-CMK")
    return brought
