"""The ManagedCluster itself: private API, Entra ID + Azure RBAC only, KMS, workload identity."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native import containerservice as cs

from zero_trust_clusters.components.azure import catalog, naming, pools
from zero_trust_clusters.components.azure.audit import AksAuditStore
from zero_trust_clusters.components.azure.context import AksContext
from zero_trust_clusters.components.azure.identity import AksIdentities, grant
from zero_trust_clusters.components.azure.keyvault import AksKeys
from zero_trust_clusters.components.azure.network import AksNetwork
from zero_trust_clusters.components.catalog import ControlId
from zero_trust_clusters.components.cluster import ClusterAccess

IMAGE_CLEANER_INTERVAL_HOURS = 24


@dataclass(frozen=True)
class AksControlPlane:
    cluster: cs.ManagedCluster
    pools: dict[str, cs.AgentPool]
    group_grants: list[authorization.RoleAssignment]


def _control_plane_grants(
    ctx: AksContext, net: AksNetwork, ids: AksIdentities
) -> list[authorization.RoleAssignment]:
    """What the control-plane identity needs before the cluster exists, scoped tightly."""
    sp = authorization.PrincipalType.SERVICE_PRINCIPAL
    principal = ids.control_plane.principal_id
    return [
        grant(ctx, "cp-network-nodes", principal_id=principal, role=catalog.NETWORK_CONTRIBUTOR,
              scope=net.node_subnet.id, principal_type=sp,
              description="AKS joins nodes and internal load balancers to the node subnet"),
        grant(ctx, "cp-network-apiserver", principal_id=principal,
              role=catalog.NETWORK_CONTRIBUTOR, scope=net.apiserver_subnet.id, principal_type=sp,
              description="AKS projects the API server ILB into its delegated subnet"),
        grant(ctx, "cp-kubelet-operator", principal_id=principal,
              role=catalog.MANAGED_IDENTITY_OPERATOR, scope=ids.kubelet.id, principal_type=sp,
              description="AKS assigns the kubelet identity to the node scale sets"),
    ]


def _group_grants(
    ctx: AksContext, cluster: cs.ManagedCluster, role_name: str, object_id: pulumi.Input[str],
    kubernetes_group: str,
) -> list[authorization.RoleAssignment]:
    """A portable group's Azure RBAC role (cluster or namespace scope) + the Cluster User role."""
    group = authorization.PrincipalType.GROUP
    description = f"portable group {kubernetes_group} ({role_name})"
    role = catalog.GROUP_ROLES[role_name]
    if role_name in catalog.NAMESPACED_GROUPS:
        # The scope is a plain string (the policy pack checks it at the first preview); the
        # dependency on the cluster is explicit instead.
        scoped = [
            grant(ctx, f"{role_name}-rbac-{ns.name}", principal_id=object_id, role=role,
                  scope=f"{ctx.cluster_id}/namespaces/{ns.name}", principal_type=group,
                  description=f"{description} in namespace {ns.name}", depends_on=[cluster])
            for ns in ctx.posture.workload_namespaces
        ]
    else:
        scoped = [grant(ctx, f"{role_name}-rbac", principal_id=object_id, role=role,
                        scope=cluster.id, principal_type=group, description=description)]
    # listClusterUserCredential (the exec kubeconfig) is an action on the cluster itself.
    user = grant(ctx, f"{role_name}-user", principal_id=object_id, role=catalog.AKS_CLUSTER_USER,
                 scope=cluster.id, principal_type=group, description=description)
    return [*scoped, user]


