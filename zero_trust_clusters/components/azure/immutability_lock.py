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

The provider runs in the deploying process with azure-mgmt-storage and signs in as azure-native
does (`credential_and_endpoint`): the `azure-native:*` stack config read when the program runs,
else the `ARM_*` environment variables, else azure-identity's `DefaultAzureCredential`. That
identity must be allowed `Microsoft.Storage/storageAccounts/write` on the account. It sends the policy it is given (period, append writes) with the state Locked, so what is locked is
what the program declares even if someone changed the Unlocked policy in between, then reads the
account back and fails the deployment unless the policy is Locked with at least that period.

Delete does nothing: a locked policy cannot be removed or unlocked, and the account itself is
kept (protect + retainOnDelete, zero_trust_clusters/components/lifecycle.py). Replace only when
the account changes (another account needs its own lock).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.mgmt.storage import StorageManagementClient

# The dynamic resource's kind, read by the policy pack (ztc_policy/types.py
# AZURE_IMMUTABILITY_LOCK_KIND). Prefixed with the provider package: the offline engine answers
# a dynamic resource that calls a cloud through that cloud's fake (engine/mocks.py).
KIND = "azure-native:account-immutability-lock"
LOCKED = "Locked"
UNLOCKED = "Unlocked"

ClientFactory = Callable[[str, Mapping[str, Any]], "StorageManagementClient"]


class ImmutabilityLockError(RuntimeError):
    """The account's policy could not be locked as declared: the deployment stops here."""


# azure-native's sign-in settings: (stack config key, environment variable), config first, as
# pulumi-azure-native provider/pkg/provider/auth_azidentity.go `readAuthConfig` reads them
# (https://github.com/pulumi/pulumi-azure-native/blob/master/provider/pkg/provider/auth_azidentity.go;
# https://www.pulumi.com/registry/packages/azure-native/installation-configuration/).
ARM_SETTINGS: dict[str, str] = {
    "clientId": "ARM_CLIENT_ID",
    "tenantId": "ARM_TENANT_ID",
    "clientSecret": "ARM_CLIENT_SECRET",
    "clientCertificatePath": "ARM_CLIENT_CERTIFICATE_PATH",
    "clientCertificatePassword": "ARM_CLIENT_CERTIFICATE_PASSWORD",
    "useOidc": "ARM_USE_OIDC",
    "oidcToken": "ARM_OIDC_TOKEN",
    "oidcTokenFilePath": "ARM_OIDC_TOKEN_FILE_PATH",
    "useMsi": "ARM_USE_MSI",
    "useDefaultAzureCredential": "ARM_USE_DEFAULT_AZURE_CREDENTIAL",
    "environment": "ARM_ENVIRONMENT",
}
SECRET_SETTINGS = frozenset({"clientSecret", "clientCertificatePassword", "oidcToken"})


@dataclass(frozen=True)
class ArmEndpoint:
    """Where the management client talks to and whom it asks for tokens (one Azure cloud)."""
    base_url: str
    credential_scopes: tuple[str, ...]
    authority: str


def _endpoint(environment: str) -> ArmEndpoint:
    """The cloud an azure-native `environment` names (its accepted spellings: pulumi-azure-native
    provider/pkg/azure/cloud/cloud.go `FromName`). ARM endpoint and token scope from
    azure-mgmt-core's `get_arm_endpoints`, authority from azure-identity's AzureAuthorityHosts."""
    from azure.core import AzureClouds
    from azure.identity import AzureAuthorityHosts
    from azure.mgmt.core.tools import get_arm_endpoints

    clouds = {
        AzureClouds.AZURE_PUBLIC_CLOUD: ({"", "public", "azurecloud"},
                                         AzureAuthorityHosts.AZURE_PUBLIC_CLOUD),
        AzureClouds.AZURE_CHINA_CLOUD: ({"china", "azurechinacloud"},
                                        AzureAuthorityHosts.AZURE_CHINA),
        AzureClouds.AZURE_US_GOVERNMENT: ({"usgov", "usgovernment", "azureusgovernment",
                                           "azureusgovernmentcloud", "usgovernmentl4"},
                                          AzureAuthorityHosts.AZURE_GOVERNMENT),
    }
    for cloud, (names, authority) in clouds.items():
        if environment.casefold() in names:
            arm = get_arm_endpoints(cloud)
            return ArmEndpoint(arm["resource_manager"], tuple(arm["credential_scopes"]), authority)
    # azure-native would fall back to the public cloud here; a lock must not guess.
    raise ImmutabilityLockError(
        f"azure-native:environment / ARM_ENVIRONMENT {environment!r} is not public, usgovernment "
        "or china: set one of those")


