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
from typing import NamedTuple

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


class _Principal(NamedTuple):
    group: str
    kubernetes_group: str
    label: str  # in the resource names: must not change while the role keeps its entry
    arn: pulumi.Input[str]
    key: str  # what an error names
    # Named by its position in a list: replaced when the list is reordered, so deleted first.
    positional: bool


def _principals(ctx: AwsContext, access: ClusterAccess) -> list[_Principal]:
    """Every principal that gets an entry. EKS keeps one access entry per principal and
    refuses a second one with ResourceInUseException
    (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html), so an
    entry's name must follow its role, not its place: a mapping's label, else a plain ARN's
    role name (the config's roles too, so a role moved between the posture and
    `ClusterArgs.access` keeps its entry); only an Output in a list is named by position."""
    principals: list[_Principal] = []
    for group in access.groups:
        for i, (arn, given, key) in enumerate(zip(group.aws_role_arns, group.aws_role_labels,
                                                  group.aws_role_keys, strict=True)):
            positional = given is None and not isinstance(arn, str)
            label = given or (_role_label(arn) if isinstance(arn, str) else f"access-{i}")
            principals.append(_Principal(group.name, group.kubernetes_group, label, arn, key,
                                         positional))
    admins = access.group("admins")
    deployer = ctx.spec.settings.account_role_arn if ctx.spec.settings else None
    if deployer and deployer not in admins.aws_role_arns:
        principals.append(_Principal("admins", admins.kubernetes_group, _role_label(deployer),
                                     deployer, f"{ctx.config_key}.aws.accountRoleArn", False))
    # Two roles of a group under one name would be one Pulumi resource twice; the config's
    # roles come first, so the error names the argument's label (the one to change).
    named: dict[tuple[str, str], str] = {}
    for p in sorted(principals, key=lambda p: p.key.startswith("ClusterArgs")):
        other = named.setdefault((p.group, p.label), p.key)
        if other != p.key:
            raise SpecError([(f"{p.key}: its access entry would be named {p.label!r}, as "
                              f"{other}'s; give the roles distinct labels (a mapping "
                              "label -> role ARN)")])
    if all(isinstance(p.arn, str) for p in principals):
        return principals

    # EKS keeps one access entry per principal: a role listed twice (in two groups, or also the
    # deployer role) would fail at create; say so, naming the argument, once the ARNs are known.
    def distinct(arns: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for p, arn in zip(principals, arns, strict=True):
            if arn in seen:
                raise SpecError([(f"{p.key}: {arn} is also {seen[arn]}; EKS gives a role one "
                                  "access entry, so list each role once")])
            seen[arn] = p.key
        return arns

    every = pulumi.Output.all(*[p.arn for p in principals]).apply(distinct)
    return [p._replace(arn=every.apply(lambda v, i=i: v[i])) for i, p in enumerate(principals)]


def build_access(ctx: AwsContext, cluster: aws.eks.Cluster,
                 access: ClusterAccess) -> list[pulumi.Resource]:
    created: list[pulumi.Resource] = []
    for p in _principals(ctx, access):
        label = f"{ctx.name}-{p.group}-{p.label}"
        # A positional entry's principal changes when its list is reordered: delete the old
        # entry first, or the replacement's create is refused while it holds the principal.
        opts = ctx.opts(delete_before_replace=True) if p.positional else ctx.opts()
        entry = aws.eks.AccessEntry(
            label,
            aws.eks.AccessEntryArgs(cluster_name=cluster.name, principal_arn=p.arn,
                                    type="STANDARD",
                                    kubernetes_groups=[p.kubernetes_group],
                                    region=ctx.region, tags=ctx.tags(group=p.group)),
            opts=opts,
        )
        created.append(entry)
        policy = _GROUP_POLICIES.get(p.group)
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
                opts=ctx.opts(delete_before_replace=True) if p.positional else ctx.opts(),
            ))
    return created
