"""Managed add-ons: VPC CNI (network policy, pod subnets), Pod Identity, DNS, proxy.

Everything here goes through the EKS API: the cloud phase never talks to the Kubernetes API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws import iam, validation
from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.spec import SpecError, config_key


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
# The oldest vpc-cni that keeps pods off the node subnets: zero_trust_clusters/components/aws/validation.py.
MIN_VPC_CNI = validation.MIN_VPC_CNI


def vpc_cni_configuration() -> str:
    """enableNetworkPolicy on, prefix delegation (a plain string, known at preview)."""
    return json.dumps(VPC_CNI_CONFIGURATION, sort_keys=True)


def check_vpc_cni_version(version: str, kubernetes_version: str) -> str:
    if validation.vpc_cni_too_old(version):
        wanted = "v" + ".".join(map(str, MIN_VPC_CNI))
        raise SpecError([(
            f"{config_key('posture', 'kubernetesVersion')}: the newest vpc-cni add-on EKS offers "
            f"for Kubernetes {kubernetes_version} is {version}; pods are kept off the node "
            f"subnets (kubernetes.io/role/cni=0) only from {wanted}: choose a Kubernetes "
            "version whose add-on is at least that"
        )])
    return version


def pinned_version(ctx: AwsContext, addon: str) -> str | None:
    """The add-on version the stack pins (`aws.addonVersions`), or None."""
    return ctx.spec.settings.addon_versions.get(addon) if ctx.spec.settings else None


def version_options(pinned: str | None) -> dict[str, object]:
    """How an add-on's version is held. Pinned: exactly that version, moved only by a config
    change. Not pinned: EKS's version at creation, then left alone (`addonVersion` ignored), so
    an ordinary `pulumi up` never rolls the add-on's pods because EKS published a newer one."""
    if pinned:
        return {"addon_version": pinned, "ignore_changes": []}
    return {"addon_version": None, "ignore_changes": ["addonVersion"]}


def _addon(ctx: AwsContext, cluster: aws.eks.Cluster, addon: str,
           depends_on: list[pulumi.Resource] | None = None, **kwargs) -> aws.eks.Addon:
    held = version_options(pinned_version(ctx, addon))
    version = kwargs.pop("addon_version", None) or held["addon_version"]
    return aws.eks.Addon(
        f"{ctx.name}-{addon}",
        aws.eks.AddonArgs(cluster_name=cluster.name, addon_name=addon, addon_version=version,
                          resolve_conflicts_on_create="OVERWRITE",
                          resolve_conflicts_on_update="OVERWRITE",
                          region=ctx.region, tags=ctx.tags(), **kwargs),
        opts=ctx.opts(depends_on=depends_on or [], ignore_changes=held["ignore_changes"]),
    )


def vpc_cni_version(ctx: AwsContext) -> pulumi.Output[str]:
    """The pinned vpc-cni version, else the newest EKS offers for the cluster's Kubernetes
    version; checked either way."""
    kubernetes_version = ctx.kubernetes_version
    pinned = pinned_version(ctx, "vpc-cni")
    if pinned:  # checked against MIN_VPC_CNI with the spec (validation.py)
        return pulumi.Output.from_input(pinned)
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
        depends_on=[pod_identity_agent, *cni_role.ready],
    )
    kube_proxy = _addon(ctx, cluster, "kube-proxy")
    return Addons(vpc_cni=vpc_cni, pod_identity_agent=pod_identity_agent, kube_proxy=kube_proxy,
                  cni_role=cni_role)


def build_coredns(ctx: AwsContext, cluster: aws.eks.Cluster,
                  node_groups: list[aws.eks.NodeGroup]) -> aws.eks.Addon:
    # CoreDNS needs schedulable nodes before the add-on can become ACTIVE.
    return _addon(ctx, cluster, "coredns", depends_on=list(node_groups))
