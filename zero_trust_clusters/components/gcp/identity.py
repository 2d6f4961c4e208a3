"""The dedicated, least-privilege node service account (never the Compute Engine default).

Nodes get `roles/container.defaultNodeServiceAccount` (the role GKE publishes for exactly what
node agents need: logs, metrics, autoscaler metrics) plus read access to Artifact Registry for
image pulls. Workloads never use it: Workload Identity gives each Kubernetes service account its
own identity, and GKE_METADATA hides the node's credentials from pods.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components.cluster import HardenedCluster

NODE_ROLES = ("roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader")


@dataclass(frozen=True)
class NodeIdentity:
    account: gcp.serviceaccount.Account
    grants: tuple[gcp.projects.IAMMember, ...]
    # Known before the account exists, so a first preview can verify every node config.
    email: str


def build_node_identity(
    owner: HardenedCluster, name: str, project: str, opts: pulumi.ResourceOptions
) -> NodeIdentity:
    account_id = f"{name}-nodes"  # cluster names are <= 20 chars, so <= 26 here
    account = gcp.serviceaccount.Account(
        f"{name}-nodes-sa",
        account_id=account_id,
        project=project,
        display_name=f"GKE nodes of {name} (least privilege)",
        description="Dedicated node identity managed by ztc; not for workloads",
        opts=opts,
    )
    grants = tuple(
        gcp.projects.IAMMember(
            f"{name}-nodes-{role.rsplit('.', 1)[-1].lower()}",
            project=project,
            role=role,
            member=account.member,
            opts=opts,
        )
        for role in NODE_ROLES
    )
    owner.implements(account, "ZT-NODE-IDENTITY")
    for grant in grants:
        owner.implements(grant, "ZT-NODE-IDENTITY")
    email = f"{account_id}@{project}.iam.gserviceaccount.com"
    return NodeIdentity(account=account, grants=grants, email=email)
