"""A small model of NSG inbound evaluation, to assert flows instead of rule shapes.

Rules are processed by priority, the first match decides, and Azure's own default rules
(AllowVNetInBound 65000, AllowAzureLoadBalancerInBound 65001, DenyAllInbound 65500) follow
(learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules).
Service tags are modelled only as far as these tests need them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

AZURE_LB_PROBE = "168.63.129.16"


@dataclass(frozen=True)
class Flow:
    source: str
    destination: str
    port: int
    protocol: str = "Tcp"  # Tcp | Udp


def _addresses(rule: dict, side: str) -> list[str]:
    single = rule.get(f"{side}AddressPrefix")
    return [single] if single is not None else list(rule.get(f"{side}AddressPrefixes", []))


def _ports(rule: dict) -> list[str]:
    single = rule.get("destinationPortRange")
    return [single] if single is not None else list(rule.get("destinationPortRanges", []))


def _address_matches(prefix: str, ip: str, vnet: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if prefix == "*":
        return True
    if prefix == "VirtualNetwork":  # the VNet's own address space (enough for these tests)
        return addr in ipaddress.ip_network(vnet)
    if prefix == "AzureLoadBalancer":
        return ip == AZURE_LB_PROBE
    if prefix == "Internet":
        return addr.is_global
    return addr in ipaddress.ip_network(prefix, strict=False)


def _port_matches(spec: str, port: int) -> bool:
    if spec == "*":
        return True
    low, _, high = spec.partition("-")
    return int(low) <= port <= int(high or low)


def _matches(rule: dict, flow: Flow, vnet: str) -> bool:
    protocol = rule["protocol"]
    return (
        rule.get("direction", "Inbound") == "Inbound"
        and protocol in ("*", flow.protocol)
        and any(_address_matches(p, flow.source, vnet) for p in _addresses(rule, "source"))
        and any(_address_matches(p, flow.destination, vnet)
                for p in _addresses(rule, "destination"))
        and any(_port_matches(p, flow.port) for p in _ports(rule))
    )


def _defaults() -> list[dict]:
    common = {"direction": "Inbound", "protocol": "*", "destinationPortRange": "*"}
    return [
        {**common, "name": "AllowVNetInBound", "priority": 65000, "access": "Allow",
         "sourceAddressPrefix": "VirtualNetwork", "destinationAddressPrefix": "VirtualNetwork"},
        {**common, "name": "AllowAzureLoadBalancerInBound", "priority": 65001,
         "access": "Allow", "sourceAddressPrefix": "AzureLoadBalancer",
         "destinationAddressPrefix": "*"},
        {**common, "name": "DenyAllInbound", "priority": 65500, "access": "Deny",
         "sourceAddressPrefix": "*", "destinationAddressPrefix": "*"},
    ]


def verdict(rules: list[dict], flow: Flow, vnet: str) -> tuple[str, str]:
    """(access, rule name) of the first rule matching `flow`."""
    for rule in sorted([*rules, *_defaults()], key=lambda r: r["priority"]):
        if _matches(rule, flow, vnet):
            return rule["access"], rule["name"]
    raise AssertionError("DenyAllInbound matches everything")


def allowed(rules: list[dict], flow: Flow, vnet: str) -> bool:
    return verdict(rules, flow, vnet)[0] == "Allow"
