"""EksCluster: the hardened EKS cluster, wiring the building blocks of this package."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.aws import (
    access,
    addons,
    audit,
    control_plane,
    iam,
    kms,
    network,
    pools,
)
from components.aws.cloud import ENTRY
from components.aws.context import AwsContext
from components.aws.kubeconfig import render_kubeconfig
from components.aws.provider import make_provider
from components.aws.security_groups import build_security_groups
from components.aws.validation import check_cluster
from components.cluster import ClusterArgs, HardenedCluster
from components.spec import cluster_key

TYPE_TOKEN = "ztc:aws:EksCluster"


class EksCluster(HardenedCluster):
    """An EKS cluster implementing the zero-trust control catalog (see DESIGN.md)."""

    def __init__(self, name: str, args: ClusterArgs,
                 opts: pulumi.ResourceOptions | None = None, *, config_index: int | None = None):
        spec = args.cluster
        # Config errors first, before any resource is registered.
        check_cluster(spec, config_index)
        super().__init__(TYPE_TOKEN, name, args, opts)
        self.cloud = "aws"
        provider = make_provider(self, name, spec)
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
        secrets_key = self.implements(kms.secrets_key(ctx, cluster_role), "ZT-SECRETS-KMS")
        disk_key = self.implements(kms.disk_key(ctx), "ZT-DISK-CMK")
        trail = audit.build_audit(ctx)
        for resource in (trail.control_plane_logs, trail.bucket, trail.object_lock,
                         trail.stream, trail.subscription, *trail.alarms):
            self.implements(resource, "ZT-AUDIT-IMMUTABLE")

        # Network.
        net = network.build_network(ctx, trail.flow_logs, trail.flow_log_role)
        self.implements(net.vpc, "ZT-NODE-PRIVATE")
        self.implements(net.flow_log, "ZT-NET-SEGMENT")
        for subnet in (*net.private_subnets, *net.pod_subnets):
            self.implements(subnet, "ZT-NODE-PRIVATE")
        sgs = build_security_groups(ctx, net.vpc.id)
        self.implements(sgs.cluster, "ZT-NET-SEGMENT")
        self.implements(sgs.node, "ZT-NET-SEGMENT")

        # Control plane.
        private_subnet_ids = [s.id for s in net.private_subnets]
        cluster = control_plane.build_control_plane(
            ctx, role=cluster_role, subnet_ids=private_subnet_ids, security_group=sgs.cluster,
            secrets_key=secrets_key, depends_on=[trail.control_plane_logs],
        )
        self.implements(cluster, "ZT-API-PRIVATE", "ZT-SECRETS-KMS", "ZT-AUDIT-IMMUTABLE", "ZT-IAM-ONLY",
                        "ZT-VERSION")
        issuer = control_plane.oidc_issuer(cluster)
        oidc = self.implements(control_plane.build_oidc_provider(ctx, issuer),
                               "ZT-WORKLOAD-IDENTITY")
        access_entries = access.build_access(ctx, cluster)
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
        node_pools: dict[str, pools.NodePoolResources] = {}
        for pool_name in ("system", "general", "sandbox"):
            pool = pools.build_node_pool(
                ctx, pool_name, getattr(spec.node_pools, pool_name), join=join,
                node_role=node_role, node_sg=sgs.node, subnet_ids=private_subnet_ids,
                disk_key=disk_key,
                depends_on=[cluster_addons.vpc_cni, cluster_addons.pod_identity_agent,
                            cluster_addons.kube_proxy],
            )
            self.implements(pool.launch_template, "ZT-NODE-METADATA", "ZT-NODE-PRIVATE", "ZT-DISK-CMK",
                            "ZT-NODE-TRUSTED-BOOT", "ZT-NODE-OS")
            self.implements(pool.node_group, "ZT-NODE-OS")
            if pool_name == "sandbox":
                self.implements(pool.launch_template, "ZT-SANDBOX")
                self.implements(pool.node_group, "ZT-SANDBOX")
            node_pools[pool_name] = pool
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
        self.register_outputs({
            "clusterName": cluster.name,
            "endpoint": self.endpoint,
            "certificateAuthority": self.certificate_authority,
            "oidcIssuer": self.oidc_issuer,
            "oidcProviderArn": self.oidc_provider_arn,
            "kubeconfig": self.kubeconfig,
            "auditBucket": self.audit_bucket,
            "auditAlarmTopic": self.audit_alarm_topic,
            "sandboxHandler": self.sandbox.handler,
            "controls": self.controls,
        })
