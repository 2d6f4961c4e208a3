"""Azure in the cloud registry (components/clouds.py): AKS. Imports no provider SDK."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from components.azure.catalog import SANDBOX_PLACEMENT
from components.clouds import CloudEntry
from components.spec import (
    UUID_PATTERN,
    ClusterSpec,
    EstateSpec,
    SpecModel,
    config_key,
    match_pattern,
)


class AzureSettings(SpecModel):
    subscription_id: Annotated[
        str, AfterValidator(match_pattern(UUID_PATTERN, "a subscription id (a UUID)"))
    ]
    tenant_id: Annotated[str, AfterValidator(match_pattern(UUID_PATTERN, "a tenant id (a UUID)"))]
    # An existing resource group to deploy into; one is created when absent.
    resource_group: Annotated[str, Field(pattern=r"^[\w.()-]{1,89}[\w()-]$")] | None = None



def _cluster_checks(cluster: ClusterSpec, index: int | None) -> list[str]:
    from components.azure.validation import cluster_problems

    return cluster_problems(cluster, index)


def _published_lists(cluster: ClusterSpec, index: int | None) -> list[str]:
    from components.azure.known import problems

    return problems(cluster, index)


def _groups_have_entra_ids(spec: EstateSpec) -> list[str]:
    return [
        f"{config_key('posture', 'groups', role, 'azureGroupObjectId')}: required because the "
        "stack has an azure cluster; set the group's azure identity"
        for role, group in spec.posture.groups.items()
        if group.azure_group_object_id is None
    ]


ENTRY = CloudEntry(
    name="azure",
    title="AKS",
    provider_package="azure-native",
    component_type="ztc:azure:AksCluster",
    settings=AzureSettings,
    settings_required=True,
    sandbox=SANDBOX_PLACEMENT,
    # Managed Entra ID puts the group's object id in the user's groups claim.
    group_identity=lambda group: group.azure_group_object_id,
    group_identity_key="azureGroupObjectId",
    component="components.azure.component:AksCluster",
    checks=(_cluster_checks, _published_lists),
    estate_checks=(_groups_have_entra_ids,),
    fakes_module="scripts.engine.fakes.azure",
    exec_plugin="kubelogin",
)
