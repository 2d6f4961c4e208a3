"""The hardened node configuration every pool shares (and the transient default pool).

Shielded VM with Secure Boot + integrity monitoring (vTPM-backed measured boot), COS with
containerd, the GKE metadata server (pods never see node credentials), the dedicated node
service account, CMEK boot disks and the legacy metadata endpoints disabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

IMAGE_TYPE = "COS_CONTAINERD"
WORKLOAD_METADATA_MODE = "GKE_METADATA"
DISK_TYPE = "pd-balanced"
# With a least-privilege service account, IAM (not access scopes) limits what nodes can do.
OAUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
NODE_METADATA = {"disable-legacy-endpoints": "true"}


@dataclass(frozen=True)
class ArgsFamily:
    """The SDK's typed classes for one place a node config can appear."""

    config: type
    shielded: type
    metadata: type
    sandbox: type


NODE_POOL_TYPES = ArgsFamily(
    config=gcp.container.NodePoolNodeConfigArgs,
    shielded=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs,
    metadata=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs,
    sandbox=gcp.container.NodePoolNodeConfigSandboxConfigArgs,
)
CLUSTER_TYPES = ArgsFamily(
    config=gcp.container.ClusterNodeConfigArgs,
    shielded=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs,
    metadata=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs,
    sandbox=gcp.container.ClusterNodeConfigSandboxConfigArgs,
)


def hardened_node_config(
    args_types: ArgsFamily,
    *,
    machine_type: str,
    disk_size_gb: int,
    service_account: pulumi.Input[str],
    boot_disk_kms_key: pulumi.Input[str],
    labels: dict[str, str],
    resource_labels: dict[str, str],
    sandbox: bool = False,
    **extra: Any,
) -> Any:
    """A hardened node config in the typed classes of `args_types` (`NODE_POOL_TYPES` for a
    node pool, `CLUSTER_TYPES` for the cluster's transient default pool); `extra` adds what
    only some pools have (a user pool's taints, Spot, GPUs) and never replaces the hardening."""
    return args_types.config(
        **extra,
        machine_type=machine_type,
        disk_size_gb=disk_size_gb,
        disk_type=DISK_TYPE,
        image_type=IMAGE_TYPE,
        service_account=service_account,
        oauth_scopes=list(OAUTH_SCOPES),
        boot_disk_kms_key=boot_disk_kms_key,
        metadata=dict(NODE_METADATA),
        labels=labels,
        resource_labels=resource_labels,
        shielded_instance_config=args_types.shielded(
            enable_secure_boot=True, enable_integrity_monitoring=True
        ),
        workload_metadata_config=args_types.metadata(mode=WORKLOAD_METADATA_MODE),
        sandbox_config=args_types.sandbox(type="GVISOR") if sandbox else None,
    )
