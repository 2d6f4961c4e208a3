"""The one RuntimeClass (`sandboxed`) every cloud maps onto its own VM sandbox.

A sandbox costs resources outside the containers' requests (the VMM and guest kernel for Kata,
the Sentry and Gofer for gVisor). `overhead.podFixed` makes the scheduler, quotas and the pod
cgroup count them, so sandbox nodes are not overcommitted
(https://kubernetes.io/docs/concepts/scheduling-eviction/pod-overhead/).
"""

from __future__ import annotations

from zero_trust_clusters.components.catalog import SANDBOX_RUNTIME_CLASS
from zero_trust_clusters.components.cluster import SandboxPlacement
from zero_trust_clusters.components.kubernetes.names import meta

# gVisor: neither GKE nor gVisor publishes a fixed per-pod overhead; gVisor charges the Sentry
# and Gofer to the pod's cgroup and sizes them with the workload
# (https://gvisor.dev/docs/architecture_guide/resources/). Until measured on our nodes we
# reserve the figure the Kubernetes Pod Overhead page uses for a sandbox runtime (120Mi, 250m:
# https://kubernetes.io/docs/concepts/scheduling-eviction/pod-overhead/). UNVERIFIED for
# gVisor: too low shows up as sandboxed pods OOM-killed at their limit, never as a silent
# node overcommit, because the pod cgroup includes the sandbox.
_GVISOR_OVERHEAD = {"cpu": "250m", "memory": "120Mi"}

# Per CRI handler (the key `SandboxPlacement.handler` carries on each cloud).
SANDBOX_OVERHEAD: dict[str, dict[str, str]] = {
    # GKE Sandbox registers the `gvisor` handler.
    "gvisor": _GVISOR_OVERHEAD,
    # EKS: our own gVisor (runsc) install on the sandbox node group.
    "runsc": _GVISOR_OVERHEAD,
    # AKS Pod Sandboxing (`kata`, Cloud Hypervisor). Memory: the built-in kata-vm-isolation
    # class's default overhead, 600Mi = the default 512Mi pod VM + ~88Mi of host components
    # (https://learn.microsoft.com/en-us/azure/aks/considerations-pod-sandboxing). AKS documents
    # no CPU figure; 250m is upstream Kata's for Cloud Hypervisor on Azure ("clh-azure",
    # https://github.com/kata-containers/kata-containers/blob/main/tools/packaging/kata-deploy/
    # helm-chart/kata-deploy/templates/runtimeclasses.yaml).
    "kata": {"cpu": "250m", "memory": "600Mi"},
}


def sandbox_overhead(handler: str) -> dict[str, str]:
    """`overhead.podFixed` for a CRI handler; a handler without a known figure is an error."""
    try:
        return dict(SANDBOX_OVERHEAD[handler])
    except KeyError:
        raise ValueError(
            f"no pod overhead is known for sandbox handler {handler!r}; add its documented "
            f"figure to SANDBOX_OVERHEAD (known: {', '.join(sorted(SANDBOX_OVERHEAD))})"
        ) from None


def runtime_class(sandbox: SandboxPlacement) -> dict:
    scheduling: dict = {"nodeSelector": dict(sorted(sandbox.node_selector.items()))}
    if sandbox.tolerations:
        scheduling["tolerations"] = [
            {"key": t.key, "operator": t.operator, "value": t.value, "effect": t.effect}
            for t in sandbox.tolerations
        ]
    return {
        "apiVersion": "node.k8s.io/v1",
        "kind": "RuntimeClass",
        "metadata": meta(SANDBOX_RUNTIME_CLASS, "ZT-SANDBOX"),
        "handler": sandbox.handler,
        "overhead": {"podFixed": sandbox_overhead(sandbox.handler)},
        "scheduling": scheduling,
    }
