"""The control catalog: the IDs every part of the project speaks (the matrix in README.md).

The policy pack keeps its own, richer copy (it must run without this package);
tests/test_catalog.py keeps the two in step.
"""

from enum import StrEnum


class ControlId(StrEnum):
    API_PRIVATE = "ZT-API-PRIVATE"
    NODE_PRIVATE = "ZT-NODE-PRIVATE"
    NET_SEGMENT = "ZT-NET-SEGMENT"
    NODE_TRUSTED_BOOT = "ZT-NODE-TRUSTED-BOOT"
    NODE_OS = "ZT-NODE-OS"
    NODE_METADATA = "ZT-NODE-METADATA"
    IAM_ONLY = "ZT-IAM-ONLY"
    WORKLOAD_IDENTITY = "ZT-WORKLOAD-IDENTITY"
    NODE_IDENTITY = "ZT-NODE-IDENTITY"
    SECRETS_KMS = "ZT-SECRETS-KMS"
    DISK_CMK = "ZT-DISK-CMK"
    AUDIT_IMMUTABLE = "ZT-AUDIT-IMMUTABLE"
    SANDBOX = "ZT-SANDBOX"
    NETPOL_DEFAULT_DENY = "ZT-NETPOL-DEFAULT-DENY"
    POD_SECURITY = "ZT-POD-SECURITY"
    MTLS_SHARED_ROOT = "ZT-MTLS-SHARED-ROOT"
    IMAGE_PROVENANCE = "ZT-IMAGE-PROVENANCE"
    CHANGE_LEDGER = "ZT-CHANGE-LEDGER"
    VERSION = "ZT-VERSION"


# The one RuntimeClass name a workload uses on every cloud to ask for a VM sandbox.
SANDBOX_RUNTIME_CLASS = "sandboxed"
