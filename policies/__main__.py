"""Entry point the Pulumi CLI runs: builds and serves the pack (rules live in ztc_policy/)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pulumi_policy import PolicyPack
from ztc_policy.pack import PACK_KWARGS, all_policies

PolicyPack(policies=all_policies(), **PACK_KWARGS)
