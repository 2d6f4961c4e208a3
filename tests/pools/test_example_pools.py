"""The examples (examples/<cloud>-byo-network) show a GPU pool and a spot pool on every cloud,
passing the pack with the rest of the example (tests/examples checks the pack's verdict)."""

from __future__ import annotations

import pytest

from tests.examples.test_byo_network_examples import EXAMPLES, run_example
from zero_trust_clusters.components import clouds
from zero_trust_clusters.engine.mocks import unwrap

POOL_TYPES = {"aws": "aws:eks/nodeGroup:NodeGroup",
              "azure": "azure-native:containerservice:AgentPool",
              "gcp": "gcp:container/nodePool:NodePool"}


@pytest.mark.parametrize("cloud", list(clouds.BUILTIN))
def test_each_example_has_a_gpu_and_a_spot_pool(cloud):
    graph = run_example(EXAMPLES / f"{cloud}-byo-network", preview=False)
    pools = {r.name.rsplit("-", 1)[-1]: unwrap(r.inputs) for r in graph.resources
             if r.type == POOL_TYPES[cloud]}
    assert {"gpu", "spot"} <= set(pools), sorted(pools)
    gpu, spot = pools["gpu"], pools["spot"]
    if cloud == "aws":
        assert gpu["amiType"] == spot["amiType"] == "CUSTOM"
        assert spot["capacityType"] == "SPOT"
    elif cloud == "azure":
        assert gpu["gpuProfile"] == {"driver": "Install"}
        assert spot["scaleSetPriority"] == "Spot"
        assert gpu["securityProfile"]["enableSecureBoot"] is True
    else:
        assert gpu["nodeConfig"]["guestAccelerators"][0]["type"] == "nvidia-l4"
        assert spot["nodeConfig"]["spot"] is True
        assert gpu["nodeConfig"]["shieldedInstanceConfig"]["enableSecureBoot"] is True
