"""Who may call the Kubernetes API: IAM roles of the portable groups, via access entries.

Authorization stays in Kubernetes RBAC: every entry maps its IAM role to the group's
`kubernetes_group`, which the in-cluster baseline binds to roles. The roles are the posture's
(`posture.groups.<group>.awsRoleArns`) or, per cluster, `ClusterArgs.access` (Pulumi inputs,
e.g. from another stack; zero_trust_clusters/components/cluster.py `resolve_access`). Two EKS access policies:
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
from zero_trust_clusters.components.cluster import ClusterAccess
from zero_trust_clusters.components.spec import SpecError

ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
AUDITOR_POLICY = "AmazonEKSViewPolicy"
_GROUP_POLICIES = {"admins": ADMIN_POLICY, "auditors": AUDITOR_POLICY}


def _role_label(arn: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", arn.split(":role/")[-1].lower()).strip("-")


def _principals(ctx: AwsContext, access: ClusterAccess) -> list[tuple[str, str, str, pulumi.Input[str]]]:
    """(group name, Kubernetes group, resource label, role ARN) for every principal that gets
    an entry. A role from the config is labelled by its name (stable across runs); a brought
    one (`ClusterArgs.access`, possibly unknown until applied) by its group and position."""
    principals: list[tuple[str, str, str, pulumi.Input[str]]] = []
    for group in access.groups:
        for i, arn in enumerate(group.aws_role_arns):
            label = _role_label(arn) if isinstance(arn, str) else f"access-{i}"
            principals.append((group.name, group.kubernetes_group, label, arn))
    admins = access.group("admins")
    deployer = ctx.spec.settings.account_role_arn if ctx.spec.settings else None
    if deployer and deployer not in admins.aws_role_arns:
        principals.append(("admins", admins.kubernetes_group, _role_label(deployer), deployer))
    brought = [arn for *_, arn in principals if not isinstance(arn, str)]
    if not brought:
        return principals
    # EKS keeps one access entry per principal: a role listed twice (in two groups, or also the
    # deployer role) would fail at create; say so, naming the argument, once the ARNs are known.
    keys = [g.source["aws_role_arns"] + f"[{i}]" for g in access.groups
            for i, _ in enumerate(g.aws_role_arns)]
    keys += [f"{ctx.config_key}.aws.accountRoleArn"] * (len(principals) - len(keys))

    def distinct(arns: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for key, arn in zip(keys, arns, strict=True):
            if arn in seen:
                raise SpecError([(f"{key}: {arn} is also {seen[arn]}; EKS gives a role one "
                                  "access entry, so list each role once")])
            seen[arn] = key
        return arns

    every = pulumi.Output.all(*[arn for *_, arn in principals]).apply(distinct)
    return [(g, k, label, every.apply(lambda v, i=i: v[i]))
            for i, (g, k, label, _) in enumerate(principals)]


def build_access(ctx: AwsContext, cluster: aws.eks.Cluster,
                 access: ClusterAccess) -> list[pulumi.Resource]:
    created: list[pulumi.Resource] = []
    for group_name, kubernetes_group, role_label, arn in _principals(ctx, access):
        label = f"{ctx.name}-{group_name}-{role_label}"
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
