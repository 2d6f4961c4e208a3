"""User-assigned identities: one for the control plane, one (least-privilege) for the kubelets.

The control-plane identity must exist and hold its roles before the cluster is created
(KMS does not work with a system-assigned identity, learn.microsoft.com/azure/aks/
use-kms-etcd-encryption). The kubelet identity gets no Azure role at all here: workloads
use workload identity, and image pulls from private registries are granted per registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, managedidentity

from zero_trust_clusters.components.azure import naming
from zero_trust_clusters.components.azure.catalog import role_definition_id
from zero_trust_clusters.components.azure.context import AksContext


@dataclass(frozen=True)
class AksIdentities:
    control_plane: managedidentity.UserAssignedIdentity
    kubelet: managedidentity.UserAssignedIdentity


def build_identities(ctx: AksContext) -> AksIdentities:
    def identity(suffix: str) -> managedidentity.UserAssignedIdentity:
        # Keyword form: the SDK's *Args form clashes on `resource_name` for this type.
        return managedidentity.UserAssignedIdentity(
            f"{ctx.name}-{suffix}",
            resource_group_name=ctx.resource_group_name,
            resource_name_=f"id-{ctx.name}-{suffix}",
            location=ctx.location,
            tags=ctx.tags,
            opts=ctx.opts(),
        )

    control_plane = identity("control-plane")
    kubelet = identity("kubelet")
    ctx.component.implements(kubelet, "ZT-NODE-IDENTITY")
    return AksIdentities(control_plane=control_plane, kubelet=kubelet)


def grant(
    ctx: AksContext,
    name: str,
    *,
    principal_id: pulumi.Input[str],
    role: str,
    scope: pulumi.Input[str],
    principal_type: authorization.PrincipalType,
    description: str,
    depends_on: list[pulumi.Resource] | None = None,
) -> authorization.RoleAssignment:
    """One role assignment with a stable GUID name, so re-runs never duplicate it.

    The name also covers principal, role and scope, as Azure's own templates do
    (`guid(scope, principalId, roleDefinitionId)`, "name" in
    https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template): ARM
    refuses to change an assignment's principal or scope under its name
    (RoleAssignmentUpdateNotPermitted) and a second assignment of one role to one principal at
    one scope under another name (RoleAssignmentExists), see
    https://learn.microsoft.com/azure/role-based-access-control/troubleshooting. azure-native
    replaces an assignment whose principalId or scope changes (pulumi-azure-native
    provider/pkg/gen/replacement.go `forceNewMap`), creating the new one first by default. So a
    new principal or scope is a new name, and the old assignment is deleted before the new one
    is created."""
    role_id = role_definition_id(ctx.subscription_id, role)
    assignment_name = pulumi.Output.all(principal_id, scope).apply(
        lambda ps: naming.guid(ctx.subscription_id, ctx.name, name, role_id, str(ps[0]), str(ps[1])))
    return authorization.RoleAssignment(
        f"{ctx.name}-{name}",
        authorization.RoleAssignmentArgs(
            role_assignment_name=assignment_name,
            principal_id=principal_id,
            principal_type=principal_type,
            role_definition_id=role_id,
            scope=scope,
            description=description,
        ),
        opts=ctx.opts(depends_on=depends_on or [], delete_before_replace=True),
    )
