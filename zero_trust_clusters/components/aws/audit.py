"""Audit trail: control-plane logs in a KMS-encrypted log group, copied to a WORM bucket.

Path: EKS control-plane logs -> CloudWatch log group (KMS, retention) -> subscription filter
-> Kinesis Data Firehose (KMS) -> S3 bucket with Object Lock in COMPLIANCE mode. Nobody, not
even the account root, can delete or shorten a locked object before its retention ends.

Delivery cannot fail silently. S3 rejects a PutObject into a bucket with a default retention
unless it carries Content-MD5 or an x-amz-checksum-* header, and no AWS document says whether
Firehose sends one. If it does not (or KMS or the role deny it), Firehose keeps retrying S3
only while it retains the records, 24 hours for a Direct PUT stream, and the data is lost after
(https://docs.aws.amazon.com/firehose/latest/dev/troubleshooting.html).
So Firehose logs its delivery errors to a log group and three alarms publish to a KMS-encrypted
SNS topic (`audit_alarm_topic`): failed S3 puts (`DeliveryToS3.Success` < 1), data older than
Firehose's 15-minute buffering limit (`DeliveryToS3.DataFreshness`, the alarm AWS recommends:
https://docs.aws.amazon.com/firehose/latest/dev/firehose-cloudwatch-metrics-best-practices.html),
and no records at all for 30 minutes (a broken subscription; control planes log continuously).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components import lifecycle
from zero_trust_clusters.components.aws import iam, kms
from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.aws.policy_docs import (
    Condition,
    Principal,
    Statement,
    document,
    same_account,
)
from zero_trust_clusters.components.aws.worm_bucket import WormBucketArgs, worm_bucket

CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
# The only values CloudWatch Logs accepts for retention_in_days.
CLOUDWATCH_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                             1096, 1827, 2192, 2557, 2922, 3288, 3653)


def cloudwatch_retention(days: int) -> int:
    """The smallest CloudWatch retention that keeps logs at least `days` days."""
    return next(d for d in CLOUDWATCH_RETENTION_DAYS if d >= days)


# Firehose metrics (https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html).
FIREHOSE_NAMESPACE = "AWS/Firehose"
ALARM_PERIOD_S = 300
FIREHOSE_MAX_BUFFER_S = 900  # the longest a record may wait in a Firehose buffer
ERROR_LOG_STREAM = "DestinationDelivery"


@dataclass(frozen=True)
class DeliveryAlarm:
    label: str
    metric: str
    statistic: str
    comparison: str
    threshold: float
    periods: int
    missing_data: str
    description: str


DELIVERY_ALARMS = (
    DeliveryAlarm("delivery-failing", "DeliveryToS3.Success", "Minimum", "LessThanThreshold", 1,
                  3, "notBreaching",
                  "S3 refused audit log objects for 15 minutes (Object Lock Content-MD5, KMS "
                  "or role); see the Firehose error log group"),
    DeliveryAlarm("delivery-stale", "DeliveryToS3.DataFreshness", "Maximum",
                  "GreaterThanThreshold", FIREHOSE_MAX_BUFFER_S, 1, "notBreaching",
                  "audit log records wait longer than Firehose's buffering limit: delivery to "
                  "the Object Lock bucket is failing and retrying (data is dropped after 24 h)"),
    DeliveryAlarm("no-records", "IncomingRecords", "Sum", "LessThanThreshold", 1, 6,
                  "breaching",
                  "no control-plane log records reached Firehose for 30 minutes: the "
                  "subscription filter or its role is broken"),
)


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
    delivery_errors: aws.cloudwatch.LogGroup
    alarm_topic: aws.sns.Topic
    alarms: list[aws.cloudwatch.MetricAlarm]


def _log_group(ctx: AwsContext, label: str, group_name: str, key: aws.kms.Key,
               retention: int) -> aws.cloudwatch.LogGroup:
    return aws.cloudwatch.LogGroup(
        f"{ctx.name}-{label}",
        aws.cloudwatch.LogGroupArgs(
            name=group_name,
            retention_in_days=retention,
            kms_key_id=key.arn,
            log_group_class="STANDARD",  # subscription filters need the STANDARD class
            deletion_protection_enabled=lifecycle.deletion_protection(ctx.spec),
            region=ctx.region,
            tags=ctx.tags(),
        ),
        opts=ctx.opts(**lifecycle.kept(ctx.spec)),
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
    alarm_prefix = f"ztc-{name}-audit-"
    key = kms.logs_key(ctx, [firehose_role],
                       alarms=ctx.arn("cloudwatch", f"alarm:{alarm_prefix}*"))

    control_plane_logs = _log_group(ctx, "control-plane-logs", f"/aws/eks/{name}/cluster", key,
                                    cloudwatch_retention(days))
    flow_logs = _log_group(ctx, "flow-logs", f"/ztc/{name}/vpc-flow-logs", key,
                           cloudwatch_retention(days))
    # Role policies name the ARNs their resources will have (declared from names, account and
    # partition, as the key policies do), not the resources' computed `arn` outputs: a document
    # with an unknown ARN is unknown as a whole at a first preview, and the pack can't judge it.
    flow_logs_arn = ctx.arn("logs", f"log-group:/ztc/{name}/vpc-flow-logs")
    iam.inline_policy(ctx, flow_log_role, "flow-logs-write", document(ctx, [Statement(
        effect="Allow",
        actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        resources=[flow_logs_arn, pulumi.Output.concat(flow_logs_arn, ":*")],
    )]))

    # The shared WORM builder (also the change ledger's); every child keeps its `<name>-audit`
    # name. Only the Firehose role may write: any other writer could fill the audit trail with
    # objects nobody can delete for the whole retention.
    worm = worm_bucket(
        lambda role: f"{name}-audit",
        WormBucketArgs(
            bucket_name=pulumi.Output.concat("ztc-", name, "-audit-", ctx.account_id, "-", region),
            retention_days=days,
            kms_key_arn=key.arn,
            partition=ctx.partition,
            writer_arns=[firehose_role.declared_arn],
            region=region,
            tags=ctx.tags(purpose="audit-worm"),
            keep=lifecycle.kept(ctx.spec)["protect"],
        ),
        ctx.opts(),
    )
    bucket, object_lock = worm.bucket, worm.object_lock
    bucket_arn = worm.arn  # declared from the name: known at a first preview
    objects = pulumi.Output.concat(bucket_arn, "/*")

    stream_name = f"ztc-{name}-control-plane-audit"
    delivery_errors = _log_group(ctx, "audit-delivery-errors",
                                 f"/aws/kinesisfirehose/{stream_name}", key,
                                 cloudwatch_retention(days))
    error_stream = aws.cloudwatch.LogStream(
        f"{name}-audit-delivery-errors",
        aws.cloudwatch.LogStreamArgs(name=ERROR_LOG_STREAM, log_group_name=delivery_errors.name,
                                     region=region),
        opts=ctx.opts(),
    )
    stream = aws.kinesis.FirehoseDeliveryStream(
        f"{name}-audit",
        aws.kinesis.FirehoseDeliveryStreamArgs(
            name=stream_name,
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
                # Why a delivery failed (e.g. S3's Content-MD5 refusal), next to the alarms.
                cloudwatch_logging_options=aws.kinesis.
                FirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptionsArgs(
                    enabled=True, log_group_name=delivery_errors.name,
                    log_stream_name=error_stream.name),
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
                  resources=[bucket_arn, objects]),
        # No KMS statement: the audit key's policy names this role (kms.logs_key, statement
        # AuditWritersUse), and a key policy alone grants a principal it names
        # (https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html).
        Statement(effect="Allow", actions=["logs:PutLogEvents"],
                  resources=[ctx.arn("logs", f"log-group:/aws/kinesisfirehose/{stream_name}"
                                     ":log-stream:*")]),
    ]))
    feeds = iam.inline_policy(ctx, to_firehose_role, "audit-subscription-put", document(ctx, [
        Statement(effect="Allow", actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                  resources=[ctx.arn("firehose", f"deliverystream/{stream_name}")]),
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
    alarm_topic, alarms = _delivery_alarms(ctx, stream_name, alarm_prefix, key,
                                           depends_on=[stream])
    return AuditTrail(key=key, control_plane_logs=control_plane_logs, flow_logs=flow_logs,
                      flow_log_role=flow_log_role, bucket=bucket, object_lock=object_lock,
                      stream=stream, subscription=subscription, delivery_errors=delivery_errors,
                      alarm_topic=alarm_topic, alarms=alarms)


def _delivery_alarms(ctx: AwsContext, stream_name: str, alarm_prefix: str, key: aws.kms.Key,
                     depends_on: list[pulumi.Resource]
                     ) -> tuple[aws.sns.Topic, list[aws.cloudwatch.MetricAlarm]]:
    """Alarms on the audit stream, published to a KMS-encrypted topic (subscribe your pager)."""
    name, region = ctx.name, ctx.region
    topic = aws.sns.Topic(
        f"{name}-audit-alarms",
        aws.sns.TopicArgs(name=f"ztc-{name}-audit-alarms", kms_master_key_id=key.arn,
                          region=region, tags=ctx.tags()),
        opts=ctx.opts(),
    )
    alarm_arns = ctx.arn("cloudwatch", f"alarm:{alarm_prefix}*")
    aws.sns.TopicPolicy(
        f"{name}-audit-alarms",
        aws.sns.TopicPolicyArgs(arn=topic.arn, region=region, policy=document(ctx, [Statement(
            sid="AuditAlarmsPublish", effect="Allow", actions=["sns:Publish"],
            resources=[topic.arn],
            principals=[Principal(type="Service", identifiers=["cloudwatch.amazonaws.com"])],
            conditions=[same_account(ctx),
                        Condition(test="ArnLike", variable="aws:SourceArn", values=[alarm_arns])],
        )])),
        opts=ctx.opts(),
    )
    alarms = [
        aws.cloudwatch.MetricAlarm(
            f"{name}-audit-{spec.label}",
            aws.cloudwatch.MetricAlarmArgs(
                name=f"{alarm_prefix}{spec.label}",
                alarm_description=f"ztc {name}: {spec.description}",
                namespace=FIREHOSE_NAMESPACE,
                metric_name=spec.metric,
                dimensions={"DeliveryStreamName": stream_name},
                statistic=spec.statistic,
                period=ALARM_PERIOD_S,
                evaluation_periods=spec.periods,
                datapoints_to_alarm=spec.periods,
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                treat_missing_data=spec.missing_data,
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                region=region,
                tags=ctx.tags(),
            ),
            opts=ctx.opts(depends_on=depends_on),
        )
        for spec in DELIVERY_ALARMS
    ]
    return topic, alarms
