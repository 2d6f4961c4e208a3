"""Customer-managed keys: a private, purge-protected Key Vault with two HSM keys.

- `kms` key: envelope-encrypts Kubernetes secrets in etcd (AKS KMS, private network access).
- `disk` key: a Disk Encryption Set for OS disks (platform + customer key, double encryption).

Both keys rotate every 90 days through a Key Vault rotation policy. The Disk Encryption Set
follows new versions on its own (`rotation_to_latest_key_version_enabled`). AKS's legacy KMS
(the GA 2025-09-01 API) pins a key *version*: after a rotation, `pulumi up --refresh` reads
the key's new version and updates the cluster, which re-wraps with it before the old
version expires (expiry: one year; Key Vault notifies 30 days before).

Bring your own keys (`AksKeysArgs`, or the stack's `azure.keys` block): the KMS key (with its
version), its vault and a disk encryption set are the security team's, and the component
creates none of them. It still grants the control-plane identity what AKS needs of them, as for
its own (https://learn.microsoft.com/azure/aks/use-kms-etcd-encryption, private key vault):
Key Vault Crypto User and Key Vault Contributor on the vault, and Reader on the disk encryption
set. The vault must use Azure RBAC, be in the cluster's tenant and have public access off (KMS
runs in Private mode here); the disk encryption set's own identity must already hold Key Vault
Crypto Service Encryption User on its key's vault (the set's owner grants it). The identity
running `pulumi up` creates those three role assignments, so it needs
`Microsoft.Authorization/roleAssignments/write` on the vault and on the disk encryption set
(e.g. User Access Administrator or Role Based Access Control Administrator there,
https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template,
Prerequisites); without it the first `up` fails on those grants. Rotation (and
moving the cluster to a new key version) is the owner's; the policy pack cannot see a key
outside the program and reports ZT-SECRETS-KMS "not verifiable" for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, compute, keyvault

from zero_trust_clusters.components import lifecycle
from zero_trust_clusters.components.azure import catalog, naming
from zero_trust_clusters.components.azure.cloud import KEY_VAULT_KEY_ID, key_problems
from zero_trust_clusters.components.azure.context import AksContext
from zero_trust_clusters.components.azure.identity import AksIdentities, grant
from zero_trust_clusters.components.cluster import ExistingKeys, checked_together

ROTATE_AFTER = "P90D"
EXPIRE_AFTER = "P1Y"
NOTIFY_BEFORE_EXPIRY = "P30D"


@dataclass(frozen=True)
class AksKeysArgs(ExistingKeys):
    """An existing Key Vault key and disk encryption set for an AksCluster (see this module's
    docstring for what the component grants and what the owner must have set). Each id may be a
    `pulumi.Input` (another stack's output); checked when known: the formats below, and the key
    in the vault named by `key_vault_id`."""

    kms_key_id: pulumi.Input[str]
    """The etcd KMS key's identifier with its version
    (https://<vault>.vault.azure.net/keys/<key>/<32-character version>)."""
    key_vault_id: pulumi.Input[str]
    """The ARM id of the key vault holding it (/subscriptions/.../providers/Microsoft.KeyVault/
    vaults/<vault>); RBAC authorization, public access disabled."""
    disk_encryption_set_id: pulumi.Input[str]
    """The ARM id of the disk encryption set the node OS and data disks use
    (/subscriptions/.../providers/Microsoft.Compute/diskEncryptionSets/<set>)."""


@dataclass(frozen=True)
class AksKeys:
    """What the cluster uses: created (every field) or brought (no resources, the brought ids)."""

    kms_key_id: pulumi.Input[str]  # the versioned key identifier AKS KMS takes
    key_resource_id: pulumi.Input[str]  # the key's ARM id (the `secrets` output)
    key_vault_id: pulumi.Input[str]
    disk_encryption_set_id: pulumi.Input[str]
    grants: list[authorization.RoleAssignment]
    vault: keyvault.Vault | None = None
    kms_key: keyvault.Key | None = None
    disk_key: keyvault.Key | None = None
    disk_encryption_set: compute.DiskEncryptionSet | None = None


def rotation_policy() -> keyvault.RotationPolicyArgs:
    return keyvault.RotationPolicyArgs(
        attributes=keyvault.KeyRotationPolicyAttributesArgs(expiry_time=EXPIRE_AFTER),
        lifetime_actions=[
            keyvault.LifetimeActionArgs(
                action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.ROTATE),
                trigger=keyvault.TriggerArgs(time_after_create=ROTATE_AFTER),
            ),
            keyvault.LifetimeActionArgs(
                action=keyvault.ActionArgs(type=keyvault.KeyRotationPolicyActionType.NOTIFY),
                trigger=keyvault.TriggerArgs(time_before_expiry=NOTIFY_BEFORE_EXPIRY),
            ),
        ],
    )


def _key(ctx: AksContext, vault: keyvault.Vault, purpose: str) -> keyvault.Key:
    return keyvault.Key(
        f"{ctx.name}-{purpose}-key",
        keyvault.KeyArgs(
            resource_group_name=ctx.resource_group_name,
            vault_name=vault.name,
            key_name=f"{ctx.name}-{purpose}",
            properties=keyvault.KeyPropertiesArgs(
                kty=keyvault.JsonWebKeyType.RS_A_HSM,
                key_size=3072,
                key_ops=[
                    keyvault.JsonWebKeyOperation.WRAP_KEY,
                    keyvault.JsonWebKeyOperation.UNWRAP_KEY,
                    keyvault.JsonWebKeyOperation.ENCRYPT,
                    keyvault.JsonWebKeyOperation.DECRYPT,
                ],
                attributes=keyvault.KeyAttributesArgs(enabled=True, exportable=False),
                rotation_policy=rotation_policy(),
            ),
            tags=ctx.tags,
        ),
        opts=ctx.opts(**lifecycle.kept(ctx.cluster)),
    )


def build_keys(ctx: AksContext, identities: AksIdentities) -> AksKeys:
    c = ctx.component
    vault = keyvault.Vault(
        f"{ctx.name}-kv",
        keyvault.VaultArgs(
            resource_group_name=ctx.resource_group_name,
            vault_name=naming.key_vault(ctx.subscription_id, ctx.name),
            location=ctx.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=ctx.tenant_id,
                # Premium: keys live in HSMs.
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.PREMIUM),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=90,
                # Cannot be turned off once on, decommissioned or not: a deleted vault and its
                # keys stay recoverable (and their names taken) for the soft-delete period
                # (https://learn.microsoft.com/en-us/azure/key-vault/general/soft-delete-overview).
                enable_purge_protection=True,
                enabled_for_disk_encryption=True,
                # KMS "Private" mode: AKS reaches the vault over a private link only.
                public_network_access="Disabled",
                network_acls=keyvault.NetworkRuleSetArgs(
                    default_action=keyvault.NetworkRuleAction.DENY,
                    # Disk Encryption Sets are a trusted service; nothing else gets through.
                    bypass=keyvault.NetworkRuleBypassOptions.AZURE_SERVICES,
                ),
            ),
            tags=ctx.tags,
        ),
        opts=ctx.opts(**lifecycle.kept(ctx.cluster)),
    )
    kms_key = _key(ctx, vault, "kms")
    disk_key = _key(ctx, vault, "disk")
    c.implements(vault, "ZT-SECRETS-KMS", "ZT-DISK-CMK")
    c.implements(kms_key, "ZT-SECRETS-KMS")
    c.implements(disk_key, "ZT-DISK-CMK")

    des = compute.DiskEncryptionSet(
        f"{ctx.name}-des",
        compute.DiskEncryptionSetArgs(
            resource_group_name=ctx.resource_group_name,
            disk_encryption_set_name=f"des-{ctx.name}",
            location=ctx.location,
            identity=compute.EncryptionSetIdentityArgs(
                type=compute.DiskEncryptionSetIdentityType.SYSTEM_ASSIGNED
            ),
            encryption_type=(
                compute.DiskEncryptionSetType.ENCRYPTION_AT_REST_WITH_PLATFORM_AND_CUSTOMER_KEYS
            ),
            active_key=compute.KeyForDiskEncryptionSetArgs(
                # Versionless URL: the set follows each rotation by itself.
                key_url=disk_key.key_uri,
                source_vault=compute.SourceVaultArgs(id=vault.id),
            ),
            rotation_to_latest_key_version_enabled=True,
            tags=ctx.tags,
        ),
        opts=ctx.opts(),
    )
    c.implements(des, "ZT-DISK-CMK")

    sp = authorization.PrincipalType.SERVICE_PRINCIPAL
    grants = [
        grant(ctx, "cp-kms-crypto-user", principal_id=identities.control_plane.principal_id,
              role=catalog.KEY_VAULT_CRYPTO_USER, scope=vault.id, principal_type=sp,
              description="AKS KMS plugin wraps/unwraps etcd data keys"),
        grant(ctx, "cp-kms-vault-contributor", principal_id=identities.control_plane.principal_id,
              role=catalog.KEY_VAULT_CONTRIBUTOR, scope=vault.id, principal_type=sp,
              description="AKS KMS with a private vault sets up its private link"),
        # RBAC vaults: the set's own identity gets "Key Vault Crypto Service Encryption User"
        # on the vault (learn.microsoft.com/azure/aks/azure-disk-customer-managed-keys
        # #grant-the-diskencryptionset-access-to-key-vault).
        grant(ctx, "des-crypto-service-user", principal_id=des.identity.apply(
                  lambda i: i.principal_id if i else ""),
              role=catalog.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER, scope=vault.id,
              principal_type=sp, description="Disk Encryption Set reads the disk key"),
        # The cluster identity reads the set it encrypts OS and data disks with (same page).
        grant(ctx, "cp-des-reader", principal_id=identities.control_plane.principal_id,
              role=catalog.READER, scope=des.id, principal_type=sp,
              description="AKS reads the Disk Encryption Set of its node and data disks"),
    ]
    c.implements(grants[0], "ZT-SECRETS-KMS")
    c.implements(grants[1], "ZT-SECRETS-KMS")
    c.implements(grants[2], "ZT-DISK-CMK")
    c.implements(grants[3], "ZT-DISK-CMK")
    return AksKeys(kms_key_id=kms_key.key_uri_with_version, key_resource_id=kms_key.id,
                   key_vault_id=vault.id, disk_encryption_set_id=des.id, grants=grants,
                   vault=vault, kms_key=kms_key, disk_key=disk_key, disk_encryption_set=des)


