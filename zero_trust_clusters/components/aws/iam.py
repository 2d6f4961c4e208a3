"""IAM roles of one EKS cluster, each with only what its user needs (no admin policies)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.aws.policy_docs import (
    Condition,
    Statement,
    document,
    service_trust,
)


@dataclass
class ManagedRole:
    """A role plus its policy attachments (dependents wait for both, or calls fail at first)."""

    role: aws.iam.Role
    # The ARN the role will have, from its fixed name and the account (both known at preview).
    declared_arn: pulumi.Output[str]
    attachments: list[aws.iam.RolePolicyAttachment] = field(default_factory=list)
    inline: list[aws.iam.RolePolicy] = field(default_factory=list)

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.role.arn

    @property
    def name(self) -> pulumi.Output[str]:
        return self.role.name

    @property
    def ready(self) -> list[pulumi.Resource]:
        return [self.role, *self.attachments, *self.inline]


def role(ctx: AwsContext, purpose: str, service: pulumi.Input[str], description: str, *,
         managed: Sequence[str] = (), tag_session: bool = False,
         conditions: Sequence[Condition] = ()) -> ManagedRole:
    """A role one service may assume, with the named AWS managed policies attached."""
    role_name = f"ztc-{ctx.name}-{purpose}"
    resource = aws.iam.Role(
        f"{ctx.name}-{purpose}",
        aws.iam.RoleArgs(
            name=role_name,
            description=f"ztc {ctx.name}: {description}",
            assume_role_policy=service_trust(ctx, service, tag_session=tag_session,
                                             conditions=conditions),
            max_session_duration=3600,
            force_detach_policies=True,
            tags=ctx.tags(),
        ),
        opts=ctx.opts(),
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{ctx.name}-{purpose}-{policy}",
            aws.iam.RolePolicyAttachmentArgs(role=resource.name,
                                              policy_arn=ctx.managed_policy(policy)),
            opts=ctx.opts(),
        )
        for policy in managed
    ]
    return ManagedRole(role=resource, attachments=attachments,
                       declared_arn=ctx.arn("iam", f"role/{role_name}", regional=False))


def inline_policy(ctx: AwsContext, owner: ManagedRole, purpose: str,
                  policy: pulumi.Input[str]) -> aws.iam.RolePolicy:
    """An inline policy of `owner`; it joins `owner.ready`, so dependents wait for it."""
    created = aws.iam.RolePolicy(
        f"{ctx.name}-{purpose}",
        aws.iam.RolePolicyArgs(name=purpose, role=owner.name, policy=policy),
        opts=ctx.opts(),
    )
    owner.inline.append(created)
    return created


def cluster_role(ctx: AwsContext) -> ManagedRole:
    return role(ctx, "cluster", "eks.amazonaws.com", "EKS control plane",
                managed=["AmazonEKSClusterPolicy"], tag_session=True)


# What a node calls itself before kubelet starts: its private DNS name (the Node name) from
# EC2. nodeadm (AL2023) waits up to 10 minutes for it and then fails, so kubelet never starts
# (awslabs/amazon-eks-ami nodeadm/internal/api/status.go; nodeadm/doc/examples.md lists
# ec2:DescribeInstances as a node-role permission); Bottlerocket's pluto does the same for
# hostname-override (bottlerocket-core-kit sources/api/pluto/src/ec2.rs).
# DescribeInstances has no resource-level permissions, so the resource is "*"
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
NODE_JOIN_ACTIONS = ["ec2:DescribeInstances"]


def node_role(ctx: AwsContext) -> ManagedRole:
    # AmazonEKSWorkerNodeMinimalPolicy grants only eks-auth:AssumeRoleForPodIdentity
    # (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEKSWorkerNodeMinimalPolicy.html);
    # the one EC2 call a node needs to join is added inline rather than AmazonEKSWorkerNodePolicy's
    # wider ec2:Describe* set (route tables, security groups, subnets, volumes, VPCs) and
    # eks:DescribeCluster, which nodes here never call: the user data carries endpoint, CA and
    # service CIDR. Pull-only ECR access; the VPC CNI gets its ENI permissions through Pod
    # Identity instead of the node role.
    created = role(ctx, "node", "ec2.amazonaws.com", "managed node groups",
                   managed=["AmazonEKSWorkerNodeMinimalPolicy",
                            "AmazonEC2ContainerRegistryPullOnly"])
    inline_policy(ctx, created, "node-join", document(ctx, [Statement(
        sid="FindOwnPrivateDnsName", effect="Allow", actions=NODE_JOIN_ACTIONS,
        resources=["*"])]))
    return created


def pod_identity_role(ctx: AwsContext, purpose: str, description: str,
                      managed: Sequence[str]) -> ManagedRole:
    """A role for one Kubernetes service account through EKS Pod Identity."""
    return role(ctx, purpose, "pods.eks.amazonaws.com", description, managed=managed,
                tag_session=True)
