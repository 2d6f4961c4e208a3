"""`AccountImmutabilityLock`: locks a storage account's account-level (version-level) immutability
policy in the same `pulumi up` that creates the account.

ARM creates such a policy Disabled or Unlocked only, and only an Unlocked policy can go to Locked,
which cannot be reverted (AccountImmutabilityPolicyState:
https://learn.microsoft.com/rest/api/storagerp/storage-accounts/create#accountimmutabilitypolicystate;
https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies).
The lock is a PATCH of the storage account (Storage Accounts - Update,
https://learn.microsoft.com/rest/api/storagerp/storage-accounts/update) whose
`immutableStorageWithVersioning.immutabilityPolicy.state` is `Locked`: Microsoft's own example
`StorageAccountUpdateWithImmutabilityPolicy.json` in
https://github.com/Azure/azure-rest-api-specs/tree/main/specification/storage/resource-manager/Microsoft.Storage
and `az storage account update --immutability-state Locked`, whose live scenario test
(Azure/azure-cli, storage `test_storage_account_scenarios.py`) creates a policy Unlocked, locks it
with that PATCH, and sees unlocking, shortening or toggling append writes refused afterwards. The
CLI's PATCH leaves `enabled` unset (it can only be set at creation); so does this one.

The provider runs in the deploying process with azure-mgmt-storage and azure-identity's
`DefaultAzureCredential` (environment, workload identity, managed identity, or an `az login`):
the same identity must be allowed `Microsoft.Storage/storageAccounts/write` on the account. It
sends the policy it is given (period, append writes) with the state Locked, so what is locked is
what the program declares even if someone changed the Unlocked policy in between, then reads the
account back and fails the deployment unless the policy is Locked with at least that period.

Delete does nothing: a locked policy cannot be removed or unlocked, and the account itself is
kept (protect + retainOnDelete, zero_trust_clusters/components/lifecycle.py). Replace only when
the account changes (another account needs its own lock).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

if TYPE_CHECKING:
    from azure.mgmt.storage import StorageManagementClient

# The dynamic resource's kind, read by the policy pack (ztc_policy/types.py
# AZURE_IMMUTABILITY_LOCK_KIND). Prefixed with the provider package: the offline engine answers
# a dynamic resource that calls a cloud through that cloud's fake (engine/mocks.py).
KIND = "azure-native:account-immutability-lock"
LOCKED = "Locked"
UNLOCKED = "Unlocked"

ClientFactory = Callable[[str], "StorageManagementClient"]


class ImmutabilityLockError(RuntimeError):
    """The account's policy could not be locked as declared: the deployment stops here."""


def _default_client(subscription_id: str) -> StorageManagementClient:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.storage import StorageManagementClient

    return StorageManagementClient(DefaultAzureCredential(), subscription_id)


def _account_ref(account_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, account name) of a storage account's ARM id."""
    from azure.mgmt.core.tools import parse_resource_id

    parts = parse_resource_id(account_id)
    sub, group, name = (parts.get("subscription"), parts.get("resource_group"), parts.get("name"))
    if not (sub and group and name) or str(parts.get("type", "")).casefold() != "storageaccounts":
        raise ImmutabilityLockError(f"{account_id!r} is not a storage account's ARM id")
    return str(sub), str(group), str(name)


def _policy(account: Any) -> Any:
    worm = account.immutable_storage_with_versioning
    return worm.immutability_policy if worm is not None else None


def _value(state: Any) -> Any:
    return getattr(state, "value", state)  # the SDK hands back an enum member


def _is(state: Any, wanted: str) -> bool:
    """ARM's enum values compare case-insensitively."""
    value = _value(state)
    return isinstance(value, str) and value.casefold() == wanted.casefold()


def lock_account_policy(client: StorageManagementClient, account_id: str, period_days: int,
                        allow_protected_append_writes: bool) -> dict[str, Any]:
    """Lock the account's policy (a no-op if it is Locked already) and return what ARM reads back;
    raise unless it is Locked for at least `period_days`."""
    from azure.mgmt.storage.models import (
        AccountImmutabilityPolicyProperties,
        ImmutableStorageAccount,
        StorageAccountUpdateParameters,
    )

    _, group, name = _account_ref(account_id)
    policy = _policy(client.storage_accounts.get_properties(group, name))
    if policy is None:
        raise ImmutabilityLockError(
            f"storage account {name} has no account-level immutability policy to lock "
            "(immutableStorageWithVersioning is set only at creation)")
    if not _is(policy.state, LOCKED):
        if not _is(policy.state, UNLOCKED):  # Disabled -> Locked is refused by ARM
            raise ImmutabilityLockError(
                f"storage account {name} immutability policy is {_value(policy.state)}, not Unlocked: "
                "only an Unlocked policy can be locked")
        client.storage_accounts.update(group, name, StorageAccountUpdateParameters(
            immutable_storage_with_versioning=ImmutableStorageAccount(
                immutability_policy=AccountImmutabilityPolicyProperties(
                    immutability_period_since_creation_in_days=period_days,
                    state=LOCKED,
                    allow_protected_append_writes=allow_protected_append_writes))))
    found = _policy(client.storage_accounts.get_properties(group, name))
    state = _value(found.state) if found is not None else None
    period = found.immutability_period_since_creation_in_days if found is not None else None
    if not _is(state, LOCKED) or not isinstance(period, int) or period < period_days:
        raise ImmutabilityLockError(
            f"storage account {name} immutability policy reads back as state {state!r}, period "
            f"{period!r} days after the lock; expected Locked for at least {period_days} days")
    return {"state": state, "lockedPeriodDays": period}


class AccountImmutabilityLockProvider(ResourceProvider):
    """create/update: lock (idempotent) and verify; delete: nothing (a lock is permanent)."""

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        # Tests point the SDK at a local endpoint; a deployment uses ARM and DefaultAzureCredential.
        self.client_factory = client_factory

    def _lock(self, props: dict[str, Any]) -> dict[str, Any]:
        account_id = str(props["accountId"])
        factory = self.client_factory or _default_client
        client = factory(_account_ref(account_id)[0])
        return {**props, **lock_account_policy(
            client, account_id, int(props["immutabilityPeriodSinceCreationInDays"]),
            bool(props["allowProtectedAppendWrites"]))}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=f"{props['accountId']}/immutabilityLock", outs=self._lock(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in ("accountId",) if olds.get(k) != news.get(k)]
        changed = [k for k in ("immutabilityPeriodSinceCreationInDays",
                               "allowProtectedAppendWrites") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(replaces or changed), replaces=replaces,
                          stables=["ztcKind"], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # The account (updated first: this depends on it) carries the period; re-verify the lock.
        return UpdateResult(outs=self._lock(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Nothing to undo: a Locked policy cannot be unlocked or removed."""


class AccountImmutabilityLock(Resource):
    """Locks `account`'s account-level immutability policy; its inputs name the account by its
    ARM id (`accountId`, a reference to the account's output) for the policy pack."""

    def __init__(self, name: str, account_id: pulumi.Input[str], period_days: int,
                 allow_protected_append_writes: bool,
                 opts: pulumi.ResourceOptions | None = None,
                 provider: AccountImmutabilityLockProvider | None = None) -> None:
        super().__init__(provider or AccountImmutabilityLockProvider(), name, {
            "ztcKind": KIND,
            "accountId": account_id,
            "immutabilityPeriodSinceCreationInDays": period_days,
            "allowProtectedAppendWrites": allow_protected_append_writes,
        }, opts)
