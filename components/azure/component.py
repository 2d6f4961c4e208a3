"""AksCluster: an AKS cluster that implements the whole control catalog on Azure."""

from __future__ import annotations

import dataclasses

import pulumi

from components.azure import naming
from components.azure.audit import build_audit_store, build_diagnostic_setting
from components.azure.catalog import SANDBOX_PLACEMENT
from components.azure.context import AksContext, make_provider
from components.azure.control_plane import build_cluster
from components.azure.identity import build_identities
from components.azure.keyvault import build_keys
from components.azure.kubeconfig import fetch_certificate_authority, render
from components.azure.network import build_network, resource_group
from components.azure.validation import cluster_problems
from components.cluster import ClusterArgs, HardenedCluster
from components.spec import SpecError

TYPE_TOKEN = "ztc:azure:AksCluster"


class AksCluster(HardenedCluster):
    """A private, Entra-ID-only AKS cluster with Trusted Launch, CMK, Kata and WORM audit."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        spec = args.cluster
        if spec.cloud != "azure" or spec.settings is None:
            raise SpecError([f"cluster {spec.name!r} is on {spec.cloud}, not azure"])
        problems = cluster_problems(spec)
        if problems:
            raise SpecError(problems)
        super().__init__(TYPE_TOKEN, name, args, opts)
        self.cloud = "azure"
        provider = make_provider(self, spec)

        existing_rg = spec.settings.resource_group
        rg_name = existing_rg or naming.resource_group(name)
        ctx = AksContext(name=name, cluster=spec, posture=args.posture, component=self,
                         provider=provider, resource_group_name=rg_name, resource_group=rg_name)
        if existing_rg is None:
            rg = resource_group(name, rg_name, spec.region, ctx.tags, ctx.opts())
            # Children wait for the group through its output.
            ctx = dataclasses.replace(ctx, resource_group_name=rg.name)

        net = build_network(ctx, args.mesh_peer_ranges)
        ids = build_identities(ctx)
        keys = build_keys(ctx, ids)
        audit = build_audit_store(ctx)
        plane = build_cluster(ctx, net, ids, keys, audit)
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
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "certificateAuthority": self.certificate_authority,
                "kubeconfig": self.kubeconfig,
                "oidcIssuer": self.oidc_issuer,
                "sandboxHandler": self.sandbox.handler,
                "controls": self.controls,
            }
        )
