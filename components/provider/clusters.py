"""`ZeroTrustCluster` for every Pulumi language: one hardened cluster with a posture.

The cluster is one entry of a stack's `clusters`, the posture the stack's `posture`; both are
validated as a one-cluster stack, and the cloud's registered `HardenedCluster` (EksCluster,
AksCluster, GkeCluster, from components/clouds.py) is built as the only child, under the
cluster's name, exactly as `ZeroTrustEstate` builds it. No shared PKI: use `ZeroTrustEstate`
for clusters that trust each other.
"""

from typing import TypedDict

import pulumi

from components import clouds
from components.cluster import ClusterArgs
from components.provider import type_token
from components.provider.config import Cluster, Posture
from components.provider.inputs import load


class ZeroTrustClusterArgs(TypedDict):
    posture: Posture
    """The zero-trust posture the cluster reproduces (a stack's `posture`)."""
    cluster: Cluster
    """The cluster (one entry of a stack's `clusters`)."""


class ZeroTrustCluster(pulumi.ComponentResource):
    """One EKS, AKS or GKE cluster with the zero-trust posture (the cloud's HardenedCluster)."""

    cloud: pulumi.Output[str]
    """The cluster's cloud."""
    region: pulumi.Output[str]
    """The cluster's region."""
    trust_domain: pulumi.Output[str]
    """The cluster's SPIFFE trust domain (<cluster>.<posture trustDomain>)."""
    endpoint: pulumi.Output[str]
    """The private API server URL."""
    certificate_authority: pulumi.Output[str]
    """The cluster CA bundle, base64-encoded PEM."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig (a secret) authenticating through the cloud's exec plugin."""
    oidc_issuer: pulumi.Output[str]
    """The workload-identity OIDC issuer URL."""
    sandbox_handler: pulumi.Output[str]
    """The CRI handler behind the `sandboxed` RuntimeClass (runsc, kata, gvisor)."""
    controls: pulumi.Output[dict[str, list[str]]]
    """Control ID -> the resources implementing it."""

    def __init__(self, name: str, args: ZeroTrustClusterArgs,
                 opts: pulumi.ResourceOptions | None = None):
        # Validated as a one-cluster stack before anything is registered.
        spec = load(f"ZeroTrustCluster {name!r}", args.get("posture"), [args.get("cluster")],
                    builds_pki=False, renames={"clusters[0]": "cluster"})
        super().__init__(type_token("ZeroTrustCluster"), name, None, opts)
        (cluster_spec,) = spec.clusters
        trust_domain = spec.trust_domain(cluster_spec)
        cluster = clouds.get(cluster_spec.cloud).load_component()(
            cluster_spec.name,
            ClusterArgs(cluster=cluster_spec, posture=spec.posture, trust_domain=trust_domain),
            pulumi.ResourceOptions(parent=self),
        )
        self.cloud = pulumi.Output.from_input(cluster_spec.cloud)
        self.region = pulumi.Output.from_input(cluster_spec.region)
        self.trust_domain = pulumi.Output.from_input(trust_domain)
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig)
        self.oidc_issuer = cluster.oidc_issuer
        self.sandbox_handler = pulumi.Output.from_input(cluster.sandbox.handler)
        self.controls = pulumi.Output.from_input(cluster.controls)
        self.register_outputs({
            "cloud": self.cloud,
            "region": self.region,
            "trustDomain": self.trust_domain,
            "endpoint": self.endpoint,
            "certificateAuthority": self.certificate_authority,
            "kubeconfig": self.kubeconfig,
            "oidcIssuer": self.oidc_issuer,
            "sandboxHandler": self.sandbox_handler,
            "controls": self.controls,
        })
