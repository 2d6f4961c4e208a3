"""`LedgerContainer`: the blob container the Azure Blob store writes to, WORM by construction.

- A StorageV2 account with account-level version-level immutability (which turns on blob
  versioning) and a default time-based policy of `retention_days`, inherited by every blob
  version: no version can be deleted or overwritten before it has aged out
  (https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies).
  The policy is created Unlocked and locked in the same `pulumi up` by an
  `AccountImmutabilityLock` (zero_trust_clusters/components/azure/immutability.py says why); the
  policy pack accepts the store as WORM only when it is Locked, or locked by that resource, with
  at least the posture's retention.
- No protected append writes: ledger entries are block blobs written once.
- Entra ID only (no shared keys, no public blobs), TLS 1.2, infrastructure encryption.
  Writers need "Storage Blob Data Contributor" on the container (`containerId` output),
  readers "Storage Blob Data Reader"; the immutability policy, not the role, forbids deletes.
- The account and container are protected and retained on delete: locked versions outlive
  the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import resources, storage

from zero_trust_clusters.components.azure.immutability import (
    account_policy_state,
    lock_account,
    worm_account_args,
)

TYPE = "ztc:ledger:LedgerContainer"


@dataclass
class LedgerContainerArgs:
    storage_account: str
    container: str
    location: str
    retention_days: int = 2555
    # An existing resource group; else one named `rg-<storage_account>` is created.
    resource_group: str | None = None
    # Blob name prefix the store writes under.
    prefix: str = "ledger/"
    tags: dict[str, str] = field(default_factory=dict)
    # The tenant the store's azure-native provider pins; the immutability lock signs in to it.
    tenant_id: str | None = None

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ValueError(f"ledger retention_days is {self.retention_days}; set it to at "
                             "least 1 day (a time-based policy needs a positive period)")


class LedgerContainer(pulumi.ComponentResource):
    def __init__(self, name: str, args: LedgerContainerArgs,
                 opts: pulumi.ResourceOptions | None = None):
        # `retentionDays` is the posture's: the pack checks the policy covers it (ledger_worm).
        super().__init__(TYPE, name, {"retentionDays": args.retention_days, "cloud": "azure"},
                         opts)
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        group_name: pulumi.Input[str]
        if args.resource_group:
            group_name = args.resource_group
        else:
            group = resources.ResourceGroup(
                f"{name}-rg",
                resources.ResourceGroupArgs(resource_group_name=f"rg-{args.storage_account}",
                                            location=args.location, tags=args.tags),
                opts=child,
            )
            group_name = group.name
        state = account_policy_state(
            args.storage_account, args.resource_group or f"rg-{args.storage_account}",
            pulumi.InvokeOptions(parent=self))
        account_args = worm_account_args(
            resource_group_name=group_name,
            account_name=args.storage_account,
            location=args.location,
            sku=storage.SkuName.STANDARD_ZRS,
            retention_days=args.retention_days,
            state=state,
            # Ledger entries are whole blobs written once: no appends either.
            allow_protected_append_writes=False,
            tags=args.tags,
        )
        account = storage.StorageAccount(f"{name}-account", account_args, opts=kept)
        lock = lock_account(f"{name}-lock", account, account_args, child,
                            tenant_id=args.tenant_id)
        blob_service = storage.BlobServiceProperties(
            f"{name}-blob-service",
            storage.BlobServicePropertiesArgs(
                resource_group_name=group_name,
                account_name=account.name,
                blob_services_name="default",
                # Version-level immutability builds on versioning (the account turns it on).
                is_versioning_enabled=True,
                container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(
                    enabled=True, days=30),
            ),
            opts=child,
        )
        container = storage.BlobContainer(
            f"{name}-container",
            storage.BlobContainerArgs(
                resource_group_name=group_name,
                account_name=account.name,
                container_name=args.container,
                public_access=storage.PublicAccess.NONE,
                immutable_storage_with_versioning=storage.ImmutableStorageWithVersioningArgs(
                    enabled=True),
            ),
            opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(
                depends_on=[blob_service])),
        )
        # Public cloud endpoint; `ztc ledger --azure-container` takes this URL.
        self.location = (f"https://{args.storage_account}.blob.core.windows.net/"
                         f"{args.container}/{args.prefix}")
        self.retention_days = args.retention_days
        self.children = {"account": account, "lock": lock, "blob_service": blob_service,
                         "container": container}
        self.register_outputs({
            "cloud": "azure",
            "storageAccount": args.storage_account,
            "container": args.container,
            "containerId": container.id,
            "retentionDays": args.retention_days,
            "prefix": args.prefix,
            "location": self.location,
            "controls": ["ZT-CHANGE-LEDGER"],
        })