def build_cluster(
    ctx: AksContext,
    net: AksNetwork,
    ids: AksIdentities,
    keys: AksKeys,
    audit: AksAuditStore,
    access: ClusterAccess,
) -> AksControlPlane:
    """`access`: the portable groups' Entra ids (the posture's, or `ClusterArgs.access`)."""
    c, spec, posture = ctx.component, ctx.cluster, ctx.posture
    version = spec.version(posture)
    group_ids = {g.name: access.required(g.name, "azure_group_object_id") for g in access.groups}
    grants = _control_plane_grants(ctx, net, ids) + keys.grants

    # Keyword form (typed *Args values inside): the SDK's ManagedClusterArgs form clashes on
    # `resource_name`, the ARM name argument.
    cluster = cs.ManagedCluster(
        f"{ctx.name}-aks",  # the component itself is `<name>`; keep Pulumi names unique
        resource_group_name=ctx.resource_group_name,
        resource_name_=ctx.name,
        location=ctx.location,
        dns_prefix=ctx.name,
        kubernetes_version=version,
        sku=cs.ManagedClusterSKUArgs(
            name=cs.ManagedClusterSKUName.BASE, tier=cs.ManagedClusterSKUTier.STANDARD
        ),
        identity=cs.ManagedClusterIdentityArgs(
            type=cs.ResourceIdentityType.USER_ASSIGNED,
            user_assigned_identities=[ids.control_plane.id],
        ),
        identity_profile={
            "kubeletidentity": cs.UserAssignedIdentityArgs(
                resource_id=ids.kubelet.id,
                client_id=ids.kubelet.client_id,
                object_id=ids.kubelet.principal_id,
            )
        },
        # Entra ID is the only way in; Azure RBAC decides what each group may do.
        aad_profile=cs.ManagedClusterAADProfileArgs(
            managed=True,
            enable_azure_rbac=True,
            tenant_id=ctx.tenant_id,
            admin_group_object_ids=[group_ids["admins"]],
        ),
        enable_rbac=True,
        disable_local_accounts=True,
        api_server_access_profile=cs.ManagedClusterAPIServerAccessProfileArgs(
            enable_private_cluster=True,
            enable_private_cluster_public_fqdn=False,
            private_dns_zone="system",
            enable_vnet_integration=True,
            subnet_id=net.apiserver_subnet.id,
            disable_run_command=True,
        ),
        public_network_access=cs.PublicNetworkAccess.DISABLED,
        network_profile=cs.ContainerServiceNetworkProfileArgs(
            network_plugin=cs.NetworkPlugin.AZURE,
            network_plugin_mode=cs.NetworkPluginMode.OVERLAY,
            network_dataplane=cs.NetworkDataplane.CILIUM,
            network_policy=cs.NetworkPolicy.CILIUM,
            pod_cidr=net.addressing.pods,
            service_cidr=net.addressing.services,
            dns_service_ip=net.addressing.dns_service_ip,
            # A NAT gateway (ours, or the brought subnet's) or the brought subnet's routes.
            outbound_type=net.outbound_type,
            load_balancer_sku=cs.LoadBalancerSku.STANDARD,
        ),
        security_profile=cs.ManagedClusterSecurityProfileArgs(
            azure_key_vault_kms=cs.AzureKeyVaultKmsArgs(
                enabled=True,
                key_id=keys.kms_key_id,
                key_vault_network_access=cs.KeyVaultNetworkAccessTypes.PRIVATE,
                key_vault_resource_id=keys.key_vault_id,
            ),
            workload_identity=cs.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                enabled=True
            ),
            image_cleaner=cs.ManagedClusterSecurityProfileImageCleanerArgs(
                enabled=True, interval_hours=IMAGE_CLEANER_INTERVAL_HOURS
            ),
            defender=cs.ManagedClusterSecurityProfileDefenderArgs(
                log_analytics_workspace_resource_id=audit.workspace.id,
                security_monitoring=(
                    cs.ManagedClusterSecurityProfileDefenderSecurityMonitoringArgs(
                        enabled=True
                    )
                ),
            ),
        ),
        oidc_issuer_profile=cs.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
        auto_upgrade_profile=cs.ManagedClusterAutoUpgradeProfileArgs(
            # Patch releases of the pinned minor version; minor upgrades go through the spec.
            upgrade_channel=cs.UpgradeChannel.PATCH,
            node_os_upgrade_channel=cs.NodeOSUpgradeChannel.NODE_IMAGE,
        ),
        addon_profiles={
            "azurepolicy": cs.ManagedClusterAddonProfileArgs(
                enabled=True, config={"version": "v2"}
            )
        },
        disk_encryption_set_id=keys.disk_encryption_set_id,
        node_resource_group=naming.node_resource_group(ctx.name),
        # Nobody edits the node resource group by hand; AKS alone manages it.
        node_resource_group_profile=cs.ManagedClusterNodeResourceGroupProfileArgs(
            restriction_level=cs.RestrictionLevel.READ_ONLY
        ),
        agent_pool_profiles=[
            pools.system_profile(spec.node_pools.system, net.node_subnet.id, version)
        ],
        tags=ctx.tags,
        opts=ctx.opts(depends_on=grants),
    )
    c.implements(
        cluster,
        "ZT-API-PRIVATE",
        "ZT-NODE-PRIVATE",
        "ZT-NODE-TRUSTED-BOOT",
        "ZT-NODE-OS",
        "ZT-NODE-METADATA",
        "ZT-IAM-ONLY",
        "ZT-WORKLOAD-IDENTITY",
        "ZT-NODE-IDENTITY",
        "ZT-SECRETS-KMS",
        "ZT-DISK-CMK",
        "ZT-NETPOL-DEFAULT-DENY",
        "ZT-VERSION",
        # The azurepolicy add-on (Gatekeeper) is AKS's admission hook; the baseline adds
        # the signature policy that makes it about provenance.
        "ZT-IMAGE-PROVENANCE",
    )

    # General and sandbox pools are their own resources: per-pool operations, so changing
    # one never puts the others (or the cluster) into an update.
    agent_pools: dict[str, cs.AgentPool] = {}
    previous: list[pulumi.Resource] = [cluster]
    shapes = [(pools.GENERAL, spec.node_pools.general), (pools.SANDBOX, spec.node_pools.sandbox)]
    shapes += [(pools.user_shape(name, pool), pool) for name, pool in spec.pools.items()]
    for shape, pool in shapes:
        agent_pool = cs.AgentPool(
            f"{ctx.name}-{shape.name}",
            resource_group_name=ctx.resource_group_name,
            resource_name_=cluster.name,
            agent_pool_name=shape.name,
            **pools.pool_settings(shape, pool, net.node_subnet.id, version),
            tags=ctx.tags,
            # AKS runs one agent-pool operation at a time per cluster.
            opts=ctx.opts(depends_on=previous),
        )
        previous = [agent_pool]
        agent_pools[shape.name] = agent_pool
        controls: list[ControlId] = ["ZT-NODE-PRIVATE", "ZT-NODE-OS", "ZT-DISK-CMK"]
        if shape.trusted_launch:
            controls.append("ZT-NODE-TRUSTED-BOOT")
        if shape is pools.SANDBOX:
            controls.append("ZT-SANDBOX")
        c.implements(agent_pool, *controls)

    group_grants = [
        g
        for group in access.groups
        for g in _group_grants(ctx, cluster, group.name, group_ids[group.name],
                               group.kubernetes_group)
    ]
    for g in group_grants:
        c.implements(g, "ZT-IAM-ONLY")
    return AksControlPlane(cluster=cluster, pools=agent_pools, group_grants=group_grants)
