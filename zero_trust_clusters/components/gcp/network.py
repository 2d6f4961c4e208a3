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

Bring your own network (`GkeNetworkArgs`, or the stack's `gcp.network` block): the cluster
runs in an existing VPC network's subnetwork and takes pod and service IPs from two of its
named secondary ranges. The component adds only the two firewall rules above, both targeted
at the cluster's node service account, so the default-deny never touches the network's other
workloads. Private Google Access and Cloud NAT on the subnetwork are the owner's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from zero_trust_clusters.components.cluster import (
    ExistingNetwork,
    HardenedCluster,
    checked_together,
)
from zero_trust_clusters.components.gcp.addressing import (
    PODS_RANGE_NAME,
    SERVICES_RANGE_NAME,
    AddressPlan,
)
from zero_trust_clusters.components.gcp.cloud import (
    NETWORK_KEYS,
    NETWORK_REF,
    PLAN_KEYS,
    REF_KEYS,
    plan_problems,
    ref_problems,
)
from zero_trust_clusters.components.spec import ClusterSpec

# Control plane -> nodes that GKE opens itself: kubelet API (logs/exec/port-forward) and 443.
CONTROL_PLANE_PORTS = (443, 10250)


def control_plane_ports(webhook_ports: tuple[int, ...]) -> list[str]:
    """The ports the control plane may reach on nodes: GKE's own plus the charts' webhooks."""
    return [str(p) for p in sorted({*CONTROL_PLANE_PORTS, *webhook_ports})]
DENY_ALL_PRIORITY = 65534  # just above GCP's implied rules (65535), below everything else
ALLOW_PRIORITY = 1000
WORLD = "0.0.0.0/0"


@dataclass(frozen=True)
class GkeNetworkArgs(ExistingNetwork):
    """An existing VPC network and subnetwork for a GkeCluster. Every value may be a
    `pulumi.Input` (another stack's output).

    Checked when the values are known (apply): the references' form, the subnetwork in the
    cluster's region, two distinct range names, the control plane a private /28 apart from the
    cluster's ranges. Not checkable from the program, refused by GKE at create instead: range
    names the subnetwork does not have. Private Google Access on the subnetwork (private
    nodes pull images and write logs through it) is the owner's to keep on. With a Shared
    VPC (network in a host project), the grants that let the cluster's project use the
    subnetwork (compute.networkUser for its GKE and Google APIs service agents, Host Service
    Agent User for the GKE agent: cloud.google.com/kubernetes-engine/docs/how-to/
    cluster-shared-vpc) are the host project's, not made here; the firewall rules are created
    in the host project (`bring_network`).
    """

    network: pulumi.Input[str]
    """The VPC network (projects/<p>/global/networks/<n>); the firewall rules go into it."""
    subnetwork: pulumi.Input[str]
    """The nodes' subnetwork (projects/<p>/regions/<r>/subnetworks/<s>), in the cluster's
    region; its primary range is the cluster's `nodeCidr`."""
    pods_range_name: pulumi.Input[str]
    """The subnetwork's secondary range for pod IPs (`ipAllocationPolicy.
    clusterSecondaryRangeName`)."""
    services_range_name: pulumi.Input[str]
    """The subnetwork's secondary range for Service IPs (`ipAllocationPolicy.
    servicesSecondaryRangeName`)."""
    control_plane_cidr: pulumi.Input[str]
    """The private control plane's /28 (`masterIpv4CidrBlock`), unused in the network."""


@dataclass(frozen=True)
class Network:
    """The cluster's network: created (every resource), or brought (references only, and our
    firewall rules)."""

    network_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    addresses: AddressPlan
    firewalls: tuple[gcp.compute.Firewall, ...]
    vpc: gcp.compute.Network | None = None
    subnet: gcp.compute.Subnetwork | None = None
    router: gcp.compute.Router | None = None
    nat: gcp.compute.RouterNat | None = None


def _checked(args: GkeNetworkArgs, cluster: ClusterSpec, where: str
             ) -> dict[str, pulumi.Output[str]]:
    """Each value, resolving only once its group has been checked (apply): the references
    together, the range names and control-plane range together, so values written in the
    program stay known at a first preview even when the references are still unknown."""
    given = dict(zip(NETWORK_KEYS, (args.network, args.subnetwork, args.pods_range_name,
                                    args.services_range_name, args.control_plane_cidr),
                     strict=True))

    return {**checked_together({k: given[k] for k in REF_KEYS},
                               lambda v: ref_problems(v, cluster, where)),
            **checked_together({k: given[k] for k in PLAN_KEYS},
                               lambda v: plan_problems(v, cluster, where))}


