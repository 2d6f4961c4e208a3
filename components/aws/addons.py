"""Managed add-ons: VPC CNI (network policy + custom networking), Pod Identity, DNS, proxy."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi_aws as aws

from components.aws import iam
from components.aws.context import AwsContext


@dataclass
class Addons:
    vpc_cni: aws.eks.Addon
    pod_identity_agent: aws.eks.Addon
    kube_proxy: aws.eks.Addon
    cni_role: iam.ManagedRole


# Static on purpose: no resource ids in it, so the add-on's configuration (and with it
# enableNetworkPolicy) is known at a first preview. The per-zone ENIConfigs that carry the pod
# subnet ids are Kubernetes objects of their own (eni_configs.py).
VPC_CNI_CONFIGURATION: dict[str, object] = {
    "enableNetworkPolicy": "true",
    "env": {
        # Custom networking: pod ENIs go to the subnet of the ENIConfig named after the zone.
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
        "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
        # Prefix delegation hands each pod-subnet ENI slot a /28, so the pod capacity of a
        # node does not depend on its ENI table (custom networking leaves the primary ENI
        # unused for pods); the kubelet's max-pods is pinned to MAX_PODS to match (userdata.py).
        "ENABLE_PREFIX_DELEGATION": "true",
        "WARM_PREFIX_TARGET": "1",
    },
}


def vpc_cni_configuration() -> str:
    """enableNetworkPolicy on, custom networking by zone, prefix delegation (a plain string)."""
    return json.dumps(VPC_CNI_CONFIGURATION, sort_keys=True)


def _addon(ctx: AwsContext, cluster: aws.eks.Cluster, addon: str,
           **kwargs) -> aws.eks.Addon:
    opts = kwargs.pop("opts", None) or ctx.opts()
    return aws.eks.Addon(
        f"{ctx.name}-{addon}",
        aws.eks.AddonArgs(cluster_name=cluster.name, addon_name=addon,
                          resolve_conflicts_on_create="OVERWRITE",
                          resolve_conflicts_on_update="OVERWRITE",
                          region=ctx.region, tags=ctx.tags(), **kwargs),
        opts=opts,
    )


def build_addons(ctx: AwsContext, cluster: aws.eks.Cluster) -> Addons:
    pod_identity_agent = _addon(ctx, cluster, "eks-pod-identity-agent")
    # The CNI's ENI permissions go to its own service account, not to every node.
    cni_role = iam.pod_identity_role(ctx, "vpc-cni", "VPC CNI (aws-node) via Pod Identity",
                                     managed=["AmazonEKS_CNI_Policy"])
    vpc_cni = _addon(
        ctx, cluster, "vpc-cni",
        configuration_values=vpc_cni_configuration(),
        pod_identity_associations=[aws.eks.AddonPodIdentityAssociationArgs(
            role_arn=cni_role.arn, service_account="aws-node")],
        opts=ctx.opts(depends_on=[pod_identity_agent, *cni_role.ready]),
    )
    kube_proxy = _addon(ctx, cluster, "kube-proxy")
    return Addons(vpc_cni=vpc_cni, pod_identity_agent=pod_identity_agent, kube_proxy=kube_proxy,
                  cni_role=cni_role)


def build_coredns(ctx: AwsContext, cluster: aws.eks.Cluster,
                  node_groups: list[aws.eks.NodeGroup]) -> aws.eks.Addon:
    # CoreDNS needs schedulable nodes before the add-on can become ACTIVE.
    return _addon(ctx, cluster, "coredns", opts=ctx.opts(depends_on=node_groups))
