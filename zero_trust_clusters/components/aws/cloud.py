"""AWS in the cloud registry (zero_trust_clusters/components/clouds.py): EKS. Imports no provider SDK."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, Field

from zero_trust_clusters.components.aws.userdata import RUNSC_HANDLER
from zero_trust_clusters.components.clouds import CloudEntry, lazy_check
from zero_trust_clusters.components.cluster import SandboxPlacement, Toleration
from zero_trust_clusters.components.spec import (
    AWS_ROLE_ARN,
    ClusterSpec,
    EstateSpec,
    SpecModel,
    cluster_key,
    config_key,
    match_pattern,
)

AmiId = Annotated[str, Field(pattern=r"^ami-[0-9a-f]{8,17}$")]


class AwsNodeImages(SpecModel):
    """One trusted AMI per node pool (system/general: Bottlerocket, sandbox: AL2023 + nodeadm)."""

    system: AmiId | None = None
    general: AmiId | None = None
    sandbox: AmiId | None = None


# An EKS add-on version as DescribeAddonVersions lists it (v1.20.1-eksbuild.3).
AddonVersion = Annotated[str, Field(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]


class AwsAddonVersions(SpecModel):
    """Explicit EKS add-on versions. An add-on without one is created at the version EKS
    offers (vpc-cni: the newest, checked; the others: EKS's default for the cluster's
    Kubernetes version) and then left where it is: an ordinary `pulumi up` never moves it
    (zero_trust_clusters/components/aws/addons.py). Set one to move it, e.g. with a Kubernetes upgrade; list the
    published ones with `aws eks describe-addon-versions --addon-name <name>
    --kubernetes-version <v>`."""

    vpc_cni: AddonVersion | None = None
    coredns: AddonVersion | None = None
    kube_proxy: AddonVersion | None = None
    pod_identity_agent: AddonVersion | None = None

    def get(self, addon: str) -> str | None:
        field = {"vpc-cni": "vpc_cni", "coredns": "coredns", "kube-proxy": "kube_proxy",
                 "eks-pod-identity-agent": "pod_identity_agent"}[addon]
        return getattr(self, field)
# EKS: "at least two subnets that are in different Availability Zones"
# (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html); the zones of brought
# subnets are not known to the program, so EKS itself refuses one-zone subnets at create.
MIN_SUBNETS = 2
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")


def byo_problems(vpc_id: str, node_ids: Sequence[str], pod_ids: Sequence[str],
                 where: str) -> list[str]:
    """What is wrong with concrete brought-network IDs; `where` names the key or argument."""
    problems = []
    if not isinstance(vpc_id, str) or not VPC_ID.fullmatch(vpc_id):
        problems.append(f"{where}.vpcId: {vpc_id!r} is not a VPC id (vpc-0123456789abcdef0)")
    for key, ids in (("nodeSubnetIds", node_ids), ("podSubnetIds", pod_ids)):
        if len(ids) < MIN_SUBNETS:
            problems.append(f"{where}.{key}: lists {len(ids)} subnet(s); EKS needs subnets in "
                            f"at least {MIN_SUBNETS} availability zones, list at least "
                            f"{MIN_SUBNETS}")
        for i, subnet in enumerate(ids):
            if not isinstance(subnet, str) or not SUBNET_ID.fullmatch(subnet):
                problems.append(f"{where}.{key}[{i}]: {subnet!r} is not a subnet id "
                                "(subnet-0123456789abcdef0)")
        dupes = sorted({s for s in ids if list(ids).count(s) > 1})
        if dupes:
            problems.append(f"{where}.{key}: {dupes[0]} is listed twice; list each subnet once")
    both = sorted(set(node_ids) & set(pod_ids))
    if both:
        problems.append(f"{where}.podSubnetIds: {both[0]} is also a node subnet; pods get "
                        "their own subnets (podCidr), never the nodes'")
    return problems


class AwsNetworkSettings(SpecModel):
    """`aws.network`: build the cluster in an existing VPC instead of creating one (see
    zero_trust_clusters/components/aws/network.py `EksNetworkArgs`, which these values become). `nodeCidr` is then
    the VPC's range and `podCidr` the pod subnets' range (the stack's overlap checks use them).
    """

    vpc_id: str
    """The VPC (vpc-...)."""
    node_subnet_ids: list[str]
    """Private node subnets (subnet-...), in at least two availability zones."""
    pod_subnet_ids: list[str]
    """Subnets pod IPs come from (subnet-...)."""


# A KMS key ARN: arn:<partition>:kms:<region>:<account>:key/<key id>, the id a UUID or, for a
# multi-Region key, mrk- and 32 hex digits
# (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-ARN). Aliases
# are refused: a launch template's kmsKeyId and the pack's reference checks need the key itself.
KMS_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:(?P<region>[a-z]{2}(-[a-z]+)+-\d):\d{12}:key/"
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
# `aws.keys` / `EksKeysArgs` fields, as the config spells them.
KEY_FIELDS = ("secretsKeyArn", "disksKeyArn")


def kms_key_problem(value: object, region: str) -> str | None:
    """Why `value` cannot be a brought key of a cluster in `region`, or None. EKS: "The KMS key
    must be symmetric and created in the same AWS Region as the cluster"
    (https://docs.aws.amazon.com/eks/latest/APIReference/API_Provider.html); EBS volumes take a
    key of their own Region too. Symmetry is the key's and cannot be read here (EKS refuses an
    asymmetric key at create)."""
    found = KMS_KEY_ARN.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        return (f"{value!r} is not a KMS key ARN "
                "(arn:aws:kms:<region>:<account>:key/<key id>; not an alias)")
    if found["region"] != region:
        return f"is a key in {found['region']}, the cluster in {region}; use a key of {region}"
    return None


class AwsKeysSettings(SpecModel):
    """`aws.keys`: existing KMS keys instead of the cluster's own (see
    zero_trust_clusters/components/aws/kms.py `EksKeysArgs`, which these values become)."""

    secrets_key_arn: str
    """The Kubernetes Secrets envelope key (symmetric, in the cluster's Region)."""
    disks_key_arn: str
    """The node EBS volumes' key (symmetric, in the cluster's Region)."""


class AwsSettings(SpecModel):
    # Role to assume for this cluster's account; ambient credentials are used when absent.
    account_role_arn: (
        Annotated[str, AfterValidator(match_pattern(AWS_ROLE_ARN, "an IAM role ARN"))] | None
    ) = None
    # Every image must carry tpm-support v2.0, boot-mode uefi and UEFI Secure Boot keys
    # (uefi-data); checked at deploy. `amiId` (older form) serves the system and general pools;
    # `amiIds.<pool>` wins over it.
    ami_id: AmiId | None = None
    ami_ids: AwsNodeImages | None = None
    # One trusted AMI per user pool (`clusters[i].pools.<name>`), by pool name: a GPU pool's is
    # registered from Bottlerocket's NVIDIA variant (zero_trust_clusters/components/aws/README.md, "User pools").
    pool_ami_ids: dict[str, AmiId] = Field(default_factory=dict)
    addon_versions: AwsAddonVersions = AwsAddonVersions()
    # An existing VPC and subnets; absent: the cluster creates its own VPC (the default).
    network: AwsNetworkSettings | None = None
    # Existing KMS keys; absent: the cluster creates its own keys (the default).
    keys: AwsKeysSettings | None = None

    def image_for(self, pool: str) -> str | None:
        """The configured AMI of a pool, or None (then the EKS-published image is looked up)."""
        if pool not in ("system", "general", "sandbox"):
            return self.pool_ami_ids.get(pool)
        chosen = getattr(self.ami_ids, pool) if self.ami_ids else None
        if chosen is None and pool in ("system", "general"):
            chosen = self.ami_id
        return chosen


# EKS has no managed VM sandbox: the sandbox node group installs gVisor (`runsc`) and carries
# our own label and taint (zero_trust_clusters/components/aws/pools.py, userdata.py).
SANDBOX_LABEL = "sandbox.ztc.io/runtime"
SANDBOX_VALUE = "gvisor"
SANDBOX = SandboxPlacement(
    handler=RUNSC_HANDLER,
    node_selector={SANDBOX_LABEL: SANDBOX_VALUE},
    tolerations=(Toleration(key=SANDBOX_LABEL, value=SANDBOX_VALUE),),
)




def _network_checks(cluster: ClusterSpec, index: int | None) -> list[str]:
    """`aws.network`: the IDs' shape, before anything is registered."""
    network = cluster.settings.network if cluster.settings else None
    if network is None:
        return []
    return byo_problems(network.vpc_id, network.node_subnet_ids, network.pod_subnet_ids,
                        cluster_key(cluster.name, index, "aws", "network"))


def _key_checks(cluster: ClusterSpec, index: int | None) -> list[str]:
    """`aws.keys`: KMS key ARNs of the cluster's Region, before anything is registered."""
    keys = cluster.settings.keys if cluster.settings else None
    if keys is None:
        return []
    where = cluster_key(cluster.name, index, "aws", "keys")
    values = keys.model_dump(by_alias=True)
    return [f"{where}.{field}: {problem}" for field in KEY_FIELDS
            if (problem := kms_key_problem(values[field], cluster.region))]


def _admins_have_roles(spec: EstateSpec) -> list[str]:
    if spec.posture.groups.admins.aws_role_arns:
        return []
    return [(f"{config_key('posture', 'groups', 'admins', 'awsRoleArns')}: required because the "
            "stack has an aws cluster (EKS bootstrap admin rights are off); list at least one "
            "IAM role ARN")]


ENTRY = CloudEntry(
    name="aws",
    title="EKS",
    provider_package="aws",
    component_type="ztc:aws:EksCluster",
    settings=AwsSettings,
    settings_required=False,
    sandbox=SANDBOX,
    # EKS access entries map the group's IAM roles to its Kubernetes group.
    group_identity=lambda group: group.kubernetes_group,
    group_identity_key="kubernetesGroup",
    component="zero_trust_clusters.components.aws.component:EksCluster",
    checks=(lazy_check("zero_trust_clusters.components.aws.validation:cluster_problems"),
            lazy_check("zero_trust_clusters.components.aws.known:problems"), _network_checks,
            _key_checks),
    estate_checks=(_admins_have_roles,),
    fakes_module="zero_trust_clusters.engine.fakes.aws",
    exec_plugin="aws",
)
