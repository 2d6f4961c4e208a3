"""Fake aws provider answers for the offline engine (see fakes/__init__.py for the contract).

Ids, ARNs and endpoints follow the formats AWS returns, derived deterministically from
names. The EKS cluster CA is a real X.509 certificate (deterministic key and RFC 6979
signature), so consumers can parse it. Invokes answer like the provider:
- `getAmi` by name returns the EKS-published images as AWS registers them, none of which
  qualifies for trusted boot (Bottlerocket: uefi-preferred with Secure Boot keys but no
  NitroTPM; AL2023: no NitroTPM and no Secure Boot keys, built without tpm_support in
  awslabs/amazon-eks-ami templates/al2023); by id it describes the images of `CUSTOM_IMAGES`
  (the stacks' trusted images, registered with tpm-support v2.0, boot-mode uefi and
  uefi-data, plus error-path images) and finds no other id. Unlike the real provider, whose
  getAmi never fills `uefiData` (hashicorp/terraform-provider-aws#47508, see
  zero_trust_clusters/components/aws/ami.py), it returns `uefiData` as the schema documents.
- `getAddonVersion` answers from `_ADDON_VERSIONS`.
"""

from __future__ import annotations

import base64
import datetime
import fnmatch
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from zero_trust_clusters.engine.fakes.ids import stable_digits, stable_hex

ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"
DEPLOYER_ROLE = "ztc-deployer"
BOTTLEROCKET_VERSION = "1.56.0"
AL2023_RELEASE = "v20261020"
_CREATED = "2026-01-01T00:00:00Z"
_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
# Zone letters per region where they differ from a, b, c (us-west-1 offers two to new accounts).
_ZONES = {"us-east-1": "abcdef", "us-west-1": "ac", "us-west-2": "abcd", "ap-northeast-1": "acd"}
_ADDON_VERSIONS = {
    "vpc-cni": "v1.22.4-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.1",
    "kube-proxy": "v1.35.0-eksbuild.2",
    "coredns": "v1.12.4-eksbuild.1",
}




@dataclass(frozen=True)
class FakeImage:
    """An AMI as DescribeImages (+ DescribeImageAttribute uefiData) would describe it."""

    name: str
    arch: str = "x86_64"
    boot_mode: str | None = "uefi"
    tpm: bool = True
    secure_boot_keys: bool = True
    owner: str = "self"


# Error-path images for tests.
NON_TPM_AMI = "ami-0000000000badbad"  # legacy BIOS, no NitroTPM
NO_SECURE_BOOT_AMI = "ami-00000000005ec0ff"  # NitroTPM + UEFI, but no Secure Boot keys
UEFI_PREFERRED_AMI = "ami-0000000000fe2ed0"  # NitroTPM + keys, but may boot legacy BIOS
ARM_TRUSTED_AMI = "ami-00000000000a2464"  # qualifies, for arm64 pools only
TRUSTED_AMI = "ami-0123456789abcdef0"  # qualifies (x86_64)

_BR = "ztc-bottlerocket-aws-k8s-1.35-x86_64-v1.56.0-secureboot"
_AL = "ztc-al2023-eks-1.35-x86_64-gvisor-secureboot"
CUSTOM_IMAGES: dict[str, FakeImage] = {
    # stacks/Pulumi.dev.yaml, eu-west-1
    "ami-0b07e5ec0000d0e01": FakeImage(_BR),
    "ami-0a1202300000d0e02": FakeImage(_AL),
    # stacks/Pulumi.prod.yaml, eu-west-1 and us-east-1
    "ami-0b07e5ec00e0e0101": FakeImage(_BR),
    "ami-0a12023000e0e0102": FakeImage(_AL),
    "ami-0b07e5ec00e0e0201": FakeImage(_BR),
    "ami-0a12023000e0e0202": FakeImage(_AL),
    TRUSTED_AMI: FakeImage("ztc-custom-secureboot"),
    ARM_TRUSTED_AMI: FakeImage("ztc-custom-secureboot-arm64", arch="arm64"),
    NON_TPM_AMI: FakeImage("custom-node-image-legacy-bios", boot_mode="legacy-bios", tpm=False,
                           secure_boot_keys=False),
    NO_SECURE_BOOT_AMI: FakeImage("custom-uefi-tpm-no-keys", secure_boot_keys=False),
    UEFI_PREFERRED_AMI: FakeImage("custom-uefi-preferred", boot_mode="uefi-preferred"),
}


