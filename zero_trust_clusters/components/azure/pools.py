"""Agent pools: system (critical add-ons only), general, the Kata sandbox pool, user pools.

Every pool: Azure Linux, no SSH, encryption at host, OS disks encrypted with the customer
key (Disk Encryption Set on the cluster), no node public IP, nodes in the private subnet.

Trusted Launch (Secure Boot + vTPM) is on for the system and general pools. It cannot be
on the sandbox pool: "Trusted launch can't be enabled in the same node pool as FIPS,
Arm64, Pod Sandboxing, or Confidential VM" (learn.microsoft.com/azure/aks/use-trusted-launch).
The sandbox pool therefore keeps the strongest valid combination: Kata VM isolation (each
pod in its own Hyper-V guest with its own kernel) + Azure Linux + no SSH + host encryption
+ CMK disks + a taint so only sandboxed pods land there. For the same reason FIPS stays
off on the Trusted Launch pools (Secure Boot + vTPM is the root of trust we want).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import containerservice as cs

from zero_trust_clusters.components.azure.catalog import SANDBOX_LABEL_KEY, SANDBOX_LABEL_VALUE
from zero_trust_clusters.components.spec import NodePool, UserPool

SYSTEM_TAINT = "CriticalAddonsOnly=true:NoSchedule"
# AKS puts this label and taint on every Spot pool itself and they cannot be removed
# (https://learn.microsoft.com/en-us/azure/aks/spot-node-pool#limitations); declaring them keeps
# the pool's nodeLabels/nodeTaints equal to what AKS reports, so a `pulumi up` shows no diff
# (the same drift hashicorp/terraform-provider-azurerm#14030 and
# kubernetes-sigs/cluster-api-provider-azure#3976 hit).
SPOT_LABEL = ("kubernetes.azure.com/scalesetpriority", "spot")
SPOT_TAINT = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"
SANDBOX_TAINT = f"{SANDBOX_LABEL_KEY}={SANDBOX_LABEL_VALUE}:NoSchedule"
MAX_PODS = 110


@dataclass(frozen=True)
class PoolShape:
    """What differs between the pools; everything else is the shared hardening."""

    name: str
    mode: cs.AgentPoolMode
    trusted_launch: bool
    workload_runtime: cs.WorkloadRuntime
    labels: dict[str, str]
    taints: list[str]


SYSTEM = PoolShape(
    name="system",
    mode=cs.AgentPoolMode.SYSTEM,
    trusted_launch=True,
    workload_runtime=cs.WorkloadRuntime.OCI_CONTAINER,
    labels={"pool.ztc.io/role": "system"},
    taints=[SYSTEM_TAINT],
)
GENERAL = PoolShape(
    name="general",
    mode=cs.AgentPoolMode.USER,
    trusted_launch=True,
    workload_runtime=cs.WorkloadRuntime.OCI_CONTAINER,
    labels={"pool.ztc.io/role": "general"},
    taints=[],
)
SANDBOX = PoolShape(
    name="sandbox",
    mode=cs.AgentPoolMode.USER,
    trusted_launch=False,  # not allowed together with Pod Sandboxing (see module docstring)
    workload_runtime=cs.WorkloadRuntime.KATA_VM_ISOLATION,
    labels={"pool.ztc.io/role": "sandbox", SANDBOX_LABEL_KEY: SANDBOX_LABEL_VALUE},
    taints=[SANDBOX_TAINT],
)


def user_shape(name: str, pool: UserPool) -> PoolShape:
    """A user pool (`clusters[i].pools.<name>`): a user-mode pool with the same hardening as
    general (Trusted Launch included), its own labels and taints."""
    spot_labels = dict([SPOT_LABEL]) if pool.spot else {}
    return PoolShape(
        name=name,
        mode=cs.AgentPoolMode.USER,
        trusted_launch=True,
        workload_runtime=cs.WorkloadRuntime.OCI_CONTAINER,
        labels={**pool.labels, **spot_labels, "pool.ztc.io/role": name},
        taints=[f"{t.key}={t.value}:{t.effect}" for t in pool.taints]
        + ([SPOT_TAINT] if pool.spot else []),
    )


def capacity_settings(pool: NodePool) -> dict:
    """Spot and GPU settings of a user pool (none for the mandatory pools).

    Spot: Spot priority, evicted nodes deleted, capped at the on-demand price (-1), and no
    surge settings ("There are no surge nodes available for Spot node pool upgrades":
    https://learn.microsoft.com/en-us/azure/aks/spot-node-pool). GPU: AKS installs the NVIDIA
    driver (`gpuProfile.driver: Install`, the API's default made explicit;
    https://learn.microsoft.com/en-us/azure/aks/use-nvidia-gpu)."""
    if not isinstance(pool, UserPool):
        return {}
    settings: dict = {}
    if pool.spot:
        settings.update(scale_set_priority=cs.ScaleSetPriority.SPOT,
                        scale_set_eviction_policy=cs.ScaleSetEvictionPolicy.DELETE,
                        spot_max_price=-1, upgrade_settings=None)
    if pool.gpu:
        settings["gpu_profile"] = cs.GPUProfileArgs(driver=cs.GPUDriver.INSTALL)
    return settings


def security_profile(shape: PoolShape) -> cs.AgentPoolSecurityProfileArgs:
    if shape.trusted_launch:
        return cs.AgentPoolSecurityProfileArgs(
            enable_secure_boot=True, enable_vtpm=True, ssh_access=cs.AgentPoolSSHAccess.DISABLED
        )
    return cs.AgentPoolSecurityProfileArgs(ssh_access=cs.AgentPoolSSHAccess.DISABLED)


def pool_settings(
    shape: PoolShape, pool: NodePool, subnet_id: pulumi.Input[str], version: str
) -> dict:
    """Keyword arguments shared by `ManagedClusterAgentPoolProfileArgs` and `AgentPool`."""
    return {
        "mode": shape.mode,
        "type": cs.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,
        "vm_size": pool.machine_type,
        "count": pool.min_size,
        "min_count": pool.min_size,
        "max_count": pool.max_size,
        "enable_auto_scaling": True,
        "orchestrator_version": version,
        "os_type": cs.OSType.LINUX,
        "os_sku": cs.OSSKU.AZURE_LINUX,
        "os_disk_type": cs.OSDiskType.MANAGED,
        "os_disk_size_gb": pool.disk_size_gb,
        "enable_encryption_at_host": True,
        "enable_node_public_ip": False,
        "enable_fips": False,
        "vnet_subnet_id": subnet_id,
        "max_pods": MAX_PODS,
        "security_profile": security_profile(shape),
        "workload_runtime": shape.workload_runtime,
        "node_labels": dict(shape.labels),
        "node_taints": list(shape.taints),
        "upgrade_settings": cs.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
        **capacity_settings(pool),
    }


def system_profile(
    pool: NodePool, subnet_id: pulumi.Input[str], version: str
) -> cs.ManagedClusterAgentPoolProfileArgs:
    """The system pool lives inside the ManagedCluster (AKS needs one at creation)."""
    return cs.ManagedClusterAgentPoolProfileArgs(
        name=SYSTEM.name, **pool_settings(SYSTEM, pool, subnet_id, version)
    )
