"""VNet, node and API-server subnets, their NSGs, and NAT-gateway egress (no node public IPs).

Layout inside `nodeCidr` (the VNet): the lower half holds the nodes, the last /28 is the
delegated API-server subnet (API Server VNet Integration). Pods live in the overlay
`podCidr`, never in the VNet.

API access: AKS cannot combine a private cluster with API-server authorized IP ranges
("The API server authorized IP ranges feature isn't supported on private clusters",
learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges). We keep the stronger
option, a private cluster with no public FQDN, and enforce `posture.authorizedNetworks`
in the network instead: the API-server subnet's NSG admits HTTPS only from the node subnet
and from exactly those ranges (reaching the VNet over VPN/ExpressRoute/peering), and
denies everything else.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import network

from components.azure.context import AksContext
from components.catalog import ControlId

_ALLOW = network.SecurityRuleAccess.ALLOW
_DENY = network.SecurityRuleAccess.DENY
_IN = network.SecurityRuleDirection.INBOUND
_TCP = network.SecurityRuleProtocol.TCP
_ANY = network.SecurityRuleProtocol.ASTERISK


@dataclass(frozen=True)
class Addressing:
    vnet: str
    nodes: str
    apiserver: str
    pods: str
    services: str
    dns_service_ip: str


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
    addressing: Addressing
    vnet: network.VirtualNetwork
    node_subnet: network.Subnet
    apiserver_subnet: network.Subnet
    node_nsg: network.NetworkSecurityGroup
    apiserver_nsg: network.NetworkSecurityGroup
    nat_gateway: network.NatGateway


def _rule(name: str, priority: int, access, protocol, sources: list[str], ports: list[str],
          destination: str, description: str) -> network.SecurityRuleArgs:
    return network.SecurityRuleArgs(
        name=name,
        priority=priority,
        direction=_IN,
        access=access,
        protocol=protocol,
        source_address_prefixes=sources,
        source_port_range="*",
        destination_address_prefix=destination,
        destination_port_ranges=ports,
        description=description,
    )


def node_rules(a: Addressing) -> list[network.SecurityRuleArgs]:
    """Nodes accept traffic from inside the VNet and the Azure LB probe; never the Internet."""
    return [
        _rule("allow-vnet-inbound", 100, _ALLOW, _ANY, ["VirtualNetwork"], ["*"], a.nodes,
              "nodes, pods (overlay, SNAT to node IPs) and the API server talk inside the VNet"),
        _rule("allow-azure-lb-probes", 110, _ALLOW, _ANY, ["AzureLoadBalancer"], ["*"], a.nodes,
              "health probes of internal load balancers"),
        _rule("deny-internet-inbound", 4000, _DENY, _ANY, ["Internet"], ["*"], "*",
              "no ingress from the Internet, whatever a Service of type LoadBalancer asks for"),
        _rule("deny-all-inbound", 4096, _DENY, _ANY, ["*"], ["*"], "*",
              "everything not allowed above"),
    ]


def apiserver_rules(a: Addressing, authorized: list[str]) -> list[network.SecurityRuleArgs]:
    """The API server's ILB admits the nodes and exactly the posture's authorized ranges."""
    rules = [
        _rule("allow-nodes-to-apiserver", 100, _ALLOW, _TCP, [a.nodes], ["443", "4443"],
              a.apiserver, "kubelet and pods (SNAT to node IPs) reach the API server"),
        _rule("allow-azure-lb-to-apiserver", 110, _ALLOW, _TCP, ["AzureLoadBalancer"], ["9988"],
              a.apiserver, "AKS: Azure Load Balancer health probes of the API server ILB"),
        _rule("allow-apiserver-subnet-internal", 115, _ALLOW, _ANY, [a.apiserver], ["*"],
              a.apiserver, "the API server's own instances and ILB inside its delegated subnet"),
    ]
    if authorized:
        rules.append(
            _rule("allow-authorized-networks", 120, _ALLOW, _TCP, list(authorized), ["443"],
                  a.apiserver, "posture.authorizedNetworks, over private connectivity only")
        )
    rules += [
        _rule("deny-internet-inbound", 4000, _DENY, _ANY, ["Internet"], ["*"], "*",
              "the control plane is never reachable from the Internet"),
        _rule("deny-all-inbound", 4096, _DENY, _ANY, ["*"], ["*"], "*",
              "everything not allowed above, including the rest of the VNet"),
    ]
    return rules


def build_network(ctx: AksContext) -> AksNetwork:
    a = addressing(ctx)
    name, rg, c = ctx.name, ctx.resource_group_name, ctx.component

    node_nsg = network.NetworkSecurityGroup(
        f"{name}-nodes-nsg",
        network.NetworkSecurityGroupInitArgs(
            resource_group_name=rg,
            network_security_group_name=f"nsg-{name}-nodes",
            location=ctx.location,
            security_rules=node_rules(a),
            tags=ctx.tags,
        ),
        opts=ctx.opts(),
    )
    c.implements(node_nsg, ControlId.NET_SEGMENT)

    apiserver_nsg = network.NetworkSecurityGroup(
        f"{name}-apiserver-nsg",
        network.NetworkSecurityGroupInitArgs(
            resource_group_name=rg,
            network_security_group_name=f"nsg-{name}-apiserver",
            location=ctx.location,
            security_rules=apiserver_rules(a, list(ctx.posture.authorized_networks)),
            tags=ctx.tags,
        ),
        opts=ctx.opts(),
    )
    c.implements(apiserver_nsg, ControlId.NET_SEGMENT, ControlId.API_PRIVATE)

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
    c.implements(node_subnet, ControlId.NODE_PRIVATE)
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
    c.implements(apiserver_subnet, ControlId.API_PRIVATE)
    return AksNetwork(
        addressing=a,
        vnet=vnet,
        node_subnet=node_subnet,
        apiserver_subnet=apiserver_subnet,
        node_nsg=node_nsg,
        apiserver_nsg=apiserver_nsg,
        nat_gateway=nat_gateway,
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
