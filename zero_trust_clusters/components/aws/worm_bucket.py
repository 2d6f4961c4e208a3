"""The one builder for an S3 WORM (write once, read many) bucket.

Two stores use it: the EKS control-plane audit bucket Firehose writes to (zero_trust_clusters/components/aws/audit.py)
and the change ledger's bucket (zero_trust_clusters/components/ledger/bucket.py). Both get the same immutability:

- Object Lock, enabled when the bucket is created (it cannot be switched on for an existing
  bucket without a support token), with a default retention in COMPLIANCE mode: "no user can
  overwrite or delete [a protected object version], including the root user", and the mode and
  period cannot be shortened
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html). Versioning on, which
  Object Lock requires.
- SSE-KMS with the caller's key and S3 Bucket Keys; ACLs disabled (BucketOwnerEnforced); every
  kind of public access blocked.
- A bucket policy that denies any access without TLS (`aws:SecureTransport`), every delete of a
  protected object (a delete marker would hide an object from plain readers, even though the
  locked version survives), and, per use, writes by anyone but the named writers
  (`aws:PrincipalArn`, which for a role session is the role's ARN:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn)
  and writes without `If-None-Match` (the `s3:if-none-match` condition key:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html).
- The bucket is protected and retained on delete: its locked objects outlive the stack.

What differs between the two uses is a parameter (`WormBucketArgs`): the retention, the key,
which objects are protected, who may write and how, and the resource names (kept as each use
registered them before, so no deployed bucket is replaced). Neither use expires objects, so
there is no lifecycle parameter: expiring WORM objects would be a retention decision of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# The Object Lock mode of every WORM bucket: GOVERNANCE can be bypassed with a permission.
LOCK_MODE = "COMPLIANCE"
# Child roles, in the order they are created; `names(role)` turns each into a resource name.
ROLES = ("bucket", "ownership", "public-access", "versioning", "object-lock", "encryption",
         "policy")

SseByDefault = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
DefaultRetention = aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs


@dataclass(frozen=True)
class WormBucketArgs:
    # Globally unique S3 name.
    bucket_name: pulumi.Input[str]
    # Default COMPLIANCE retention of every new object version, in days.
    retention_days: int
    # SSE-KMS key (ARN).
    kms_key_arn: pulumi.Input[str]
    partition: pulumi.Input[str] = "aws"
    # Objects whose deletes (and unconditional writes) the policy denies; "" = every object.
    protected_prefix: str = ""
    # Who may write: only these principals (role ARNs) may PutObject. None: whoever IAM allows.
    writer_arns: Sequence[pulumi.Input[str]] | None = None
    # How: every PutObject under the prefix must carry If-None-Match (create, never overwrite).
    conditional_writes_only: bool = False
    # Per-resource region (pulumi-aws 7); None: the provider's region.
    region: pulumi.Input[str] | None = None
    tags: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Kept (protect + retainOnDelete, zero_trust_clusters/components/lifecycle.py); False only for a decommissioned
    # cluster's audit bucket.
    keep: bool = True

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ValueError(
                f"WORM bucket retention_days is {self.retention_days}; set it to at least 1 day "
                "(Object Lock COMPLIANCE needs a positive period)"
            )
        if self.protected_prefix and not self.protected_prefix.endswith("/"):
            raise ValueError(f"protected prefix {self.protected_prefix!r} must end with '/'")


@dataclass(frozen=True)
class WormBucket:
    bucket: aws.s3.Bucket
    arn: pulumi.Output[str]
    ownership: aws.s3.BucketOwnershipControls
    public_access: aws.s3.BucketPublicAccessBlock
    versioning: aws.s3.BucketVersioning
    object_lock: aws.s3.BucketObjectLockConfiguration
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    policy: aws.s3.BucketPolicy

    def children(self) -> dict[str, pulumi.Resource]:
        return {"bucket": self.bucket, "ownership": self.ownership,
                "public_access": self.public_access, "versioning": self.versioning,
                "object_lock": self.object_lock, "encryption": self.encryption,
                "policy": self.policy}


def worm_policy(bucket_arn: str, *, protected_prefix: str = "",
                writer_arns: Sequence[str] | None = None,
                conditional_writes_only: bool = False) -> str:
    """The bucket policy (JSON): deny statements only, so it grants nothing by itself."""
    objects = f"{bucket_arn}/{protected_prefix}*"
    statements: list[dict] = [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, f"{bucket_arn}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyDeletes", "Effect": "Deny", "Principal": "*",
         "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": objects},
    ]
    if writer_arns is not None:
        statements.append(
            {"Sid": "DenyOtherWriters", "Effect": "Deny", "Principal": "*",
             "Action": "s3:PutObject", "Resource": f"{bucket_arn}/*",
             "Condition": {"ArnNotEquals": {"aws:PrincipalArn": sorted(writer_arns)}}})
    if conditional_writes_only:
        statements.append(
            {"Sid": "DenyUnconditionalWrites", "Effect": "Deny", "Principal": "*",
             "Action": "s3:PutObject", "Resource": objects,
             "Condition": {"Null": {"s3:if-none-match": "true"}}})
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def worm_bucket(names: Callable[[str], str], args: WormBucketArgs,
                opts: pulumi.ResourceOptions) -> WormBucket:
    """Create the bucket and its six settings; `opts` carries the parent and provider."""
    region = {"region": args.region} if args.region is not None else {}

    def child(**extra) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(**extra))

    bucket = aws.s3.Bucket(
        names("bucket"),
        aws.s3.BucketArgs(
            bucket=args.bucket_name,
            object_lock_enabled=True,  # only settable at creation
            force_destroy=False,
            tags=dict(args.tags),
            **region,
        ),
        # A locked bucket cannot be emptied: `pulumi destroy` stops at it and, once unprotected,
        # leaves it (and its evidence) in place.
        opts=child(protect=args.keep, retain_on_delete=args.keep),
    )
    arn = pulumi.Output.concat("arn:", args.partition, ":s3:::", args.bucket_name)
    on_bucket = child(depends_on=[bucket])
    ownership = aws.s3.BucketOwnershipControls(
        names("ownership"),
        aws.s3.BucketOwnershipControlsArgs(
            bucket=bucket.bucket,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            **region,
        ),
        opts=on_bucket,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        names("public-access"),
        aws.s3.BucketPublicAccessBlockArgs(
            bucket=bucket.bucket, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, **region,
        ),
        opts=on_bucket,
    )
    versioning = aws.s3.BucketVersioning(
        names("versioning"),
        aws.s3.BucketVersioningInitArgs(
            bucket=bucket.bucket,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"),
            **region,
        ),
        opts=on_bucket,
    )
    # The resource's args class is `…InitArgs` (as for versioning and encryption):
    # `BucketObjectLockConfigurationArgs` is the legacy inline block on `s3.Bucket`.
    object_lock = aws.s3.BucketObjectLockConfiguration(
        names("object-lock"),
        aws.s3.BucketObjectLockConfigurationInitArgs(
            bucket=bucket.bucket,
            object_lock_enabled="Enabled",
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=DefaultRetention(mode=LOCK_MODE, days=args.retention_days)),
            **region,
        ),
        opts=child(depends_on=[versioning]),
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        names("encryption"),
        aws.s3.BucketServerSideEncryptionConfigurationInitArgs(
            bucket=bucket.bucket,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=SseByDefault(
                    sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn),
                bucket_key_enabled=True,
            )],
            **region,
        ),
        opts=on_bucket,
    )
    writers = list(args.writer_arns) if args.writer_arns is not None else None
    document = pulumi.Output.all(arn, *(writers or [])).apply(
        lambda values: worm_policy(
            values[0], protected_prefix=args.protected_prefix,
            writer_arns=values[1:] if writers is not None else None,
            conditional_writes_only=args.conditional_writes_only))
    policy = aws.s3.BucketPolicy(
        names("policy"),
        aws.s3.BucketPolicyArgs(bucket=bucket.bucket, policy=document, **region),
        # After the public access block and the lock, so S3 judges the policy with both in place.
        opts=child(depends_on=[public_access, ownership, object_lock]),
    )
    return WormBucket(bucket=bucket, arn=arn, ownership=ownership, public_access=public_access,
                      versioning=versioning, object_lock=object_lock, encryption=encryption,
                      policy=policy)
