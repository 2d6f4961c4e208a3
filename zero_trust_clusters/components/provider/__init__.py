"""The components for every Pulumi language: typed facades Pulumi's component analyzer reads.

`pulumi package add <repo>/provider` (provider/PulumiPlugin.yaml + provider/__main__.py) serves
them through the Python SDK's component provider host, which infers their schema from the
annotations here. Each facade takes the stack config's shape (config.py), validates it with
zero_trust_clusters/components/spec.py and builds the real component as its child:
- `ZeroTrustEstate` (estate.py): the cloud phase, zero_trust_clusters/components/estate.py `ZeroTrustEstate`;
- `ZeroTrustCluster` (clusters.py): one cluster with a posture, the cloud's `HardenedCluster`;
- `ZeroTrustClusterPhase` (cluster_phase.py): the cluster phase, zero_trust_clusters/components/cluster_phase.py
  `ClusterPhase`, from the cloud phase's `clusterPhase` output.
"""

# The package name of the schema: types are `zero-trust-clusters:index:<Class>` (the host looks
# a component up by its class name and only serves the `index` module).
PACKAGE_NAME = "zero-trust-clusters"


def type_token(component: str) -> str:
    return f"{PACKAGE_NAME}:index:{component}"
