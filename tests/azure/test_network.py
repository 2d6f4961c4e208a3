"""VNet layout, NSGs without Internet ingress, NAT-gateway egress, and the authorized ranges."""

from __future__ import annotations

import ipaddress

from pulumi_azure_native import network

WORLD = {"*", "Internet", "0.0.0.0/0", "::/0", "any"}


def _rules(dev, name: str) -> list[dict]:
    return dev.inputs(name)["securityRules"]


def _sources(rule: dict) -> set[str]:
    return set(rule.get("sourceAddressPrefixes", [])) | (
        {rule["sourceAddressPrefix"]} if "sourceAddressPrefix" in rule else set()
    )


def test_subnets_inside_the_node_cidr(dev):
    vnet = ipaddress.ip_network(dev.cluster_spec.node_cidr)
    assert dev.inputs("dev-azure-vnet")["addressSpace"]["addressPrefixes"] == [str(vnet)]
    nodes = ipaddress.ip_network(dev.inputs("dev-azure-nodes")["addressPrefix"])
    apiserver = ipaddress.ip_network(dev.inputs("dev-azure-apiserver")["addressPrefix"])
    assert nodes.subnet_of(vnet) and apiserver.subnet_of(vnet)
    assert apiserver.prefixlen == 28 and not nodes.overlaps(apiserver)


def test_no_nsg_allows_ingress_from_the_internet(dev):
    nsgs = dev.of_type("azure-native:network:NetworkSecurityGroup")
    assert {n.name for n in nsgs} == {"dev-azure-nodes-nsg", "dev-azure-apiserver-nsg"}
    for nsg in nsgs:
        rules = dev.inputs(nsg)["securityRules"]
        for rule in rules:
            if rule["direction"] == network.SecurityRuleDirection.INBOUND.value and (
                rule["access"] == network.SecurityRuleAccess.ALLOW.value
            ):
                assert not _sources(rule) & WORLD, (nsg.name, rule["name"])
        denies = {r["name"]: r for r in rules if r["access"] == "Deny"}
        assert _sources(denies["deny-internet-inbound"]) == {"Internet"}
        assert denies["deny-all-inbound"]["priority"] == 4096


def test_api_server_admits_nodes_and_exactly_the_authorized_ranges(dev):
    allows = {r["name"]: r for r in _rules(dev, "dev-azure-apiserver-nsg") if r["access"] == "Allow"}
    node_subnet = dev.inputs("dev-azure-nodes")["addressPrefix"]
    assert _sources(allows["allow-nodes-to-apiserver"]) == {node_subnet}
    assert set(allows["allow-nodes-to-apiserver"]["destinationPortRanges"]) == {"443", "4443"}
    authorized = allows["allow-authorized-networks"]
    assert _sources(authorized) == set(dev.spec.posture.authorized_networks) == {"198.51.100.0/24"}
    assert authorized["destinationPortRanges"] == ["443"]
    apiserver_subnet = dev.inputs("dev-azure-apiserver")["addressPrefix"]
    assert _sources(allows["allow-apiserver-subnet-internal"]) == {apiserver_subnet}
    assert set(allows) == {"allow-nodes-to-apiserver", "allow-azure-lb-to-apiserver",
                           "allow-apiserver-subnet-internal", "allow-authorized-networks"}


def test_nsgs_are_attached_to_their_subnets(dev):
    for subnet, nsg in (("dev-azure-nodes", "dev-azure-nodes-nsg"),
                        ("dev-azure-apiserver", "dev-azure-apiserver-nsg")):
        assert dev.inputs(subnet)["networkSecurityGroup"]["id"] == dev.named(nsg).id


def test_nodes_egress_through_the_nat_gateway_only(dev):
    nodes = dev.inputs("dev-azure-nodes")
    natgw = dev.named("dev-azure-natgw")
    assert nodes["natGateway"]["id"] == natgw.id
    assert nodes["defaultOutboundAccess"] is False
    assert dev.inputs("dev-azure-apiserver")["defaultOutboundAccess"] is False
    ips = dev.inputs(natgw)["publicIpAddresses"]
    assert [ip["id"] for ip in ips] == [dev.named("dev-azure-egress-ip").id]
    assert dev.inputs(natgw)["sku"]["name"] == network.NatGatewaySkuName.STANDARD.value
    # The egress IP is the only public IP in the cluster's graph.
    assert len(dev.of_type("azure-native:network:PublicIPAddress")) == 1
