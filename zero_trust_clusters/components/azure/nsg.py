"""The one place an NSG security rule is built, so Azure's field rules are encoded once.

Each address and port of a security rule has a singular and a plural field
(`sourceAddressPrefix` / `sourceAddressPrefixes`, `destinationPortRange` /
`destinationPortRanges`, ...). Azure accepts service tags (`VirtualNetwork`, `Internet`,
`AzureLoadBalancer`, ...) and `*` only in the singular fields; the plural ("augmented") fields
take explicit IP addresses/CIDRs and port numbers/ranges, and ARM answers anything else with
HTTP 400 `SecurityRuleParameterContainsUnsupportedValue`:
- learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules
  ("Augmented security rules allow specifying multiple individual IP addresses and ranges in a
  single rule. However, you can't specify multiple service tags or application groups in a
  single rule.")
- learn.microsoft.com/rest/api/virtualnetwork/security-rules/create-or-update
  (`sourceAddressPrefix`: "CIDR or source IP range. Asterisk '*' ... Default tags such as
  'VirtualNetwork', 'AzureLoadBalancer' and 'Internet' can also be used";
  `sourceAddressPrefixes`: "The CIDR or source IP ranges"; the same text in the installed
  pulumi-azure-native 3.29 `network.SecurityRuleArgs` docstrings).
- the error text: github.com/hashicorp/terraform-provider-azurerm/issues/5617.
A rule sets one field of each pair, never both ("the user must supply one or the other",
github.com/Azure/azure-rest-api-specs/issues/1591).

So: one value goes in the singular field, several go in the plural field and must all be
explicit addresses or port numbers; a tag or `*` among several is a programming error raised
here (write one rule per tag), never a 400 halfway through `pulumi up`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from pulumi_azure_native import network

ANY = "*"
_PORT = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _is_port(value: str) -> bool:
    match = _PORT.match(value)
    if not match:
        return False
    low, high = int(match[1]), int(match[2] or match[1])
    return 0 <= low <= high <= 65535


def _pick(rule: str, field: str, plural: str, values: Sequence[str],
          explicit) -> dict[str, object]:
    """{field: value} for one value, {plural: values} for several explicit ones."""
    values = list(values)
    if not values:
        raise ValueError(f"NSG rule {rule!r}: {field} needs at least one value")
    if len(values) == 1:
        return {field: values[0]}
    unsupported = [v for v in values if not explicit(v)]
    if unsupported:
        raise ValueError(
            f"NSG rule {rule!r}: {unsupported} cannot share a rule with other values "
            f"(Azure accepts service tags and '*' only in the singular {field}); "
            "write one rule per tag"
        )
    return {plural: values}


def security_rule(
    name: str,
    priority: int,
    *,
    access: network.SecurityRuleAccess,
    protocol: network.SecurityRuleProtocol,
    sources: Sequence[str],
    destinations: Sequence[str],
    ports: Sequence[str],
    description: str,
    direction: network.SecurityRuleDirection = network.SecurityRuleDirection.INBOUND,
) -> network.SecurityRuleArgs:
    """One security rule; any source port (the client's ephemeral port)."""
    if not 100 <= priority <= 4096:  # SecurityRuleArgs.priority: "between 100 and 4096"
        raise ValueError(f"NSG rule {name!r}: priority {priority} is outside 100-4096")
    if len(description) > 140:  # SecurityRuleArgs.description: "Restricted to 140 chars"
        raise ValueError(f"NSG rule {name!r}: description is longer than 140 characters")
    fields = {
        **_pick(name, "source_address_prefix", "source_address_prefixes", sources, _is_address),
        **_pick(name, "destination_address_prefix", "destination_address_prefixes",
                destinations, _is_address),
        **_pick(name, "destination_port_range", "destination_port_ranges", ports, _is_port),
    }
    return network.SecurityRuleArgs(
        name=name,
        priority=priority,
        direction=direction,
        access=access,
        protocol=protocol,
        source_port_range=ANY,
        description=description,
        **fields,  # type: ignore[arg-type]
    )
