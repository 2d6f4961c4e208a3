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
Cloud components should import `default_sandbox_placement` and label/taint their sandbox pool
from it, so the RuntimeClass and the pool can never disagree.
"""

from __future__ import annotations

from components.cluster import SandboxPlacement, Toleration
from components.spec import Cloud

ZTC_SANDBOX_LABEL = "sandbox.ztc.io/runtime"
GKE_SANDBOX_LABEL = "sandbox.gke.io/runtime"


def _placement(handler: str, key: str, value: str) -> SandboxPlacement:
    return SandboxPlacement(
        handler=handler,
        node_selector={key: value},
        tolerations=(Toleration(key=key, value=value, effect="NoSchedule"),),
    )


DEFAULT_SANDBOX_PLACEMENTS: dict[Cloud, SandboxPlacement] = {
    "aws": _placement("runsc", ZTC_SANDBOX_LABEL, "gvisor"),
    "gcp": _placement("gvisor", GKE_SANDBOX_LABEL, "gvisor"),
    "azure": _placement("kata", ZTC_SANDBOX_LABEL, "kata"),
}


def default_sandbox_placement(cloud: Cloud) -> SandboxPlacement:
    """The sandbox pool placement a cluster on `cloud` is built with."""
    try:
        return DEFAULT_SANDBOX_PLACEMENTS[cloud]
    except KeyError:
        raise ValueError(f"no sandbox placement for cloud {cloud!r}; use aws, azure or gcp") from None
