"""Per-cloud default sandbox placement: the one place cloud components and `ztc render` agree on.

A workload that says `runtimeClassName: sandboxed` lands on the sandbox pool of every cloud
unchanged; only the CRI handler and the pool's label/taint differ underneath.
- EKS: no managed sandbox, so the sandbox node group installs gVisor (`runsc`) and carries our
  own label/taint `sandbox.ztc.io/runtime=gvisor`.
- GKE: GKE Sandbox registers the `gvisor` handler and labels/taints its pools
  `sandbox.gke.io/runtime=gvisor` itself.
- AKS: pod sandboxing (`workload_runtime=KataVmIsolation`) registers the `kata` handler (the one
  behind AKS's built-in `kata-vm-isolation` RuntimeClass, per the AKS pod sandboxing docs); the
  pool carries our label/taint `sandbox.ztc.io/runtime=kata`.
Each cloud component defines its placement next to the pool that implements it; this module
only looks it up, so `ztc render` and the deployed pools can never disagree.
"""

from __future__ import annotations

from components.cluster import SandboxPlacement
from components.spec import Cloud


def default_sandbox_placement(cloud: Cloud) -> SandboxPlacement:
    """The sandbox pool placement a cluster on `cloud` is built with."""
    if cloud == "aws":
        from components.aws.nodes import SANDBOX

        return SANDBOX
    if cloud == "azure":
        from components.azure.catalog import SANDBOX_PLACEMENT

        return SANDBOX_PLACEMENT
    if cloud == "gcp":
        from components.gcp.pools import SANDBOX_PLACEMENT as GKE_SANDBOX

        return GKE_SANDBOX
    raise ValueError(f"no sandbox placement for cloud {cloud!r}; use aws, azure or gcp")
