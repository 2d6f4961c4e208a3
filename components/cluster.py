"""What every per-cloud cluster component takes and exposes.

`EksCluster`, `AksCluster` and `GkeCluster` subclass `HardenedCluster`; the estate and the
in-cluster baseline only speak to this interface, never to a cloud's resources.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pulumi

from components.catalog import ControlId, control_id
from components.spec import Cloud, ClusterSpec, Posture


@dataclass(frozen=True)
class ClusterArgs:
    cluster: ClusterSpec
    posture: Posture
    # SPIFFE trust domain of this cluster (EstateSpec.trust_domain); used for labels/outputs.
    trust_domain: str
    # The other clusters' node and pod ranges when the posture has cross-cluster edges
    # (workloadNamespaces[].ingressFromClusters): the only sources a cloud firewall admits to
    # the mesh's east-west gateway (components/kubernetes/mesh.py).
    mesh_peer_ranges: tuple[str, ...] = ()


@dataclass(frozen=True)
class Toleration:
    key: str
    value: str
    effect: str = "NoSchedule"
    operator: str = "Equal"


@dataclass(frozen=True)
class SandboxPlacement:
    """How the common RuntimeClass lands pods on this cloud's VM-sandbox pool."""

    handler: str  # CRI handler: "runsc" (EKS gVisor), "gvisor" (GKE Sandbox), "kata" (AKS)
    node_selector: dict[str, str]
    tolerations: tuple[Toleration, ...] = field(default_factory=tuple)


class HardenedCluster(pulumi.ComponentResource):
    """Base of the per-cloud cluster components.

    Subclasses set every attribute below before calling `register_outputs`:
    - `endpoint`: the API server URL (https://...).
    - `certificate_authority`: the cluster CA bundle, base64-encoded PEM.
    - `kubeconfig`: a kubeconfig (secret) that authenticates through the cloud's exec plugin.
    - `oidc_issuer`: the workload-identity OIDC issuer URL.
    - `sandbox`: where sandboxed pods go.
    - `controls`: control ID -> names of the child resources implementing it.
    """

    cloud: Cloud
    spec: ClusterSpec
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    sandbox: SandboxPlacement

    def __init__(self, type_token: str, name: str, args: ClusterArgs, opts=None):
        super().__init__(type_token, name, None, opts)
        self.spec = args.cluster
        self._controls: dict[str, list[str]] = defaultdict(list)

    def implements(self, resource: pulumi.Resource, *controls: ControlId) -> pulumi.Resource:
        """Record that `resource` implements `controls` (catalog IDs, e.g. "ZT-NODE-OS"; an
        unknown one raises `UnknownControlError`); returns it for chaining."""
        for control in controls:
            self._controls[control_id(control)].append(resource._name)
        return resource

    @property
    def controls(self) -> dict[str, list[str]]:
        return {k: sorted(v) for k, v in sorted(self._controls.items())}

    def child_opts(self, provider: pulumi.ProviderResource, **kwargs) -> pulumi.ResourceOptions:
        """Options for a child: parented to this cluster, through its explicit provider."""
        return pulumi.ResourceOptions(parent=self, provider=provider, **kwargs)
