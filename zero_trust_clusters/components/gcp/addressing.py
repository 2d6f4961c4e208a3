"""How a cluster's declared ranges map onto GKE's address plan.

`nodeCidr` is the cluster's whole VPC range: nodes take its lower half (the subnet's primary
range) and the control plane the first /28 of its upper half (`master_ipv4_cidr_block`), so
nothing GKE needs can overlap another cluster (the spec already keeps node ranges disjoint).
Pods and services use `podCidr` / `serviceCidr` as the subnet's secondary ranges (VPC-native).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi

from zero_trust_clusters.components.spec import ClusterSpec

PODS_RANGE_NAME = "pods"
SERVICES_RANGE_NAME = "services"


@dataclass(frozen=True)
class AddressPlan:
    nodes: str
    # A brought network's control-plane range may be another stack's output.
    control_plane: pulumi.Input[str]
    pods: str
    services: str
    # The subnetwork's secondary ranges GKE takes pod and service IPs from, by name.
    pods_range_name: pulumi.Input[str] = PODS_RANGE_NAME
    services_range_name: pulumi.Input[str] = SERVICES_RANGE_NAME


def plan(cluster: ClusterSpec) -> AddressPlan:
    node_net = ipaddress.IPv4Network(cluster.node_cidr)
    lower, upper = node_net.subnets(prefixlen_diff=1)
    control_plane = next(upper.subnets(new_prefix=28))
    return AddressPlan(
        nodes=str(lower),
        control_plane=str(control_plane),
        pods=cluster.pod_cidr,
        services=cluster.service_cidr,
    )
