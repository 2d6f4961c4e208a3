"""`LedgerBucket`: the S3 bucket the S3 store writes to, immutable by construction.

- Object Lock enabled at creation with a default COMPLIANCE retention (no one, not even
  the account root, can shorten it or delete a locked version), versioning on.
- SSE-KMS with a customer key (rotation on) or one you pass in; bucket keys on.
- All public access blocked, ACLs disabled (BucketOwnerEnforced).
- Bucket policy: TLS only; no deletes of ledger objects (a delete marker would hide an
  entry from plain readers); every PutObject must carry `If-None-Match` (the
  `s3:if-none-match` condition key), so even a buggy or hostile writer cannot overwrite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.catalog import ControlId
from components.ledger.s3 import LOCK_MODE

TYPE = "ztc:ledger:LedgerBucket"
SseByDefault = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs


@dataclass
class LedgerBucketArgs:
    # Globally unique S3 name; deterministic (no random suffix) so re-runs do not churn.
    bucket_name: str
    # Default COMPLIANCE retention; the S3 store sets the same per object.
    retention_days: int = 2555
    # Use an existing KMS key instead of creating one.
    kms_key_arn: pulumi.Input[str] | None = None
    # Key prefix the S3 store writes under (the policy rules apply to it).
    prefix: str = "ledger/"
    partition: str = "aws"
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ValueError(
                f"ledger retention_days is {self.retention_days}; set it to at least 1 day "
                "(Object Lock COMPLIANCE needs a positive period)"
            )
        if not self.prefix.endswith("/"):
            raise ValueError(f"ledger prefix {self.prefix!r} must end with '/'")


def bucket_policy(bucket_arn: str, prefix: str) -> str:
    """The bucket policy document (JSON) for `bucket_arn`."""
    objects = f"{bucket_arn}/{prefix}*"
    statements = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyLedgerDeletes",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            "Resource": objects,
        },
        {
            "Sid": "DenyUnconditionalLedgerWrites",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {"Null": {"s3:if-none-match": "true"}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def access_policy(bucket_arn: str, prefix: str, kms_key_arn: str, *, write: bool) -> str:
    """Least-privilege IAM policy (JSON) for a ledger reader (`verify`, `show`) or writer
    (`record`, which also reads the head). Attach it to the deployer's or auditor's role."""
    objects = f"{bucket_arn}/{prefix}*"
    object_actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectRetention"]
    kms_actions = ["kms:Decrypt"]
    if write:
        # PutObjectRetention: PutObject with Object Lock headers needs it.
        object_actions += ["s3:PutObject", "s3:PutObjectRetention"]
        kms_actions += ["kms:GenerateDataKey"]
    statements = [
        {"Sid": "LedgerList", "Effect": "Allow",
         "Action": ["s3:ListBucket", "s3:ListBucketVersions"], "Resource": bucket_arn,
         "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}}},
        {"Sid": "LedgerObjects", "Effect": "Allow", "Action": object_actions,
         "Resource": objects},
        {"Sid": "LedgerKey", "Effect": "Allow", "Action": kms_actions, "Resource": kms_key_arn},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


class LedgerBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LedgerBucketArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        arn = f"arn:{args.partition}:s3:::{args.bucket_name}"

        if args.kms_key_arn is None:
            key = aws.kms.Key(
                f"{name}-key",
                aws.kms.KeyArgs(
                    description=f"SSE-KMS for the change ledger bucket {args.bucket_name}",
                    enable_key_rotation=True,
                    deletion_window_in_days=30,
                    tags=args.tags,
                ),
                opts=child,
            )
            key_arn: pulumi.Input[str] = key.arn
        else:
            key_arn = args.kms_key_arn

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            aws.s3.BucketArgs(
                bucket=args.bucket_name,
                object_lock_enabled=True,
                force_destroy=False,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        on_bucket = pulumi.ResourceOptions(parent=self, depends_on=[bucket])
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            aws.s3.BucketOwnershipControlsArgs(
                bucket=bucket.bucket,
                rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            ),
            opts=on_bucket,
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            aws.s3.BucketPublicAccessBlockArgs(
                bucket=bucket.bucket,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            opts=on_bucket,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            aws.s3.BucketVersioningInitArgs(
                bucket=bucket.bucket,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                    status="Enabled"
                ),
            ),
            opts=on_bucket,
        )
        # The resource's args class is `…InitArgs` (as for versioning and encryption):
        # `BucketObjectLockConfigurationArgs` is the legacy inline block on `s3.Bucket`.
        lock = aws.s3.BucketObjectLockConfiguration(
            f"{name}-object-lock",
            aws.s3.BucketObjectLockConfigurationInitArgs(
                bucket=bucket.bucket,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=LOCK_MODE, days=args.retention_days
                    )
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            aws.s3.BucketServerSideEncryptionConfigurationInitArgs(
                bucket=bucket.bucket,
                rules=[
                    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                        apply_server_side_encryption_by_default=SseByDefault(
                            sse_algorithm="aws:kms", kms_master_key_id=key_arn
                        ),
                        bucket_key_enabled=True,
                    )
                ],
            ),
            opts=on_bucket,
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            aws.s3.BucketPolicyArgs(bucket=bucket.bucket, policy=bucket_policy(arn, args.prefix)),
            # After the public access block, so S3 judges the policy with the block in place.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block, ownership]),
        )

        self.bucket_name = pulumi.Output.from_input(args.bucket_name)
        self.bucket_arn = pulumi.Output.from_input(arn)
        self.kms_key_arn = pulumi.Output.from_input(key_arn)
        self.retention_days = args.retention_days
        self.prefix = args.prefix
        # For the deployer (record) and auditor (verify/show) roles; the estate attaches them.
        self.writer_policy = self.kms_key_arn.apply(
            lambda k: access_policy(arn, args.prefix, k, write=True))
        self.reader_policy = self.kms_key_arn.apply(
            lambda k: access_policy(arn, args.prefix, k, write=False))
        self.children = {
            "bucket": bucket, "ownership": ownership, "public_access": public_block,
            "versioning": versioning, "object_lock": lock, "encryption": encryption,
            "policy": policy,
        }
        self.register_outputs(
            {
                "bucketName": self.bucket_name,
                "bucketArn": self.bucket_arn,
                "kmsKeyArn": self.kms_key_arn,
                "retentionDays": args.retention_days,
                "prefix": args.prefix,
                "writerPolicy": self.writer_policy,
                "readerPolicy": self.reader_policy,
                "controls": [str(ControlId.CHANGE_LEDGER)],
            }
        )
