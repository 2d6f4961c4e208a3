"""Managed add-ons: VPC CNI (network policy + custom networking), Pod Identity, DNS, proxy."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import iam
from components.aws.context import AwsContext


@dataclass
class Addons:
    vpc_cni: aws.eks.Addon
    pod_identity_agent: aws.eks.Addon
    kube_proxy: aws.eks.Addon
    cni_role: iam.ManagedRole


def vpc_cni_configuration(region: str, zones: list[str], pod_subnet_ids: list[str],
                          node_sg_id: str) -> str:
    """enableNetworkPolicy on, and one ENIConfig per zone pointing pods at the pod subnets.

    Prefix delegation hands each pod-subnet ENI slot a /28, so the pod capacity of a node does
    not depend on its ENI table (custom networking leaves the primary ENI unused for pods);
    the kubelet's max-pods is pinned to MAX_PODS to match (userdata.py).
    """
    subnets = {
        zone.removeprefix(region): {"id": subnet, "securityGroups": [node_sg_id]}
        for zone, subnet in zip(zones, pod_subnet_ids, strict=True)
    }
    return json.dumps({
        "enableNetworkPolicy": "true",
        "env": {
            "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
            "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
            "ENABLE_PREFIX_DELEGATION": "true",
            "WARM_PREFIX_TARGET": "1",
        },
        "eniConfig": {"create": True, "region": region, "subnets": subnets},
    }, sort_keys=True)


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


def build_addons(ctx: AwsContext, cluster: aws.eks.Cluster, *, zones: list[pulumi.Output[str]],
                 pod_subnet_ids: list[pulumi.Output[str]],
                 node_sg_id: pulumi.Output[str]) -> Addons:
    pod_identity_agent = _addon(ctx, cluster, "eks-pod-identity-agent")
    # The CNI's ENI permissions go to its own service account, not to every node.
    cni_role = iam.pod_identity_role(ctx, "vpc-cni", "VPC CNI (aws-node) via Pod Identity",
                                     managed=["AmazonEKS_CNI_Policy"])
    configuration = pulumi.Output.all(zones=zones, subnets=pod_subnet_ids, sg=node_sg_id).apply(
        lambda a: vpc_cni_configuration(ctx.region, a["zones"], a["subnets"], a["sg"]))
    vpc_cni = _addon(
        ctx, cluster, "vpc-cni",
        configuration_values=configuration,
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
