"""The cluster's own VPC: private node/pod subnets in 3 AZs, NAT-only public subnets, flow logs.

The spec's pod CIDR becomes a secondary VPC CIDR with one pod subnet per AZ. The VPC CNI's
enhanced subnet discovery places pod IPs there from the subnet tags alone (no ENIConfig, so no
Kubernetes API call): pod subnets carry `kubernetes.io/role/cni=1` (plus the cluster-scoped
`cni.networking.k8s.aws/cluster/<name>`), node subnets `kubernetes.io/role/cni=0`, which
excludes them, and the node's primary ENI in them, from pod IP allocation
(https://docs.aws.amazon.com/eks/latest/userguide/cni-subnet-selection.html). Pods never consume
node-subnet addresses and the range matches what AKS/GKE use for pods.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.context import AwsContext
from components.aws.iam import ManagedRole
from components.spec import SpecError

AZ_COUNT = 3
CNI_ROLE_TAG = "kubernetes.io/role/cni"  # "1": pod IPs from here; "0": never


@dataclass(frozen=True)
class SubnetPlan:
    private: list[str]
    public: list[str]
    pods: list[str]


def plan_subnets(node_cidr: str, pod_cidr: str) -> SubnetPlan:
    """Node CIDR: 3 private quarters + the 4th split for small NAT subnets; pod CIDR: 3 quarters."""
    node = ipaddress.ip_network(node_cidr)
    quarters = list(node.subnets(prefixlen_diff=2))
    public = list(quarters[3].subnets(prefixlen_diff=2))[:AZ_COUNT]
    pods = list(ipaddress.ip_network(pod_cidr).subnets(prefixlen_diff=2))[:AZ_COUNT]
    return SubnetPlan(
        private=[str(n) for n in quarters[:AZ_COUNT]],
        public=[str(n) for n in public],
        pods=[str(n) for n in pods],
    )


@dataclass
class Network:
    vpc: aws.ec2.Vpc
    zones: list[pulumi.Output[str]]
    private_subnets: list[aws.ec2.Subnet]
    public_subnets: list[aws.ec2.Subnet]
    pod_subnets: list[aws.ec2.Subnet]
    flow_log: aws.ec2.FlowLog


def _zone(names: list[str], index: int, region: str, key: str) -> str:
    if len(names) < AZ_COUNT:
        raise SpecError([(
            f"{key}.region: {region} offers only {len(names)} availability zones to this "
            f"account; the EKS layout spreads nodes over {AZ_COUNT}: choose another region"
        )])
    return names[index]


def build_network(ctx: AwsContext, flow_log_group: aws.cloudwatch.LogGroup,
                  flow_log_role: ManagedRole) -> Network:
    plan = plan_subnets(ctx.spec.node_cidr, ctx.spec.pod_cidr)
    name, region = ctx.name, ctx.region
    vpc = aws.ec2.Vpc(
        f"{name}-vpc",
        aws.ec2.VpcArgs(cidr_block=ctx.spec.node_cidr, enable_dns_support=True,
                        enable_dns_hostnames=True, region=region,
                        tags=ctx.tags(Name=f"ztc-{name}")),
        opts=ctx.opts(),
    )
    pod_range = aws.ec2.VpcIpv4CidrBlockAssociation(
        f"{name}-pod-cidr",
        aws.ec2.VpcIpv4CidrBlockAssociationArgs(vpc_id=vpc.id, cidr_block=ctx.spec.pod_cidr,
                                                 region=region),
        opts=ctx.opts(),
    )
    # Adopt the default security group and strip its rules, so nothing can fall back on it.
    aws.ec2.DefaultSecurityGroup(
        f"{name}-default-sg",
        aws.ec2.DefaultSecurityGroupArgs(vpc_id=vpc.id, ingress=[], egress=[], region=region,
                                         tags=ctx.tags(Name=f"ztc-{name}-default-unused")),
        opts=ctx.opts(),
    )
    zone_names = aws.get_availability_zones_output(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status",
                                                    values=["opt-in-not-required"])],
        region=region,
        opts=ctx.invoke_opts(),
    ).names
    zones = [zone_names.apply(lambda n, i=i: _zone(n, i, region, ctx.config_key))
             for i in range(AZ_COUNT)]

    igw = aws.ec2.InternetGateway(
        f"{name}-igw", aws.ec2.InternetGatewayArgs(vpc_id=vpc.id, region=region,
                                                   tags=ctx.tags(Name=f"ztc-{name}")),
        opts=ctx.opts(),
    )
    public_rt = aws.ec2.RouteTable(
        f"{name}-public",
        aws.ec2.RouteTableArgs(
            vpc_id=vpc.id, region=region, tags=ctx.tags(Name=f"ztc-{name}-public"),
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
        ),
        opts=ctx.opts(),
    )
    cluster_tag = f"kubernetes.io/cluster/{name}"
    private_subnets, public_subnets, pod_subnets = [], [], []
    for i, zone in enumerate(zones):
        suffix = chr(ord("a") + i)
        public = aws.ec2.Subnet(
            f"{name}-public-{suffix}",
            aws.ec2.SubnetArgs(
                vpc_id=vpc.id, cidr_block=plan.public[i], availability_zone=zone,
                # Only the NAT gateways live here; nothing gets a public IP by default and the
                # subnets carry no kubernetes.io/role/elb tag, so no Internet-facing LB lands.
                map_public_ip_on_launch=False, region=region,
                tags=ctx.tags(Name=f"ztc-{name}-public-{suffix}", tier="nat"),
            ),
            opts=ctx.opts(),
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-public-{suffix}",
            aws.ec2.RouteTableAssociationArgs(subnet_id=public.id, route_table_id=public_rt.id,
                                              region=region),
            opts=ctx.opts(),
        )
        eip = aws.ec2.Eip(
            f"{name}-nat-{suffix}",
            aws.ec2.EipArgs(domain="vpc", region=region, tags=ctx.tags(Name=f"ztc-{name}-nat")),
            opts=ctx.opts(),
        )
        nat = aws.ec2.NatGateway(
            f"{name}-nat-{suffix}",
            aws.ec2.NatGatewayArgs(allocation_id=eip.id, subnet_id=public.id,
                                   connectivity_type="public", region=region,
                                   tags=ctx.tags(Name=f"ztc-{name}-nat-{suffix}")),
            opts=ctx.opts(depends_on=[igw]),
        )
        private_rt = aws.ec2.RouteTable(
            f"{name}-private-{suffix}",
            aws.ec2.RouteTableArgs(
                vpc_id=vpc.id, region=region, tags=ctx.tags(Name=f"ztc-{name}-private-{suffix}"),
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
            ),
            opts=ctx.opts(),
        )
        private = aws.ec2.Subnet(
            f"{name}-private-{suffix}",
            aws.ec2.SubnetArgs(
                vpc_id=vpc.id, cidr_block=plan.private[i], availability_zone=zone,
                map_public_ip_on_launch=False, region=region,
                tags=ctx.tags(**{"Name": f"ztc-{name}-private-{suffix}", "tier": "nodes",
                                 cluster_tag: "shared", "kubernetes.io/role/internal-elb": "1",
                                 CNI_ROLE_TAG: "0"}),
            ),
            opts=ctx.opts(),
        )
        pods = aws.ec2.Subnet(
            f"{name}-pods-{suffix}",
            aws.ec2.SubnetArgs(
                vpc_id=vpc.id, cidr_block=plan.pods[i], availability_zone=zone,
                map_public_ip_on_launch=False, region=region,
                tags=ctx.tags(**{"Name": f"ztc-{name}-pods-{suffix}", "tier": "pods",
                                 cluster_tag: "shared", CNI_ROLE_TAG: "1",
                                 f"cni.networking.k8s.aws/cluster/{name}": "shared"}),
            ),
            # The secondary CIDR must be attached before a subnet can be carved from it.
            opts=ctx.opts(depends_on=[pod_range]),
        )
        for subnet, tier in ((private, "private"), (pods, "pods")):
            aws.ec2.RouteTableAssociation(
                f"{name}-{tier}-{suffix}",
                aws.ec2.RouteTableAssociationArgs(subnet_id=subnet.id,
                                                  route_table_id=private_rt.id, region=region),
                opts=ctx.opts(),
            )
        public_subnets.append(public)
        private_subnets.append(private)
        pod_subnets.append(pods)

    flow_log = aws.ec2.FlowLog(
        f"{name}-flow-log",
        aws.ec2.FlowLogArgs(
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_log_group.arn,
            iam_role_arn=flow_log_role.arn,
            max_aggregation_interval=60,
            region=region,
            tags=ctx.tags(Name=f"ztc-{name}-flow-log"),
        ),
        opts=ctx.opts(),
    )
    return Network(vpc=vpc, zones=zones, private_subnets=private_subnets,
                   public_subnets=public_subnets, pod_subnets=pod_subnets, flow_log=flow_log)
