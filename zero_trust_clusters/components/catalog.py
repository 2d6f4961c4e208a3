"""The control catalog: the IDs every part of the project speaks (the matrix in README.md).

An implementation site names the ID string itself (`self.implements(lt, "ZT-NODE-TRUSTED-BOOT")`,
`meta(name, "ZT-POD-SECURITY")`), so `grep -r <ID>` lands on it; `ControlId` is a `Literal`, so
a type checker refuses a misspelt ID, and `control_id` refuses it at run time.

The policy pack keeps the controls' home (zero_trust_clusters/policies/ztc_policy/catalog.py: title, builders,
rules, evidence per cloud); it must run without this package, so
tests/policies/test_catalog_parity.py keeps the two ID lists equal.
"""

from typing import Literal, get_args

ControlId = Literal[
    "ZT-API-PRIVATE",
    "ZT-NODE-PRIVATE",
    "ZT-NET-SEGMENT",
    "ZT-NODE-TRUSTED-BOOT",
    "ZT-NODE-OS",
    "ZT-NODE-METADATA",
    "ZT-IAM-ONLY",
    "ZT-WORKLOAD-IDENTITY",
    "ZT-NODE-IDENTITY",
    "ZT-SECRETS-KMS",
    "ZT-DISK-CMK",
    "ZT-AUDIT-IMMUTABLE",
    "ZT-SANDBOX",
    "ZT-NETPOL-DEFAULT-DENY",
    "ZT-POD-SECURITY",
    "ZT-MTLS-SHARED-ROOT",
    "ZT-IMAGE-PROVENANCE",
    "ZT-CHANGE-LEDGER",
    "ZT-VERSION",
]
CONTROL_IDS: tuple[ControlId, ...] = get_args(ControlId)


class UnknownControlError(ValueError):
    """A control ID that is not in the catalog."""


def control_id(value: str) -> ControlId:
    """`value` if it is a catalog ID; `UnknownControlError` naming the known ones otherwise."""
    if value not in CONTROL_IDS:
        raise UnknownControlError(
            f"{value!r} is not a control of the catalog (zero_trust_clusters/components/catalog.py); use one of "
            f"{', '.join(CONTROL_IDS)}")
    return value  # type: ignore[return-value]  # checked just above


# The one RuntimeClass name a workload uses on every cloud to ask for a VM sandbox.
SANDBOX_RUNTIME_CLASS = "sandboxed"