def _plain(value: Any) -> Any:
    from zero_trust_clusters.engine.mocks import unwrap

    return unwrap(value)


def _region(inputs: dict[str, Any]) -> str:
    region = inputs.get("region")
    if isinstance(region, str) and region:
        return region
    zone = inputs.get("availabilityZone")
    if isinstance(zone, str) and zone[-1:].isalpha():
        return zone[:-1]
    return DEFAULT_REGION


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _arn(service: str, region: str, resource: str, account: str = ACCOUNT_ID) -> str:
    return f"arn:{_partition(region)}:{service}:{region}:{account}:{resource}"


def _hex_id(prefix: str, *parts: str, length: int = 17) -> str:
    return f"{prefix}-{stable_hex(prefix, *parts, length=length)}"


def _uuid(*parts: str) -> str:
    return str(uuid.UUID(stable_hex("uuid", *parts, length=32)))


def _private_key(*seed: str) -> ec.EllipticCurvePrivateKey:
    secret = int.from_bytes(hashlib.sha256("/".join(seed).encode()).digest(), "big")
    return ec.derive_private_key(secret % (2**255) + 1, ec.SECP256R1())


@cache
def cluster_ca_data(region: str, name: str) -> str:
    """Base64 PEM of a self-signed `kubernetes` CA, like `certificateAuthority.data`."""
    key = _private_key("eks-ca", region, name)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int(stable_hex("eks-ca-serial", region, name, length=30), 16))
        .not_valid_before(_EPOCH)
        .not_valid_after(_EPOCH + datetime.timedelta(days=3650))  # EKS CAs last 10 years
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.PEM)).decode()


def eks_endpoint(region: str, name: str) -> str:
    return f"https://{stable_hex('eks-endpoint', region, name, length=32).upper()}.gr7.{region}.eks.amazonaws.com"


def oidc_issuer(region: str, name: str) -> str:
    return f"https://oidc.eks.{region}.amazonaws.com/id/{stable_hex('eks-oidc', region, name, length=32).upper()}"


# --- resources ------------------------------------------------------------------------------

def _named(inputs: dict[str, Any], key: str, name: str) -> str:
    value = inputs.get(key)
    return value if isinstance(value, str) and value else f"{name}-{stable_hex(name, length=7)}"


