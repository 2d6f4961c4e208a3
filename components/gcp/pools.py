"""The three node pools: system, general and the GKE Sandbox (gVisor) pool.

All share the hardened node config; each autoscales within the spec's sizes (totals across the
region's zones), auto-upgrades and auto-repairs, and surges one node at a time so upgrades
never take capacity away. GKE itself labels and taints sandbox nodes
`sandbox.gke.io/runtime=gvisor` (NoSchedule); the common RuntimeClass carries the matching
selector and toleration (see `SANDBOX_PLACEMENT`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.cluster import HardenedCluster
from components.gcp.node_config import NODE_POOL_TYPES, hardened_node_config
from components.spec import NodePool, NodePools

POOL_LABEL = "ztc.io/pool"


@dataclass(frozen=True)
class Pools:
    system: gcp.container.NodePool
    general: gcp.container.NodePool
    sandbox: gcp.container.NodePool

    def all(self) -> tuple[gcp.container.NodePool, ...]:
        return (self.system, self.general, self.sandbox)


def _pool(
    cluster_name: str,
    role: str,
    spec: NodePool,
    *,
    cluster: gcp.container.Cluster,
    project: str,
    region: str,
    service_account: pulumi.Input[str],
    disk_key: pulumi.Input[str],
    resource_labels: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> gcp.container.NodePool:
    return gcp.container.NodePool(
        f"{cluster_name}-{role}",
        name=role,
        project=project,
        location=region,
        cluster=cluster.name,
        initial_node_count=1,  # per zone; the autoscaler then keeps the totals below
        autoscaling=gcp.container.NodePoolAutoscalingArgs(
            total_min_node_count=spec.min_size,
            total_max_node_count=spec.max_size,
            location_policy="BALANCED",
        ),
        # No pinned node version: auto-upgrade keeps nodes on the control plane's release.
        management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
        upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(
            strategy="SURGE", max_surge=1, max_unavailable=0
        ),
        network_config=gcp.container.NodePoolNetworkConfigArgs(enable_private_nodes=True),
        node_config=hardened_node_config(
            NODE_POOL_TYPES,
            machine_type=spec.machine_type,
            disk_size_gb=spec.disk_size_gb,
            service_account=service_account,
            boot_disk_kms_key=disk_key,
            labels={POOL_LABEL: role},
            resource_labels=resource_labels,
            sandbox=role == "sandbox",
        ),
        opts=opts,
    )


def build_pools(
    owner: HardenedCluster,
    cluster_name: str,
    spec: NodePools,
    *,
    cluster: gcp.container.Cluster,
    project: str,
    region: str,
    service_account: pulumi.Input[str],
    disk_key: pulumi.Input[str],
    resource_labels: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> Pools:
    common = {
        "cluster": cluster,
        "project": project,
        "region": region,
        "service_account": service_account,
        "disk_key": disk_key,
        "resource_labels": resource_labels,
        "opts": opts,
    }
    pools = Pools(
        system=_pool(cluster_name, "system", spec.system, **common),
        general=_pool(cluster_name, "general", spec.general, **common),
        sandbox=_pool(cluster_name, "sandbox", spec.sandbox, **common),
    )
    for pool in pools.all():
        owner.implements(
            pool,
            "ZT-NODE-PRIVATE",
            "ZT-NODE-TRUSTED-BOOT",
            "ZT-NODE-OS",
            "ZT-NODE-METADATA",
            "ZT-NODE-IDENTITY",
            "ZT-WORKLOAD-IDENTITY",
            "ZT-DISK-CMK",
            "ZT-VERSION",
        )
    owner.implements(pools.sandbox, "ZT-SANDBOX")
    return pools
