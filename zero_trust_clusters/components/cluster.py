"""What every per-cloud cluster component takes and exposes.

`EksCluster`, `AksCluster` and `GkeCluster` subclass `HardenedCluster`; the estate and the
in-cluster baseline only speak to this interface, never to a cloud's resources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from zero_trust_clusters.components.catalog import ControlId, control_id
from zero_trust_clusters.components.spec import Cloud, ClusterSpec, Posture


class ExistingNetwork:
    """Base of the per-cloud "bring your own network" arguments (`EksNetworkArgs`,
    `AksNetworkArgs`, `GkeNetworkArgs` in zero_trust_clusters/components/<cloud>/network.py).

    Their fields are `pulumi.Input`s, so IDs can come from another stack (a StackReference)
    or from resources of the same program. What can be checked without the values is checked
    when the component is built; what needs them is checked when they are known (in an
    `apply`, failing the deployment with a message naming the argument), so a first preview
    of values that are still unknown checks only their shape.
    """


@dataclass(frozen=True)
class ClusterArgs:
    """The arguments of every cluster component."""

    cluster: ClusterSpec
    """The validated cluster (zero_trust_clusters/components/spec.py): name, cloud, region, ranges, pools, the
    cloud's settings block."""
    posture: Posture
    """The zero-trust posture every cluster of the stack reproduces."""
    trust_domain: str
    """SPIFFE trust domain of this cluster (`EstateSpec.trust_domain`); labels and outputs."""
    mesh_peer_ranges: tuple[str, ...] = ()
    """The other clusters' node and pod ranges when the posture has cross-cluster edges
    (workloadNamespaces[].ingressFromClusters): the only sources a cloud firewall admits to the
    mesh's east-west gateway (zero_trust_clusters/components/kubernetes/mesh.py)."""
    network: ExistingNetwork | None = None
    """An existing network to build the cluster in (the cloud's `*NetworkArgs`), winning over
    the `<cloud>.network` block of the stack config; None and no block: the component creates
    the cluster's own network (the default)."""
    trust_domain_intermediate_pem: pulumi.Input[str] | None = None
    """The cluster's PKI intermediate certificate (PEM, public), from `SharedPki`; published
    as the `trustDomainIntermediate` output. None: the output is None."""


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


@dataclass(frozen=True)
class ClusterOutputs:
    """What every cluster publishes, under the same keys on every cloud (`as_dict`).

    A key whose value does not exist on a cloud is None there; today every key exists on
    every built-in cloud."""

    cluster_name: pulumi.Input[str]
    """The managed cluster's name in its cloud."""
    endpoint: pulumi.Input[str]
    """The private API server URL (https://...)."""
    certificate_authority: pulumi.Input[str]
    """The cluster CA bundle, base64-encoded PEM."""
    kubeconfig: pulumi.Input[str]
    """A kubeconfig (secret) authenticating through the cloud's exec plugin only."""
    oidc_issuer: pulumi.Input[str]
    """The workload-identity OIDC issuer URL."""
    node_identity: pulumi.Input[str]
    """The nodes' cloud identity, as grants name it: the node IAM role ARN (EKS), the kubelet
    identity's principal (object) id (AKS), the node service account e-mail (GKE)."""
    security_groups: Sequence[pulumi.Input[str]]
    """What segments the cluster's network: security group IDs (EKS: cluster, nodes), NSG IDs
    (AKS: nodes, API server) or firewall rule IDs (GKE)."""
    network_id: pulumi.Input[str]
    """The VPC / VNet / VPC network the cluster runs in (created or brought)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Every subnet the cluster uses, nodes first (EKS: node then pod subnets; AKS: node then
    API-server subnet; GKE: the subnetwork)."""
    kms_keys: Mapping[str, pulumi.Input[str]]
    """Customer-managed keys by role: `secrets` (etcd envelope key) and `disks` (node disks)
    on every cloud, plus what else the cloud keys (GKE `audit`)."""
    trust_domain: str
    """The cluster's SPIFFE trust domain."""
    trust_domain_intermediate: pulumi.Input[str] | None
    """The cluster's PKI intermediate certificate (PEM), when the args carried it."""

    def as_dict(self) -> dict[str, Any]:
        """The outputs under their camelCase keys (register_outputs, stack exports)."""
        return {
            "clusterName": self.cluster_name,
            "endpoint": self.endpoint,
            "certificateAuthority": self.certificate_authority,
            "kubeconfig": pulumi.Output.secret(self.kubeconfig),
            "oidcIssuer": self.oidc_issuer,
            "nodeIdentity": self.node_identity,
            "securityGroups": list(self.security_groups),
            "networkId": self.network_id,
            "subnetIds": list(self.subnet_ids),
            "kmsKeys": dict(self.kms_keys),
            "trustDomain": self.trust_domain,
            "trustDomainIntermediate": self.trust_domain_intermediate,
        }


# The keys of `ClusterOutputs.as_dict`, the same on every cloud.
OUTPUT_KEYS: tuple[str, ...] = (
    "clusterName", "endpoint", "certificateAuthority", "kubeconfig", "oidcIssuer",
    "nodeIdentity", "securityGroups", "networkId", "subnetIds", "kmsKeys", "trustDomain",
    "trustDomainIntermediate",
)


class HardenedCluster(pulumi.ComponentResource):
    """Base of the per-cloud cluster components.

    Subclasses set every attribute below, then call `publish` (which registers the outputs):
    - `endpoint`: the API server URL (https://...).
    - `certificate_authority`: the cluster CA bundle, base64-encoded PEM.
    - `kubeconfig`: a kubeconfig (secret) that authenticates through the cloud's exec plugin.
    - `oidc_issuer`: the workload-identity OIDC issuer URL.
    - `sandbox`: where sandboxed pods go.
    - `controls`: control ID -> names of the child resources implementing it.
    - `outputs`: every published output (`ClusterOutputs`), the same keys on every cloud.

    Providers: a provider given in `opts.provider` / `opts.providers` (or inherited from a
    parent) for the cloud's package is used for every child (`explicit_provider`); without
    one the component creates its own, pinned to the cluster's region and account.
    """

    cloud: Cloud
    spec: ClusterSpec
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    sandbox: SandboxPlacement
    # Set by `publish`; None for a component that registers its outputs itself.
    outputs: ClusterOutputs | None = None

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

    def explicit_provider(self, package: str) -> pulumi.ProviderResource | None:
        """The provider of `package` ("aws", "azure-native", "gcp") this component was given
        in its options or inherited from its parent, or None."""
        return self.get_provider(f"{package}:index:Provider")

    def child_opts(self, provider: pulumi.ProviderResource, **kwargs) -> pulumi.ResourceOptions:
        """Options for a child: parented to this cluster, through its explicit provider."""
        return pulumi.ResourceOptions(parent=self, provider=provider, **kwargs)

    def publish(self, outputs: ClusterOutputs, extra: Mapping[str, Any] | None = None) -> None:
        """Register the contract's outputs, the cloud's `extra` ones and the control map."""
        self.outputs = outputs
        self.register_outputs({
            **outputs.as_dict(),
            **(extra or {}),
            "sandboxHandler": self.sandbox.handler,
            "controls": self.controls,
        })
