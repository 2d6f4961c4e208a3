"""Deterministic Azure names: the same spec always yields the same names (no churn).

Key Vault and storage account names are global DNS names with tight length rules, so they
carry a short hash of subscription + cluster to stay unique across subscriptions.
"""

from __future__ import annotations

import hashlib
import re
import uuid

# Namespace for deterministic GUIDs (role assignment names must be GUIDs).
_GUID_NAMESPACE = uuid.UUID("7b0c4f0e-51c6-4b5f-9d0e-2f8f6c1b7a11")


def short_hash(*parts: str, length: int = 6) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def guid(*parts: str) -> str:
    """A stable GUID for `parts` (idempotent role assignment names)."""
    return str(uuid.uuid5(_GUID_NAMESPACE, "/".join(parts)))


def resource_group(cluster: str) -> str:
    return f"rg-{cluster}"


def node_resource_group(cluster: str) -> str:
    return f"rg-{cluster}-nodes"


def key_vault(subscription_id: str, cluster: str) -> str:
    """3-24 chars, letters/digits/hyphens, starts with a letter, ends with a letter or digit,
    no consecutive hyphens (learn.microsoft.com/azure/azure-resource-manager/management/
    resource-name-rules#microsoftkeyvault); cluster names may contain `--`."""
    name = re.sub(r"-{2,}", "-", f"kv{short_hash(subscription_id, cluster)}-{cluster[:15]}")
    return name.rstrip("-")


def storage_account(subscription_id: str, cluster: str) -> str:
    """3-24 chars, lowercase letters and digits only (resource-name-rules#microsoftstorage)."""
    compact = re.sub(r"[^a-z0-9]", "", cluster)[:14]
    return f"st{compact}{short_hash(subscription_id, cluster, length=8)}"[:24]
