"""`LedgerBucket`: the S3 bucket the S3 store writes to, immutable by construction.

Built by the shared WORM builder (zero_trust_clusters/components/aws/worm_bucket.py, also the EKS audit bucket's):
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

from zero_trust_clusters.components.aws.worm_bucket import WormBucketArgs, worm_bucket

TYPE = "ztc:ledger:LedgerBucket"


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
        # `retentionDays` is the posture's: the pack checks the lock covers it (ledger_worm).
        super().__init__(TYPE, name, {"retentionDays": args.retention_days, "cloud": "aws"},
                         opts)
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

        # The shared WORM builder (also the EKS audit bucket's); names as registered before.
        worm = worm_bucket(
            lambda role: f"{name}-{role}",
            WormBucketArgs(
                bucket_name=args.bucket_name,
                retention_days=args.retention_days,
                kms_key_arn=key_arn,
                partition=args.partition,
                protected_prefix=args.prefix,
                # Writers are whoever holds `writer_policy`; how they write is fixed here.
                conditional_writes_only=True,
                tags=args.tags,
            ),
            child,
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
        self.children = worm.children()
        self.location = f"s3://{args.bucket_name}/{args.prefix}"
        self.register_outputs(
            {
                "cloud": "aws",
                "bucketName": self.bucket_name,
                "bucketArn": self.bucket_arn,
                "kmsKeyArn": self.kms_key_arn,
                "retentionDays": args.retention_days,
                "prefix": args.prefix,
                "location": self.location,
                "writerPolicy": self.writer_policy,
                "readerPolicy": self.reader_policy,
                "controls": ["ZT-CHANGE-LEDGER"],
            }
        )
