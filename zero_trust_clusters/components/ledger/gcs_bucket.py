"""`LedgerGcsBucket`: the Cloud Storage bucket the GCS store writes to, WORM by construction.

- A retention policy of `retention_days`, locked at creation (`is_locked`: "permanently
  restrict edits to the bucket's retention policy", pulumi-gcp 10.2
  `storage.BucketRetentionPolicyArgs`): no object can be deleted or replaced before it is that
  old, the policy cannot be removed or shortened, and the bucket cannot be deleted while it
  holds such objects (https://cloud.google.com/storage/docs/bucket-lock).
- Uniform bucket-level access (IAM only, no ACLs), public access prevention enforced.
  Writers need `roles/storage.objectCreator` plus `roles/storage.objectViewer` (record reads
  the head), readers `roles/storage.objectViewer`.
- Protected and retained on delete: locked objects outlive the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

TYPE = "ztc:ledger:LedgerGcsBucket"
SECONDS_PER_DAY = 86400


@dataclass
class LedgerGcsBucketArgs:
    bucket_name: str
    project: str
    location: str
    retention_days: int = 2555
    prefix: str = "ledger/"
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # "The value must be less than 3,155,760,000 seconds" (BucketRetentionPolicyArgs).
        if not 1 <= self.retention_days * SECONDS_PER_DAY < 3_155_760_000:
            raise ValueError(f"ledger retention_days is {self.retention_days}; Cloud Storage "
                             "takes 1 day to just under 100 years")


class LedgerGcsBucket(pulumi.ComponentResource):
    def __init__(self, name: str, args: LedgerGcsBucketArgs,
                 opts: pulumi.ResourceOptions | None = None):
        # `retentionDays` is the posture's: the pack checks the lock covers it (ledger_worm).
        super().__init__(TYPE, name, {"retentionDays": args.retention_days, "cloud": "gcp"},
                         opts)
        bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            gcp.storage.BucketArgs(
                name=args.bucket_name,
                project=args.project,
                location=args.location.upper(),
                storage_class="STANDARD",
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                force_destroy=False,
                retention_policy=gcp.storage.BucketRetentionPolicyArgs(
                    retention_period=str(args.retention_days * SECONDS_PER_DAY),
                    is_locked=True,
                ),
                labels=args.labels,
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        self.location = f"gs://{args.bucket_name}/{args.prefix}"
        self.retention_days = args.retention_days
        self.children = {"bucket": bucket}
        self.register_outputs({
            "cloud": "gcp",
            "bucketName": args.bucket_name,
            "project": args.project,
            "retentionDays": args.retention_days,
            "prefix": args.prefix,
            "location": self.location,
            "controls": ["ZT-CHANGE-LEDGER"],
        })
