"""Kubernetes audit logs routed to WORM storage (ZT-AUDIT-IMMUTABLE).

GKE writes the API server's audit events to Cloud Audit Logs (Admin Activity always; Data Access
once `ProjectGuardrails` enables it). A per-cluster log sink copies this cluster's audit entries
into a Cloud Storage bucket whose retention policy is *locked*: no one, not even a project owner,
can delete or overwrite an object, shorten the retention, or delete the bucket before every
object has aged out. The bucket is CMEK-encrypted, uniform-access and never public.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components.cluster import HardenedCluster

SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class AuditTrail:
    bucket: gcp.storage.Bucket
    sink: gcp.logging.ProjectSink
    writer: gcp.storage.BucketIAMMember


def audit_filter(cluster_name: str, region: str) -> str:
    return (
        'logName:"cloudaudit.googleapis.com" AND '
        '(resource.type="k8s_cluster" OR resource.type="gke_cluster") AND '
        f'resource.labels.cluster_name="{cluster_name}" AND '
        f'resource.labels.location="{region}"'
    )


def bucket_name(project: str, cluster_name: str) -> str:
    # Bucket names are global: the project id (<= 30) + cluster name (<= 20) keep it unique.
    return f"{project}-{cluster_name}-audit"


def build_audit(
    owner: HardenedCluster,
    cluster_name: str,
    project: str,
    region: str,
    retention_days: int,
    kms_key: pulumi.Input[str],
    labels: dict[str, str],
    opts: pulumi.ResourceOptions,
    depends_on: list[pulumi.Resource],
    kept: pulumi.ResourceOptions | None = None,
) -> AuditTrail:
    bucket = gcp.storage.Bucket(
        f"{cluster_name}-audit",
        name=bucket_name(project, cluster_name),
        project=project,
        location=region.upper(),
        storage_class="STANDARD",
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        force_destroy=False,
        retention_policy=gcp.storage.BucketRetentionPolicyArgs(
            retention_period=str(retention_days * SECONDS_PER_DAY), is_locked=True
        ),
        encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=kms_key),
        labels=labels,
        # Kept (zero_trust_clusters/components/lifecycle.py) unless the cluster is decommissioned; even then GCS
        # deletes it only once no object is under the locked retention.
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions.merge(
                kept or pulumi.ResourceOptions(protect=True, retain_on_delete=True),
                pulumi.ResourceOptions(depends_on=depends_on)),
        ),
    )
    sink = gcp.logging.ProjectSink(
        f"{cluster_name}-k8s-audit",
        name=f"{cluster_name}-k8s-audit",
        project=project,
        destination=pulumi.Output.concat("storage.googleapis.com/", bucket.name),
        filter=audit_filter(cluster_name, region),
        unique_writer_identity=True,
        description=f"Kubernetes audit logs of {cluster_name} to a retention-locked bucket",
        opts=opts,
    )
    writer = gcp.storage.BucketIAMMember(
        f"{cluster_name}-audit-writer",
        bucket=bucket.name,
        role="roles/storage.objectCreator",  # create only: no read, overwrite or delete
        member=sink.writer_identity,
        opts=opts,
    )
    for resource in (bucket, sink, writer):
        owner.implements(resource, "ZT-AUDIT-IMMUTABLE")
    return AuditTrail(bucket=bucket, sink=sink, writer=writer)
