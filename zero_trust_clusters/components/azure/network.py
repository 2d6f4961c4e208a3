"""VNet, node and API-server subnets, their NSGs, and NAT-gateway egress (no node public IPs).

Layout inside `nodeCidr` (the VNet): the lower half holds the nodes, the last /28 is the
delegated API-server subnet (API Server VNet Integration). Pods live in the overlay
`podCidr`, never in the VNet.

API access: AKS cannot combine a private cluster with API-server authorized IP ranges
("IP authorized ranges only apply to the public API server",
learn.microsoft.com/azure/aks/private-clusters). We keep the stronger option, a private
cluster with no public FQDN, and enforce `Posture.api_source_networks()` (the deployer's
ranges, then `posture.authorizedNetworks`) in the network instead: the API-server subnet's
NSG admits HTTPS from exactly those ranges (reaching the VNet over VPN/ExpressRoute/peering)
and from the node subnet, and denies everything else.

Pod traffic: with Azure CNI Overlay pod traffic is not encapsulated and the node subnet's
NSG applies to it, so node->node, node->pod and pod->pod (DNS included) are allowed
explicitly (learn.microsoft.com/azure/aks/concepts-network-azure-cni-overlay
#network-security-groups), and so is the API server (its instances sit in the delegated
subnet, learn.microsoft.com/azure/aks/api-server-vnet-integration) calling the kubelet and
the admission webhooks that run in pods (`webhook_ports`).

Bring your own network (`AksNetworkArgs`, or the stack's `azure.network` block): the cluster
uses an existing VNet's node subnet and delegated API-server subnet. Subnets belong to their
VNet's owner (an azure-native `Subnet` would take over the whole subnet), so the component adds
only the posture's NSG rules above, as `SecurityRule` resources (named `ztc-<cluster>-<rule>`)
in the NSGs the owner attached to those subnets. The owner's program should not declare those
NSGs' rules inline: mixing inline `securityRules` with separate rule resources on one NSG has
made Pulumi delete and recreate rules (github.com/pulumi/pulumi-azure-native/issues/1087,
marked fixed; not re-checked on 3.29), so examples/azure-byo-network declares none and ignores
changes to them. Its own rules must not take our priorities (100-160, 4000, 4096; Azure refuses two rules of one priority and
direction). The subnets' egress (NAT gateway or route table) is the owner's too, and sets the
cluster's outbound type.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import network

from zero_trust_clusters.components.azure.cloud import (
    ID_KEYS,
    NETWORK_KEYS,
    NSG_ID,
    OUTBOUND_TYPES,
    RANGE_KEYS,
    id_problems,
    range_problems,
    vnet_of,
)
from zero_trust_clusters.components.azure.context import AksContext
from zero_trust_clusters.components.azure.nsg import ANY, security_rule
from zero_trust_clusters.components.cluster import ExistingNetwork, checked_together
from zero_trust_clusters.components.kubernetes.charts import EAST_WEST_PORT, baseline_webhook_ports
from zero_trust_clusters.components.spec import Posture

_ALLOW = network.SecurityRuleAccess.ALLOW
_DENY = network.SecurityRuleAccess.DENY
_TCP = network.SecurityRuleProtocol.TCP
_ANY_PROTOCOL = network.SecurityRuleProtocol.ASTERISK
# Service tags (singular fields only, see zero_trust_clusters/components/azure/nsg.py).
_INTERNET = "Internet"
_AZURE_LB = "AzureLoadBalancer"

KUBELET_PORT = "10250"

# Pod ports the API server calls: admission webhooks and aggregated APIs. A webhook whose port
# is missing here times out ("failed calling webhook ... context deadline exceeded") and its
# failurePolicy decides whether admission then fails. The baseline's charts declare theirs in
# zero_trust_clusters/components/kubernetes/charts.py (the one list every cloud reads: cert-manager 10250,
# policy-controller 8443, istiod 15017 with the mesh); these are the AKS add-ons' own.
AKS_ADDON_WEBHOOK_PORTS: dict[str, str] = {
    # Gatekeeper, which the azurepolicy add-on runs, serves its webhook on --port=8443
    # (github.com/open-policy-agent/gatekeeper deploy/gatekeeper.yaml; the add-on's build is
    # assumed to keep it).
    "8443": "Gatekeeper (azurepolicy add-on) webhook",
    # AKS workload identity: azure-wi-webhook-controller-manager, targetPort 9443
    # (github.com/Azure/azure-workload-identity charts/workload-identity-webhook values.yaml).
    "9443": "AKS workload identity webhook",
    # AKS metrics-server (metrics.k8s.io) listens on 4443 (seen on AKS pods,
    # github.com/Azure/AKS/issues/3120; not documented by AKS: unverified for current versions).
    "4443": "metrics-server aggregated API",
}


def webhook_ports(posture: Posture) -> list[str]:
    """The charts' webhook ports and the AKS add-ons', sorted, once each."""
    charts = {str(p) for p in baseline_webhook_ports("azure", posture)}
    return sorted(charts | set(AKS_ADDON_WEBHOOK_PORTS), key=int)


@dataclass(frozen=True)
class Addressing:
    vnet: str
    nodes: pulumi.Input[str]  # a brought subnet's range may be another stack's output
    apiserver: pulumi.Input[str]
    pods: str
    services: str
    dns_service_ip: str


@dataclass(frozen=True)
class AksNetworkArgs(ExistingNetwork):
    """An existing VNet for an AksCluster: its node subnet, its API-server subnet and the NSGs
    attached to them. Every value may be a `pulumi.Input` (another stack's output).

    Checked when the values are known (apply): the ids' form, both subnets in one VNet and
    distinct, both ranges inside the cluster's `nodeCidr` (the VNet's range) and apart, the
    API-server subnet at least a /28. Not checkable from the program, refused by AKS at create
    instead: the API-server subnet's delegation to Microsoft.ContainerService/managedClusters,
    and the node subnet's egress matching `outbound_type`.
    """

    node_subnet_id: pulumi.Input[str]
    """The nodes' subnet (ARM id); the control-plane identity gets Network Contributor on it."""
    node_subnet_cidr: pulumi.Input[str]
    """The node subnet's address range (the NSG rules name it)."""
    apiserver_subnet_id: pulumi.Input[str]
    """The API server's subnet (ARM id), delegated to Microsoft.ContainerService/
    managedClusters, at least a /28, in the nodes' VNet."""
    apiserver_subnet_cidr: pulumi.Input[str]
    """The API-server subnet's address range."""
    node_nsg_id: pulumi.Input[str]
    """The NSG attached to the node subnet; the posture's node rules are added to it. The
    rules go through the cluster's provider, so both NSGs must be in the cluster's
    subscription (`azure.subscriptionId`); not checked (the offline engine cannot tell a
    resource's subscription), a rule in another subscription fails at deploy."""
    apiserver_nsg_id: pulumi.Input[str]
    """The NSG attached to the API-server subnet; the posture's API rules are added to it."""
    outbound_type: str = "userAssignedNATGateway"
    """How the node subnet reaches out: `userAssignedNATGateway` (a NAT gateway on the
    subnet) or `userDefinedRouting` (its route table); never a public load balancer."""


