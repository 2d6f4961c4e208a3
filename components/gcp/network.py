"""The cluster's VPC: subnet with secondary ranges, Cloud NAT, flow logs, and firewall rules.

Ingress is denied by default (an explicit, logged deny-all at the lowest priority, on top of
GCP's implied deny). The only allow we add is control plane -> nodes: the ports GKE itself opens
for a private cluster (kubelet 10250, 443) plus every port an admission webhook of the baseline's
charts listens on (each `ChartRelease` declares its `webhook_ports`), targeted at the node
service account rather than at network tags. A private control plane reaches nodes only on 443
and 10250 unless a firewall rule opens more ("Adding firewall rules for specific use cases":
https://cloud.google.com/kubernetes-engine/docs/how-to/private-clusters#add_firewall_rules).
GKE adds its own narrow intra-cluster rules at cluster creation. Nodes have no external IPs;
egress leaves through Cloud NAT.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.cluster import HardenedCluster
from components.gcp.addressing import PODS_RANGE_NAME, SERVICES_RANGE_NAME, AddressPlan

# Control plane -> nodes that GKE opens itself: kubelet API (logs/exec/port-forward) and 443.
CONTROL_PLANE_PORTS = (443, 10250)


def control_plane_ports(webhook_ports: tuple[int, ...]) -> list[str]:
    """The ports the control plane may reach on nodes: GKE's own plus the charts' webhooks."""
    return [str(p) for p in sorted({*CONTROL_PLANE_PORTS, *webhook_ports})]
DENY_ALL_PRIORITY = 65534  # just above GCP's implied rules (65535), below everything else
ALLOW_PRIORITY = 1000
WORLD = "0.0.0.0/0"


@dataclass(frozen=True)
class Network:
    vpc: gcp.compute.Network
    subnet: gcp.compute.Subnetwork
    router: gcp.compute.Router
    nat: gcp.compute.RouterNat
    firewalls: tuple[gcp.compute.Firewall, ...]


def build_network(
    owner: HardenedCluster,
    name: str,
    project: str,
    region: str,
    addresses: AddressPlan,
    node_service_account: pulumi.Input[str],
    webhook_ports: tuple[int, ...],
    opts: pulumi.ResourceOptions,
) -> Network:
    vpc = gcp.compute.Network(
        f"{name}-vpc",
        name=f"{name}-vpc",
        project=project,
        auto_create_subnetworks=False,
        routing_mode="REGIONAL",
        description=f"VPC of GKE cluster {name} (ztc)",
        opts=opts,
    )
    subnet = gcp.compute.Subnetwork(
        f"{name}-nodes",
        name=f"{name}-nodes",
        project=project,
        region=region,
        network=vpc.id,
        ip_cidr_range=addresses.nodes,
        secondary_ip_ranges=[
            gcp.compute.SubnetworkSecondaryIpRangeArgs(
                range_name=PODS_RANGE_NAME, ip_cidr_range=addresses.pods
            ),
            gcp.compute.SubnetworkSecondaryIpRangeArgs(
                range_name=SERVICES_RANGE_NAME, ip_cidr_range=addresses.services
            ),
        ],
        # Private nodes reach Google APIs (Artifact Registry, logging) without public IPs.
        private_ip_google_access=True,
        log_config=gcp.compute.SubnetworkLogConfigArgs(
            aggregation_interval="INTERVAL_5_SEC",
            flow_sampling=0.5,
            metadata="INCLUDE_ALL_METADATA",
        ),
        opts=opts,
    )
    router = gcp.compute.Router(
        f"{name}-router",
        name=f"{name}-router",
        project=project,
        region=region,
        network=vpc.id,
        opts=opts,
    )
    nat = gcp.compute.RouterNat(
        f"{name}-nat",
        name=f"{name}-nat",
        project=project,
        region=region,
        router=router.name,
        nat_ip_allocate_option="AUTO_ONLY",
        source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
        subnetworks=[
            gcp.compute.RouterNatSubnetworkArgs(
                name=subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"]
            )
        ],
        log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ALL"),
        opts=opts,
    )
    logging = gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA")
    deny_ingress = gcp.compute.Firewall(
        f"{name}-deny-all-ingress",
        name=f"{name}-deny-all-ingress",
        project=project,
        network=vpc.id,
        direction="INGRESS",
        priority=DENY_ALL_PRIORITY,
        denies=[gcp.compute.FirewallDenyArgs(protocol="all")],
        # A deny from everywhere is the default-deny; no rule ever *allows* from 0.0.0.0/0.
        source_ranges=[WORLD],
        log_config=logging,
        description="Default deny: nothing reaches the cluster unless a rule allows it",
        opts=opts,
    )
    allow_control_plane = gcp.compute.Firewall(
        f"{name}-allow-control-plane",
        name=f"{name}-allow-control-plane",
        project=project,
        network=vpc.id,
        direction="INGRESS",
        priority=ALLOW_PRIORITY,
        allows=[
            gcp.compute.FirewallAllowArgs(protocol="tcp", ports=control_plane_ports(webhook_ports))
        ],
        source_ranges=[addresses.control_plane],
        target_service_accounts=[node_service_account],
        log_config=logging,
        description="Control plane -> nodes: kubelet, 443 and the baseline's webhook ports",
        opts=opts,
    )
    firewalls = (deny_ingress, allow_control_plane)
    owner.implements(vpc, "ZT-NET-SEGMENT")
    owner.implements(subnet, "ZT-NET-SEGMENT", "ZT-NODE-PRIVATE")
    owner.implements(nat, "ZT-NODE-PRIVATE")
    for rule in firewalls:
        owner.implements(rule, "ZT-NET-SEGMENT")
    return Network(vpc=vpc, subnet=subnet, router=router, nat=nat, firewalls=firewalls)
