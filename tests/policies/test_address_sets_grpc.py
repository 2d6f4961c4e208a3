"""Address sets are judged by what they cover together, over the pack's real gRPC: the whole
Internet split into halves, into 256 /8s across separate rules, as IPv4-mapped IPv6, or spelt in
another case, is world ingress like 0.0.0.0/0 (ZT-NET-SEGMENT)."""

from __future__ import annotations

import copy
import ipaddress

import pytest
from policy_testkit.grpc_helpers import run
from policy_testkit.handwritten import build, urn

SG_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NSG = "azure-native:network:NetworkSecurityGroup"
FIREWALL = "gcp:compute/firewall:Firewall"
HALVES = ["0.0.0.0/1", "128.0.0.0/1"]


def _segment_violations(pack, estate) -> list[str]:
    result = run(pack, estate.resources)
    return [d.message for d in result.mandatory if "[ZT-NET-SEGMENT]" in d.message]


def _with_aws_ingress(cidrs: list[str], field: str = "cidrIpv4"):
    estate = build()
    sg = urn("aws:ec2/securityGroup:SecurityGroup", "hand-aws-node-sg")
    for i, cidr in enumerate(cidrs):
        estate.add(SG_RULE, f"hand-aws-in-{i}", {"securityGroupId": "sg-1", field: cidr,
                                                 "ipProtocol": "tcp", "fromPort": 443,
                                                 "toPort": 443}, deps=[sg])
    return estate


def test_the_clean_estate_has_no_segment_violation(pack):
    assert _segment_violations(pack, build()) == []


def test_the_internet_in_two_halves_is_world_ingress_on_every_cloud(pack):
    aws = _with_aws_ingress(HALVES)
    assert any("hand-aws" in m for m in _segment_violations(pack, aws))

    azure = build()
    nsg = azure.named("hand-azure-nsg")
    nsg.inputs = copy.deepcopy(nsg.inputs)
    nsg.inputs["securityRules"].insert(0, {
        "name": "halves", "direction": "Inbound", "access": "Allow",
        "sourceAddressPrefixes": HALVES, "destinationPortRange": "443"})
    assert _segment_violations(pack, azure)

    gcp = build()
    fw = gcp.named("hand-gcp-control-plane")
    fw.inputs = {**fw.inputs, "sourceRanges": HALVES}
    assert _segment_violations(pack, gcp)


def test_256_separate_rules_of_one_slash_8_each_are_world_ingress_together(pack):
    """No rule alone is large, so only the cluster-wide union sees it."""
    eights = [str(ipaddress.IPv4Network((i << 24, 8))) for i in range(256)]
    messages = _segment_violations(pack, _with_aws_ingress(eights))
    assert any("(cluster hand-aws)" in m and "together admit the Internet" in m
               for m in messages), messages
    # Three of them are an ordinary allow-list: no violation.
    assert _segment_violations(pack, _with_aws_ingress(["203.0.113.0/24", "198.51.100.0/24"])) \
        == []


@pytest.mark.parametrize("cidr,field", [
    ("::ffff:0:0/96", "cidrIpv6"),  # every IPv4 address, reached through IPv6
    ("64.0.0.0/2", "cidrIpv4"),  # a quarter of the Internet: far beyond any allow-list
])
def test_oversize_and_mapped_ranges_are_world_ingress(pack, cidr, field):
    assert _segment_violations(pack, _with_aws_ingress([cidr], field))


def test_lower_case_inbound_allow_is_read_as_azure_reads_it(pack):
    """ARM takes enum values in any case: "inbound"/"allow" + "*" admits the world."""
    estate = build()
    nsg = estate.named("hand-azure-nsg")
    nsg.inputs = copy.deepcopy(nsg.inputs)
    nsg.inputs["securityRules"].insert(0, {
        "name": "lower", "direction": "inbound", "access": "allow",
        "sourceAddressPrefix": "*", "destinationPortRange": "443"})
    assert _segment_violations(pack, estate)