def credential_and_endpoint(settings: Mapping[str, Any],
                            environ: Mapping[str, str]) -> tuple[TokenCredential, ArmEndpoint]:
    """The credential and ARM endpoint azure-native would use, in its order
    (auth_azidentity.go `newSingleMethodAuthCredential`): DefaultAzureCredential when asked for,
    a client certificate, a client secret, OIDC, managed identity; otherwise (where azure-native
    uses `az login`) DefaultAzureCredential, which includes the Azure CLI. `settings` are the
    stack's `azure-native:*` values (they win), `environ` the ARM_* variables."""
    from azure.identity import (
        CertificateCredential,
        ClientAssertionCredential,
        ClientSecretCredential,
        DefaultAzureCredential,
        ManagedIdentityCredential,
    )

    def get(key: str) -> str:
        return str(settings.get(key) or environ.get(ARM_SETTINGS[key]) or "")

    def flag(key: str) -> bool:
        return get(key).casefold() == "true"

    endpoint = _endpoint(get("environment") or environ.get("AZURE_ENVIRONMENT", ""))
    client_id, tenant_id = get("clientId"), get("tenantId")

    def service_principal(how: str) -> tuple[str, str]:
        for key, value in (("tenantId", tenant_id), ("clientId", client_id)):
            if not value:
                raise ImmutabilityLockError(
                    f"signing in with {how} needs azure-native:{key} or {ARM_SETTINGS[key]}: set it")
        return tenant_id, client_id

    kwargs: dict[str, Any] = {"authority": endpoint.authority}
    credential: TokenCredential
    if flag("useDefaultAzureCredential"):
        credential = DefaultAzureCredential(**kwargs)
    elif get("clientCertificatePath"):
        credential = CertificateCredential(
            *service_principal("a client certificate"), certificate_path=get("clientCertificatePath"),
            password=get("clientCertificatePassword") or None, **kwargs)
    elif get("clientSecret"):
        credential = ClientSecretCredential(*service_principal("a client secret"),
                                            get("clientSecret"), **kwargs)
    elif flag("useOidc"):
        token, token_file = get("oidcToken"), get("oidcTokenFilePath")
        if not (token or token_file):
            # azure-native can also fetch the token from GitHub's request URL; this lock cannot.
            raise ImmutabilityLockError(
                "OIDC sign-in needs azure-native:oidcToken / ARM_OIDC_TOKEN or "
                "azure-native:oidcTokenFilePath / ARM_OIDC_TOKEN_FILE_PATH: set one")

        def assertion() -> str:
            if token:
                return token
            with open(token_file, encoding="utf-8") as f:
                return f.read().strip()

        credential = ClientAssertionCredential(*service_principal("OIDC"), assertion, **kwargs)
    elif flag("useMsi"):
        # A user-assigned identity is named by its client id, as azure-native does.
        credential = ManagedIdentityCredential(client_id=client_id or None)
    else:
        credential = DefaultAzureCredential(**kwargs)
    return credential, endpoint


def stack_arm_settings() -> dict[str, pulumi.Input[str]]:
    """The stack's `azure-native:*` sign-in settings (secrets stay secret), read by the program
    and passed to the lock as inputs: the provider process sees no stack config."""
    config = pulumi.Config("azure-native")
    found: dict[str, pulumi.Input[str]] = {}
    for key in ARM_SETTINGS:
        if config.get(key):  # set and not empty; a secret is passed on as a secret Output
            found[key] = config.require_secret(key) if key in SECRET_SETTINGS else config.require(key)
    return found


def _default_client(subscription_id: str, settings: Mapping[str, Any]) -> StorageManagementClient:
    from azure.mgmt.storage import StorageManagementClient

    credential, endpoint = credential_and_endpoint(settings, os.environ)
    return StorageManagementClient(credential, subscription_id, base_url=endpoint.base_url,
                                   credential_scopes=list(endpoint.credential_scopes))


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


def state_is(state: Any, wanted: str) -> bool:
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
    if not state_is(policy.state, LOCKED):
        if not state_is(policy.state, UNLOCKED):  # Disabled -> Locked is refused by ARM
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
    if not state_is(state, LOCKED) or not isinstance(period, int) or period < period_days:
        raise ImmutabilityLockError(
            f"storage account {name} immutability policy reads back as state {state!r}, period "
            f"{period!r} days after the lock; expected Locked for at least {period_days} days")
    return {"state": state, "lockedPeriodDays": period}


class AccountImmutabilityLockProvider(ResourceProvider):
    """create/update: lock (idempotent) and verify; delete: nothing (a lock is permanent)."""

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        # Tests point the SDK at a local endpoint; a deployment signs in as azure-native does.
        self.client_factory = client_factory

    def _lock(self, props: dict[str, Any]) -> dict[str, Any]:
        account_id = str(props["accountId"])
        factory = self.client_factory or _default_client
        client = factory(_account_ref(account_id)[0], dict(props.get("armSettings") or {}))
        # The sign-in settings (a client secret among them) stay out of the outputs.
        outs = {k: v for k, v in props.items() if k != "armSettings"}
        return {**outs, **lock_account_policy(
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
                 provider: AccountImmutabilityLockProvider | None = None,
                 arm_settings: Mapping[str, pulumi.Input[str]] | None = None) -> None:
        super().__init__(provider or AccountImmutabilityLockProvider(), name, {
            "ztcKind": KIND,
            "accountId": account_id,
            "immutabilityPeriodSinceCreationInDays": period_days,
            "allowProtectedAppendWrites": allow_protected_append_writes,
            # azure-native's stack config, for the provider process (see `stack_arm_settings`).
            "armSettings": stack_arm_settings() if arm_settings is None else arm_settings,
        }, opts)
