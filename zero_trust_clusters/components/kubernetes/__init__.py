"""The in-cluster zero-trust baseline, identical on every cluster (see render.py).

- `render_baseline(...)`: pure renderer, plain Kubernetes objects (used by `ztc render`).
- `ClusterBaseline(name, BaselineArgs, opts)`: the same objects as typed pulumi-kubernetes
  resources through one provider per cluster.
- `default_sandbox_placement(cloud)`: the sandbox handler/label/taint every cloud uses.
"""

from zero_trust_clusters.components.kubernetes.charts import ChartRelease
from zero_trust_clusters.components.kubernetes.component import (
    TYPE_TOKEN,
    BaselineArgs,
    ClusterBaseline,
)
from zero_trust_clusters.components.kubernetes.delivery import IssuerMaterial
from zero_trust_clusters.components.kubernetes.mesh import MeshPeer
from zero_trust_clusters.components.kubernetes.names import PER_CLOUD_FIELDS
from zero_trust_clusters.components.kubernetes.placement import default_sandbox_placement
from zero_trust_clusters.components.kubernetes.render import (
    estate_ranges,
    mask_secrets,
    mesh_peers,
    render_baseline,
    render_charts,
)

__all__ = [
    "PER_CLOUD_FIELDS",
    "TYPE_TOKEN",
    "BaselineArgs",
    "ChartRelease",
    "ClusterBaseline",
    "IssuerMaterial",
    "MeshPeer",
    "default_sandbox_placement",
    "estate_ranges",
    "mask_secrets",
    "mesh_peers",
    "render_baseline",
    "render_charts",
]
