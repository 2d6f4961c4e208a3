"""VPC layout, pod CIDR as a secondary range, security groups, flow logs."""

from __future__ import annotations

import ipaddress

SUBNET = "aws:ec2/subnet:Subnet"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def subnets(dev, tier: str) -> list[dict]:
    return [dev.inputs(SUBNET, r.name) for r in dev.graph.of_type(SUBNET) if f"-{tier}-" in r.name]


def test_vpc_is_the_node_cidr_and_the_pod_cidr_is_a_secondary_range(dev):
    vpc = dev.one("aws:ec2/vpc:Vpc")
    assert vpc["cidrBlock"] == "10.10.0.0/16"
    association = dev.one("aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation")
    assert association["cidrBlock"] == "10.101.0.0/16"
    vpc_id = dev.resource("aws:ec2/vpc:Vpc", "dev-aws-vpc").id
    assert association["vpcId"] == vpc_id


def test_three_zones_private_nodes_pod_subnets_and_nat_only_public_subnets(dev):
    private, public, pods = subnets(dev, "private"), subnets(dev, "public"), subnets(dev, "pods")
    assert len(private) == len(public) == len(pods) == 3
    assert {s["availabilityZone"] for s in private} == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    for subnet in private + public + pods:
        assert subnet["mapPublicIpOnLaunch"] is False
    node_range = ipaddress.ip_network("10.10.0.0/16")
    pod_range = ipaddress.ip_network("10.101.0.0/16")
    assert all(ipaddress.ip_network(s["cidrBlock"]).subnet_of(node_range) for s in private + public)
    assert all(ipaddress.ip_network(s["cidrBlock"]).subnet_of(pod_range) for s in pods)
    # Nothing may announce public subnets to the load-balancer controller.
    assert all("kubernetes.io/role/elb" not in s["tags"] for s in public)
    assert all(s["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)


def test_pod_ips_come_from_the_pod_subnets_by_subnet_tags(dev):
    """Enhanced subnet discovery (no ENIConfig, no Kubernetes API): pod subnets opt in with
    kubernetes.io/role/cni=1 for this cluster, node subnets opt out with =0, which also keeps
    the node's primary ENI out of pod IP allocation."""
    for subnet in subnets(dev, "pods"):
        assert subnet["tags"]["kubernetes.io/role/cni"] == "1"
        assert subnet["tags"]["cni.networking.k8s.aws/cluster/dev-aws"] == "shared"
    for subnet in subnets(dev, "private"):
        assert subnet["tags"]["kubernetes.io/role/cni"] == "0"
    for subnet in subnets(dev, "public"):
        assert "kubernetes.io/role/cni" not in subnet["tags"]


def test_private_subnets_route_to_nat_not_the_internet_gateway(dev):
    igw = dev.resource("aws:ec2/internetGateway:InternetGateway", "dev-aws-igw").id
    for suffix in "abc":
        table = dev.inputs("aws:ec2/routeTable:RouteTable", f"dev-aws-private-{suffix}")
        assert [r.get("gatewayId") for r in table["routes"]] == [None]
        assert table["routes"][0]["natGatewayId"].startswith("nat-")
        assert table["routes"][0]["cidrBlock"] == "0.0.0.0/0"
    public = dev.inputs("aws:ec2/routeTable:RouteTable", "dev-aws-public")
    assert public["routes"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": igw}]


def test_no_world_ingress_anywhere(dev, dev_spec):
    admitted = set(dev_spec.posture.api_source_networks())
    for rule in dev.of_type(INGRESS):
        assert "cidrIpv6" not in rule, rule
        if "cidrIpv4" in rule:  # only the networks the posture admits to the API
            assert rule["cidrIpv4"] in admitted, rule
        else:
            assert rule["referencedSecurityGroupId"].startswith("sg-")
    default = dev.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default["ingress"] == [] and default["egress"] == []


def test_admitted_networks_reach_the_private_api_on_443_through_the_cluster_sg(dev, dev_spec):
    """EKS: the control plane SG must allow 443 from a connected network; before, only the node
    SG was admitted, so even the deployer's runner was refused."""
    assert dev_spec.posture.api_source_networks() == ["10.255.0.0/24", "100.64.10.0/24"]
    cluster_sg = dev.resource("aws:ec2/securityGroup:SecurityGroup", "dev-aws-cluster-sg").id
    from_cidrs = {r["cidrIpv4"]: r for r in dev.of_type(INGRESS) if "cidrIpv4" in r}
    assert sorted(from_cidrs) == ["10.255.0.0/24", "100.64.10.0/24"]
    for cidr, rule in from_cidrs.items():
        assert rule["securityGroupId"] == cluster_sg
        assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
        assert cidr in rule["description"]
    assert "deployer" in from_cidrs["10.255.0.0/24"]["description"]
    assert "authorized" in from_cidrs["100.64.10.0/24"]["description"]


def test_rules_are_exactly_what_eks_needs(dev):
    cluster_sg = dev.resource("aws:ec2/securityGroup:SecurityGroup", "dev-aws-cluster-sg").id
    node_sg = dev.resource("aws:ec2/securityGroup:SecurityGroup", "dev-aws-node-sg").id

    def rules(kind: str, sg: str) -> set[tuple]:
        return {(r["ipProtocol"], r.get("fromPort"), r.get("referencedSecurityGroupId")
                 or r.get("cidrIpv4")) for r in dev.of_type(kind) if r["securityGroupId"] == sg}

    assert rules(INGRESS, cluster_sg) == {("tcp", 443, node_sg), ("tcp", 443, "10.255.0.0/24"),
                                          ("tcp", 443, "100.64.10.0/24")}
    # The kubelet and exactly the charts' webhook ports (zero_trust_clusters/components/kubernetes/charts.py, the
    # one list every cloud reads): policy-controller 8443, istiod 15017, cert-manager 10250.
    assert rules(INGRESS, node_sg) == {("tcp", p, cluster_sg) for p in
                                       (10250, 8443, 15017)} | {("-1", None, node_sg)}
    assert rules(EGRESS, cluster_sg) == {("tcp", p, node_sg) for p in (10250, 8443, 15017)}
    assert rules(EGRESS, node_sg) == {("tcp", 443, cluster_sg), ("-1", None, node_sg),
                                      ("tcp", 443, "0.0.0.0/0")}


def test_flow_logs_capture_all_traffic_into_an_encrypted_group(dev):
    flow = dev.one("aws:ec2/flowLog:FlowLog")
    assert flow["trafficType"] == "ALL"
    assert flow["vpcId"] == dev.resource("aws:ec2/vpc:Vpc", "dev-aws-vpc").id
    group = dev.resource("aws:cloudwatch/logGroup:LogGroup", "dev-aws-flow-logs")
    assert flow["logDestination"] == group.outputs["arn"]
    assert group.inputs["kmsKeyId"] == dev.resource("aws:kms/key:Key", "dev-aws-audit").outputs["arn"]
