"""Per-policy configuration: schema (served to the CLI) and the defaults the rules fall back on.

The Pulumi CLI fills schema defaults before `Configure`; a bare gRPC client may not, so the
rules always read through `settings()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "default", "cert-manager",
                     "cosign-system", "istio-system"]

EXEMPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Time-boxed exemptions: {resource (URN or name), control, reason, expires "
    "(YYYY-MM-DD)}. An expired exemption turns back into a violation.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string"},
            "control": {"type": "string"},
            "reason": {"type": "string"},
            "expires": {"type": "string"},
        },
        "required": ["resource", "reason", "expires"],
    },
    "default": [],
}

# Control-specific settings beyond exemptions (policy name -> property -> JSON schema).
EXTRA: dict[str, dict[str, dict[str, Any]]] = {
    "ZT-VERSION": {
        "minKubernetesVersion": {"type": "string", "default": "1.32",
                                 "description": "Oldest supported Kubernetes minor version."},
    },
    "ZT-NODE-METADATA": {
        "maxHopLimit": {"type": "integer", "default": 1,
                        "description": "Largest IMDSv2 PUT response hop limit allowed."},
    },
    "ZT-POD-SECURITY": {
        "systemNamespaces": {"type": "array", "items": {"type": "string"},
                             "default": SYSTEM_NAMESPACES,
                             "description": "Namespaces that are not workload namespaces."},
    },
    "ZT-NETPOL-DEFAULT-DENY": {
        "systemNamespaces": {"type": "array", "items": {"type": "string"},
                             "default": SYSTEM_NAMESPACES,
                             "description": "Namespaces that are not workload namespaces."},
    },
    "ZT-NODE-IDENTITY": {
        "forbiddenPolicyArns": {
            "type": "array", "items": {"type": "string"},
            "default": [
                "arn:aws:iam::aws:policy/AdministratorAccess",
                "arn:aws:iam::aws:policy/PowerUserAccess",
                "arn:aws:iam::aws:policy/IAMFullAccess",
                "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
                "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            ],
            "description": "Managed policies too broad for any role in a cluster stack.",
        },
    },
    "posture-evidence": {
        "requiredControls": {"type": "array", "items": {"type": "string"},
                             "description": "Controls every cluster must hold (default: all)."},
    },
}


def schema_properties(policy: str) -> dict[str, dict[str, Any]]:
    return {"exemptions": EXEMPTIONS_SCHEMA, **EXTRA.get(policy, {})}


def settings(policy: str, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The policy's config with schema defaults filled in."""
    out = {k: v.get("default") for k, v in schema_properties(policy).items() if "default" in v}
    out.update(dict(given or {}))
    return out
