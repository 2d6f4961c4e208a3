"""What every EKS building block needs: the explicit provider, naming, account facts."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.cluster import HardenedCluster
from zero_trust_clusters.components.spec import ClusterSpec, Posture


@dataclass(frozen=True)
class AwsContext:
    component: HardenedCluster
    provider: aws.Provider
    name: str
    spec: ClusterSpec
    posture: Posture
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    dns_suffix: pulumi.Output[str]
    # Config key of this cluster for error messages (zero_trust_clusters.components.spec.cluster_key).
    config_key: str

    @property
    def region(self) -> str:
        return self.spec.region

    @property
    def kubernetes_version(self) -> str:
        """This cluster's version (`clusters[i].kubernetesVersion`, else the posture's)."""
        return self.spec.version(self.posture)

    def opts(self, **kwargs) -> pulumi.ResourceOptions:
        """Child options: parented to the cluster component, through its explicit provider."""
        return self.component.child_opts(self.provider, **kwargs)

    def invoke_opts(self) -> pulumi.InvokeOutputOptions:
        return pulumi.InvokeOutputOptions(provider=self.provider, parent=self.component)

    def arn(self, service: str, resource: str, *, regional: bool = True) -> pulumi.Output[str]:
        region = self.region if regional else ""
        return pulumi.Output.concat(
            "arn:", self.partition, ":", service, ":", region, ":", self.account_id, ":", resource
        )

    def managed_policy(self, name: str) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::aws:policy/", name)

    def eks_access_policy(self, name: str) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":eks::aws:cluster-access-policy/", name)

    def tags(self, **extra: str) -> dict[str, str]:
        return {"ztc:cluster": self.name, **self.spec.labels, **extra}