def _firewalls(owner: HardenedCluster, name: str, project: pulumi.Input[str],
               network: pulumi.Input[str],
               control_plane: pulumi.Input[str], node_service_account: pulumi.Input[str],
               webhook_ports: tuple[int, ...], opts: pulumi.ResourceOptions, *,
               deny_targets: list[pulumi.Input[str]] | None
               ) -> tuple[gcp.compute.Firewall, ...]:
    """The default-deny (for the whole network, or only the nodes when `deny_targets`) and
    the control plane's allow to the nodes."""
    logging = gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA")
    deny_ingress = gcp.compute.Firewall(
        f"{name}-deny-all-ingress",
        name=f"{name}-deny-all-ingress",
        project=project,
        network=network,
        direction="INGRESS",
        priority=DENY_ALL_PRIORITY,
        denies=[gcp.compute.FirewallDenyArgs(protocol="all")],
        # A deny from everywhere is the default-deny; no rule ever *allows* from 0.0.0.0/0.
        source_ranges=[WORLD],
        # "If neither targetServiceAccounts nor targetTags are specified, the firewall rule
        # applies to all instances on the specified network" (pulumi-gcp compute Firewall);
        # a target selects the instances of a rule whatever its action, deny included
        # (https://cloud.google.com/firewall/docs/firewalls#rule_assignment).
        target_service_accounts=deny_targets,
        log_config=logging,
        description="Default deny: nothing reaches the cluster unless a rule allows it",
        opts=opts,
    )
    allow_control_plane = gcp.compute.Firewall(
        f"{name}-allow-control-plane",
        name=f"{name}-allow-control-plane",
        project=project,
        network=network,
        direction="INGRESS",
        priority=ALLOW_PRIORITY,
        allows=[
            gcp.compute.FirewallAllowArgs(protocol="tcp", ports=control_plane_ports(webhook_ports))
        ],
        source_ranges=[control_plane],
        target_service_accounts=[node_service_account],
        log_config=logging,
        description="Control plane -> nodes: kubelet, 443 and the baseline's webhook ports",
        opts=opts,
    )
    firewalls = (deny_ingress, allow_control_plane)
    for rule in firewalls:
        owner.implements(rule, "ZT-NET-SEGMENT")
    return firewalls


def bring_network(
    owner: HardenedCluster,
    cluster: ClusterSpec,
    project: str,
    addresses: AddressPlan,
    args: GkeNetworkArgs,
    where: str,
    node_service_account: pulumi.Input[str],
    webhook_ports: tuple[int, ...],
    opts: pulumi.ResourceOptions,
) -> Network:
    """The existing network, checked, with the cluster's firewall rules (nodes only)."""
    v = _checked(args, cluster, where)
    plan = dataclasses.replace(
        addresses, control_plane=v["controlPlaneCidr"], pods_range_name=v["podsRangeName"],
        services_range_name=v["servicesRangeName"])
    # A firewall rule belongs to its network's project: with a Shared VPC, the host project
    # ("centralized control over network resources like subnets, routes, and firewalls",
    # https://cloud.google.com/vpc/docs/shared-vpc), so the deployer needs firewall rights
    # there. Rules of the host project targeting a service project's node service account:
    # unverified here, refused loudly by the API if not allowed.
    network_project = v["network"].apply(lambda ref: NETWORK_REF.fullmatch(ref)["project"])
    firewalls = _firewalls(owner, cluster.name, network_project, v["network"], plan.control_plane,
                           node_service_account, webhook_ports, opts,
                           deny_targets=[node_service_account])
    return Network(network_id=v["network"], subnet_id=v["subnetwork"], addresses=plan,
                   firewalls=firewalls)


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
    firewalls = _firewalls(owner, name, project, vpc.id, addresses.control_plane,
                           node_service_account, webhook_ports, opts, deny_targets=None)
    owner.implements(vpc, "ZT-NET-SEGMENT")
    owner.implements(subnet, "ZT-NET-SEGMENT", "ZT-NODE-PRIVATE")
    owner.implements(nat, "ZT-NODE-PRIVATE")
    return Network(network_id=vpc.id, subnet_id=subnet.id, addresses=addresses,
                   firewalls=firewalls, vpc=vpc, subnet=subnet, router=router, nat=nat)
