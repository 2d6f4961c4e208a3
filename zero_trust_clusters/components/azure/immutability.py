"""Account-level (version-level) immutability: the storage account's declared policy state and the
one definition of an immutable storage account.

ARM only creates such a policy Disabled or Unlocked: "A policy can only be created in a Disabled
or Unlocked state and can be toggled between the two states. Only a policy in an Unlocked state
can transition to a Locked state which cannot be reverted" (the Storage RP's
AccountImmutabilityPolicyState, quoted in pulumi-azure-native 3.29
`storage.AccountImmutabilityPolicyPropertiesArgs.state`; version-level WORM:
https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies).
So the account is created Unlocked and `AccountImmutabilityLock` (immutability_lock.py), which
depends on it, locks it in the same `pulumi up`. The account keeps declaring the state the cloud
has (`account_policy_state`): azure-native sends every declared input on an update
(pulumi-azure-native provider/pkg/provider/crud PrepareAzureRESTBody), so an account that kept
declaring Unlocked after the lock (or an `ignore_changes` that replays the old Unlocked input)
would ask ARM to unlock it on the next change of any other property, which ARM refuses. The run
after the lock resends Locked on a Locked policy (a no-op the azure-cli only forbids for a state
other than Locked, Azure/azure-cli#19662; not confirmed against the live service). Used by
the AKS audit store and the change ledger's Azure store (`worm_account_args` + `lock_account`).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import storage

from zero_trust_clusters.components.azure.immutability_lock import (
    LOCKED,
    AccountImmutabilityLock,
    stack_arm_settings,
    state_is,
)


def account_policy_state(account_name: str, resource_group_name: pulumi.Input[str],
                         opts: pulumi.InvokeOptions) -> storage.AccountImmutabilityPolicyState:
    """Unlocked when the account does not exist yet (ARM's rule) or is not locked yet (the lock
    resource locks it in this run); Locked once it is."""
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
    if worm.immutability_policy and state_is(worm.immutability_policy.state, LOCKED):
        return storage.AccountImmutabilityPolicyState.LOCKED
    # Unlocked (the lock of an earlier run failed) or Disabled (toggled while Unlocked): declare
    # Unlocked, which ARM allows from both, and the lock resource locks it.
    return storage.AccountImmutabilityPolicyState.UNLOCKED


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
    version-level immutability in `state` (see `account_policy_state`; `lock_account` locks it).
    The one definition of an immutable storage account; the two stores differ only in the
    arguments."""
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


def lock_account(name: str, account: storage.StorageAccount, args: storage.StorageAccountArgs,
                 opts: pulumi.ResourceOptions, *, tenant_id: str | None = None
                 ) -> AccountImmutabilityLock:
    """Lock `account`'s policy in this `pulumi up`, with the period and append-write setting the
    account declares (`args`, from `worm_account_args`). `tenant_id`: the tenant the owner's
    explicit azure-native provider pins; the lock signs in to it too, unless the stack's
    `azure-native:tenantId` says otherwise (the lock cannot read the provider's arguments)."""
    settings = stack_arm_settings()
    if tenant_id and "tenantId" not in settings:
        settings["tenantId"] = tenant_id
    policy = args.immutable_storage_with_versioning.immutability_policy  # type: ignore[union-attr]
    return AccountImmutabilityLock(
        name, account.id,
        period_days=policy.immutability_period_since_creation_in_days,
        allow_protected_append_writes=bool(policy.allow_protected_append_writes),
        arm_settings=settings,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[account])))
