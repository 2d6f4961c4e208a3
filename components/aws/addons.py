"""Managed add-ons: VPC CNI (network policy, pod subnets), Pod Identity, DNS, proxy.

Everything here goes through the EKS API: the cloud phase never talks to the Kubernetes API.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import iam
from components.aws.context import AwsContext
from components.spec import SpecError, config_key


@dataclass
class Addons:
    vpc_cni: aws.eks.Addon
    pod_identity_agent: aws.eks.Addon
    kube_proxy: aws.eks.Addon
    cni_role: iam.ManagedRole


# Static on purpose: no resource ids in it, so the add-on's configuration (and with it
# enableNetworkPolicy) is known at a first preview and the policy pack can verify it.
# Pod IPs come from the pod subnets through enhanced subnet discovery (network.py tags them
# `kubernetes.io/role/cni=1` and the node subnets `=0`), which needs no ENIConfig objects and
# so no Kubernetes API call (https://docs.aws.amazon.com/eks/latest/userguide/cni-subnet-selection.html).
# ENABLE_SUBNET_DISCOVERY defaults to true from v1.18.0 and is left at its default.
VPC_CNI_CONFIGURATION: dict[str, object] = {
    "enableNetworkPolicy": "true",
    "env": {
        # Prefix delegation hands each pod-subnet ENI slot a /28, so the pod capacity of a
        # node does not depend on its ENI table (the node's primary ENI serves no pods: its
        # subnet is excluded); the kubelet's max-pods is pinned to MAX_PODS (userdata.py).
        "ENABLE_PREFIX_DELEGATION": "true",
        "WARM_PREFIX_TARGET": "1",
    },
}
# `kubernetes.io/role/cni=0` keeps the node's primary subnet (and its ENI) out of pod IP
# allocation only from this release on (aws/amazon-vpc-cni-k8s #3647, "fix primary subnet
# exclusion logic", first tagged v1.22.1); an older add-on would quietly hand out node-subnet
# addresses to pods.
MIN_VPC_CNI = (1, 22, 1)
_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)")


def vpc_cni_configuration() -> str:
    """enableNetworkPolicy on, prefix delegation (a plain string, known at preview)."""
    return json.dumps(VPC_CNI_CONFIGURATION, sort_keys=True)


def check_vpc_cni_version(version: str, kubernetes_version: str) -> str:
    match = _VERSION.match(version)
    found = tuple(int(p) for p in match.groups()) if match else (0, 0, 0)
    if found < MIN_VPC_CNI:
        wanted = "v" + ".".join(map(str, MIN_VPC_CNI))
        raise SpecError([(
            f"{config_key('posture', 'kubernetesVersion')}: the newest vpc-cni add-on EKS offers "
            f"for Kubernetes {kubernetes_version} is {version}; pods are kept off the node "
            f"subnets (kubernetes.io/role/cni=0) only from {wanted}: choose a Kubernetes "
            "version whose add-on is at least that"
        )])
    return version


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


def vpc_cni_version(ctx: AwsContext) -> pulumi.Output[str]:
    """The newest vpc-cni release EKS offers for the posture's Kubernetes version, checked."""
    kubernetes_version = ctx.posture.kubernetes_version
    found = aws.eks.get_addon_version_output(addon_name="vpc-cni",
                                             kubernetes_version=kubernetes_version,
                                             most_recent=True, region=ctx.region,
                                             opts=ctx.invoke_opts())
    return found.version.apply(lambda v: check_vpc_cni_version(v, kubernetes_version))


def build_addons(ctx: AwsContext, cluster: aws.eks.Cluster) -> Addons:
    pod_identity_agent = _addon(ctx, cluster, "eks-pod-identity-agent")
    # The CNI's ENI permissions go to its own service account, not to every node.
    # AmazonEKS_CNI_Policy includes ec2:DescribeSubnets, which subnet discovery needs.
    cni_role = iam.pod_identity_role(ctx, "vpc-cni", "VPC CNI (aws-node) via Pod Identity",
                                     managed=["AmazonEKS_CNI_Policy"])
    vpc_cni = _addon(
        ctx, cluster, "vpc-cni",
        addon_version=vpc_cni_version(ctx),
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