@dataclass(frozen=True)
class SubnetRef:
    """A subnet the component does not manage: its id, where a `network.Subnet` would be."""

    id: pulumi.Output[str]


def addressing(ctx: AksContext) -> Addressing:
    vnet = ipaddress.IPv4Network(ctx.cluster.node_cidr)
    nodes = next(vnet.subnets(new_prefix=vnet.prefixlen + 1))
    apiserver = list(vnet.subnets(new_prefix=28))[-1]
    services = ipaddress.IPv4Network(ctx.cluster.service_cidr)
    return Addressing(
        vnet=str(vnet),
        nodes=str(nodes),
        apiserver=str(apiserver),
        pods=ctx.cluster.pod_cidr,
        services=str(services),
        dns_service_ip=str(services.network_address + 10),
    )


@dataclass(frozen=True)
class AksNetwork:
    """The cluster's network: created (every resource), or brought (`SubnetRef`s, the posture's
    rules in the owner's NSGs, no VNet / NSG / NAT gateway resource of ours)."""

    addressing: Addressing
    vnet_id: pulumi.Input[str]
    node_subnet: network.Subnet | SubnetRef
    apiserver_subnet: network.Subnet | SubnetRef
    nsg_ids: list[pulumi.Input[str]]
    outbound_type: str = "userAssignedNATGateway"
    vnet: network.VirtualNetwork | None = None
    node_nsg: network.NetworkSecurityGroup | None = None
    apiserver_nsg: network.NetworkSecurityGroup | None = None
    nat_gateway: network.NatGateway | None = None
    rules: list[network.SecurityRule] = field(default_factory=list)


