"""AksCluster: an AKS cluster that implements the whole control catalog on Azure."""

from __future__ import annotations

import dataclasses

import pulumi

from zero_trust_clusters.components.azure import naming
from zero_trust_clusters.components.azure.audit import build_audit_store, build_diagnostic_setting
from zero_trust_clusters.components.azure.catalog import SANDBOX_PLACEMENT
from zero_trust_clusters.components.azure.context import AksContext, make_provider
from zero_trust_clusters.components.azure.control_plane import build_cluster
from zero_trust_clusters.components.azure.identity import build_identities
from zero_trust_clusters.components.azure.keyvault import AksKeysArgs, bring_keys, build_keys
from zero_trust_clusters.components.azure.kubeconfig import fetch_certificate_authority, render
from zero_trust_clusters.components.azure.network import (
    AksNetworkArgs,
    bring_network,
    build_network,
    resource_group,
)
from zero_trust_clusters.components.azure.validation import cluster_problems
from zero_trust_clusters.components.cluster import (
    ClusterArgs,
    ClusterOutputs,
    HardenedCluster,
    brought,
    resolve_access,
)
from zero_trust_clusters.components.spec import SpecError, cluster_key

TYPE_TOKEN = "ztc:azure:AksCluster"


def _existing_network(args: ClusterArgs, where: str) -> AksNetworkArgs | None:
    """The brought network: the args' (Pulumi inputs) or the stack's `azure.network` block."""
    return brought(args.network, args.cluster.settings and args.cluster.settings.network,
                   AksNetworkArgs, lambda b: AksNetworkArgs(
                       node_subnet_id=b.node_subnet_id, node_subnet_cidr=b.node_subnet_cidr,
                       apiserver_subnet_id=b.api_server_subnet_id,
                       apiserver_subnet_cidr=b.api_server_subnet_cidr,
                       node_nsg_id=b.node_nsg_id, apiserver_nsg_id=b.api_server_nsg_id,
                       outbound_type=b.outbound_type),
                   where=where, field="network", component="AksCluster")


def _existing_keys(args: ClusterArgs, where: str) -> AksKeysArgs | None:
    """The brought keys: the args' (Pulumi inputs) or the stack's `azure.keys` block."""
    return brought(args.keys, args.cluster.settings and args.cluster.settings.keys,
                   AksKeysArgs, lambda b: AksKeysArgs(
                       kms_key_id=b.kms_key_id, key_vault_id=b.key_vault_id,
                       disk_encryption_set_id=b.disk_encryption_set_id),
                   where=where, field="keys", component="AksCluster")


class AksCluster(HardenedCluster):
    """A private, Entra-ID-only AKS cluster with Trusted Launch, CMK, Kata and WORM audit.

    Takes `ClusterArgs`; `args.network` may be an `AksNetworkArgs` (an existing VNet),
    `args.keys` an `AksKeysArgs` (an existing key and disk encryption set), `args.access` the
    groups' Entra ids. An
    `azure-native` provider in `opts` (or inherited from the parent) is used for every child;
    it must reach the `azure.subscriptionId` / `tenantId` of the cluster's settings, which
    scope the role assignments (a provider cannot be read back to check it).
    """

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        spec = args.cluster
        if spec.cloud != "azure" or spec.settings is None:
            raise SpecError([f"cluster {spec.name!r} is on {spec.cloud}, not azure"])
        problems = cluster_problems(spec)
        if problems:
            raise SpecError(problems)
        super().__init__(TYPE_TOKEN, name, args, opts)
        self.cloud = "azure"
        provider = self.explicit_provider("azure-native") or make_provider(self, spec)

        existing_rg = spec.settings.resource_group
        rg_name = existing_rg or naming.resource_group(name)
        ctx = AksContext(name=name, cluster=spec, posture=args.posture, component=self,
                         provider=provider, resource_group_name=rg_name, resource_group=rg_name)
        if existing_rg is None:
            rg = resource_group(name, rg_name, spec.region, ctx.tags, ctx.opts())
            # Children wait for the group through its output.
            ctx = dataclasses.replace(ctx, resource_group_name=rg.name)

        network_key = (cluster_key(spec.name, None, "azure", "network") if args.network is None
                       else "AksNetworkArgs")
        existing = _existing_network(args, network_key)
        net = (build_network(ctx, args.mesh_peer_ranges) if existing is None
               else bring_network(ctx, existing, network_key, args.mesh_peer_ranges))
        ids = build_identities(ctx)
        keys_key = (cluster_key(spec.name, None, "azure", "keys") if args.keys is None
                    else "AksKeysArgs")
        existing_keys = _existing_keys(args, keys_key)
        keys = (build_keys(ctx, ids) if existing_keys is None
                else bring_keys(ctx, ids, existing_keys, keys_key))
        access = resolve_access(args.posture, args.access)
        audit = build_audit_store(ctx)
        plane = build_cluster(ctx, net, ids, keys, audit, access)
        build_diagnostic_setting(ctx, plane.cluster.id, audit)
        self.managed_cluster = plane.cluster

        self.endpoint = plane.cluster.private_fqdn.apply(lambda fqdn: f"https://{fqdn}:443")
        self.certificate_authority = fetch_certificate_authority(
            ctx.resource_group_name,
            plane.cluster.name,
            pulumi.InvokeOutputOptions(
                parent=self, provider=provider, depends_on=plane.group_grants
            ),
        )
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.endpoint, self.certificate_authority).apply(
                lambda v: render(name, v[0], v[1], ctx.tenant_id)
            )
        )
        self.oidc_issuer = plane.cluster.oidc_issuer_profile.apply(
            lambda p: p.issuer_url if p else ""
        )
        self.sandbox = SANDBOX_PLACEMENT
        self.publish(ClusterOutputs(
            cluster_name=plane.cluster.name,
            endpoint=self.endpoint,
            certificate_authority=self.certificate_authority,
            kubeconfig=self.kubeconfig,
            oidc_issuer=self.oidc_issuer,
            node_identity=ids.kubelet.principal_id,
            security_groups=net.nsg_ids,
            network_id=net.vnet_id,
            subnet_ids=[net.node_subnet.id, net.apiserver_subnet.id],
            kms_keys={"secrets": keys.key_resource_id, "disks": keys.disk_encryption_set_id},
            trust_domain=args.trust_domain,
            trust_domain_intermediate=args.trust_domain_intermediate_pem,
        ), {
            # What the cluster phase's RBAC binds per portable group (AKS: the Entra group id).
            "groupSubjects": {g.name: g.azure_group_object_id for g in access.groups},
        })
