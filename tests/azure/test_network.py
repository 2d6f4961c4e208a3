"""VNet layout, NSGs without Internet ingress, NAT-gateway egress, and the authorized ranges."""

from __future__ import annotations

import ipaddress
import re

import pytest
from pulumi_azure_native import network

from zero_trust_clusters.components.azure.network import AKS_ADDON_WEBHOOK_PORTS, webhook_ports
from zero_trust_clusters.components.azure.nsg import security_rule
from zero_trust_clusters.components.kubernetes.charts import (
    ISTIOD_WEBHOOK_PORT,
    baseline_webhook_ports,
)
from zero_trust_clusters.engine.mocks import unwrap

from . import nsg_eval
from .support import run_all_azure

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


def test_api_server_admits_nodes_and_exactly_the_api_source_networks(dev):
    allows = {r["name"]: r for r in _rules(dev, "dev-azure-apiserver-nsg") if r["access"] == "Allow"}
    node_subnet = dev.inputs("dev-azure-nodes")["addressPrefix"]
    assert _sources(allows["allow-nodes-to-apiserver"]) == {node_subnet}
    assert set(allows["allow-nodes-to-apiserver"]["destinationPortRanges"]) == {"443", "4443"}
    clients = allows["allow-api-clients"]
    # Deployer ranges first, then people's networks (posture.api_source_networks()).
    assert dev.spec.posture.api_source_networks() == ["10.255.0.0/24", "100.64.10.0/24"]
    assert clients["sourceAddressPrefixes"] == dev.spec.posture.api_source_networks()
    assert clients["destinationPortRange"] == "443"
    apiserver_subnet = dev.inputs("dev-azure-apiserver")["addressPrefix"]
    assert _sources(allows["allow-apiserver-subnet-internal"]) == {apiserver_subnet}
    assert set(allows) == {"allow-nodes-to-apiserver", "allow-azure-lb-to-apiserver",
                           "allow-apiserver-subnet-internal", "allow-api-clients"}


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


# --- Azure's field rules for security rules (zero_trust_clusters/components/azure/nsg.py) --------------------------

_PAIRS = (("sourceAddressPrefix", "sourceAddressPrefixes"),
          ("destinationAddressPrefix", "destinationAddressPrefixes"),
          ("sourcePortRange", "sourcePortRanges"),
          ("destinationPortRange", "destinationPortRanges"))


