"""`GkeCluster`: one hardened GKE cluster implementing the control catalog on GCP.

Children (all parented here, all through this cluster's own `gcp.Provider` for its project and
region): node service account, KMS keys, VPC + subnet + NAT + firewall, the cluster, three node
pools and the audit trail. Project-wide singletons (Binary Authorization policy and attestor,
Data Access audit config, API enablement) come from the project's shared `ProjectGuardrails`.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components import lifecycle
from zero_trust_clusters.components.cluster import (
    ClusterArgs,
    ClusterOutputs,
    HardenedCluster,
    brought,
    resolve_access,
)
from zero_trust_clusters.components.gcp import addressing
from zero_trust_clusters.components.gcp.audit import build_audit
from zero_trust_clusters.components.gcp.cloud import SANDBOX_PLACEMENT
from zero_trust_clusters.components.gcp.control_plane import build_cluster, workload_pool
from zero_trust_clusters.components.gcp.identity import build_node_identity
from zero_trust_clusters.components.gcp.kms import GkeKeysArgs, bring_keys, build_keys
from zero_trust_clusters.components.gcp.kubeconfig import kubeconfig
from zero_trust_clusters.components.gcp.network import GkeNetworkArgs, bring_network, build_network
from zero_trust_clusters.components.gcp.pools import build_pools
from zero_trust_clusters.components.gcp.project import guardrails_for
from zero_trust_clusters.components.gcp.service_agents import service_agents
from zero_trust_clusters.components.gcp.validation import check_cluster
from zero_trust_clusters.components.kubernetes.charts import (
    chart_releases,
    image_references,
    webhook_ports,
)
from zero_trust_clusters.components.spec import SpecError, cluster_key

TYPE_TOKEN = "ztc:gcp:GkeCluster"
_NOT_LABEL = re.compile(r"[^a-z0-9_-]")


def _label_value(value: str) -> str:
    return _NOT_LABEL.sub("_", value.lower())[:63]


def oidc_issuer_url(project: str, region: str, name: str) -> str:
    """GKE's service-account token issuer (its discovery document lives under it)."""
    return f"https://container.googleapis.com/v1/projects/{project}/locations/{region}/clusters/{name}"


def _existing_network(args: ClusterArgs, where: str) -> GkeNetworkArgs | None:
    """The brought network: the args' (Pulumi inputs) or the stack's `gcp.network` block."""
    return brought(args.network, args.cluster.settings and args.cluster.settings.network,
                   GkeNetworkArgs, lambda b: GkeNetworkArgs(
                       network=b.network, subnetwork=b.subnetwork,
                       pods_range_name=b.pods_range_name,
                       services_range_name=b.services_range_name,
                       control_plane_cidr=b.control_plane_cidr),
                   where=where, field="network", component="GkeCluster")


def _existing_keys(args: ClusterArgs, where: str) -> GkeKeysArgs | None:
    """The brought keys: the args' (Pulumi inputs) or the stack's `gcp.keys` block."""
    return brought(args.keys, args.cluster.settings and args.cluster.settings.keys,
                   GkeKeysArgs, lambda b: GkeKeysArgs(
                       secrets_key=b.secrets_key, disks_key=b.disks_key, audit_key=b.audit_key),
                   where=where, field="keys", component="GkeCluster")


