"""EksCluster: the hardened EKS cluster, wiring the building blocks of this package."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws import (
    access,
    addons,
    audit,
    control_plane,
    iam,
    kms,
    network,
    pools,
)
from zero_trust_clusters.components.aws.cloud import ENTRY
from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.aws.kubeconfig import render_kubeconfig
from zero_trust_clusters.components.aws.provider import make_provider
from zero_trust_clusters.components.aws.security_groups import build_security_groups
from zero_trust_clusters.components.aws.validation import check_cluster
from zero_trust_clusters.components.cluster import (
    ClusterArgs,
    ClusterOutputs,
    HardenedCluster,
    brought,
    resolve_access,
)
from zero_trust_clusters.components.spec import cluster_key

TYPE_TOKEN = "ztc:aws:EksCluster"


def _existing_network(args: ClusterArgs, where: str) -> network.EksNetworkArgs | None:
    """The brought network: the args' (Pulumi inputs) or the stack's `aws.network` block."""
    return brought(args.network, args.cluster.settings and args.cluster.settings.network,
                   network.EksNetworkArgs, lambda b: network.EksNetworkArgs(
                       vpc_id=b.vpc_id, node_subnet_ids=b.node_subnet_ids,
                       pod_subnet_ids=b.pod_subnet_ids),
                   where=where, field="network", component="EksCluster")


def _existing_keys(args: ClusterArgs, where: str) -> kms.EksKeysArgs | None:
    """The brought keys: the args' (Pulumi inputs) or the stack's `aws.keys` block."""
    return brought(args.keys, args.cluster.settings and args.cluster.settings.keys,
                   kms.EksKeysArgs, lambda b: kms.EksKeysArgs(
                       secrets_key_arn=b.secrets_key_arn, disks_key_arn=b.disks_key_arn),
                   where=where, field="keys", component="EksCluster")


class EksCluster(HardenedCluster):
    """An EKS cluster implementing the zero-trust control catalog (ARCHITECTURE.md; the controls in zero_trust_clusters/policies/ztc_policy/catalog.py).

    Takes `ClusterArgs`; `args.network` may be an `EksNetworkArgs` (an existing VPC),
    `args.keys` an `EksKeysArgs` (existing KMS keys), `args.access` the groups' IAM roles. An
    `aws` provider in `opts` (or inherited from the parent) is used for every child.
    """

    def __init__(self, name: str, args: ClusterArgs,
                 opts: pulumi.ResourceOptions | None = None, *, config_index: int | None = None):
        spec = args.cluster
        # Config errors first, before any resource is registered.
        check_cluster(spec, config_index)
        super().__init__(TYPE_TOKEN, name, args, opts)
        self.cloud = "aws"
        provider = self.explicit_provider("aws") or make_provider(self, name, spec)
        identity = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(provider=provider, parent=self))
        partition = aws.get_partition_output(
            opts=pulumi.InvokeOutputOptions(provider=provider, parent=self))
        ctx = AwsContext(
            component=self, provider=provider, name=name, spec=spec, posture=args.posture,
            account_id=identity.account_id, partition=partition.partition,
            dns_suffix=partition.dns_suffix, config_key=cluster_key(spec.name, config_index),
        )

        # Identity and keys.
        cluster_role = iam.cluster_role(ctx)
        node_role = iam.node_role(ctx)
        self.implements(node_role.role, "ZT-NODE-IDENTITY")
        # Keys: created, or brought (the args' or the stack's `aws.keys`).
        keys_key = f"{ctx.config_key}.aws.keys" if args.keys is None else "EksKeysArgs"
        existing_keys = _existing_keys(args, keys_key)
        if existing_keys is None:
            secrets_key = self.implements(kms.secrets_key(ctx, cluster_role), "ZT-SECRETS-KMS")
            disk_key = self.implements(kms.disk_key(ctx), "ZT-DISK-CMK")
            keys = kms.ClusterKeys(secrets_arn=secrets_key.arn, disks_arn=disk_key.arn,
                                   secrets=secrets_key, disks=disk_key)
        else:
            keys = kms.brought_keys(ctx, existing_keys, keys_key)
        access_groups = resolve_access(args.posture, args.access)
        trail = audit.build_audit(ctx)
        for resource in (trail.control_plane_logs, trail.bucket, trail.object_lock,
                         trail.stream, trail.subscription, *trail.alarms):
            self.implements(resource, "ZT-AUDIT-IMMUTABLE")

        # Network: created, or brought (the args' or the stack's `aws.network`).
        network_key = (f"{ctx.config_key}.aws.network" if args.network is None
                       else "EksNetworkArgs")
        existing = _existing_network(args, network_key)
        if existing is None:
            net = network.build_network(ctx, trail.flow_logs, trail.flow_log_role)
        else:
            net = network.bring_network(ctx, existing, network_key, trail.flow_logs,
                                        trail.flow_log_role)
        if net.vpc is not None:
            self.implements(net.vpc, "ZT-NODE-PRIVATE")
        self.implements(net.flow_log, "ZT-NET-SEGMENT")
        for subnet in (*net.private_subnets, *net.pod_subnets):
            self.implements(subnet, "ZT-NODE-PRIVATE")
        sgs = build_security_groups(ctx, net.vpc_id)
        self.implements(sgs.cluster, "ZT-NET-SEGMENT")
        self.implements(sgs.node, "ZT-NET-SEGMENT")

        # Control plane.
        private_subnet_ids = list(net.node_subnet_ids)
        cluster = control_plane.build_control_plane(
            ctx, role=cluster_role, subnet_ids=private_subnet_ids, security_group=sgs.cluster,
            secrets_key=keys.secrets_arn, depends_on=[trail.control_plane_logs],
        )
        self.implements(cluster, "ZT-API-PRIVATE", "ZT-SECRETS-KMS", "ZT-AUDIT-IMMUTABLE", "ZT-IAM-ONLY",
                        "ZT-VERSION")
        issuer = control_plane.oidc_issuer(cluster)
        oidc = self.implements(control_plane.build_oidc_provider(ctx, issuer),
                               "ZT-WORKLOAD-IDENTITY")
        access_entries = access.build_access(ctx, cluster, access_groups)
        for resource in access_entries:
            self.implements(resource, "ZT-IAM-ONLY")
        certificate_authority = cluster.certificate_authority.apply(lambda ca: ca.data)
        role_arn = spec.settings.account_role_arn if spec.settings else None
        kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, certificate_authority).apply(
                lambda a: render_kubeconfig(cluster_name=a[0], endpoint=a[1],
                                            certificate_authority=a[2], region=spec.region,
                                            role_arn=role_arn)))

        # Add-ons and nodes: cloud APIs only. Nothing here calls the Kubernetes API (private,
        # unreachable from where this phase runs); the in-cluster baseline is the cluster phase.
        cluster_addons = addons.build_addons(ctx, cluster)
        self.implements(cluster_addons.pod_identity_agent, "ZT-WORKLOAD-IDENTITY")
        self.implements(cluster_addons.vpc_cni, "ZT-NETPOL-DEFAULT-DENY", "ZT-WORKLOAD-IDENTITY")
        join = pools.ClusterEndpoint(name=cluster.name, endpoint=cluster.endpoint,
                                     certificate_authority=certificate_authority)
        node_pools = pools.build_node_pools(
            ctx, join=join, node_role=node_role, node_sg=sgs.node,
            subnet_ids=private_subnet_ids, disk_key=keys.disks_arn,
            depends_on=[cluster_addons.vpc_cni, cluster_addons.pod_identity_agent,
                        cluster_addons.kube_proxy])
        pools.autoscaler_identity(ctx, cluster.name)
        addons.build_coredns(ctx, cluster, [p.node_group for p in node_pools.values()])

        # The contract every cluster component fulfils.
        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.certificate_authority = certificate_authority
        self.oidc_issuer = issuer
        self.oidc_provider_arn = oidc.arn
        self.kubeconfig = kubeconfig
        self.sandbox = ENTRY.sandbox
        self.provider = provider
        self.audit_bucket = trail.bucket.bucket
        # Subscribe the on-call to it: audit delivery failures alarm here (audit.py).
        self.audit_alarm_topic = trail.alarm_topic.arn
        self.publish(
            ClusterOutputs(
                cluster_name=cluster.name,
                endpoint=self.endpoint,
                certificate_authority=self.certificate_authority,
                kubeconfig=self.kubeconfig,
                oidc_issuer=self.oidc_issuer,
                node_identity=node_role.role.arn,
                security_groups=[sgs.cluster.id, sgs.node.id],
                network_id=net.vpc_id,
                subnet_ids=[*net.node_subnet_ids, *net.pod_subnet_ids],
                kms_keys={"secrets": keys.secrets_arn, "disks": keys.disks_arn},
                trust_domain=args.trust_domain,
                trust_domain_intermediate=args.trust_domain_intermediate_pem,
            ),
            {
                "oidcProviderArn": self.oidc_provider_arn,
                "auditBucket": self.audit_bucket,
                "auditAlarmTopic": self.audit_alarm_topic,
                # What the cluster phase's RBAC binds per portable group (EKS: the Kubernetes
                # group its access entries map the IAM roles to).
                "groupSubjects": {g.name: g.kubernetes_group for g in access_groups.groups},
            },
        )
