"""The EKS control plane: private endpoint, KMS secrets, all logs, IAM-only access, OIDC."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws.audit import CONTROL_PLANE_LOG_TYPES
from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.aws.iam import ManagedRole


def build_control_plane(ctx: AwsContext, *, role: ManagedRole, subnet_ids: list[pulumi.Output[str]],
                        security_group: aws.ec2.SecurityGroup, secrets_key: pulumi.Input[str],
                        depends_on: list[pulumi.Resource]) -> aws.eks.Cluster:
    return aws.eks.Cluster(
        ctx.name,
        aws.eks.ClusterArgs(
            name=ctx.name,
            role_arn=role.arn,
            version=ctx.kubernetes_version,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=subnet_ids,
                security_group_ids=[security_group.id],
                # Private only: the API is reached over private connectivity from the
                # posture's admitted networks, which the cluster security group lets in on 443
                # (security_groups.py). No public endpoint, so no publicAccessCidrs either
                # (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html).
                endpoint_private_access=True,
                endpoint_public_access=False,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",  # access entries only; no aws-auth ConfigMap
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=CONTROL_PLANE_LOG_TYPES,
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                ip_family="ipv4", service_ipv4_cidr=ctx.spec.service_cidr),
            # Standard support only: no silent slide into paid extended support on old versions.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            # vpc-cni, kube-proxy and CoreDNS come as managed add-ons we configure (addons.py).
            bootstrap_self_managed_addons=False,
            # Off only for a cluster being decommissioned (clusters[i].decommission).
            deletion_protection=not ctx.spec.decommission,
            region=ctx.region,
            tags=ctx.tags(),
        ),
        # The log group must exist first, or EKS creates an unencrypted one without retention;
        # the role must carry its policy, or creation fails.
        opts=ctx.opts(depends_on=[*depends_on, *role.ready]),
    )


def oidc_issuer(cluster: aws.eks.Cluster) -> pulumi.Output[str]:
    return cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)


def build_oidc_provider(ctx: AwsContext, issuer: pulumi.Output[str]) -> aws.iam.OpenIdConnectProvider:
    """IRSA: lets service accounts federate into IAM roles (Pod Identity is the default path)."""
    return aws.iam.OpenIdConnectProvider(
        f"{ctx.name}-oidc",
        aws.iam.OpenIdConnectProviderArgs(url=issuer, client_id_lists=["sts.amazonaws.com"],
                                          tags=ctx.tags()),
        opts=ctx.opts(),
    )