def _deny_rest(what: str) -> list[network.SecurityRuleArgs]:
    return [
        security_rule("deny-internet-inbound", 4000, access=_DENY, protocol=_ANY_PROTOCOL,
                      sources=[_INTERNET], destinations=[ANY], ports=[ANY],
                      description=f"no ingress from the Internet to {what}"),
        security_rule("deny-all-inbound", 4096, access=_DENY, protocol=_ANY_PROTOCOL,
                      sources=[ANY], destinations=[ANY], ports=[ANY],
                      description="everything not allowed above, including the rest of the VNet"),
    ]


def node_rules(a: Addressing, posture: Posture,
               mesh_peer_ranges: tuple[str, ...] = ()) -> list[network.SecurityRuleArgs]:
    """Nodes and pods talk to each other, the API server reaches kubelets and webhooks; with
    cross-cluster edges, the other clusters reach the mesh's east-west gateway."""
    return [
        # The three flows Azure CNI Overlay requires (concepts-network-azure-cni-overlay).
        security_rule("allow-nodes-to-nodes", 100, access=_ALLOW, protocol=_ANY_PROTOCOL,
                      sources=[a.nodes], destinations=[a.nodes], ports=[ANY],
                      description="node to node, and pods to other nodes (SNAT to node IPs)"),
        security_rule("allow-nodes-to-pods", 110, access=_ALLOW, protocol=_ANY_PROTOCOL,
                      sources=[a.nodes], destinations=[a.pods], ports=[ANY],
                      description="node to pod: kubelet probes, service routing (CNI Overlay)"),
        security_rule("allow-pods-to-pods", 120, access=_ALLOW, protocol=_ANY_PROTOCOL,
                      sources=[a.pods], destinations=[a.pods], ports=[ANY],
                      description="pod to pod and pod to service, DNS included (CNI Overlay)"),
        # API Server VNet Integration: no tunnel, the API server calls nodes and pods directly.
        security_rule("allow-apiserver-to-kubelet", 130, access=_ALLOW, protocol=_TCP,
                      sources=[a.apiserver], destinations=[a.nodes], ports=[KUBELET_PORT],
                      description="API server to kubelet: logs, exec, port-forward"),
        # KMS with a private vault: "the NSG must allow TCP port 443 from the API server to the
        # private key vault's private endpoint IP address" (learn.microsoft.com/azure/aks/
        # use-kms-etcd-encryption#limitations). AKS creates that endpoint; if it lands in the
        # node subnet this rule lets the API server reach it.
        security_rule("allow-apiserver-to-kms-endpoint", 140, access=_ALLOW, protocol=_TCP,
                      sources=[a.apiserver], destinations=[a.nodes], ports=["443"],
                      description="API server to the KMS key vault private endpoint"),
        security_rule("allow-apiserver-to-webhooks", 150, access=_ALLOW, protocol=_TCP,
                      sources=[a.apiserver], destinations=[a.pods],
                      ports=webhook_ports(posture),
                      description="API server to admission webhooks and aggregated APIs in pods"),
        security_rule("allow-azure-lb-probes", 160, access=_ALLOW, protocol=_ANY_PROTOCOL,
                      sources=[_AZURE_LB], destinations=[a.nodes], ports=[ANY],
                      description="health probes of internal load balancers"),
        # The east-west gateway's internal load balancer (its Service also lists these ranges
        # in loadBalancerSourceRanges, which AKS applies to the NSG it manages; this subnet NSG
        # is ours and denies everything else). Only the estate's peer clusters' ranges.
        *([security_rule("allow-mesh-peers-to-eastwest", 170, access=_ALLOW, protocol=_TCP,
                         sources=list(mesh_peer_ranges), destinations=[a.nodes],
                         ports=[str(EAST_WEST_PORT)],
                         description="peer clusters to the mesh east-west gateway (mTLS)")]
          if mesh_peer_ranges else []),
        *_deny_rest("the nodes, whatever a Service of type LoadBalancer asks for"),
    ]


