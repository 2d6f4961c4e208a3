"""What every AKS building block needs: the spec, the explicit provider and the parent."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from zero_trust_clusters.components.azure import naming
from zero_trust_clusters.components.cluster import HardenedCluster
from zero_trust_clusters.components.spec import ClusterSpec, Posture


@dataclass(frozen=True)
class AksContext:
    name: str
    cluster: ClusterSpec
    posture: Posture
    component: HardenedCluster
    provider: azure_native.Provider
    resource_group_name: pulumi.Input[str]
    # The same name as a plain string (for invokes that must run at program time).
    resource_group: str

    @property
    def subscription_id(self) -> str:
        assert self.cluster.settings is not None
        return self.cluster.settings.subscription_id

    @property
    def tenant_id(self) -> str:
        assert self.cluster.settings is not None
        return self.cluster.settings.tenant_id

    @property
    def location(self) -> str:
        return self.cluster.region

    @property
    def resource_group_id(self) -> str:
        rg = (self.cluster.settings and self.cluster.settings.resource_group) or naming.resource_group(
            self.name
        )
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{rg}"

    @property
    def cluster_id(self) -> str:
        """The ManagedCluster's ARM id, known before it exists (role assignment scopes)."""
        return (f"{self.resource_group_id}/providers/Microsoft.ContainerService/"
                f"managedClusters/{self.name}")

    @property
    def tags(self) -> dict[str, str]:
        return {"ztc-cluster": self.name, "ztc-managed-by": "zero-trust-clusters", **self.cluster.labels}

    def opts(self, **kwargs) -> pulumi.ResourceOptions:
        """Parented to the cluster component, through its explicit provider."""
        return self.component.child_opts(self.provider, **kwargs)


def make_provider(parent: pulumi.Resource, cluster: ClusterSpec) -> azure_native.Provider:
    """Pin subscription, tenant and location so no ambient `az` default is ever used."""
    assert cluster.settings is not None
    return azure_native.Provider(
        f"{cluster.name}-azure",
        azure_native.ProviderArgs(
            subscription_id=cluster.settings.subscription_id,
            tenant_id=cluster.settings.tenant_id,
            location=cluster.region,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