class GkeCluster(HardenedCluster):
    """A private GKE cluster implementing the control catalog.

    Takes `ClusterArgs`; `args.network` may be a `GkeNetworkArgs` (an existing VPC network),
    `args.keys` a `GkeKeysArgs` (existing Cloud KMS keys), `args.access` the groups' Google
    identities. A
    `gcp` provider in `opts` (or inherited from the parent) is used for every child, and for
    the project's shared guardrails when this cluster is the first of its project.
    """

    workload_pool: pulumi.Output[str]
    project: str

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        spec, posture = args.cluster, args.posture
        check_cluster(spec)  # before anything is registered
        if spec.settings is None:  # load_spec already requires it for cloud gcp
            raise SpecError([f"{cluster_key(spec.name, None, 'gcp')}: add a gcp block with project"])
        super().__init__(TYPE_TOKEN, name, args, opts)
        self.cloud = "gcp"
        self.project = project = spec.settings.project
        region = spec.region
        cname = spec.name

        given = self.explicit_provider("gcp")
        provider = given or gcp.Provider(
            f"{cname}-gcp",
            project=project,
            region=region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        invoke_opts = pulumi.InvokeOptions(parent=self, provider=provider)
        # The in-cluster baseline's charts: their webhooks need firewall ports, their images
        # need admission by Binary Authorization (both declared per chart, in one place).
        charts = chart_releases("gcp", posture, args.trust_domain)
        guardrails = guardrails_for(project, posture.image_provenance, image_references(charts),
                                    provider=given)
        # Every child waits for the project's APIs, audit config and admission policy.
        child = self.child_opts(provider, depends_on=[guardrails])

        labels = {
            **spec.labels,
            "managed-by": "ztc",
            "ztc-cluster": _label_value(cname),
            "ztc-trust-domain": _label_value(args.trust_domain),
        }
        addresses = addressing.plan(spec)
        agents = service_agents(project, invoke_opts)
        identity = build_node_identity(self, cname, project, child)
        # Stateful resources (keys, audit bucket): kept unless decommissioned (lifecycle.py).
        kept = pulumi.ResourceOptions(**lifecycle.kept(spec))
        keys_key = (cluster_key(cname, None, "gcp", "keys") if args.keys is None
                    else "GkeKeysArgs")
        existing_keys = _existing_keys(args, keys_key)
        keys = (build_keys(self, cname, project, region, agents, labels, child, kept)
                if existing_keys is None
                else bring_keys(self, cname, region, agents, existing_keys, keys_key, child))
        access = resolve_access(posture, args.access)
        # Children take the plain email / key ids (known at a first preview, so policies can
        # verify them) and depend on the account, keys and grants explicitly instead.
        network_opts = self.child_opts(provider, depends_on=[guardrails, identity.account])
        network_key = (cluster_key(cname, None, "gcp", "network") if args.network is None
                       else "GkeNetworkArgs")
        existing = _existing_network(args, network_key)
        if existing is None:
            network = build_network(self, cname, project, region, addresses, identity.email,
                                    webhook_ports(charts), network_opts)
        else:
            network = bring_network(self, spec, project, addresses, existing, network_key,
                                    identity.email, webhook_ports(charts), network_opts)
        addresses = network.addresses
        cluster = build_cluster(
            self,
            spec,
            posture,
            project=project,
            addresses=addresses,
            network=network.network_id,
            subnetwork=network.subnet_id,
            secrets_key=keys.secrets_id,
            disk_key=keys.disks_id,
            node_service_account=identity.email,
            resource_labels=labels,
            security_group=access.gcp_security_group,
            opts=self.child_opts(
                provider,
                depends_on=[guardrails, keys.secrets_grant, keys.disks_grant, *identity.grants],
            ),
        )
        build_pools(
            self,
            cname,
            spec,
            cluster=cluster,
            project=project,
            region=region,
            service_account=identity.email,
            disk_key=keys.disks_id,
            resource_labels=labels,
            opts=self.child_opts(
                provider, depends_on=[guardrails, keys.disks_grant, *identity.grants]
            ),
        )
        build_audit(
            self,
            cname,
            project,
            region,
            posture.audit_retention_days,
            keys.audit_id,
            labels,
            child,
            depends_on=[keys.audit_grant],
            kept=kept,
        )
        attestation = guardrails.attestation
        for resource in (attestation.policy, attestation.attestor, attestation.signing_key):
            self.implements(resource, "ZT-IMAGE-PROVENANCE")
        self.implements(guardrails.audit_config, "ZT-AUDIT-IMMUTABLE")

        self.endpoint = pulumi.Output.concat("https://", cluster.endpoint)
        self.certificate_authority = cluster.master_auth.apply(
            lambda auth: auth.cluster_ca_certificate
        )
        self.kubeconfig = kubeconfig(
            f"gke_{project}_{region}_{cname}", self.endpoint, self.certificate_authority
        )
        self.oidc_issuer = cluster.name.apply(lambda n: oidc_issuer_url(project, region, n))
        self.workload_pool = cluster.workload_identity_config.apply(
            lambda c: c.workload_pool if c else workload_pool(project)
        )
        self.sandbox = SANDBOX_PLACEMENT
        self.publish(
            ClusterOutputs(
                cluster_name=cluster.name,
                endpoint=self.endpoint,
                certificate_authority=self.certificate_authority,
                kubeconfig=self.kubeconfig,
                oidc_issuer=self.oidc_issuer,
                node_identity=identity.email,
                security_groups=[rule.id for rule in network.firewalls],
                network_id=network.network_id,
                subnet_ids=[network.subnet_id],
                kms_keys={"secrets": keys.secrets_id, "disks": keys.disks_id,
                          "audit": keys.audit_id},
                trust_domain=args.trust_domain,
                trust_domain_intermediate=args.trust_domain_intermediate_pem,
            ),
            {
                "workloadPool": self.workload_pool,
                # What the cluster phase's RBAC binds per portable group (GKE: the Google Group
                # e-mail, under Google Groups for RBAC).
                "groupSubjects": {g.name: g.gcp_group_email for g in access.groups},
            },
        )