def apiserver_rules(a: Addressing, api_sources: list[str]) -> list[network.SecurityRuleArgs]:
    """The API server's ILB admits the nodes and exactly `Posture.api_source_networks()`."""
    rules = [
        # The two rules AKS documents for API Server VNet Integration
        # (learn.microsoft.com/azure/aks/api-server-vnet-integration
        # #network-security-group-nsg-security-rules).
        security_rule("allow-nodes-to-apiserver", 100, access=_ALLOW, protocol=_TCP,
                      sources=[a.nodes], destinations=[a.apiserver], ports=["443", "4443"],
                      description="kubelet and pods (SNAT to node IPs) reach the API server"),
        security_rule("allow-azure-lb-to-apiserver", 110, access=_ALLOW, protocol=_TCP,
                      sources=[_AZURE_LB], destinations=[a.apiserver], ports=["9988"],
                      description="AKS: Azure Load Balancer health probes of the API server ILB"),
        security_rule("allow-apiserver-subnet-internal", 115, access=_ALLOW,
                      protocol=_ANY_PROTOCOL, sources=[a.apiserver], destinations=[a.apiserver],
                      ports=[ANY],
                      description="the API server's own instances and ILB in its delegated subnet"),
    ]
    if api_sources:
        rules.append(
            security_rule("allow-api-clients", 120, access=_ALLOW, protocol=_TCP,
                          sources=api_sources, destinations=[a.apiserver], ports=["443"],
                          description="posture deployer + authorized networks, private only")
        )
    return rules + _deny_rest("the control plane")


