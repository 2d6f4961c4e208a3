"""Who may call the Kubernetes API: IAM roles of the portable groups, via access entries.

Authorization stays in Kubernetes RBAC: every entry maps its IAM role to the group's
`kubernetes_group`, which the in-cluster baseline binds to roles. Two EKS access policies:
- admins get AmazonEKSClusterAdminPolicy (cluster scope). Creator-admin bootstrap is off, so
  without it nobody could apply the baseline (RBAC bindings, policies) on a fresh cluster;
  the deployer assumes an admin role. When the cluster names an account role
  (`aws.accountRoleArn`), that deployer role gets the same explicit, visible admin entry:
  it is what the kubeconfig assumes, and unlike creator-admin it shows up in the API.
- auditors get AmazonEKSViewPolicy (cluster scope): read-only and, unlike
  AmazonEKSAdminViewPolicy, without Secrets. It keeps auditors' read access independent of
  in-cluster RBAC that cluster admins could edit. Developers get RBAC only.
"""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws.context import AwsContext

ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
AUDITOR_POLICY = "AmazonEKSViewPolicy"
_GROUP_POLICIES = {"admins": ADMIN_POLICY, "auditors": AUDITOR_POLICY}


def _role_label(arn: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", arn.split(":role/")[-1].lower()).strip("-")


def _principals(ctx: AwsContext) -> list[tuple[str, str, str]]:
    """(group name, Kubernetes group, role ARN) for every principal that gets an entry."""
    groups = ctx.posture.groups
    principals = [(name, group.kubernetes_group, arn)
                  for name, group in groups.items() for arn in group.aws_role_arns]
    deployer = ctx.spec.settings.account_role_arn if ctx.spec.settings else None
    if deployer and deployer not in groups.admins.aws_role_arns:
        principals.append(("admins", groups.admins.kubernetes_group, deployer))
    return principals


def build_access(ctx: AwsContext, cluster: aws.eks.Cluster) -> list[pulumi.Resource]:
    created: list[pulumi.Resource] = []
    for group_name, kubernetes_group, arn in _principals(ctx):
        label = f"{ctx.name}-{group_name}-{_role_label(arn)}"
        entry = aws.eks.AccessEntry(
            label,
            aws.eks.AccessEntryArgs(cluster_name=cluster.name, principal_arn=arn,
                                    type="STANDARD",
                                    kubernetes_groups=[kubernetes_group],
                                    region=ctx.region, tags=ctx.tags(group=group_name)),
            opts=ctx.opts(),
        )
        created.append(entry)
        policy = _GROUP_POLICIES.get(group_name)
        if policy:
            created.append(aws.eks.AccessPolicyAssociation(
                label,
                aws.eks.AccessPolicyAssociationArgs(
                    cluster_name=cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=ctx.eks_access_policy(policy),
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    region=ctx.region,
                ),
                opts=ctx.opts(),
            ))
    return created