def _checked(keys: AksKeysArgs, where: str) -> list[pulumi.Output[str]]:
    """The three ids, each resolving only once all of them have been checked (apply)."""

    checked = checked_together(
        {"kmsKeyId": keys.kms_key_id, "keyVaultId": keys.key_vault_id,
         "diskEncryptionSetId": keys.disk_encryption_set_id},
        lambda v: key_problems(v, where))
    return [checked["kmsKeyId"], checked["keyVaultId"], checked["diskEncryptionSetId"]]


def _key_resource_id(vault_id: str, key_id: str) -> str:
    """The key's ARM id (as `keyvault.Key.id` reads) from its vault's id and identifier."""
    found = KEY_VAULT_KEY_ID.fullmatch(key_id)
    assert found is not None  # checked before
    return f"{vault_id}/keys/{found['name']}"


def bring_keys(ctx: AksContext, identities: AksIdentities, keys: AksKeysArgs,
               where: str) -> AksKeys:
    """Use an existing key and disk encryption set: no key, vault or set of our own, only the
    control-plane identity's role assignments on them (see the module docstring)."""
    c = ctx.component
    kms_key_id, vault_id, des_id = _checked(keys, where)
    sp = authorization.PrincipalType.SERVICE_PRINCIPAL
    principal = identities.control_plane.principal_id
    grants = [
        grant(ctx, "cp-kms-crypto-user", principal_id=principal,
              role=catalog.KEY_VAULT_CRYPTO_USER, scope=vault_id, principal_type=sp,
              description="AKS KMS plugin wraps/unwraps etcd data keys (brought key)"),
        grant(ctx, "cp-kms-vault-contributor", principal_id=principal,
              role=catalog.KEY_VAULT_CONTRIBUTOR, scope=vault_id, principal_type=sp,
              description="AKS KMS with a private vault sets up its private link (brought key)"),
        grant(ctx, "cp-des-reader", principal_id=principal, role=catalog.READER, scope=des_id,
              principal_type=sp,
              description="AKS reads the brought Disk Encryption Set of its node and data disks"),
    ]
    c.implements(grants[0], "ZT-SECRETS-KMS")
    c.implements(grants[1], "ZT-SECRETS-KMS")
    c.implements(grants[2], "ZT-DISK-CMK")
    key_resource_id = pulumi.Output.all(vault_id, kms_key_id).apply(
        lambda v: _key_resource_id(v[0], v[1]))
    return AksKeys(kms_key_id=kms_key_id, key_resource_id=key_resource_id, key_vault_id=vault_id,
                   disk_encryption_set_id=des_id, grants=grants)
