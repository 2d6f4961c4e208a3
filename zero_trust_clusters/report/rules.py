"""The policy pack's rule package, imported the way the pack imports it (zero_trust_clusters/policies/ on the path).

The report reuses the pack's ownership and evidence logic so that the matrix names the same
implementing resources the policies judged, and reads each diagnostic's finding with the pack's
own `decode` (the structured trailer, never the wording).
"""

from __future__ import annotations

import sys

from zero_trust_clusters import PACK_DIR

if str(PACK_DIR) not in sys.path:
    sys.path.insert(0, str(PACK_DIR))

from ztc_policy.catalog import BY_ID, CONTROL_IDS, CONTROLS
from ztc_policy.exemptions import parse as parse_exemptions
from ztc_policy.findings import Reported, Status, decode
from ztc_policy.pack import STACK_POLICIES, UNVERIFIABLE_POLICY
from ztc_policy.stack.graph import Ownership, nodes_from_captured
from ztc_policy.stack.posture import evaluate

# Policies whose verdict a control's cells depend on: the control's resource policy, evidence,
# unknown values, and the stack policies of that control.
EVIDENCE_POLICY = "posture-evidence"
JUDGED_BY: dict[str, tuple[str, ...]] = {
    c: (c, EVIDENCE_POLICY, UNVERIFIABLE_POLICY,
        *(name for name, _, control, _ in STACK_POLICIES if control == c))
    for c in CONTROL_IDS
}
# The control a policy's exemptions are for by default (None: any control it reports).
POLICY_CONTROL: dict[str, str | None] = {
    **{c: c for c in CONTROL_IDS}, **{name: control for name, _, control, _ in STACK_POLICIES}}

__all__ = ["BY_ID", "CONTROLS", "CONTROL_IDS", "EVIDENCE_POLICY", "JUDGED_BY", "PACK_DIR",
           "POLICY_CONTROL", "Ownership", "Reported", "Status", "decode", "evaluate",
           "nodes_from_captured", "parse_exemptions"]
