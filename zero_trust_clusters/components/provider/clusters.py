"""`ZeroTrustCluster` for every Pulumi language: one hardened cluster with a posture.

The cluster is one entry of a stack's `clusters`, the posture the stack's `posture`; both are
validated as a one-cluster stack, and the cloud's registered `HardenedCluster` (EksCluster,
AksCluster, GkeCluster, from zero_trust_clusters/components/clouds.py) is built as the only child, under the
cluster's name, exactly as `ZeroTrustEstate` builds it. No shared PKI: use `ZeroTrustEstate`
for clusters that trust each other.
"""

from typing import TypedDict

import pulumi

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.components.provider import type_token
from zero_trust_clusters.components.provider.config import Cluster, Posture
from zero_trust_clusters.components.provider.inputs import load

# The attributes a cloud's HardenedCluster sets beyond the contract (zero_trust_clusters/components/aws/component.py,
# zero_trust_clusters/components/gcp/component.py), each an output of the facade; None where the cloud has none.
CLOUD_EXTRAS = ("cluster_name", "oidc_provider_arn", "audit_bucket", "audit_alarm_topic",
                "workload_pool")


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
    # What one cloud's component registers beyond the contract; none on the other clouds.
    cluster_name: pulumi.Output[str | None]
    """EKS: the EKS cluster's name."""
    oidc_provider_arn: pulumi.Output[str | None]
    """EKS: the IAM OIDC provider's ARN, for IAM roles for service accounts."""
    audit_bucket: pulumi.Output[str | None]
    """EKS: the S3 bucket the control-plane audit trail lands in."""
    audit_alarm_topic: pulumi.Output[str | None]
    """EKS: the SNS topic of the audit trail's alarms."""
    workload_pool: pulumi.Output[str | None]
    """GKE: the workload identity pool (<project>.svc.id.goog)."""

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
        extras = {attribute: pulumi.Output.from_input(getattr(cluster, attribute, None))
                  for attribute in CLOUD_EXTRAS}
        self.cluster_name = extras["cluster_name"]
        self.oidc_provider_arn = extras["oidc_provider_arn"]
        self.audit_bucket = extras["audit_bucket"]
        self.audit_alarm_topic = extras["audit_alarm_topic"]
        self.workload_pool = extras["workload_pool"]
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
            "clusterName": self.cluster_name,
            "oidcProviderArn": self.oidc_provider_arn,
            "auditBucket": self.audit_bucket,
            "auditAlarmTopic": self.audit_alarm_topic,
            "workloadPool": self.workload_pool,
        })
