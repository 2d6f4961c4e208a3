"""The cluster's own VPC: private node/pod subnets in 3 AZs, NAT-only public subnets, flow logs.

The spec's pod CIDR becomes a secondary VPC CIDR with one pod subnet per AZ. The VPC CNI's
enhanced subnet discovery places pod IPs there from the subnet tags alone (no ENIConfig, so no
Kubernetes API call): pod subnets carry `kubernetes.io/role/cni=1` (plus the cluster-scoped
`cni.networking.k8s.aws/cluster/<name>`), node subnets `kubernetes.io/role/cni=0`, which
excludes them, and the node's primary ENI in them, from pod IP allocation
(https://docs.aws.amazon.com/eks/latest/userguide/cni-subnet-selection.html). Pods never consume
node-subnet addresses and the range matches what AKS/GKE use for pods.

Bring your own network (`EksNetworkArgs`, or the stack's `aws.network` block): the cluster
runs in an existing VPC's private node and pod subnets, and the component adds only what the
posture needs there: the CNI subnet-role tags above (one `ec2.Tag` per subnet and key, so the
subnets themselves stay the network owner's) and the VPC flow log into the cluster's audit
trail. Security groups are the cluster's own either way (security_groups.py). Routing and
egress (NAT, firewall, endpoints) are the network owner's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws.cloud import MIN_SUBNETS, byo_problems
from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.aws.iam import ManagedRole
from zero_trust_clusters.components.cluster import ExistingNetwork
from zero_trust_clusters.components.spec import SpecError

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
    """The cluster's network: created (every field) or brought (`vpc` None, no subnets of
    ours; the IDs are the existing ones)."""

    vpc_id: pulumi.Input[str]
    node_subnet_ids: list[pulumi.Input[str]]
    pod_subnet_ids: list[pulumi.Input[str]]
    flow_log: aws.ec2.FlowLog
    vpc: aws.ec2.Vpc | None = None
    private_subnets: tuple[aws.ec2.Subnet, ...] = ()
    public_subnets: tuple[aws.ec2.Subnet, ...] = ()
    pod_subnets: tuple[aws.ec2.Subnet, ...] = ()


@dataclass(frozen=True)
class EksNetworkArgs(ExistingNetwork):
    """An existing VPC for an EksCluster: its private node subnets and its pod subnets.

    The lists' lengths must be known when the component is built (one tag resource per
    subnet); each ID may be a `pulumi.Input` (another stack's output). Checked at build: at
    least two node and two pod subnets. Checked when the IDs are known (apply): their format,
    no ID listed twice, no subnet both a node and a pod subnet. Not checkable from the
    program, refused by EKS at create instead: node subnets in fewer than two zones.
    Node subnets should give no public IPs; the launch templates never request one either
    way (pools.py), so nodes stay private regardless.
    """

    vpc_id: pulumi.Input[str]
    """The VPC (vpc-...); the cluster's security groups and flow log are created in it."""
    node_subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets for nodes and the control plane's network interfaces (subnet-...), in
    at least two availability zones; tagged `kubernetes.io/role/cni=0` (no pod IPs)."""
    pod_subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets pod IPs come from (subnet-...), one or more per node zone; tagged
    `kubernetes.io/role/cni=1` for the VPC CNI's subnet discovery."""


def _checked(args: EksNetworkArgs, where: str) -> tuple[pulumi.Output[str], list[
        pulumi.Output[str]], list[pulumi.Output[str]]]:
    """The IDs, each resolving only once the whole set has been checked (apply)."""
    problems: list[str] = []
    for key, ids in (("nodeSubnetIds", args.node_subnet_ids), ("podSubnetIds",
                                                               args.pod_subnet_ids)):
        if len(ids) < MIN_SUBNETS:
            problems.append(f"{where}.{key}: lists {len(ids)} subnet(s); EKS needs subnets in "
                            f"at least {MIN_SUBNETS} availability zones, list at least "
                            f"{MIN_SUBNETS}")
    if problems:
        raise SpecError(problems)
    n, p = len(args.node_subnet_ids), len(args.pod_subnet_ids)

    def check(values: list) -> list:
        found = byo_problems(values[0], values[1:1 + n], values[1 + n:], where)
        if found:
            raise SpecError(found)
        return values

    every = pulumi.Output.all(args.vpc_id, *args.node_subnet_ids, *args.pod_subnet_ids).apply(
        check)
    return (every.apply(lambda v: v[0]),
            [every.apply(lambda v, i=i: v[1 + i]) for i in range(n)],
            [every.apply(lambda v, i=i: v[1 + n + i]) for i in range(p)])


def _flow_log(ctx: AwsContext, vpc_id: pulumi.Input[str], flow_log_group: aws.cloudwatch.LogGroup,
              flow_log_role: ManagedRole) -> aws.ec2.FlowLog:
    return aws.ec2.FlowLog(
        f"{ctx.name}-flow-log",
        aws.ec2.FlowLogArgs(
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_log_group.arn,
            iam_role_arn=flow_log_role.arn,
            max_aggregation_interval=60,
            region=ctx.region,
            tags=ctx.tags(Name=f"ztc-{ctx.name}-flow-log"),
        ),
        opts=ctx.opts(),
    )


def bring_network(ctx: AwsContext, args: EksNetworkArgs, where: str,
                  flow_log_group: aws.cloudwatch.LogGroup,
                  flow_log_role: ManagedRole) -> Network:
    """The existing VPC, checked, with the CNI's subnet-role tags and the cluster's flow log."""
    vpc_id, node_ids, pod_ids = _checked(args, where)
    name = ctx.name
    tags = [(f"nodes-{i}", subnet, CNI_ROLE_TAG, "0") for i, subnet in enumerate(node_ids)]
    for i, subnet in enumerate(pod_ids):
        tags += [(f"pods-{i}", subnet, CNI_ROLE_TAG, "1"),
                 (f"pods-{i}-cluster", subnet, f"cni.networking.k8s.aws/cluster/{name}",
                  "shared")]
    for label, subnet, key, value in tags:
        # ec2.Tag manages one tag on a resource someone else owns
        # (pulumi-aws ec2/tag.py: "The ID of the EC2 resource to manage the tag for").
        aws.ec2.Tag(f"{name}-{label}-tag",
                    aws.ec2.TagArgs(resource_id=subnet, key=key, value=value, region=ctx.region),
                    opts=ctx.opts())
    flow_log = _flow_log(ctx, vpc_id, flow_log_group, flow_log_role)
    return Network(vpc_id=vpc_id, node_subnet_ids=node_ids, pod_subnet_ids=pod_ids,
                   flow_log=flow_log)


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

    flow_log = _flow_log(ctx, vpc.id, flow_log_group, flow_log_role)
    return Network(vpc_id=vpc.id, node_subnet_ids=[s.id for s in private_subnets],
                   pod_subnet_ids=[s.id for s in pod_subnets], flow_log=flow_log, vpc=vpc,
                   private_subnets=tuple(private_subnets), public_subnets=tuple(public_subnets),
                   pod_subnets=tuple(pod_subnets))
