"""The subnet plan fits every node/pod CIDR the spec accepts (property-based)."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from zero_trust_clusters.components.aws.network import AZ_COUNT, plan_subnets


def networks(low: int, high: int) -> st.SearchStrategy[str]:
    return st.builds(
        lambda base, prefix: str(ipaddress.ip_network(f"10.{base}.0.0/{prefix}", strict=False)),
        st.integers(0, 255), st.integers(low, high))


@given(node=networks(16, 22), pod=networks(16, 20))
def test_subnets_are_disjoint_and_inside_their_ranges(node, pod):
    plan = plan_subnets(node, pod)
    assert len(plan.private) == len(plan.public) == len(plan.pods) == AZ_COUNT
    node_net, pod_net = ipaddress.ip_network(node), ipaddress.ip_network(pod)
    in_vpc = [ipaddress.ip_network(c) for c in plan.private + plan.public]
    assert all(n.subnet_of(node_net) for n in in_vpc)
    assert all(ipaddress.ip_network(c).subnet_of(pod_net) for c in plan.pods)
    for i, a in enumerate(in_vpc):
        assert not any(a.overlaps(b) for b in in_vpc[i + 1:])
    # Node subnets get a quarter of the range each; NAT subnets stay small but usable.
    assert all(ipaddress.ip_network(c).prefixlen == node_net.prefixlen + 2 for c in plan.private)
    assert all(ipaddress.ip_network(c).prefixlen <= 28 for c in plan.public)
