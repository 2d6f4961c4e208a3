"""The node pools: system, general, the GKE Sandbox (gVisor) pool, and the user pools.

All share the hardened node config; each autoscales within the spec's sizes (totals across the
region's zones), auto-upgrades and auto-repairs, and surges one node at a time so upgrades
never take capacity away. GKE itself labels and taints sandbox nodes
`sandbox.gke.io/runtime=gvisor` (NoSchedule); the common RuntimeClass carries the matching
selector and toleration (see `SANDBOX_PLACEMENT`).

User pools (`clusters[i].pools`) share the hardened node config (Shielded VM with Secure Boot,
GKE metadata server, CMEK boot disk, private nodes) and add their labels, taints, Spot VMs
(`spot: true`) and, for `gpu: true`, the machine type's NVIDIA GPUs with GKE-installed drivers
(`gpuDriverInstallationConfig.gpuDriverVersion: DEFAULT`, the driver GKE pairs with the node
version, so it moves only with a GKE node upgrade, never with a `pulumi up`;
https://cloud.google.com/kubernetes-engine/docs/how-to/gpus). GKE taints GPU nodes
`nvidia.com/gpu=present:NoSchedule` itself. Known weaker spot: by default GKE boots GPU nodes
from a COS image with LoadPin off, which loads any out-of-tree kernel module, signed or not
(https://cloud.google.com/kubernetes-engine/security/secure-modules-cos); Secure Boot and
integrity monitoring stay on. Secure kernel module loading (`linuxNodeConfig.
nodeKernelModuleLoading.policy: ENFORCE_SIGNED_MODULES`) would allow Google-signed modules
only; GKE's driver installer loads Google-signed drivers and Google's GPU-driver key under
Secure Boot (GoogleCloudPlatform/cos-gpu-installer driver_signature_lib.sh), but whether GPU
nodes accept ENFORCE_SIGNED_MODULES is not stated by the English page we could read, so it is
not set.

Node versions: no pool pins `version`; with a release channel GKE upgrades nodes (and the
DEFAULT GPU driver with them) in its maintenance windows, never because of a `pulumi up`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components.cluster import HardenedCluster
from zero_trust_clusters.components.gcp.known import gpu_accelerator
from zero_trust_clusters.components.gcp.node_config import NODE_POOL_TYPES, hardened_node_config
from zero_trust_clusters.components.spec import ClusterSpec, NodePool, UserPool

POOL_LABEL = "ztc.io/pool"
# NodePool taint effects for the Kubernetes ones (GKE API NodeTaint.Effect).
TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE",
                 "PreferNoSchedule": "PREFER_NO_SCHEDULE"}
GPU_DRIVER_VERSION = "DEFAULT"


@dataclass(frozen=True)
class Pools:
    system: gcp.container.NodePool
    general: gcp.container.NodePool
    sandbox: gcp.container.NodePool
    user: dict[str, gcp.container.NodePool]

    def all(self) -> tuple[gcp.container.NodePool, ...]:
        return (self.system, self.general, self.sandbox, *self.user.values())


def user_node_config(spec: NodePool) -> dict:
    """What a user pool adds to the hardened node config: taints, Spot, GPUs."""
    if not isinstance(spec, UserPool):
        return {}
    extra: dict = {}
    if spec.taints:
        extra["taints"] = [gcp.container.NodePoolNodeConfigTaintArgs(
            key=t.key, value=t.value, effect=TAINT_EFFECTS[t.effect]) for t in spec.taints]
    if spec.spot:
        extra["spot"] = True
    if spec.gpu:
        accelerator = gpu_accelerator(spec.machine_type)
        assert accelerator is not None, spec.machine_type  # known.py refused it otherwise
        kind, count = accelerator
        extra["guest_accelerators"] = [gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
            type=kind, count=count,
            gpu_driver_installation_config=(
                gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                    gpu_driver_version=GPU_DRIVER_VERSION)))]
    return extra


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
        # Per zone; the autoscaler then keeps the totals below. A user pool that may scale to
        # zero starts empty: a GPU or Spot pool gets nodes only when pods ask for them.
        # `total_min_node_count` "Must be >=0" (pulumi-gcp NodePoolAutoscalingArgs, from the
        # provider's schema; https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-autoscaler);
        # the system pool keeps the cluster above zero nodes.
        initial_node_count=0 if isinstance(spec, UserPool) and spec.min_size == 0 else 1,
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
            labels={**(spec.labels if isinstance(spec, UserPool) else {}), POOL_LABEL: role},
            resource_labels=resource_labels,
            sandbox=role == "sandbox",
            **user_node_config(spec),
        ),
        opts=opts,
    )


def build_pools(
    owner: HardenedCluster,
    cluster_name: str,
    cluster_spec: ClusterSpec,
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
    spec = cluster_spec.node_pools
    pools = Pools(
        system=_pool(cluster_name, "system", spec.system, **common),
        general=_pool(cluster_name, "general", spec.general, **common),
        sandbox=_pool(cluster_name, "sandbox", spec.sandbox, **common),
        user={name: _pool(cluster_name, name, pool, **common)
              for name, pool in cluster_spec.pools.items()},
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
