"""`ZeroTrustClusterPhase` for every Pulumi language: the in-cluster baseline of every cluster.

The cluster phase's stack (DEPLOYING.md) reads the cloud phase's `clusterPhase` output through
a stack reference and passes it here with the same posture and clusters; they are validated
like a stack and zero_trust_clusters/components/cluster_phase.py `ClusterPhase` is built as the only child, which
refuses a cloud phase deployed from another config (its spec digest).
"""

from typing import Any, TypedDict

import pulumi

from zero_trust_clusters.components.cluster_phase import ClusterPhase, ClusterPhaseArgs
from zero_trust_clusters.components.provider import type_token
from zero_trust_clusters.components.provider.config import Cluster, Posture
from zero_trust_clusters.components.provider.inputs import load


class ZeroTrustClusterPhaseArgs(TypedDict):
    posture: Posture
    """The posture the cloud phase was deployed with (the stack's `posture`)."""
    clusters: list[Cluster]
    """The clusters the cloud phase was deployed with (the stack's `clusters`)."""
    cloud_phase: pulumi.Input[dict[str, Any]]
    """The cloud phase's `clusterPhase` output (a secret), read through a stack reference."""
    cloud_stack: str
    """The cloud phase's stack name, named in errors (e.g. dev)."""


class ZeroTrustClusterPhase(pulumi.ComponentResource):
    """The in-cluster baseline of every cluster, applied from the deployer network."""

    controls: pulumi.Output[dict[str, dict[str, list[str]]]]
    """Cluster name -> control ID -> the in-cluster objects implementing it."""

    def __init__(self, name: str, args: ZeroTrustClusterPhaseArgs,
                 opts: pulumi.ResourceOptions | None = None):
        # Validated before anything is registered; the root's key is the cloud phase's business.
        spec = load(f"ZeroTrustClusterPhase {name!r}", args.get("posture"),
                    args.get("clusters") or [], builds_pki=False)
        super().__init__(type_token("ZeroTrustClusterPhase"), name, None, opts)
        phase = ClusterPhase(
            name,
            ClusterPhaseArgs(spec=spec, cloud_phase=args["cloud_phase"],
                             cloud_stack=args["cloud_stack"]),
            pulumi.ResourceOptions(parent=self),
        )
        self.controls = pulumi.Output.from_input(
            {cluster: baseline.controls for cluster, baseline in phase.baselines.items()})
        self.register_outputs({"controls": self.controls})
