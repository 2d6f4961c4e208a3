"""The change ledger's store for the cloud `posture.ledger` names: one table, one function.

`STORE_BUILDERS` maps a cloud to the function that provisions its WORM store (each imports only
its own provider SDK, so an Azure-only or GCP-only estate never loads pulumi-aws). The estate
calls `ledger_store`; adding a cloud is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from zero_trust_clusters.components.spec import LedgerSettings

CONTROL_TAG = {"ztc:control": "ZT-CHANGE-LEDGER"}


def _aws(name: str, settings: LedgerSettings, parent: pulumi.Resource) -> pulumi.ComponentResource:
    from zero_trust_clusters.components.aws.provider import regional_provider
    from zero_trust_clusters.components.ledger.bucket import LedgerBucket, LedgerBucketArgs

    provider = regional_provider(
        parent, f"{name}-ledger", region=str(settings.region),
        role_arn=settings.account_role_arn,
        tags=CONTROL_TAG,  # default tags of every child
    )
    return LedgerBucket(
        f"{name}-ledger",
        LedgerBucketArgs(bucket_name=str(settings.bucket_name),
                         retention_days=settings.retention_days),
        pulumi.ResourceOptions(parent=parent, providers=[provider]),
    )


def _azure(name: str, settings: LedgerSettings,
           parent: pulumi.Resource) -> pulumi.ComponentResource:
    import pulumi_azure_native as azure_native

    from zero_trust_clusters.components.ledger.azure_container import (
        LedgerContainer,
        LedgerContainerArgs,
    )

    # Subscription, tenant and location pinned: no ambient `az` default is ever used.
    provider = azure_native.Provider(
        f"{name}-ledger-azure",
        azure_native.ProviderArgs(subscription_id=settings.subscription_id,
                                  tenant_id=settings.tenant_id, location=settings.location),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return LedgerContainer(
        f"{name}-ledger",
        LedgerContainerArgs(storage_account=str(settings.storage_account),
                            container=str(settings.container), location=str(settings.location),
                            retention_days=settings.retention_days,
                            resource_group=settings.resource_group, tags=dict(CONTROL_TAG),
                            tenant_id=settings.tenant_id),
        pulumi.ResourceOptions(parent=parent, providers=[provider]),
    )


def _gcp(name: str, settings: LedgerSettings, parent: pulumi.Resource) -> pulumi.ComponentResource:
    import pulumi_gcp as gcp

    from zero_trust_clusters.components.ledger.gcs_bucket import (
        LedgerGcsBucket,
        LedgerGcsBucketArgs,
    )

    provider = gcp.Provider(f"{name}-ledger-gcp", project=settings.project,
                            opts=pulumi.ResourceOptions(parent=parent))
    return LedgerGcsBucket(
        f"{name}-ledger",
        LedgerGcsBucketArgs(bucket_name=str(settings.bucket_name), project=str(settings.project),
                            location=str(settings.location),
                            retention_days=settings.retention_days,
                            # GCP label values: lowercase letters, digits, '-' and '_' only.
                            labels={"ztc-control": "change-ledger"}),
        pulumi.ResourceOptions(parent=parent, providers=[provider]),
    )


StoreBuilder = Callable[[str, LedgerSettings, pulumi.Resource], pulumi.ComponentResource]
STORE_BUILDERS: dict[str, StoreBuilder] = {"aws": _aws, "azure": _azure, "gcp": _gcp}


def ledger_store(name: str, settings: LedgerSettings,
                 parent: pulumi.Resource) -> pulumi.ComponentResource | None:
    """The ledger's WORM store on the posture's cloud (its `location` attribute is the URL
    `ztc ledger` takes), or None for the local directory store."""
    cloud = settings.store_cloud()
    return None if cloud is None else STORE_BUILDERS[cloud](name, settings, parent)
