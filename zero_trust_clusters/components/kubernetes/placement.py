"""Per-cloud sandbox placement: the one place cloud components and `ztc render` agree on.

A workload that says `runtimeClassName: sandboxed` lands on the sandbox pool of every cloud
unchanged; only the CRI handler and the pool's label/taint differ underneath. Each cloud
registers its placement in its registry entry (zero_trust_clusters/components/<cloud>/cloud.py), next to the pool
that implements it; this module only looks it up, so `ztc render` and the deployed pools can
never disagree.
"""

from __future__ import annotations

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.cluster import SandboxPlacement
from zero_trust_clusters.components.spec import Cloud


def default_sandbox_placement(cloud: Cloud) -> SandboxPlacement:
    """The sandbox pool placement a cluster on `cloud` is built with."""
    return clouds.get(cloud).sandbox
