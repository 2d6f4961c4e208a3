"""Per-policy configuration: schema (served to the CLI) and the defaults the rules fall back on.

The Pulumi CLI fills schema defaults before `Configure`; a bare gRPC client may not, so the
rules always read through `settings()`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# cluster-autoscaler: the EKS Cluster Autoscaler's own namespace (PSA restricted, default deny;
# zero_trust_clusters/components/kubernetes/autoscaler.py), a platform add-on, not a workload.
SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "default", "cert-manager",
                     "cosign-system", "istio-system", "cluster-autoscaler"]

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
        "minKubernetesVersion": {"type": "string", "default": "1.32", "pattern": r"^v?\d+\.\d+",
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
                "arn:aws:iam::aws:policy/AdministratorAccess-Amplify",
                "arn:aws:iam::aws:policy/PowerUserAccess",
                "arn:aws:iam::aws:policy/IAMFullAccess",
                "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
                "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            ],
            "description": "Managed policies too broad for any role in a cluster stack "
                           "(matched by name in any partition).",
        },
        # The node role's managed policies (https://docs.aws.amazon.com/eks/latest/userguide/
        # create-node-role.html): EC2 describe + Pod Identity (the full or minimal worker
        # policy) and ECR pulls (pull-only or read-only). AmazonEKS_CNI_Policy belongs on the
        # VPC CNI's own role (Pod Identity or IRSA), as that page recommends and the
        # components do; a program keeping it on the node role adds it here.
        "nodeRolePolicies": {
            "type": "array", "items": {"type": "string"},
            "default": ["AmazonEKSWorkerNodePolicy", "AmazonEKSWorkerNodeMinimalPolicy",
                        "AmazonEC2ContainerRegistryPullOnly",
                        "AmazonEC2ContainerRegistryReadOnly"],
            "description": "AWS managed policies (names) a role EC2 nodes assume may hold.",
        },
    },
    "ZT-SECRETS-KMS": {
        # AWS KMS rotates yearly by default and accepts 90-2560 days
        # (https://docs.aws.amazon.com/kms/latest/developerguide/rotating-keys.html).
        "maxKeyRotationDays": {"type": "integer", "default": 365,
                               "description": "Longest rotation period of a customer key."},
    },
    "ZT-AUDIT-IMMUTABLE": {
        "minRetentionDays": {"type": "integer", "default": 90,
                             "description": "The posture's audit retention "
                             "(posture.auditRetentionDays): every retention on each cluster's "
                             "audit chain (log group, WORM lock, Log Analytics up to its 730-day "
                             "cap) must be at least this many days."},
    },
    "posture-evidence": {
        "requiredControls": {"type": "array", "items": {"type": "string"},
                             "description": "Controls every cluster must hold (default: all)."},
    },
}


def schema_properties(policy: str) -> dict[str, dict[str, Any]]:
    return {"exemptions": EXEMPTIONS_SCHEMA, **EXTRA.get(policy, {})}


def settings(policy: str, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The policy's config with schema defaults filled in; a value of the wrong type is replaced
    by the default (and reported by `problems`)."""
    schema = schema_properties(policy)
    out = {k: v.get("default") for k, v in schema.items() if "default" in v}
    for key, value in (given.items() if isinstance(given, Mapping) else ()):
        if key == "exemptions" or key not in schema or _fits(value, schema[key]):
            out[key] = value  # exemptions are checked entry by entry (exemptions.py)
    return out


def problems(policy: str, given: Mapping[str, Any] | None) -> list[str]:
    """Config values that do not fit the policy's schema, each naming its key."""
    schema = schema_properties(policy)
    return [f"policy config {policy}.{key}={value!r:.80} is not {_WORDS[schema[key]['type']]}; "
            "the default applies until it is fixed"
            for key, value in (given.items() if isinstance(given, Mapping) else ())
            if key != "exemptions" and key in schema and not _fits(value, schema[key])]


_WORDS = {"integer": "an integer", "string": "a string of the documented form", "array": "a list of strings"}


def _fits(value: Any, schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if kind == "string":
        return isinstance(value, str) and re.match(schema.get("pattern", ""), value) is not None
    if kind == "array":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return True
