"""The one RuntimeClass (`sandboxed`) every cloud maps onto its own VM sandbox."""

from __future__ import annotations

from components.catalog import SANDBOX_RUNTIME_CLASS, ControlId
from components.cluster import SandboxPlacement
from components.kubernetes.names import meta


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
        "metadata": meta(SANDBOX_RUNTIME_CLASS, ControlId.SANDBOX),
        "handler": sandbox.handler,
        "scheduling": scheduling,
    }
