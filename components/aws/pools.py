"""Managed node groups on hardened launch templates (one per pool).

Every pool: AMI verified for NitroTPM + UEFI Secure Boot (ami.py), IMDSv2 only, hop limit 1
(pods cannot reach node credentials; they use Pod Identity), one network interface without a
public IP, EBS volumes encrypted with the cluster's disk key, no key pair and no
`remote_access` (no SSH). system/general run Bottlerocket; sandbox runs AL2023 + gVisor.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import ami, instance_types, userdata
from components.aws.cloud import SANDBOX, SANDBOX_LABEL, SANDBOX_VALUE
from components.aws.context import AwsContext
from components.aws.iam import ManagedRole
from components.spec import NodePool

POOL_LABEL = "ztc.io/pool"
IMDS_HOP_LIMIT = 1


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


def build_node_pool(ctx: AwsContext, pool_name: str, pool: NodePool, *, join: ClusterEndpoint,
                    node_role: ManagedRole, node_sg: aws.ec2.SecurityGroup,
                    subnet_ids: list[pulumi.Output[str]], disk_key: aws.kms.Key,
                    depends_on: list[pulumi.Resource]) -> NodePoolResources:
    name = ctx.name
    sandboxed = pool_name == "sandbox"
    family: ami.ImageFamily = "al2023" if sandboxed else "bottlerocket"
    arch = instance_types.architecture(pool.machine_type)
    # The sandbox label is what the sandbox RuntimeClass selects: only a node that verified
    # gVisor sets it (userdata.py), so it is neither in the node group's labels nor in the
    # labels every node registers with. The NoSchedule taint keeps other pods off regardless.
    labels = {POOL_LABEL: pool_name}
    sandbox_labels = {SANDBOX_LABEL: SANDBOX_VALUE}
    taints = SANDBOX.tolerations if sandboxed else ()

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
            ami_type="CUSTOM",  # the launch template's verified image, not an EKS default
            capacity_type="ON_DEMAND",
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=pool.min_size, max_size=pool.max_size, desired_size=pool.min_size),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            labels=labels,
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect="NO_SCHEDULE")
                    for t in taints] or None,
            region=ctx.region,
            tags=ctx.tags(**{POOL_LABEL: pool_name}),
        ),
        opts=ctx.opts(depends_on=[*depends_on, *node_role.ready],
                      ignore_changes=["scalingConfig.desiredSize"]),  # the autoscaler owns it
    )
    return NodePoolResources(launch_template=template, node_group=group)
