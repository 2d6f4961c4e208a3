"""The node-subnet NSG admits the mesh's east-west gateway port (15443) from the estate's other
clusters only, and only when the posture has cross-cluster edges (dev: payments'
ingressFromClusters). The estate passes those ranges (`EstateSpec.mesh_peer_ranges`)."""

from __future__ import annotations

import ipaddress

from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.components.spec import load_spec
from zero_trust_clusters.engine.mocks import unwrap
from zero_trust_clusters.engine.runner import run_program
from zero_trust_clusters.engine.stackfile import load_stack_config, to_pulumi_config

from . import nsg_eval

NAME = "dev-azure"


def _node_rules(with_peers: bool) -> tuple[list[dict], dict[str, str], object]:
    config, _secure = load_stack_config("dev")
    spec = load_spec(config)
    cluster = next(c for c in spec.clusters if c.name == NAME)
    peers = spec.mesh_peer_ranges(cluster) if with_peers else ()

    def program() -> None:
        from zero_trust_clusters.components.azure import AksCluster

        AksCluster(NAME, ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster),
                                     mesh_peer_ranges=peers))

    graph = run_program(program, config=to_pulumi_config(config), stack="dev")
    nsg = next(r for r in graph.resources if r.name == f"{NAME}-nodes-nsg")
    subnet = next(r for r in graph.resources if r.name == f"{NAME}-nodes")
    where = {"nodes": unwrap(subnet.inputs)["addressPrefix"], "vnet": cluster.node_cidr}
    return unwrap(nsg.inputs)["securityRules"], where, spec


def _ip(cidr: str, offset: int) -> str:
    return str(ipaddress.ip_network(cidr)[offset])


def test_peer_clusters_reach_the_east_west_port_and_nothing_else():
    rules, where, spec = _node_rules(with_peers=True)
    aws, gcp = (c for c in spec.clusters if c.name != NAME)
    for source in (aws.node_cidr, aws.pod_cidr, gcp.node_cidr, gcp.pod_cidr):
        ok = nsg_eval.Flow(_ip(source, 9), _ip(where["nodes"], 7), 15443, "Tcp")
        other_port = nsg_eval.Flow(_ip(source, 9), _ip(where["nodes"], 7), 443, "Tcp")
        assert nsg_eval.allowed(rules, ok, where["vnet"]), nsg_eval.verdict(
            rules, ok, where["vnet"])
        assert not nsg_eval.allowed(rules, other_port, where["vnet"])
    # Not from any other private range (the deployer's, a stranger's).
    for source in ("10.255.0.0/24", "10.9.0.0/24"):
        flow = nsg_eval.Flow(_ip(source, 5), _ip(where["nodes"], 7), 15443, "Tcp")
        assert not nsg_eval.allowed(rules, flow, where["vnet"])


def test_without_peer_ranges_no_rule_opens_the_port():
    rules, where, spec = _node_rules(with_peers=False)
    aws = next(c for c in spec.clusters if c.name == "dev-aws")
    flow = nsg_eval.Flow(_ip(aws.node_cidr, 9), _ip(where["nodes"], 7), 15443, "Tcp")
    assert not nsg_eval.allowed(rules, flow, where["vnet"])