def build_network(ctx: AksContext, mesh_peer_ranges: tuple[str, ...] = ()) -> AksNetwork:
    a = addressing(ctx)
    name, rg, c = ctx.name, ctx.resource_group_name, ctx.component

    node_nsg = network.NetworkSecurityGroup(
        f"{name}-nodes-nsg",
        network.NetworkSecurityGroupInitArgs(
            resource_group_name=rg,
            network_security_group_name=f"nsg-{name}-nodes",
            location=ctx.location,
            security_rules=node_rules(a, ctx.posture, mesh_peer_ranges),
            tags=ctx.tags,
        ),
        opts=ctx.opts(),
    )
    c.implements(node_nsg, "ZT-NET-SEGMENT")

    apiserver_nsg = network.NetworkSecurityGroup(
        f"{name}-apiserver-nsg",
        network.NetworkSecurityGroupInitArgs(
            resource_group_name=rg,
            network_security_group_name=f"nsg-{name}-apiserver",
            location=ctx.location,
            security_rules=apiserver_rules(a, ctx.posture.api_source_networks()),
            tags=ctx.tags,
        ),
        opts=ctx.opts(),
    )
    c.implements(apiserver_nsg, "ZT-NET-SEGMENT", "ZT-API-PRIVATE")

    # Egress only: a Standard static IP behind a NAT gateway; nodes themselves get none.
    egress_ip = network.PublicIPAddress(
        f"{name}-egress-ip",
        network.PublicIPAddressInitArgs(
            resource_group_name=rg,
            public_ip_address_name=f"pip-{name}-egress",
            location=ctx.location,
            sku=network.PublicIPAddressSkuArgs(
                name=network.PublicIPAddressSkuName.STANDARD,
                tier=network.PublicIPAddressSkuTier.REGIONAL,
            ),
            public_ip_allocation_method=network.IPAllocationMethod.STATIC,
            public_ip_address_version=network.IPVersion.I_PV4,
            tags=ctx.tags,
        ),
        opts=ctx.opts(),
    )
    nat_gateway = network.NatGateway(
        f"{name}-natgw",
        network.NatGatewayInitArgs(
            resource_group_name=rg,
            nat_gateway_name=f"ng-{name}",
            location=ctx.location,
            sku=network.NatGatewaySkuArgs(name=network.NatGatewaySkuName.STANDARD),
            public_ip_addresses=[network.SubResourceArgs(id=egress_ip.id)],
            idle_timeout_in_minutes=4,
            tags=ctx.tags,
        ),
        opts=ctx.opts(),
    )

    vnet = network.VirtualNetwork(
        f"{name}-vnet",
        network.VirtualNetworkInitArgs(
            resource_group_name=rg,
            virtual_network_name=f"vnet-{name}",
            location=ctx.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[a.vnet]),
            tags=ctx.tags,
        ),
        # Subnets are their own resources below; never let the VNet resource rewrite them.
        opts=ctx.opts(ignore_changes=["subnets"]),
    )
    node_subnet = network.Subnet(
        f"{name}-nodes",
        network.SubnetInitArgs(
            resource_group_name=rg,
            virtual_network_name=vnet.name,
            subnet_name="snet-nodes",
            address_prefix=a.nodes,
            network_security_group=network.NetworkSecurityGroupArgs(id=node_nsg.id),
            nat_gateway=network.SubResourceArgs(id=nat_gateway.id),
            # No implicit outbound IP: egress is the NAT gateway or nothing.
            default_outbound_access=False,
            private_endpoint_network_policies=(
                network.VirtualNetworkPrivateEndpointNetworkPolicies.ENABLED
            ),
        ),
        opts=ctx.opts(),
    )
    c.implements(node_subnet, "ZT-NODE-PRIVATE")
    apiserver_subnet = network.Subnet(
        f"{name}-apiserver",
        network.SubnetInitArgs(
            resource_group_name=rg,
            virtual_network_name=vnet.name,
            subnet_name="snet-apiserver",
            address_prefix=a.apiserver,
            network_security_group=network.NetworkSecurityGroupArgs(id=apiserver_nsg.id),
            delegations=[
                network.DelegationArgs(
                    name="aks-apiserver",
                    service_name="Microsoft.ContainerService/managedClusters",
                )
            ],
            default_outbound_access=False,
        ),
        # Azure serialises subnet writes on one VNet; create them one after the other.
        opts=ctx.opts(depends_on=[node_subnet]),
    )
    c.implements(apiserver_subnet, "ZT-API-PRIVATE")
    return AksNetwork(
        addressing=a,
        vnet_id=vnet.id,
        nsg_ids=[node_nsg.id, apiserver_nsg.id],
        vnet=vnet,
        node_subnet=node_subnet,
        apiserver_subnet=apiserver_subnet,
        node_nsg=node_nsg,
        apiserver_nsg=apiserver_nsg,
        nat_gateway=nat_gateway,
    )


# The fields of a security rule (network.SecurityRuleArgs), copied onto a SecurityRule resource.
_RULE_FIELDS = (
    "priority", "direction", "access", "protocol", "source_port_range", "description",
    "source_address_prefix", "source_address_prefixes", "destination_address_prefix",
    "destination_address_prefixes", "destination_port_range", "destination_port_ranges",
)


