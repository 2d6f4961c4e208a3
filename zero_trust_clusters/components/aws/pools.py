"""Managed node groups on hardened launch templates (one per pool).

Every pool: AMI verified for NitroTPM + UEFI Secure Boot (ami.py), IMDSv2 only, hop limit 1
(pods cannot reach node credentials; they use Pod Identity), one network interface without a
public IP, EBS volumes encrypted with the cluster's disk key, no key pair and no
`remote_access` (no SSH). system/general and user pools run Bottlerocket (a GPU pool its NVIDIA
variant); sandbox runs AL2023 + gVisor.

User pools (`clusters[i].pools`) get the same launch template and node group as the mandatory
ones, with their labels, taints and capacity type (SPOT for `spot: true`). Scaling is the
Kubernetes Cluster Autoscaler's (zero_trust_clusters/components/aws/README.md, "Autoscaling"): each node group has
min/max, EKS tags its Auto Scaling group for auto-discovery, and `autoscaler_identity` gives the
autoscaler's service account its IAM role through Pod Identity.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws import ami, iam, instance_types, userdata
from zero_trust_clusters.components.aws.cloud import SANDBOX, SANDBOX_LABEL, SANDBOX_VALUE
from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.aws.iam import ManagedRole
from zero_trust_clusters.components.aws.policy_docs import Condition, Statement, document
from zero_trust_clusters.components.aws.validation import image_flavour
from zero_trust_clusters.components.cluster import Toleration
from zero_trust_clusters.components.kubernetes.charts import (
    CLUSTER_AUTOSCALER_NAMESPACE,
    CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
)
from zero_trust_clusters.components.spec import NodePool, UserPool

POOL_LABEL = "ztc.io/pool"
IMDS_HOP_LIMIT = 1
# NodeGroup taint effects (botocore eks TaintEffect) for the Kubernetes ones.
TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE",
                 "PreferNoSchedule": "PREFER_NO_SCHEDULE"}


@dataclass(frozen=True)
class ClusterEndpoint:
    """What a node needs to join: from the eks.Cluster outputs."""

    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]


@dataclass
class NodePoolResources:
    launch_template: aws.ec2.LaunchTemplate
    node_group: aws.eks.NodeGroup


def cluster_dns_ip(service_cidr: str) -> str:
    """kube-dns lives at the 10th address of the service range (EKS convention)."""
    return str(ipaddress.ip_network(service_cidr).network_address + 10)


def _ebs(size_gb: int | None, key: aws.kms.Key) -> aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs:
    return aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
        encrypted="true",  # a string in the launch-template schema
        kms_key_id=key.arn,
        volume_type="gp3",
        volume_size=size_gb,
        delete_on_termination="true",
    )


def _block_devices(family: ami.ImageFamily, pool: NodePool,
                   key: aws.kms.Key) -> list[aws.ec2.LaunchTemplateBlockDeviceMappingArgs]:
    if family == "bottlerocket":
        # Bottlerocket: a small OS volume (size from the image) + the data volume.
        return [
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(device_name="/dev/xvda",
                                                         ebs=_ebs(None, key)),
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(device_name="/dev/xvdb",
                                                         ebs=_ebs(pool.disk_size_gb, key)),
        ]
    return [aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
        device_name="/dev/xvda", ebs=_ebs(pool.disk_size_gb, key))]


def build_node_pool(ctx: AwsContext, pool_name: str, pool: NodePool | UserPool, *,
                    join: ClusterEndpoint,
                    node_role: ManagedRole, node_sg: aws.ec2.SecurityGroup,
                    subnet_ids: list[pulumi.Output[str]], disk_key: aws.kms.Key,
                    depends_on: list[pulumi.Resource]) -> NodePoolResources:
    name = ctx.name
    sandboxed = pool_name == "sandbox"
    family: ami.ImageFamily = image_flavour(ctx.spec, pool_name)  # type: ignore[assignment]
    arch = instance_types.architecture(pool.machine_type)
    user = pool if isinstance(pool, UserPool) else None
    # The sandbox label is what the sandbox RuntimeClass selects: only a node that verified
    # gVisor sets it (userdata.py), so it is neither in the node group's labels nor in the
    # labels every node registers with. The NoSchedule taint keeps other pods off regardless.
    labels = {**(user.labels if user else {}), POOL_LABEL: pool_name}
    sandbox_labels = {SANDBOX_LABEL: SANDBOX_VALUE}
    taints: tuple[Toleration, ...] = SANDBOX.tolerations if sandboxed else tuple(
        Toleration(key=t.key, value=t.value, effect=t.effect) for t in (user.taints if user else ()))

    def render(args: list[str]) -> str:
        cluster_name, endpoint, ca = args
        if sandboxed:
            text = userdata.al2023_gvisor_user_data(
                cluster_name=cluster_name, endpoint=endpoint, certificate_authority=ca,
                service_cidr=ctx.spec.service_cidr, labels=labels,
                sandbox_labels=sandbox_labels, taints=taints)
        else:
            text = userdata.bottlerocket_settings(
                cluster_name=cluster_name, endpoint=endpoint, certificate_authority=ca,
                cluster_dns_ip=cluster_dns_ip(ctx.spec.service_cidr), labels=labels,
                taints=taints)
        return userdata.b64(text)

    user_data = pulumi.Output.all(join.name, join.endpoint, join.certificate_authority).apply(render)
    instance_tags = ctx.tags(Name=f"ztc-{name}-{pool_name}", **{POOL_LABEL: pool_name})
    template = aws.ec2.LaunchTemplate(
        f"{name}-{pool_name}",
        aws.ec2.LaunchTemplateArgs(
            name=f"ztc-{name}-{pool_name}",
            description=f"ztc {name} {pool_name} nodes ({family}, NitroTPM + Secure Boot)",
            image_id=ami.trusted_image(ctx, family, arch, pool_name),
            instance_type=pool.machine_type,
            user_data=user_data,
            update_default_version=True,
            ebs_optimized="true",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",  # IMDSv2 only
                http_put_response_hop_limit=IMDS_HOP_LIMIT,  # containers cannot reach IMDS
                http_protocol_ipv6="disabled",
                instance_metadata_tags="disabled",
            ),
            network_interfaces=[aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                device_index=0,
                associate_public_ip_address="false",
                delete_on_termination="true",
                security_groups=[node_sg.id],
            )],
            block_device_mappings=_block_devices(family, pool, disk_key),
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=instance_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            region=ctx.region,
            tags=ctx.tags(),
        ),
        opts=ctx.opts(),
    )
    group = aws.eks.NodeGroup(
        f"{name}-{pool_name}",
        aws.eks.NodeGroupArgs(
            cluster_name=join.name,
            node_group_name=f"{name}-{pool_name}",
            node_role_arn=node_role.arn,
            subnet_ids=subnet_ids,
            # The launch template's verified image, not an EKS default; with a custom AMI
            # `version` and `releaseVersion` stay unset (EKS CreateNodegroup: "don't specify
            # version, or the node group deployment will fail"): the pinned image is the
            # version, so nodes roll only when amiIds changes.
            ami_type="CUSTOM",
            capacity_type="SPOT" if user and user.spot else "ON_DEMAND",
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=pool.min_size, max_size=pool.max_size, desired_size=pool.min_size),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            labels=labels,
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value or None,
                                               effect=TAINT_EFFECTS[t.effect])
                    for t in taints] or None,
            region=ctx.region,
            tags=ctx.tags(**{POOL_LABEL: pool_name}),
        ),
        opts=ctx.opts(depends_on=[*depends_on, *node_role.ready],
                      ignore_changes=["scalingConfig.desiredSize"]),  # the autoscaler owns it
    )
    return NodePoolResources(launch_template=template, node_group=group)


def build_node_pools(ctx: AwsContext, *, join: ClusterEndpoint, node_role: ManagedRole,
                     node_sg: aws.ec2.SecurityGroup, subnet_ids: list[pulumi.Output[str]],
                     disk_key: aws.kms.Key,
                     depends_on: list[pulumi.Resource]) -> dict[str, NodePoolResources]:
    """Every pool of the cluster: system, general, sandbox, then the user pools, each
    recorded with the controls it implements (the same for user pools as for the others)."""
    component = ctx.component
    built: dict[str, NodePoolResources] = {}
    for pool_name, pool in ctx.spec.all_pools().items():
        created = build_node_pool(ctx, pool_name, pool, join=join, node_role=node_role,
                                  node_sg=node_sg, subnet_ids=subnet_ids, disk_key=disk_key,
                                  depends_on=depends_on)
        component.implements(created.launch_template, "ZT-NODE-METADATA", "ZT-NODE-PRIVATE",
                             "ZT-DISK-CMK", "ZT-NODE-TRUSTED-BOOT", "ZT-NODE-OS")
        component.implements(created.node_group, "ZT-NODE-OS")
        if pool_name == "sandbox":
            component.implements(created.launch_template, "ZT-SANDBOX")
            component.implements(created.node_group, "ZT-SANDBOX")
        built[pool_name] = created
    return built


# The Kubernetes Cluster Autoscaler's service account: the one its chart release runs as in the
# cluster phase (zero_trust_clusters/components/kubernetes/charts.py), one definition for both.
AUTOSCALER_NAMESPACE = CLUSTER_AUTOSCALER_NAMESPACE
AUTOSCALER_SERVICE_ACCOUNT = CLUSTER_AUTOSCALER_SERVICE_ACCOUNT
# The minimum permissions of cluster-autoscaler on AWS plus auto-discovery (DescribeTags,
# DescribeLaunchTemplateVersions) and scale-from-zero for managed node groups
# (eks:DescribeNodegroup reads a group's labels and taints)
# (https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md).
AUTOSCALER_READ_ACTIONS = [
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
    "eks:DescribeNodegroup",
]
# Only on this cluster's groups: EKS tags every managed node group's Auto Scaling group for
# auto-discovery (https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html),
# `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<cluster-name>`; the
# autoscaler matches the keys, whatever their values (its AWS README, "Auto-Discovery Setup"),
# so the condition asks for the cluster's key to exist (`Null: false`), not for a value.
AUTOSCALER_WRITE_ACTIONS = [
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
]


def autoscaler_discovery_tag(cluster_name: str) -> str:
    return f"k8s.io/cluster-autoscaler/{cluster_name}"


@dataclass
class AutoscalerIdentity:
    role: ManagedRole
    association: aws.eks.PodIdentityAssociation


def autoscaler_identity(ctx: AwsContext, cluster_name: pulumi.Input[str]) -> AutoscalerIdentity:
    """The Cluster Autoscaler's IAM role, bound to its service account through Pod Identity;
    it may resize only this cluster's node groups."""
    role = iam.pod_identity_role(ctx, "cluster-autoscaler",
                                 "Kubernetes Cluster Autoscaler via Pod Identity", managed=[])
    iam.inline_policy(ctx, role, "cluster-autoscaler", document(ctx, [
        Statement(sid="Discover", effect="Allow", actions=AUTOSCALER_READ_ACTIONS,
                  resources=["*"]),
        Statement(sid="ResizeOwnGroups", effect="Allow", actions=AUTOSCALER_WRITE_ACTIONS,
                  resources=["*"], conditions=[Condition(
                      test="Null",
                      variable=f"aws:ResourceTag/{autoscaler_discovery_tag(ctx.name)}",
                      values=["false"])]),
    ]))
    association = aws.eks.PodIdentityAssociation(
        f"{ctx.name}-cluster-autoscaler",
        aws.eks.PodIdentityAssociationArgs(
            cluster_name=cluster_name, namespace=AUTOSCALER_NAMESPACE,
            service_account=AUTOSCALER_SERVICE_ACCOUNT, role_arn=role.arn,
            region=ctx.region, tags=ctx.tags()),
        opts=ctx.opts(depends_on=role.ready),
    )
    return AutoscalerIdentity(role=role, association=association)
