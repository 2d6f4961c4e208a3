"""Node images with a hardware root of trust: UEFI Secure Boot + NitroTPM, asserted per pool.

Neither the launch template nor the node group has a TPM or Secure Boot switch: both are
attributes the AMI was registered with, and none can be changed later
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/enable-nitrotpm-support-on-ami.html):
- `tpmSupport == "v2.0"`: NitroTPM (measured boot);
- `bootMode == "uefi"`: `uefi-preferred` falls back to legacy BIOS on an instance type without
  UEFI and then runs with UEFI features, Secure Boot included, disabled; AWS says to use `uefi`
  when relying on them (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-boot.html);
- non-empty `uefiData`: UEFI boot alone is not Secure Boot; the AMI's UEFI variable store must
  hold enrolled Secure Boot keys, or the instance starts in setup mode with Secure Boot off
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/uefi-secure-boot.html).

The lookup is an invoke, so a failed assertion stops `pulumi preview`/`up` with a keyed error.
pulumi-aws's getAmi documents `uefiData`, but the provider fills it by calling
GetInstanceUefiData with the AMI id and drops the error, so it is always empty
(hashicorp/terraform-provider-aws#47508); an empty value is therefore read again with EC2
DescribeImageAttribute(uefiData) through the cluster's region and account role.
"""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws

from zero_trust_clusters.components.aws.context import AwsContext
from zero_trust_clusters.components.aws.validation import image_key
from zero_trust_clusters.components.spec import SpecError

# bottlerocket-nvidia: the aws-k8s-<v>-nvidia variant, NVIDIA driver and device plugin built in
# (the image EKS's amiType BOTTLEROCKET_x86_64_NVIDIA / _ARM_64_NVIDIA runs:
# https://docs.aws.amazon.com/eks/latest/userguide/ml-eks-optimized-ami.html).
ImageFamily = Literal["bottlerocket", "bottlerocket-nvidia", "al2023"]
REQUIRED_TPM = "v2.0"
REQUIRED_BOOT_MODE = "uefi"
BUILD_DOC = "zero_trust_clusters/components/aws/README.md (Trusted boot)"

def _session(region: str, role_arn: str | None):
    """A boto3 session like the cluster's provider: its region, its account role assumed."""
    import boto3  # only the real preview/update needs it

    session = boto3.Session(region_name=region)
    if not role_arn:
        return session
    creds = session.client("sts").assume_role(
        RoleArn=role_arn, RoleSessionName="ztc-image-check")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=region)


def describe_uefi_data(region: str, role_arn: str | None, image_id: str) -> str | None:
    """EC2 DescribeImageAttribute(uefiData): the AMI's UEFI variable store, or None."""
    answer = _session(region, role_arn).client("ec2").describe_image_attribute(
        ImageId=image_id, Attribute="uefiData")
    return (answer.get("UefiData") or {}).get("Value") or None


def read_uefi_data(region: str, role_arn: str | None, image_id: str) -> str | None:
    """The fallback for an empty getAmi `uefiData` (replaced in tests; the offline engine's
    getAmi answers carry uefiData, so it never gets here)."""
    return describe_uefi_data(region, role_arn, image_id)


def image_name_pattern(family: ImageFamily, kubernetes_version: str, arch: str) -> str:
    if family == "bottlerocket":
        return f"bottlerocket-aws-k8s-{kubernetes_version}-{arch}-v*"
    if family == "bottlerocket-nvidia":
        return f"bottlerocket-aws-k8s-{kubernetes_version}-nvidia-{arch}-v*"
    return f"amazon-eks-node-al2023-{arch}-standard-{kubernetes_version}-v*"


def trusted_boot_problem(image: aws.ec2.GetAmiResult, arch: str) -> str | None:
    """What the image lacks for NitroTPM + UEFI boot on this pool (Secure Boot keys aside)."""
    missing = []
    if image.architecture and image.architecture != arch:
        missing.append(f"architecture={image.architecture} (the pool's instances are {arch})")
    if image.tpm_support != REQUIRED_TPM:
        missing.append(f"tpmSupport={image.tpm_support or 'unset'} (needs {REQUIRED_TPM})")
    if image.boot_mode != REQUIRED_BOOT_MODE:
        missing.append(f"bootMode={image.boot_mode or 'unset'} (needs {REQUIRED_BOOT_MODE}; "
                       "uefi-preferred may boot legacy BIOS)")
    if not missing:
        return None
    return f"{image.image_id} ({image.name}) " + ", ".join(missing)


def _assert_trusted(image: aws.ec2.GetAmiResult, *, arch: str, key: str, region: str,
                    role_arn: str | None) -> str:
    fix = ("register an image with --tpm-support v2.0 --boot-mode uefi --uefi-data "
           f"<Secure Boot variable store> and set {key} to it; see {BUILD_DOC}")
    problem = trusted_boot_problem(image, arch)
    if problem:
        raise SpecError([f"{key}: {problem}; {fix}"])
    uefi_data = image.uefi_data or read_uefi_data(region, role_arn, image.image_id)
    if not uefi_data:
        raise SpecError([(f"{key}: {image.image_id} ({image.name}) has no uefiData, so it "
                          f"boots without enrolled Secure Boot keys; {fix}")])
    return image.image_id


def trusted_image(ctx: AwsContext, family: ImageFamily, arch: str, pool: str) -> pulumi.Output[str]:
    """The image id for a pool, verified for NitroTPM v2.0, UEFI boot and Secure Boot keys."""
    configured = ctx.spec.settings.image_for(pool) if ctx.spec.settings else None
    if configured:
        image = aws.ec2.get_ami_output(
            filters=[aws.ec2.GetAmiFilterArgs(name="image-id", values=[configured])],
            include_deprecated=True,
            region=ctx.region,
            opts=ctx.invoke_opts(),
        )
    else:
        # No image configured: the newest EKS-published one, which must pass the same checks.
        image = aws.ec2.get_ami_output(
            owners=["amazon"],
            most_recent=True,
            filters=[
                aws.ec2.GetAmiFilterArgs(
                    name="name",
                    values=[image_name_pattern(family, ctx.kubernetes_version, arch)]),
                aws.ec2.GetAmiFilterArgs(name="architecture", values=[arch]),
                aws.ec2.GetAmiFilterArgs(name="virtualization-type", values=["hvm"]),
                aws.ec2.GetAmiFilterArgs(name="state", values=["available"]),
            ],
            region=ctx.region,
            opts=ctx.invoke_opts(),
        )
    key = image_key(ctx.spec, pool, ctx.config_key)
    role_arn = ctx.spec.settings.account_role_arn if ctx.spec.settings else None
    return image.apply(lambda result: _assert_trusted(result, arch=arch, key=key,
                                                      region=ctx.region, role_arn=role_arn))
