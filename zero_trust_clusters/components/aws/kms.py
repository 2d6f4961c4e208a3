"""Customer-managed KMS keys: one per purpose, rotation on, key policy scoped to its users.

Bring your own keys (`EksKeysArgs`, or the stack's `aws.keys` block): the secrets and disk keys
are the key owner's, and so is their key policy; the component creates neither and cannot
grant itself their use (a KMS key policy is edited by its owner only). The owner's policy must
allow, as this module's own keys do:
- the cluster role `arn:<partition>:iam::<account>:role/ztc-<cluster>-cluster` on the secrets
  key: kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey and
  kms:CreateGrant with `kms:GrantIsForAWSResource` true; for a key of another account, the
  principal that creates the cluster needs access too
  (https://docs.aws.amazon.com/eks/latest/APIReference/API_Provider.html);
- the EC2 Auto Scaling service-linked role
  `arn:<partition>:iam::<account>:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`
  on the disk key: the same use actions and kms:CreateGrant with `kms:GrantIsForAWSResource`
  (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
Rotation is the owner's too: the policy pack cannot see a key outside the program, so it
reports ZT-SECRETS-KMS "not verifiable" for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components import lifecycle
from zero_trust_clusters.components.aws.cloud import kms_key_problem
from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.aws.iam import ManagedRole
from zero_trust_clusters.components.aws.policy_docs import (
    Condition,
    Principal,
    Statement,
    document,
    same_account,
)
from zero_trust_clusters.components.cluster import ExistingKeys, checked_input

USE_KEY = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def _key_admin(ctx: AwsContext) -> Statement:
    # The account root keeps the key manageable (without it a key can become unrecoverable);
    # every other principal is named explicitly in the statements of each key.
    return Statement(
        sid="AccountAdministers",
        effect="Allow",
        actions=["kms:*"],
        resources=["*"],
        principals=[Principal(
            type="AWS", identifiers=[pulumi.Output.concat("arn:", ctx.partition, ":iam::",
                                                          ctx.account_id, ":root")]
        )],
    )


def _grant_for_aws_resource(sid: str, principals: Sequence[Principal]) -> Statement:
    return Statement(
        sid=sid,
        effect="Allow",
        actions=["kms:CreateGrant"],
        resources=["*"],
        principals=list(principals),
        conditions=[Condition(test="Bool", variable="kms:GrantIsForAWSResource", values=["true"])],
    )


def customer_key(ctx: AwsContext, purpose: str, description: str,
                 statements: Sequence[Statement],
                 depends_on: Sequence[pulumi.Resource] = ()) -> aws.kms.Key:
    key = aws.kms.Key(
        f"{ctx.name}-{purpose}",
        aws.kms.KeyArgs(
            description=f"ztc {ctx.name}: {description}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=document(ctx, [_key_admin(ctx), *statements]),
            region=ctx.region,
            tags=ctx.tags(purpose=purpose),
        ),
        # Stateful: kept (protect + retainOnDelete) unless the cluster is decommissioned.
        opts=ctx.opts(depends_on=list(depends_on), **lifecycle.kept(ctx.spec)),
    )
    aws.kms.Alias(
        f"{ctx.name}-{purpose}",
        aws.kms.AliasArgs(name=f"alias/ztc/{ctx.name}/{purpose}", target_key_id=key.key_id,
                          region=ctx.region),
        opts=ctx.opts(),
    )
    return key


def secrets_key(ctx: AwsContext, cluster_role: ManagedRole) -> aws.kms.Key:
    """Envelope key for Kubernetes Secrets; only the EKS cluster role may use it.

    The policy names the role by its declared ARN, so who may use the key is known at a first
    preview; the key still waits for the role (KMS refuses a principal that does not exist).
    """
    role = Principal(type="AWS", identifiers=[cluster_role.declared_arn])
    return customer_key(ctx, "secrets", "EKS secrets envelope encryption", [
        Statement(sid="ClusterRoleUses", effect="Allow", actions=USE_KEY, resources=["*"],
                  principals=[role]),
        _grant_for_aws_resource("ClusterRoleGrants", [role]),
    ], depends_on=[cluster_role.role])


def disk_key(ctx: AwsContext) -> aws.kms.Key:
    """Node EBS volumes; EC2 Auto Scaling (which launches managed nodes) is the only user.

    KMS refuses a policy naming a principal that does not exist: an account that never used
    Auto Scaling needs its service-linked role first
    (`aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com`).
    """
    asg = Principal(type="AWS", identifiers=[pulumi.Output.concat(
        "arn:", ctx.partition, ":iam::", ctx.account_id,
        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    )])
    return customer_key(ctx, "disks", "node EBS volumes", [
        Statement(sid="AutoScalingUses", effect="Allow", actions=USE_KEY, resources=["*"],
                  principals=[asg]),
        _grant_for_aws_resource("AutoScalingGrants", [asg]),
    ])


def logs_key(ctx: AwsContext, writers: Sequence[ManagedRole],
             alarms: pulumi.Input[str]) -> aws.kms.Key:
    """Audit trail: CloudWatch Logs (this account's log groups only), Firehose and the bucket,
    and CloudWatch alarms (`alarms`: an ARN pattern) publishing to the audit alarm topic."""
    logs_service = pulumi.Output.concat("logs.", ctx.region, ".", ctx.dns_suffix)
    return customer_key(ctx, "audit", "control-plane audit logs and flow logs", [
        Statement(
            sid="CloudWatchLogsUses",
            effect="Allow",
            actions=USE_KEY,
            resources=["*"],
            principals=[Principal(type="Service", identifiers=[logs_service])],
            conditions=[Condition(
                test="ArnLike",
                variable="kms:EncryptionContext:aws:logs:arn",
                values=[ctx.arn("logs", "log-group:*")],
            )],
        ),
        Statement(sid="AuditWritersUse", effect="Allow", actions=USE_KEY, resources=["*"],
                  principals=[Principal(type="AWS",
                                        identifiers=[w.declared_arn for w in writers])]),
        # CloudWatch can publish to a KMS-encrypted SNS topic only with these two actions on
        # its key (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
        # only for this account's audit alarms (confused-deputy guard).
        Statement(
            sid="AuditAlarmsPublish", effect="Allow",
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],
            principals=[Principal(type="Service", identifiers=["cloudwatch.amazonaws.com"])],
            conditions=[same_account(ctx),
                        Condition(test="ArnLike", variable="aws:SourceArn", values=[alarms])],
        ),
    ], depends_on=[w.role for w in writers])


@dataclass(frozen=True)
class EksKeysArgs(ExistingKeys):
    """Existing KMS keys for an EksCluster (see this module's docstring for the grants their
    key policies must hold). Each ARN may be a `pulumi.Input` (another stack's output); checked
    when known: a KMS key ARN (not an alias) in the cluster's Region."""

    secrets_key_arn: pulumi.Input[str]
    """The envelope key of Kubernetes Secrets (`encryptionConfig`): symmetric, the cluster's
    Region."""
    disks_key_arn: pulumi.Input[str]
    """The key of every node EBS volume (launch templates' `kmsKeyId`): symmetric, the
    cluster's Region."""


@dataclass(frozen=True)
class ClusterKeys:
    """The secrets and disk keys' ARNs, and the key resources when the cluster created them."""

    secrets_arn: pulumi.Input[str]
    disks_arn: pulumi.Input[str]
    secrets: aws.kms.Key | None = None
    disks: aws.kms.Key | None = None


def brought_keys(ctx: AwsContext, keys: EksKeysArgs, where: str) -> ClusterKeys:
    """The brought ARNs, each checked when known (errors name `where`.<field>)."""

    def arn(value: pulumi.Input[str], field: str) -> pulumi.Input[str]:
        def check(known: str) -> None:
            problem = kms_key_problem(known, ctx.region)
            if problem:
                raise ValueError(problem)

        return checked_input(value, check, f"{where}.{field}")

    return ClusterKeys(secrets_arn=arn(keys.secrets_key_arn, "secretsKeyArn"),
                       disks_arn=arn(keys.disks_key_arn, "disksKeyArn"))
