"""Audit to WORM: control-plane audit logs to a locked, immutable blob store and Log Analytics.

AKS writes each diagnostic category to a container named `insights-logs-<category>`. The
storage account carries an account-level time-based immutability policy (version-level
WORM, inherited by every container, including ones Azure Monitor creates), with protected
append writes so the append blobs Azure Monitor writes can grow but never change or
disappear. The three audit containers are created up front with version-level immutability
so the policy is visible on them from day one.

ARM only creates a policy Unlocked ("A policy can only be created in a Disabled or Unlocked
state ... Only a policy in an Unlocked state can transition to a Locked state which cannot be
reverted", AccountImmutabilityPolicyState in the Storage REST API). So the account is created
Unlocked and `AccountImmutabilityLock` locks it in the same `pulumi up` (immutability.py,
immutability_lock.py): irreversible, and the preview shows the lock as a new resource. Once
locked, the retention can only grow.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import monitor, operationalinsights, storage

from zero_trust_clusters.components import lifecycle
from zero_trust_clusters.components.azure import naming
from zero_trust_clusters.components.azure.catalog import AUDIT_LOG_CATEGORIES
from zero_trust_clusters.components.azure.context import AksContext
from zero_trust_clusters.components.azure.immutability import (
    account_policy_state,
    lock_account,
    worm_account_args,
)
from zero_trust_clusters.components.azure.immutability_lock import AccountImmutabilityLock

# Log Analytics interactive retention is capped at 730 days; the WORM copy keeps the rest.
_LA_MAX_RETENTION = 730


def immutability_state(ctx: AksContext, account_name: str) -> storage.AccountImmutabilityPolicyState:
    """The state the account has: Unlocked until the lock resource has locked it."""
    return account_policy_state(
        account_name, ctx.resource_group,
        pulumi.InvokeOptions(parent=ctx.component, provider=ctx.provider))


@dataclass(frozen=True)
class AksAuditStore:
    workspace: operationalinsights.Workspace
    account: storage.StorageAccount
    lock: AccountImmutabilityLock
    containers: list[storage.BlobContainer]


def build_audit_store(ctx: AksContext) -> AksAuditStore:
    c = ctx.component
    retention = ctx.posture.audit_retention_days
    workspace = operationalinsights.Workspace(
        f"{ctx.name}-logs",
        operationalinsights.WorkspaceArgs(
            resource_group_name=ctx.resource_group_name,
            workspace_name=f"log-{ctx.name}",
            location=ctx.location,
            sku=operationalinsights.WorkspaceSkuArgs(
                name=operationalinsights.WorkspaceSkuNameEnum.PER_GB2018
            ),
            retention_in_days=max(30, min(retention, _LA_MAX_RETENTION)),
            # Entra ID only: no shared workspace keys.
            features=operationalinsights.WorkspaceFeaturesArgs(
                disable_local_auth=True,
                enable_log_access_using_only_resource_permissions=True,
            ),
            tags=ctx.tags,
        ),
        opts=ctx.opts(**lifecycle.kept(ctx.cluster)),
    )
    account_name = naming.storage_account(ctx.subscription_id, ctx.name)
    account_args = worm_account_args(
        resource_group_name=ctx.resource_group_name,
        account_name=account_name,
        location=ctx.location,
        sku=storage.SkuName.STANDARD_GZRS,
        retention_days=retention,
        state=immutability_state(ctx, account_name),
        # Diagnostic settings append to blobs (append blobs) while they are retained.
        allow_protected_append_writes=True,
        tags=ctx.tags,
        network_rule_set=storage.NetworkRuleSetArgs(
            default_action=storage.DefaultAction.DENY,
            # Azure Monitor writes diagnostic logs as a trusted Microsoft service.
            bypass=storage.Bypass.AZURE_SERVICES,
        ),
    )
    account = storage.StorageAccount(
        f"{ctx.name}-audit",
        account_args,
        # A locked WORM store outlives the stack: kept (protect + retainOnDelete) unless the
        # cluster is decommissioned; even then Azure deletes it only once no blob is retained.
        opts=ctx.opts(**lifecycle.kept(ctx.cluster)),
    )
    c.implements(account, "ZT-AUDIT-IMMUTABLE")
    # A dynamic resource: parented to the component, not through the azure-native provider.
    lock = lock_account(f"{ctx.name}-audit-lock", account, account_args,
                        pulumi.ResourceOptions(parent=c), tenant_id=ctx.tenant_id)
    c.implements(lock, "ZT-AUDIT-IMMUTABLE")
    blob_service = storage.BlobServiceProperties(
        f"{ctx.name}-audit-blob",
        storage.BlobServicePropertiesArgs(
            resource_group_name=ctx.resource_group_name,
            account_name=account.name,
            blob_services_name="default",
            # Version-level immutability builds on blob versioning.
            is_versioning_enabled=True,
            container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(
                enabled=True, days=30
            ),
            delete_retention_policy=storage.DeleteRetentionPolicyArgs(enabled=True, days=30),
        ),
        opts=ctx.opts(),
    )
    containers = [
        storage.BlobContainer(
            f"{ctx.name}-{category}",
            storage.BlobContainerArgs(
                resource_group_name=ctx.resource_group_name,
                account_name=account.name,
                container_name=f"insights-logs-{category}",
                public_access=storage.PublicAccess.NONE,
                immutable_storage_with_versioning=storage.ImmutableStorageWithVersioningArgs(
                    enabled=True
                ),
            ),
            opts=ctx.opts(depends_on=[blob_service], **lifecycle.kept(ctx.cluster)),
        )
        for category in AUDIT_LOG_CATEGORIES
    ]
    for container in containers:
        c.implements(container, "ZT-AUDIT-IMMUTABLE")
    return AksAuditStore(workspace=workspace, account=account, lock=lock, containers=containers)


def build_diagnostic_setting(
    ctx: AksContext, cluster_id: pulumi.Input[str], store: AksAuditStore
) -> monitor.DiagnosticSetting:
    setting = monitor.DiagnosticSetting(
        f"{ctx.name}-audit-logs",
        monitor.DiagnosticSettingArgs(
            name="ztc-audit",
            resource_uri=cluster_id,
            storage_account_id=store.account.id,
            workspace_id=store.workspace.id,
            log_analytics_destination_type="Dedicated",
            logs=[
                monitor.DiagnosticsLogSettingsArgs(category=category, enabled=True)
                for category in AUDIT_LOG_CATEGORIES
            ],
        ),
        opts=ctx.opts(depends_on=store.containers),
    )
    ctx.component.implements(setting, "ZT-AUDIT-IMMUTABLE")
    return setting
