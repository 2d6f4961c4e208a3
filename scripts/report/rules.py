"""The policy pack's rule package, imported the way the pack imports it (policies/ on the path).

The report reuses the pack's ownership and evidence logic so that the matrix names the same
implementing resources the policies judged; verdicts come only from gRPC diagnostics.
"""

from __future__ import annotations

import sys
from pathlib import Path

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
if str(PACK_DIR) not in sys.path:
    sys.path.insert(0, str(PACK_DIR))

from ztc_policy.catalog import BY_ID, CONTROL_IDS, CONTROLS
from ztc_policy.findings import UNVERIFIABLE_MARK, controls_named
from ztc_policy.stack.graph import Ownership, nodes_from_captured
from ztc_policy.stack.posture import evaluate

__all__ = ["BY_ID", "CONTROLS", "CONTROL_IDS", "PACK_DIR", "UNVERIFIABLE_MARK", "Ownership",
           "controls_named", "evaluate", "nodes_from_captured"]
