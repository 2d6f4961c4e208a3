"""AWS values the Pulumi schema types as plain strings (or numbers) but the AWS API constrains:
enums, patterns, lengths and ranges, read from the API models that ship with botocore.

The provider (Terraform-bridged) passes most arguments through to one API operation under
the same name, so each resource type names that operation below and the inputs are matched
to the operation's input shape by name, case-insensitively (`amiType` <-> `amiType`,
`metadataOptions.httpTokens` <-> `MetadataOptions.HttpTokens`). Where the provider renames an
argument, ALIASES gives the API member. Only the mapping is written here; every constraint is
read from botocore. Names that match nothing are left to the SDK check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib.metadata import version as dist_version
from typing import Any

from zero_trust_clusters.engine.schema.findings import Finding, show
from zero_trust_clusters.engine.schema.plan import PlanResource, join, opaque

# Pulumi type -> (botocore service, operation, path inside the input shape where the
# provider's arguments start). Operations per the provider's resource docs, e.g.
# https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html
OPERATIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "aws:eks/cluster:Cluster": ("eks", "CreateCluster", ()),
    "aws:eks/nodeGroup:NodeGroup": ("eks", "CreateNodegroup", ()),
    "aws:eks/addon:Addon": ("eks", "CreateAddon", ()),
    "aws:eks/accessEntry:AccessEntry": ("eks", "CreateAccessEntry", ()),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ("eks", "AssociateAccessPolicy", ()),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (
        "eks", "CreatePodIdentityAssociation", ()
    ),
    "aws:eks/fargateProfile:FargateProfile": ("eks", "CreateFargateProfile", ()),
    "aws:ec2/launchTemplate:LaunchTemplate": ("ec2", "CreateLaunchTemplate", ("LaunchTemplateData",)),
    "aws:ec2/vpc:Vpc": ("ec2", "CreateVpc", ()),
    "aws:ec2/subnet:Subnet": ("ec2", "CreateSubnet", ()),
    "aws:ec2/flowLog:FlowLog": ("ec2", "CreateFlowLogs", ()),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "CreateSecurityGroup", ()),
    "aws:ec2/natGateway:NatGateway": ("ec2", "CreateNatGateway", ()),
    "aws:ec2/eip:Eip": ("ec2", "AllocateAddress", ()),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ec2", "AuthorizeSecurityGroupIngress", ()
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        "ec2", "AuthorizeSecurityGroupEgress", ()
    ),
    "aws:kms/key:Key": ("kms", "CreateKey", ()),
    "aws:kms/alias:Alias": ("kms", "CreateAlias", ()),
    "aws:iam/role:Role": ("iam", "CreateRole", ()),
    "aws:iam/rolePolicy:RolePolicy": ("iam", "PutRolePolicy", ()),
    "aws:iam/policy:Policy": ("iam", "CreatePolicy", ()),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("iam", "CreateOpenIDConnectProvider", ()),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "CreateLogGroup", ()),
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": (
        "logs", "PutSubscriptionFilter", ()
    ),
    "aws:s3/bucket:Bucket": ("s3", "CreateBucket", ()),
    "aws:s3/bucketVersioning:BucketVersioning": ("s3", "PutBucketVersioning", ()),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": (
        "s3", "PutObjectLockConfiguration", ("ObjectLockConfiguration",)
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "s3", "PutBucketEncryption", ("ServerSideEncryptionConfiguration",)
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        "s3", "PutBucketOwnershipControls", ("OwnershipControls",)
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "s3", "PutPublicAccessBlock", ("PublicAccessBlockConfiguration",)
    ),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (
        "firehose", "CreateDeliveryStream", ()
    ),
}

# (Pulumi type, top-level argument) -> the API member path (from the operation's input shape)
# it is sent as, where the provider renamed it (pulumi-aws docs of each resource).
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("aws:eks/cluster:Cluster", "enabledClusterLogTypes"): ("logging", "clusterLogging", "types"),
    ("aws:eks/cluster:Cluster", "vpcConfig"): ("resourcesVpcConfig",),
    ("aws:eks/nodeGroup:NodeGroup", "nodeRoleArn"): ("nodeRole",),
    ("aws:eks/nodeGroup:NodeGroup", "subnetIds"): ("subnets",),
    ("aws:eks/addon:Addon", "resolveConflictsOnCreate"): ("resolveConflicts",),
    ("aws:ec2/launchTemplate:LaunchTemplate", "name"): ("LaunchTemplateName",),
    ("aws:ec2/launchTemplate:LaunchTemplate", "description"): ("VersionDescription",),
    ("aws:ec2/securityGroup:SecurityGroup", "name"): ("GroupName",),
    ("aws:kms/alias:Alias", "name"): ("AliasName",),
    ("aws:iam/role:Role", "name"): ("RoleName",),
    ("aws:iam/rolePolicy:RolePolicy", "name"): ("PolicyName",),
    ("aws:iam/rolePolicy:RolePolicy", "role"): ("RoleName",),
    ("aws:iam/policy:Policy", "name"): ("PolicyName",),
    ("aws:cloudwatch/logGroup:LogGroup", "name"): ("logGroupName",),
    ("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "name"): ("filterName",),
    ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "rule"): (
        "OwnershipControls", "Rules"
    ),
    ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "name"): ("DeliveryStreamName",),
    ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "extendedS3Configuration"): (
        "ExtendedS3DestinationConfiguration",
    ),
}


def handles(resource: PlanResource) -> bool:
    return resource.type in OPERATIONS


@cache
def botocore_session():
    """One botocore session per process (each new one re-reads its data files)."""
    import botocore.session  # boto3's dependency; imported only when an AWS type is present

    return botocore.session.get_session()


@cache
def service_model(service: str):
    return botocore_session().get_service_model(service)


@cache
def input_shape(service: str, operation: str):
    return service_model(service).operation_model(operation).input_shape


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # a Java-only construct: the pattern is not checked (never a guess)


@cache
def source(service: str, operation: str) -> str:
    return f"botocore {dist_version('botocore')} {service} {operation}"


def _member(shape, name: str):
    """The member of a structure matching `name` case-insensitively, if any."""
    members = shape.members
    if name in members:
        return name, members[name]
    lowered = {k.lower(): k for k in members}
    key = lowered.get(name.lower())
    return (key, members[key]) if key else (None, None)


def _at(shape, path: tuple[str, ...]):
    for name in path:
        while shape is not None and shape.type_name == "list":
            shape = shape.member
        if shape is None or shape.type_name != "structure":
            return None
        _, shape = _member(shape, name)
    return shape


def check(resource: PlanResource) -> Iterator[Finding]:
    service, operation, root_path = OPERATIONS[resource.type]
    top = input_shape(service, operation)
    root = _at(top, root_path)
    where = source(service, operation)
    for key, value in resource.inputs.items():
        alias = ALIASES.get((resource.type, key))
        shape = _at(top, alias) if alias else _at(root, (key,))
        if shape is not None:
            yield from _walk(resource.urn, value, shape, key, where)


def _walk(urn: str, value: Any, shape, path: str, where: str) -> Iterator[Finding]:
    if value is None or opaque(value):
        return
    kind = shape.type_name
    if kind == "list":
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            yield from _walk(urn, item, shape.member, join(path, i) if isinstance(value, list)
                             else path, where)
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(urn, key, shape.key, join(path, key), where)
            yield from _walk(urn, item, shape.value, join(path, key), where)
    elif kind == "structure" and isinstance(value, dict):
        for key, item in value.items():
            _, member = _member(shape, key)
            if member is not None:
                yield from _walk(urn, item, member, join(path, key), where)
    elif kind == "string" and isinstance(value, str):
        yield from _string(urn, value, shape, path, where)
    elif kind in ("integer", "long") and isinstance(value, int | float) and not isinstance(
        value, bool
    ):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            yield Finding(urn, path, show(value),
                          f"{shape.name}: an integer in [{low}, {high}]", where, "aws-model")


def _string(urn: str, value: str, shape, path: str, where: str) -> Iterator[Finding]:
    enum = shape.enum
    if enum and value not in enum:
        listed = ", ".join(enum[:25]) + (f", … ({len(enum)} values)" if len(enum) > 25 else "")
        yield Finding(urn, path, show(value), f"{shape.name}: one of {listed}", where, "aws-model")
        return
    meta = shape.metadata
    low, high = meta.get("min"), meta.get("max")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        yield Finding(urn, path, show(value),
                      f"{shape.name}: {low or 0} to {high or '∞'} characters", where, "aws-model")
        return
    pattern = _pattern(meta["pattern"]) if "pattern" in meta else None
    # Smithy patterns are not anchored: the value must contain a match
    # (https://smithy.io/2.0/spec/constraint-traits.html#pattern-trait).
    if pattern is not None and not pattern.search(value):
        yield Finding(urn, path, show(value), f"{shape.name}: matching {meta['pattern']}",
                      where, "aws-model")