def _checked(args: AksNetworkArgs, node_cidr: str, where: str) -> dict[str, pulumi.Output[str]]:
    """Each value, resolving only once its group has been checked (apply): the ids together,
    the ranges together, so ranges written in the program stay known at a first preview even
    when the ids are still unknown (the pack then judges the NSG rules' addresses)."""
    from zero_trust_clusters.components.spec import SpecError

    if args.outbound_type not in OUTBOUND_TYPES:
        raise SpecError([(f"{where}.outboundType: {args.outbound_type!r} is not allowed: use "
                         f"{' or '.join(OUTBOUND_TYPES)}")])
    given = dict(zip(NETWORK_KEYS, (args.node_subnet_id, args.node_subnet_cidr,
                                    args.apiserver_subnet_id, args.apiserver_subnet_cidr,
                                    args.node_nsg_id, args.apiserver_nsg_id), strict=True))

    return {**checked_together({k: given[k] for k in ID_KEYS},
                               lambda v: id_problems(v, where)),
            **checked_together({k: given[k] for k in RANGE_KEYS},
                               lambda v: range_problems(v, node_cidr, where))}


def _rules_into(ctx: AksContext, label: str, nsg_id: pulumi.Output[str],
                rules: list[network.SecurityRuleArgs]) -> list[network.SecurityRule]:
    """The posture's rules as resources in an NSG the component does not own."""
    group = nsg_id.apply(lambda i: NSG_ID.fullmatch(i)["rg"])
    nsg_name = nsg_id.apply(lambda i: NSG_ID.fullmatch(i)["name"])
    made = []
    for rule in rules:
        rule_name = f"ztc-{ctx.name}-{pulumi.get(rule, 'name')}"
        fields = {f: pulumi.get(rule, f) for f in _RULE_FIELDS}
        made.append(network.SecurityRule(
            f"{ctx.name}-{label}-{pulumi.get(rule, 'name')}",
            resource_group_name=group,
            network_security_group_name=nsg_name,
            security_rule_name=rule_name,
            **{k: v for k, v in fields.items() if v is not None},
            opts=ctx.opts(),
        ))
    return made


def bring_network(ctx: AksContext, args: AksNetworkArgs, where: str,
                  mesh_peer_ranges: tuple[str, ...] = ()) -> AksNetwork:
    """The existing VNet's subnets, checked, with the posture's rules in their NSGs."""
    v = _checked(args, ctx.cluster.node_cidr, where)
    own = addressing(ctx)
    a = Addressing(vnet=own.vnet, nodes=v["nodeSubnetCidr"], apiserver=v["apiServerSubnetCidr"],
                   pods=own.pods, services=own.services, dns_service_ip=own.dns_service_ip)
    rules = (_rules_into(ctx, "nodes", v["nodeNsgId"], node_rules(a, ctx.posture,
                                                                  mesh_peer_ranges))
             + _rules_into(ctx, "apiserver", v["apiServerNsgId"],
                           apiserver_rules(a, ctx.posture.api_source_networks())))
    for rule in rules:
        ctx.component.implements(rule, "ZT-NET-SEGMENT")
    return AksNetwork(
        addressing=a,
        vnet_id=v["nodeSubnetId"].apply(vnet_of),
        node_subnet=SubnetRef(id=v["nodeSubnetId"]),
        apiserver_subnet=SubnetRef(id=v["apiServerSubnetId"]),
        nsg_ids=[v["nodeNsgId"], v["apiServerNsgId"]],
        outbound_type=args.outbound_type,
        rules=rules,
    )


def resource_group(ctx_name: str, rg_name: str, location: str, tags: dict[str, str],
                   opts: pulumi.ResourceOptions) -> azure_native.resources.ResourceGroup:
    return azure_native.resources.ResourceGroup(
        f"{ctx_name}-rg",
        azure_native.resources.ResourceGroupArgs(
            resource_group_name=rg_name, location=location, tags=tags
        ),
        opts=opts,
    )
