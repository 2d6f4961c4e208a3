"""The state to ask for an account-level (version-level) immutability policy: Unlocked on the
run that creates the storage account, Locked on every later run.

ARM only creates such a policy Disabled or Unlocked: "A policy can only be created in a Disabled
or Unlocked state and can be toggled between the two states. Only a policy in an Unlocked state
can transition to a Locked state which cannot be reverted" (the Storage RP's
AccountImmutabilityPolicyState, quoted in pulumi-azure-native 3.29
`storage.AccountImmutabilityPolicyPropertiesArgs.state`; version-level WORM:
https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies).
So the first `pulumi up` creates it Unlocked (already WORM for every blob version: no delete or
overwrite within the retention, but an owner could still shorten or disable the policy), and
every later run, which finds the account, asks for Locked: that irreversible Unlocked -> Locked
change shows in the preview. Used by the AKS audit store and the change ledger's Azure store, whose storage accounts both come
from `worm_account_args`.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import storage


def account_policy_state(account_name: str, resource_group_name: pulumi.Input[str],
                         opts: pulumi.InvokeOptions) -> storage.AccountImmutabilityPolicyState:
    """Unlocked when the account does not exist yet (ARM's rule), Locked from then on."""
    try:
        existing = storage.get_storage_account(
            account_name=account_name, resource_group_name=resource_group_name, opts=opts)
    except Exception as exc:
        if "NotFound" not in str(exc):  # ResourceNotFound / ResourceGroupNotFound
            raise
        return storage.AccountImmutabilityPolicyState.UNLOCKED
    worm = existing.immutable_storage_with_versioning
    if worm is None or not worm.enabled:
        # Account-level immutability can only be switched on at creation time.
        raise RuntimeError(
            f"storage account {account_name} exists without version-level immutability; "
            "it cannot be enabled afterwards: delete it or choose another name"
        )
    return storage.AccountImmutabilityPolicyState.LOCKED


def worm_account_args(
    *,
    resource_group_name: pulumi.Input[str],
    account_name: str,
    location: pulumi.Input[str],
    sku: storage.SkuName,
    retention_days: int,
    state: storage.AccountImmutabilityPolicyState,
    allow_protected_append_writes: bool,
    tags: pulumi.Input[dict[str, str]] | None = None,
    network_rule_set: storage.NetworkRuleSetArgs | None = None,
) -> storage.StorageAccountArgs:
    """A storage account whose every blob version is WORM for `retention_days`: Entra ID only
    (no shared keys, no public blobs), TLS 1.2, double encryption at rest, and account-level
    version-level immutability in `state` (see `account_policy_state`). The one definition of an
    immutable storage account; the two stores differ only in the arguments."""
    return storage.StorageAccountArgs(
        resource_group_name=resource_group_name,
        account_name=account_name,
        location=location,
        kind=storage.Kind.STORAGE_V2,
        sku=storage.SkuArgs(name=sku),
        allow_blob_public_access=False,
        allow_shared_key_access=False,
        default_to_o_auth_authentication=True,
        allow_cross_tenant_replication=False,
        enable_https_traffic_only=True,
        minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
        network_rule_set=network_rule_set,
        encryption=storage.EncryptionArgs(
            key_source=storage.KeySource.MICROSOFT_STORAGE,
            require_infrastructure_encryption=True,
        ),
        immutable_storage_with_versioning=storage.ImmutableStorageAccountArgs(
            enabled=True,
            immutability_policy=storage.AccountImmutabilityPolicyPropertiesArgs(
                immutability_period_since_creation_in_days=retention_days,
                state=state,
                allow_protected_append_writes=allow_protected_append_writes,
            ),
        ),
        tags=tags,
    )