def _explicit_address(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _all_nsg_rules(graph_resources) -> list[tuple[str, dict]]:
    return [(nsg.name, rule) for nsg in graph_resources
            for rule in unwrap(nsg.inputs)["securityRules"]]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_service_tags_and_star_only_in_singular_fields_and_never_both(stack):
    """Azure: 400 SecurityRuleParameterContainsUnsupportedValue for a tag or '*' in a plural
    field; a rule sets the singular or the plural field of each pair, not both."""
    _, graph = run_all_azure(stack)
    rules = _all_nsg_rules(graph.of_type("azure-native:network:NetworkSecurityGroup"))
    assert rules
    for nsg, rule in rules:
        where = (nsg, rule["name"])
        for singular, plural in _PAIRS:
            assert (singular in rule) != (plural in rule), (where, singular)
        for plural in ("sourceAddressPrefixes", "destinationAddressPrefixes"):
            assert all(_explicit_address(v) for v in rule.get(plural, [])), (where, plural)
        for plural in ("sourcePortRanges", "destinationPortRanges"):
            assert all(re.fullmatch(r"\d+(-\d+)?", v) for v in rule.get(plural, [])), where
        assert 100 <= rule["priority"] <= 4096 and len(rule["description"]) <= 140


def test_rule_builder_puts_one_value_in_the_singular_field():
    rule = security_rule("lb", 100, access=network.SecurityRuleAccess.ALLOW,
                         protocol=network.SecurityRuleProtocol.ASTERISK,
                         sources=["AzureLoadBalancer"], destinations=["*"], ports=["*"],
                         description="probes")
    assert rule.source_address_prefix == "AzureLoadBalancer"
    assert rule.source_address_prefixes is None
    assert rule.destination_port_range == "*" and rule.destination_port_ranges is None
    two = security_rule("two", 100, access=network.SecurityRuleAccess.ALLOW,
                        protocol=network.SecurityRuleProtocol.TCP,
                        sources=["10.0.0.0/24", "10.0.1.0/24"], destinations=["10.1.0.0/24"],
                        ports=["443", "8000-8100"], description="clients")
    assert two.source_address_prefixes == ["10.0.0.0/24", "10.0.1.0/24"]
    assert two.source_address_prefix is None
    assert two.destination_port_ranges == ["443", "8000-8100"]


@pytest.mark.parametrize(
    ("sources", "ports", "bad"),
    [
        (["VirtualNetwork", "10.0.0.0/24"], ["443"], "VirtualNetwork"),
        (["10.0.0.0/24", "*"], ["443"], "'*'"),
        (["10.0.0.0/24"], ["443", "*"], "'*'"),
        (["10.0.0.0/24"], ["443", "70000"], "70000"),
    ],
)
def test_rule_builder_refuses_a_tag_or_star_among_several_values(sources, ports, bad):
    with pytest.raises(ValueError, match="one rule per tag") as caught:
        security_rule("mixed", 100, access=network.SecurityRuleAccess.ALLOW,
                      protocol=network.SecurityRuleProtocol.TCP, sources=sources,
                      destinations=["10.1.0.0/24"], ports=ports, description="x")
    assert bad in str(caught.value)


# --- What the NSGs let through (tests/azure/nsg_eval.py models NSG evaluation) ----------------

def _ip(cidr: str, offset: int) -> str:
    return str(ipaddress.ip_network(cidr)[offset])


def _flows(dev):
    a = {
        "nodes": dev.inputs("dev-azure-nodes")["addressPrefix"],
        "apiserver": dev.inputs("dev-azure-apiserver")["addressPrefix"],
        "pods": dev.cluster_spec.pod_cidr,
        "vnet": dev.cluster_spec.node_cidr,
    }
    return a, _rules(dev, "dev-azure-nodes-nsg"), _rules(dev, "dev-azure-apiserver-nsg")


@pytest.mark.parametrize(
    ("src", "dst", "port", "protocol", "ok"),
    [
        # Azure CNI Overlay: pod traffic is not encapsulated; the subnet NSG sees pod IPs.
        ("nodes", "nodes", 4240, "Tcp", True),
        ("nodes", "pods", 8080, "Tcp", True),  # kubelet probes, service routing
        ("pods", "pods", 53, "Udp", True),  # CoreDNS
        ("pods", "pods", 9090, "Tcp", True),
        # API Server VNet Integration: the API server calls kubelets and webhooks directly.
        ("apiserver", "nodes", 10250, "Tcp", True),
        ("apiserver", "pods", 8443, "Tcp", True),  # policy-controller, Gatekeeper
        ("apiserver", "pods", 10250, "Tcp", True),  # cert-manager webhook
        ("apiserver", "pods", 22, "Tcp", False),
        ("apiserver", "nodes", 22, "Tcp", False),
        # Nothing from outside the cluster reaches nodes or pods.
        ("other-private", "nodes", 443, "Tcp", False),
        ("other-private", "pods", 8443, "Tcp", False),
        ("deployer", "nodes", 22, "Tcp", False),
        ("internet", "nodes", 443, "Tcp", False),
        ("azure-lb", "nodes", 30080, "Tcp", True),
    ],
)
def test_node_subnet_flows(dev, src, dst, port, protocol, ok):
    a, node_rules, _ = _flows(dev)
    where = {**a, "other-private": "10.9.0.0/24", "deployer": "10.255.0.0/24",
             "internet": "20.30.40.0/24"}
    source = nsg_eval.AZURE_LB_PROBE if src == "azure-lb" else _ip(where[src], 5)
    flow = nsg_eval.Flow(source, _ip(where[dst], 7), port, protocol)
    assert nsg_eval.allowed(node_rules, flow, a["vnet"]) is ok, nsg_eval.verdict(
        node_rules, flow, a["vnet"])


@pytest.mark.parametrize(
    ("src", "port", "ok"),
    [
        ("deployer", 443, True),  # posture.deployer.networks
        ("authorized", 443, True),  # posture.authorizedNetworks
        ("authorized", 22, False),
        ("nodes", 443, True),
        ("nodes", 4443, True),
        ("other-private", 443, False),  # the rest of the VNet's peers and on-premises
        ("internet", 443, False),
        ("azure-lb", 9988, True),
    ],
)
def test_api_server_subnet_flows(dev, src, port, ok):
    a, _, api_rules = _flows(dev)
    where = {**a, "deployer": "10.255.0.0/24", "authorized": "100.64.10.0/24",
             "other-private": "10.9.0.0/24", "internet": "20.30.40.0/24"}
    source = nsg_eval.AZURE_LB_PROBE if src == "azure-lb" else _ip(where[src], 5)
    flow = nsg_eval.Flow(source, _ip(a["apiserver"], 4), port)
    assert nsg_eval.allowed(api_rules, flow, a["vnet"]) is ok, nsg_eval.verdict(
        api_rules, flow, a["vnet"])


def test_webhook_ports_are_listed_once_and_follow_the_mesh(dev):
    webhooks = next(r for r in _rules(dev, "dev-azure-nodes-nsg")
                    if r["name"] == "allow-apiserver-to-webhooks")
    posture = dev.spec.posture
    assert webhooks["destinationPortRanges"] == webhook_ports(posture)
    # The charts' ports (one source, zero_trust_clusters/components/kubernetes/charts.py) and the add-ons' own:
    # istiod's 15017 with the mesh, on by default.
    assert posture.mesh
    assert webhook_ports(posture) == ["4443", "8443", "9443", "10250", "15017"]
    assert {str(p) for p in baseline_webhook_ports("azure", posture)} | set(
        AKS_ADDON_WEBHOOK_PORTS) == set(webhook_ports(posture))
    plain = posture.model_copy(update={"mesh": False})
    assert str(ISTIOD_WEBHOOK_PORT) not in webhook_ports(plain)
