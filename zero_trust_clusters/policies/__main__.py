"""Entry point the Pulumi CLI runs: builds and serves the pack (rules live in ztc_policy/)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ztc_policy.pack import PACK_KWARGS, UNVERIFIABLE_POLICY, all_policies
from ztc_policy.serve import serve

serve(policies=all_policies(), last_resort_policy=UNVERIFIABLE_POLICY, **PACK_KWARGS)
