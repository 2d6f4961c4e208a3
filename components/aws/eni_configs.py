"""Custom networking: one ENIConfig per zone, so pods get their IPs from the pod-CIDR subnets.

The VPC CNI (ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone) gives each node the ENIConfig
named after the node's zone. They are applied here as Kubernetes objects through the cluster's
own kubeconfig rather than through the add-on's `eniConfig` values: the subnet and security
group ids only exist after the VPC is created, and inside the add-on they would make its whole
`configurationValues` (and with it `enableNetworkPolicy`) unknown at a first preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.aws.context import AwsContext

API_VERSION = "crd.k8s.amazonaws.com/v1alpha1"  # the CRD the vpc-cni add-on installs
KIND = "ENIConfig"


@dataclass
class EniConfigs:
    provider: k8s.Provider
    configs: list[k8s.apiextensions.CustomResource]


def build_eni_configs(ctx: AwsContext, *, kubeconfig: pulumi.Input[str],
                      zones: Sequence[pulumi.Input[str]],
                      pod_subnet_ids: Sequence[pulumi.Input[str]],
                      node_sg_id: pulumi.Input[str],
                      depends_on: Sequence[pulumi.Resource]) -> EniConfigs:
    """`depends_on`: the vpc-cni add-on (the CRD) and the access entries (the API refuses the
    kubeconfig's identity until the deployer's entry exists). Node groups must wait for the
    result: AWS's custom-networking guide has nodes started before the ENIConfigs replaced."""
    provider = k8s.Provider(
        f"{ctx.name}-cni-k8s",
        k8s.ProviderArgs(kubeconfig=kubeconfig, enable_server_side_apply=True),
        opts=pulumi.ResourceOptions(parent=ctx.component),
    )
    configs = []
    for i, (zone, subnet_id) in enumerate(zip(zones, pod_subnet_ids, strict=True)):
        suffix = chr(ord("a") + i)  # the same letters as the subnets (network.py)
        configs.append(k8s.apiextensions.CustomResource(
            f"{ctx.name}-eniconfig-{suffix}",
            api_version=API_VERSION,
            kind=KIND,
            # Cluster-scoped; the name must equal the node's topology.kubernetes.io/zone label.
            metadata=k8s.meta.v1.ObjectMetaArgs(name=zone),
            spec={"subnet": subnet_id, "securityGroups": [node_sg_id]},
            opts=pulumi.ResourceOptions(parent=ctx.component, provider=provider,
                                        depends_on=list(depends_on)),
        ))
    return EniConfigs(provider=provider, configs=configs)
