"""Audit trail: control-plane logs in a KMS-encrypted log group, copied to a WORM bucket.

Path: EKS control-plane logs -> CloudWatch log group (KMS, retention) -> subscription filter
-> Kinesis Data Firehose (KMS) -> S3 bucket with Object Lock in COMPLIANCE mode. Nobody, not
even the account root, can delete or shorten a locked object before its retention ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import iam, kms
from components.aws.context import AwsContext
from components.aws.policy_docs import Condition, Principal, Statement, document, same_account

CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
# The only values CloudWatch Logs accepts for retention_in_days.
CLOUDWATCH_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                             1096, 1827, 2192, 2557, 2922, 3288, 3653)


def cloudwatch_retention(days: int) -> int:
    """The smallest CloudWatch retention that keeps logs at least `days` days."""
    return next(d for d in CLOUDWATCH_RETENTION_DAYS if d >= days)


@dataclass
class AuditTrail:
    key: aws.kms.Key
    control_plane_logs: aws.cloudwatch.LogGroup
    flow_logs: aws.cloudwatch.LogGroup
    flow_log_role: iam.ManagedRole
    bucket: aws.s3.Bucket
    object_lock: aws.s3.BucketObjectLockConfiguration
    stream: aws.kinesis.FirehoseDeliveryStream
    subscription: aws.cloudwatch.LogSubscriptionFilter


def _log_group(ctx: AwsContext, label: str, group_name: str, key: aws.kms.Key,
               retention: int) -> aws.cloudwatch.LogGroup:
    return aws.cloudwatch.LogGroup(
        f"{ctx.name}-{label}",
        aws.cloudwatch.LogGroupArgs(
            name=group_name,
            retention_in_days=retention,
            kms_key_id=key.arn,
            log_group_class="STANDARD",  # subscription filters need the STANDARD class
            deletion_protection_enabled=True,
            region=ctx.region,
            tags=ctx.tags(),
        ),
        opts=ctx.opts(),
    )


def build_audit(ctx: AwsContext) -> AuditTrail:
    name, region = ctx.name, ctx.region
    days = ctx.posture.audit_retention_days
    source_arn = Condition(test="ArnLike", variable="aws:SourceArn",
                           values=[ctx.arn("logs", "*")])
    firehose_role = iam.role(ctx, "audit-firehose", "firehose.amazonaws.com",
                             "delivers control-plane logs to the WORM bucket",
                             conditions=[same_account(ctx)])
    to_firehose_role = iam.role(
        ctx, "audit-subscription", pulumi.Output.concat("logs.", region, ".", ctx.dns_suffix),
        "lets CloudWatch Logs feed the audit Firehose", conditions=[source_arn],
    )
    flow_log_role = iam.role(ctx, "flow-logs", "vpc-flow-logs.amazonaws.com",
                             "writes VPC flow logs", conditions=[same_account(ctx)])
    key = kms.logs_key(ctx, [firehose_role])

    control_plane_logs = _log_group(ctx, "control-plane-logs", f"/aws/eks/{name}/cluster", key,
                                    cloudwatch_retention(days))
    flow_logs = _log_group(ctx, "flow-logs", f"/ztc/{name}/vpc-flow-logs", key,
                           cloudwatch_retention(days))
    iam.inline_policy(ctx, flow_log_role, "flow-logs-write", document(ctx, [Statement(
        effect="Allow",
        actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        resources=[flow_logs.arn, pulumi.Output.concat(flow_logs.arn, ":*")],
    )]))

    bucket = aws.s3.Bucket(
        f"{name}-audit",
        aws.s3.BucketArgs(
            bucket=pulumi.Output.concat("ztc-", name, "-audit-", ctx.account_id, "-", region),
            object_lock_enabled=True,  # only settable at creation
            force_destroy=False,
            region=region,
            tags=ctx.tags(purpose="audit-worm"),
        ),
        # A locked bucket cannot be emptied; `pulumi destroy` leaves it (and its evidence) alone.
        opts=ctx.opts(retain_on_delete=True),
    )
    aws.s3.BucketVersioning(
        f"{name}-audit",
        aws.s3.BucketVersioningInitArgs(
            bucket=bucket.id, region=region,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"),
        ),
        opts=ctx.opts(),
    )
    object_lock = aws.s3.BucketObjectLockConfiguration(
        f"{name}-audit",
        aws.s3.BucketObjectLockConfigurationInitArgs(
            bucket=bucket.id,
            object_lock_enabled="Enabled",
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode="COMPLIANCE", days=days),
            ),
            region=region,
        ),
        opts=ctx.opts(),
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-audit",
        aws.s3.BucketServerSideEncryptionConfigurationInitArgs(
            bucket=bucket.id, region=region,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn),
                bucket_key_enabled=True,
            )],
        ),
        opts=ctx.opts(),
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-audit",
        aws.s3.BucketPublicAccessBlockArgs(bucket=bucket.id, block_public_acls=True,
                                           block_public_policy=True, ignore_public_acls=True,
                                           restrict_public_buckets=True, region=region),
        opts=ctx.opts(),
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-audit",
        aws.s3.BucketOwnershipControlsArgs(
            bucket=bucket.id, region=region,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced")),
        opts=ctx.opts(),
    )
    objects = pulumi.Output.concat(bucket.arn, "/*")
    aws.s3.BucketPolicy(
        f"{name}-audit",
        aws.s3.BucketPolicyArgs(bucket=bucket.id, region=region, policy=document(ctx, [
            Statement(sid="DenyInsecureTransport", effect="Deny", actions=["s3:*"],
                      resources=[bucket.arn, objects],
                      principals=[Principal(type="*", identifiers=["*"])],
                      conditions=[Condition(test="Bool", variable="aws:SecureTransport",
                                            values=["false"])]),
        ])),
        opts=ctx.opts(depends_on=[object_lock]),
    )

    stream = aws.kinesis.FirehoseDeliveryStream(
        f"{name}-audit",
        aws.kinesis.FirehoseDeliveryStreamArgs(
            name=f"ztc-{name}-control-plane-audit",
            destination="extended_s3",
            server_side_encryption=aws.kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs(
                enabled=True, key_type="CUSTOMER_MANAGED_CMK", key_arn=key.arn),
            extended_s3_configuration=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs(
                bucket_arn=bucket.arn,
                role_arn=firehose_role.arn,
                prefix=f"eks/{name}/control-plane/!{{timestamp:yyyy/MM/dd}}/",
                error_output_prefix=(
                    f"eks/{name}/delivery-errors/!{{firehose:error-output-type}}/"
                    "!{timestamp:yyyy/MM/dd}/"
                ),
                compression_format="GZIP",
                kms_key_arn=key.arn,
                buffering_interval=60,
                buffering_size=5,
            ),
            region=region,
            tags=ctx.tags(),
        ),
        opts=ctx.opts(),
    )
    firehose_writes = iam.inline_policy(ctx, firehose_role, "audit-firehose-write",
                                        document(ctx, [
        Statement(effect="Allow",
                  actions=["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetBucketLocation",
                           "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                  resources=[bucket.arn, objects]),
        Statement(effect="Allow", actions=["kms:GenerateDataKey", "kms:Decrypt"],
                  resources=[key.arn]),
    ]))
    feeds = iam.inline_policy(ctx, to_firehose_role, "audit-subscription-put", document(ctx, [
        Statement(effect="Allow", actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                  resources=[stream.arn]),
    ]))
    subscription = aws.cloudwatch.LogSubscriptionFilter(
        f"{name}-audit-to-worm",
        aws.cloudwatch.LogSubscriptionFilterArgs(
            name=f"ztc-{name}-control-plane-to-worm",
            log_group=control_plane_logs.name,
            filter_pattern="",  # every event
            destination_arn=stream.arn,
            role_arn=to_firehose_role.arn,
            distribution="ByLogStream",
            region=region,
        ),
        opts=ctx.opts(depends_on=[feeds, firehose_writes]),
    )
    return AuditTrail(key=key, control_plane_logs=control_plane_logs, flow_logs=flow_logs,
                      flow_log_role=flow_log_role, bucket=bucket, object_lock=object_lock,
                      stream=stream, subscription=subscription)
