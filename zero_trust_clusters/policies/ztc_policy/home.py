"""Everything about one control, from its ID: the record in catalog.py (title, builders and
evidence per cloud) joined to the rules that check it (`@rule` registrations in rules/*.py and
the stack policies of pack.py).

    >>> [r.summary for r in home("ZT-NODE-TRUSTED-BOOT").rules["gcp"]]
    ['shielded nodes', 'secure boot + integrity monitoring']
"""

from __future__ import annotations

from dataclasses import dataclass

from . import clouds
from .catalog import BY_ID, Control, Part
from .pack import STACK_POLICIES
from .rules import RULES, ResourceRule
from .stack.evidence import part


@dataclass(frozen=True)
class Home:
    control: Control
    # cloud -> that cloud's part (built-in clouds from the record, others from their entry).
    parts: dict[str, Part]
    # cloud (or "kubernetes", "pki") -> the resource rules judging the control's resources.
    rules: dict[str, tuple[ResourceRule, ...]]
    # The stack policies (cross-resource, pack.py) that report on this control.
    stack_policies: tuple[str, ...]


def home(control_id: str) -> Home:
    """The control's home; KeyError for an ID not in the catalog."""
    control = BY_ID[control_id]
    parts = {e.name: p for e in clouds.entries() if (p := part(e.name, control_id))}
    rules: dict[str, list[ResourceRule]] = {}
    for r in RULES:
        if r.control == control_id:
            rules.setdefault(r.cloud, []).append(r)
    stack = tuple(name for name, _, control_of, _ in STACK_POLICIES if control_of == control_id)
    return Home(control, parts, {k: tuple(v) for k, v in rules.items()}, stack)