def _ec2(prefix: str, arn_kind: str | None = None) -> Callable[[str, dict, str], dict]:
    def build(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
        physical = _hex_id(prefix, region, name)
        out: dict[str, Any] = {"id": physical, "ownerId": ACCOUNT_ID}
        if arn_kind:
            out["arn"] = _arn("ec2", region, f"{arn_kind}/{physical}")
        return out

    return build


def _vpc(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    out = _ec2("vpc", "vpc")(name, inputs, region)
    out.update(
        mainRouteTableId=_hex_id("rtb", region, name, "main"),
        defaultSecurityGroupId=_hex_id("sg", region, name, "default"),
        defaultNetworkAclId=_hex_id("acl", region, name, "default"),
        defaultRouteTableId=_hex_id("rtb", region, name, "main"),
        dhcpOptionsId=_hex_id("dopt", region, name),
        instanceTenancy="default",
    )
    return out


def _subnet(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    out = _ec2("subnet", "subnet")(name, inputs, region)
    zone = inputs.get("availabilityZone") or f"{region}a"
    out["availabilityZoneId"] = f"{region.replace('-', '')[:4]}1-az{'abcdef'.index(zone[-1]) + 1}"
    return out


def _eip(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    physical = _hex_id("eipalloc", region, name)
    octet = int(stable_hex("eip", region, name, length=2), 16) % 254 + 1
    ip = f"203.0.113.{octet}"  # TEST-NET-3: never a real address
    return {"id": physical, "allocationId": physical, "publicIp": ip, "domain": "vpc",
            "publicDns": f"ec2-{ip.replace('.', '-')}.{region}.compute.amazonaws.com",
            "arn": _arn("ec2", region, f"elastic-ip/{physical}")}


def _nat(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    return {"id": _hex_id("nat", region, name), "networkInterfaceId": _hex_id("eni", region, name),
            "privateIp": "10.255.255.10", "publicIp": "203.0.113.200"}


def _security_group(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    out = _ec2("sg", "security-group")(name, inputs, region)
    out["name"] = _named(inputs, "name", name)
    return out


def _sg_rule(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    physical = _hex_id("sgr", region, name)
    return {"id": physical, "securityGroupRuleId": physical,
            "arn": _arn("ec2", region, f"security-group-rule/{physical}")}


def _launch_template(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    physical = f"lt-0{stable_hex('lt', region, name, length=16)}"
    return {"id": physical, "arn": _arn("ec2", region, f"launch-template/{physical}"),
            "latestVersion": 1, "defaultVersion": 1, "name": _named(inputs, "name", name)}


def _kms_key(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    key_id = _uuid("kms", region, name)
    return {"id": key_id, "keyId": key_id, "arn": _arn("kms", region, f"key/{key_id}"),
            "rotationPeriodInDays": 365 if inputs.get("enableKeyRotation") else None}


def _kms_alias(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    alias = _named(inputs, "name", f"alias/{name}")
    return {"id": alias, "arn": _arn("kms", region, alias),
            "targetKeyArn": _arn("kms", region, f"key/{inputs.get('targetKeyId', '')}")}


def _role(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    role_name = _named(inputs, "name", name)
    path = inputs.get("path") or "/"
    return {"id": role_name, "name": role_name, "path": path,
            "arn": f"arn:{_partition(region)}:iam::{ACCOUNT_ID}:role{path}{role_name}",
            "uniqueId": "AROA" + stable_hex("role", role_name, length=17).upper(),
            "createDate": _CREATED}


def _oidc_provider(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    url = str(inputs.get("url", "")).removeprefix("https://")
    arn = f"arn:{_partition(region)}:iam::{ACCOUNT_ID}:oidc-provider/{url}"
    return {"id": arn, "arn": arn}


def _log_group(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    group = _named(inputs, "name", name)
    return {"id": group, "name": group, "arn": _arn("logs", region, f"log-group:{group}")}


def _bucket(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    bucket = _named(inputs, "bucket", name)
    return {"id": bucket, "bucket": bucket, "arn": f"arn:{_partition(region)}:s3:::{bucket}",
            "region": region, "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
            "hostedZoneId": "Z1BKCTXD74EZPE"}


def _bucket_child(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    return {"id": inputs.get("bucket") or name}


def _firehose(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    stream = _named(inputs, "name", name)
    arn = _arn("firehose", region, f"deliverystream/{stream}")
    return {"id": arn, "arn": arn, "name": stream, "versionId": "1",
            "destinationId": "destinationId-000000000001"}


def _eks_cluster(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    cluster = _named(inputs, "name", name)
    vpc_config = dict(inputs.get("vpcConfig") or {})
    vpc_config.update(clusterSecurityGroupId=_hex_id("sg", region, cluster, "eks-cluster-sg"),
                      vpcId=_hex_id("vpc", region, cluster, "eks"))
    network = dict(inputs.get("kubernetesNetworkConfig") or {})
    network.setdefault("serviceIpv4Cidr", "172.20.0.0/16")
    network.setdefault("ipFamily", "ipv4")
    return {
        "id": cluster, "name": cluster, "arn": _arn("eks", region, f"cluster/{cluster}"),
        "clusterId": _uuid("eks-cluster", region, cluster),
        "endpoint": eks_endpoint(region, cluster),
        "certificateAuthority": {"data": cluster_ca_data(region, cluster)},
        "identities": [{"oidcs": [{"issuer": oidc_issuer(region, cluster)}]}],
        "platformVersion": "eks.7", "status": "ACTIVE", "createdAt": _CREATED,
        "version": inputs.get("version") or "1.35",
        "vpcConfig": vpc_config, "kubernetesNetworkConfig": network,
    }


def _eks_node_group(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    cluster = inputs.get("clusterName", "cluster")
    group = _named(inputs, "nodeGroupName", name)
    asg = f"eks-{group}-{_uuid('asg', region, cluster, group)}"
    return {
        "id": f"{cluster}:{group}", "nodeGroupName": group,
        "arn": _arn("eks", region, f"nodegroup/{cluster}/{group}/{_uuid('ng', region, group)}"),
        "status": "ACTIVE", "version": inputs.get("version") or "1.35",
        "resources": [{"autoscalingGroups": [{"name": asg}], "remoteAccessSecurityGroupId": ""}],
    }


def _eks_addon(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    cluster, addon = inputs.get("clusterName", "cluster"), inputs.get("addonName", name)
    return {"id": f"{cluster}:{addon}", "createdAt": _CREATED, "modifiedAt": _CREATED,
            "addonVersion": inputs.get("addonVersion") or _ADDON_VERSIONS.get(addon, "v1.0.0-eksbuild.1"),
            "arn": _arn("eks", region, f"addon/{cluster}/{addon}/{_uuid('addon', cluster, addon)}")}


def _eks_access_entry(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    cluster, principal = inputs.get("clusterName", "cluster"), inputs.get("principalArn", "")
    role = principal.split(":role/")[-1]
    return {"id": f"{cluster}:{principal}", "createdAt": _CREATED, "modifiedAt": _CREATED,
            "type": inputs.get("type") or "STANDARD",
            "userName": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{{{{SessionName}}}}",
            "accessEntryArn": _arn(
                "eks", region, f"access-entry/{cluster}/role/{ACCOUNT_ID}/{role}/"
                f"{_uuid('entry', cluster, principal)}")}


def _eks_access_policy(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    parts = (inputs.get("clusterName", ""), inputs.get("principalArn", ""),
             inputs.get("policyArn", ""))
    return {"id": "#".join(parts), "associatedAt": _CREATED, "modifiedAt": _CREATED}


def _eks_pod_identity(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    cluster = inputs.get("clusterName", "cluster")
    association = f"a-{stable_hex('pia', cluster, name, length=17)}"
    return {"id": f"{cluster},{association}", "associationId": association,
            "associationArn": _arn("eks", region, f"podidentityassociation/{cluster}/{association}")}


def _log_stream(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    stream = _named(inputs, "name", name)
    group = inputs.get("logGroupName", "")
    return {"id": stream, "name": stream,
            "arn": _arn("logs", region, f"log-group:{group}:log-stream:{stream}")}


def _sns_topic(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    topic = _named(inputs, "name", name)
    arn = _arn("sns", region, topic)
    return {"id": arn, "arn": arn, "name": topic, "owner": ACCOUNT_ID}


def _metric_alarm(name: str, inputs: dict[str, Any], region: str) -> dict[str, Any]:
    alarm = _named(inputs, "name", name)
    return {"id": alarm, "name": alarm, "arn": _arn("cloudwatch", region, f"alarm:{alarm}")}


def _simple(prefix: str) -> Callable[[str, dict, str], dict]:
    return lambda name, inputs, region: {"id": _hex_id(prefix, region, name)}


_RESOURCES: dict[str, Callable[[str, dict, str], dict]] = {
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation": _simple("vpc-cidr-assoc"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _security_group,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw", "internet-gateway"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb", "route-table"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _simple("rtbassoc"),
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:ec2/flowLog:FlowLog": _ec2("fl", "vpc-flow-log"),
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _sg_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _sg_rule,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": lambda n, i, r: {"id": f"{i.get('role')}:{i.get('name', n)}"},
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda n, i, r: {
        "id": f"{i.get('role')}-{stable_hex('rpa', n, length=20)}"},
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/logStream:LogStream": _log_stream,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:sns/topicPolicy:TopicPolicy": lambda n, i, r: {"id": i.get("arn") or n,
                                                        "owner": ACCOUNT_ID},
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": lambda n, i, r: {
        "id": f"cwlsf-{stable_digits('cwlsf', n, length=10)}"},
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": _firehose,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:eks/accessEntry:AccessEntry": _eks_access_entry,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _eks_access_policy,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _eks_pod_identity,
}


def outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    plain = _plain(inputs)
    build = _RESOURCES.get(type_)
    if build is None and type_.startswith("aws:s3/bucket"):
        build = _bucket_child  # versioning, lock, encryption, public access block, policy ...
    if build is None:
        return {}
    region = _region(plain)
    out = {k: v for k, v in build(name, plain, region).items() if v is not None}
    if not type_.startswith("aws:iam/"):  # IAM is global; everything else is regional
        out.setdefault("region", region)
    if "tags" in plain:
        out["tagsAll"] = plain["tags"]
    return out


def resource_id(type_: str, name: str, inputs: dict[str, Any]) -> str | None:
    out = outputs(type_, name, inputs)
    return out.get("id")


# --- invokes ----------------------------------------------------------------------------------

def _filters(args: dict[str, Any]) -> dict[str, list[str]]:
    return {f["name"]: list(f.get("values") or []) for f in args.get("filters") or []}


def _ami(image_id: str, region: str, image: FakeImage) -> dict[str, Any]:
    owner_id = "602401143452" if image.owner == "amazon" else ACCOUNT_ID
    bottlerocket = "bottlerocket" in image.name
    result = {
        "id": image_id, "imageId": image_id, "name": image.name, "architecture": image.arch,
        "arn": _arn("ec2", region, f"image/{image_id}", account=""),
        "bootMode": image.boot_mode, "creationDate": "2026-10-20T08:00:00.000Z",
        "description": image.name, "enaSupport": True, "hypervisor": "xen",
        "imageOwnerAlias": "amazon" if image.owner == "amazon" else None,
        "imageType": "machine", "imdsSupport": "v2.0", "ownerId": owner_id,
        "platformDetails": "Linux/UNIX", "public": image.owner == "amazon",
        "rootDeviceName": "/dev/xvda", "rootDeviceType": "ebs",
        "rootSnapshotId": _hex_id("snap", region, image_id), "sriovNetSupport": "simple",
        "state": "available", "usageOperation": "RunInstances", "virtualizationType": "hvm",
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
            "encrypted": "false", "snapshot_id": _hex_id("snap", region, image_id),
            "volume_size": "2" if bottlerocket else "20",
            "volume_type": "gp2", "delete_on_termination": "true"}}],
        "tpmSupport": "v2.0" if image.tpm else None,
        # Real UEFI variable stores start with the "AMZNUEFI" magic.
        "uefiData": base64.b64encode(b"AMZNUEFI" + hashlib.sha256(image_id.encode()).digest())
        .decode() if image.secure_boot_keys else None,
    }
    return {k: v for k, v in result.items() if v is not None}


def _get_ami(args: dict[str, Any]) -> dict[str, Any]:
    region = args.get("region") or DEFAULT_REGION
    filters = _filters(args)
    if "image-id" in filters:
        image_id = filters["image-id"][0]
        if image_id not in CUSTOM_IMAGES:
            raise LookupError("Your query returned no results. Please change your search "
                              "criteria and try again.")
        return _ami(image_id, region, CUSTOM_IMAGES[image_id])
    pattern = (filters.get("name") or [args.get("nameRegex") or "*"])[0]
    arch = (filters.get("architecture") or ["x86_64"])[0]
    if pattern.startswith("bottlerocket-aws-k8s-"):
        version = pattern.split("-")[3]
        name = f"bottlerocket-aws-k8s-{version}-{arch}-v{BOTTLEROCKET_VERSION}-" \
               f"{stable_hex('br', version, arch, length=8)}"
        # Published with Secure Boot keys and uefi-preferred, without NitroTPM.
        image = FakeImage(name, arch=arch, boot_mode="uefi-preferred", tpm=False,
                          owner="amazon")
    elif pattern.startswith("amazon-eks-node-al2023-"):
        name = pattern.replace("-v*", f"-{AL2023_RELEASE}")
        image = FakeImage(name, arch=arch, boot_mode="uefi-preferred", tpm=False,
                          secure_boot_keys=False, owner="amazon")
    else:
        raise LookupError(f"Your query returned no results for name {pattern!r}. Please change "
                          "your search criteria and try again.")
    if not fnmatch.fnmatch(name, pattern):
        raise LookupError(f"Your query returned no results for name {pattern!r}.")
    boot_modes = filters.get("boot-mode")
    if boot_modes and image.boot_mode not in boot_modes:
        raise LookupError("Your query returned no results. Please change your search criteria.")
    return _ami(f"ami-0{stable_hex('ami', region, name, length=16)}", region, image)


def _addon_version(args: dict[str, Any]) -> dict[str, Any]:
    addon = args.get("addonName") or ""
    version = _ADDON_VERSIONS.get(addon)
    if version is None:
        raise LookupError(f"no add-on versions found for {addon!r}")
    return {"id": addon, "addonName": addon, "kubernetesVersion": args.get("kubernetesVersion"),
            "mostRecent": bool(args.get("mostRecent")), "version": version,
            "region": args.get("region") or DEFAULT_REGION}


def _policy_document(args: dict[str, Any]) -> dict[str, Any]:
    """Render statements exactly as the provider does (single values collapse to strings)."""

    def one_or_many(values: list[str]) -> str | list[str]:
        values = sorted(set(values), key=values.index)
        return values[0] if len(values) == 1 else values

    statements = []
    for raw in args.get("statements") or []:
        statement: dict[str, Any] = {}
        if raw.get("sid"):
            statement["Sid"] = raw["sid"]
        statement["Effect"] = raw.get("effect") or "Allow"
        for key, wire in (("Action", "actions"), ("NotAction", "notActions"),
                          ("Resource", "resources"), ("NotResource", "notResources")):
            if raw.get(wire):
                statement[key] = one_or_many(raw[wire])
        for key, wire in (("Principal", "principals"), ("NotPrincipal", "notPrincipals")):
            if raw.get(wire):
                principals = raw[wire]
                if len(principals) == 1 and principals[0]["type"] == "*":
                    statement[key] = "*"
                else:
                    statement[key] = {p["type"]: one_or_many(p["identifiers"]) for p in principals}
        if raw.get("conditions"):
            condition: dict[str, dict[str, Any]] = {}
            for c in raw["conditions"]:
                condition.setdefault(c["test"], {})[c["variable"]] = one_or_many(c["values"])
            statement["Condition"] = condition
        statements.append(statement)
    document = {"Version": args.get("version") or "2012-10-17", "Statement": statements}
    rendered = json.dumps(document, indent=2)
    return {"id": str(int(stable_hex("policy", rendered, length=8), 16)), "json": rendered,
            "minifiedJson": json.dumps(document, separators=(",", ":")),
            "version": document["Version"], "statements": args.get("statements") or []}


def _availability_zones(args: dict[str, Any]) -> dict[str, Any]:
    region = args.get("region") or DEFAULT_REGION
    letters = _ZONES.get(region, "abc")
    short = "".join(p[0] if not p.isdigit() else p for p in region.split("-"))
    return {"id": region, "names": [f"{region}{letter}" for letter in letters],
            "zoneIds": [f"{short}-az{i + 1}" for i in range(len(letters))],
            "groupNames": [region], "region": region}


def _caller_identity(args: dict[str, Any]) -> dict[str, Any]:
    return {"id": ACCOUNT_ID, "accountId": ACCOUNT_ID,
            "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{DEPLOYER_ROLE}/ztc",
            "userId": f"AROA{stable_hex('deployer', length=17).upper()}:ztc"}


def _partition_info(args: dict[str, Any]) -> dict[str, Any]:
    partition = _partition(args.get("region") or DEFAULT_REGION)
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return {"id": partition, "partition": partition, "dnsSuffix": suffix,
            "reverseDnsPrefix": ".".join(reversed(suffix.split(".")))}


def _region_info(args: dict[str, Any]) -> dict[str, Any]:
    region = args.get("region") or args.get("name") or DEFAULT_REGION
    return {"id": region, "name": region, "region": region,
            "endpoint": f"ec2.{region}.amazonaws.com", "description": region}


def _session_context(args: dict[str, Any]) -> dict[str, Any]:
    arn = args.get("arn") or _caller_identity({})["arn"]
    if ":assumed-role/" in arn:
        head, rest = arn.split(":assumed-role/")
        role, session = rest.split("/", 1)
        issuer = f"{head.replace(':sts:', ':iam:')}:role/{role}"
        return {"id": arn, "arn": arn, "issuerArn": issuer, "issuerName": role,
                "issuerId": f"AROA{stable_hex('role', role, length=17).upper()}",
                "sessionName": session}
    return {"id": arn, "arn": arn, "issuerArn": arn, "issuerName": arn.rsplit("/", 1)[-1],
            "issuerId": "", "sessionName": ""}


_INVOKES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:ec2/getAmi:getAmi": _get_ami,
    "aws:eks/getAddonVersion:getAddonVersion": _addon_version,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition_info,
    "aws:index/getRegion:getRegion": _region_info,
    "aws:iam/getSessionContext:getSessionContext": _session_context,
}


def call(token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    handler = _INVOKES.get(token)
    return handler(_plain(dict(args))) if handler else None
