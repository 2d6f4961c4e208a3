"""EC2 instance-type facts the generic spec cannot know: Nitro, CPU architecture.

NitroTPM and UEFI Secure Boot exist only on virtualized Nitro instances, so node pools on
Xen-based families (t2, m4, c4, r4, i3, ...) or on bare metal cannot give a TPM root of trust.
"""

from __future__ import annotations

import re

# <family><generation><attributes>.<size>, e.g. m7i.large, c7gn.2xlarge, u-6tb1.56xlarge.
_TYPE = re.compile(r"^(?P<family>[a-z]+)(?P<gen>\d+)(?P<attrs>[a-z-]*)\.(?P<size>[0-9a-z-]+)$")

# Nitro families older than generation 5 (everything from generation 5 on is Nitro).
_NITRO_BEFORE_GEN5 = {
    ("a", 1, ""),
    ("t", 3, ""),
    ("t", 3, "a"),
    ("t", 4, "g"),
    ("z", 1, "d"),
    ("i", 3, "en"),
    ("p", 3, "dn"),
    ("g", 4, "dn"),
    ("g", 4, "ad"),
    ("d", 3, ""),
    ("d", 3, "en"),
    ("x", 2, "gd"),
    ("x", 2, "idn"),
    ("x", 2, "iedn"),
    ("x", 2, "iezn"),
    ("inf", 1, ""),
    ("inf", 2, ""),
    ("trn", 1, ""),
    ("trn", 1, "n"),
    ("trn", 2, ""),
    ("dl", 1, ""),
    ("vt", 1, ""),
    ("im", 4, "gn"),
    ("is", 4, "gen"),
    ("f", 2, ""),
}


def parse(instance_type: str) -> tuple[str, int, str, str] | None:
    match = _TYPE.fullmatch(instance_type)
    if not match:
        return None
    return match["family"], int(match["gen"]), match["attrs"], match["size"]


def nitro_problem(instance_type: str) -> str | None:
    """Why `instance_type` cannot host a NitroTPM/UEFI node, or None when it can."""
    parsed = parse(instance_type)
    if parsed is None:
        return f"{instance_type!r} is not an EC2 instance type (expected e.g. m7i.large)"
    family, gen, attrs, size = parsed
    if size.startswith("metal"):
        return (
            f"{instance_type} is bare metal; NitroTPM needs a virtualized Nitro instance "
            "(use the same family without .metal, e.g. m7i.xlarge)"
        )
    if gen >= 5 or (family, gen, attrs) in _NITRO_BEFORE_GEN5:
        return None
    return (
        f"{instance_type} is not a Nitro instance type, so it has no NitroTPM or UEFI "
        "Secure Boot; use a current Nitro type such as m7i.large, m7g.large or c7i.xlarge"
    )


def architecture(instance_type: str) -> str:
    """The AMI architecture for an instance type: arm64 for Graviton, else x86_64."""
    parsed = parse(instance_type)
    if parsed is None:
        return "x86_64"
    family, _gen, attrs, _size = parsed
    return "arm64" if family == "a" or attrs.startswith("g") else "x86_64"
