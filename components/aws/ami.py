"""Node images with a hardware root of trust: UEFI (Secure Boot) + NitroTPM, asserted.

Neither the launch template nor the node group has a TPM or Secure Boot switch: both are
attributes of the AMI (`tpmSupport`, `bootMode`, `uefiData`). EC2's DescribeImages can filter
on `boot-mode` but has no `tpm-support` filter, so the lookup narrows by name, architecture
and boot mode and the TPM attribute is asserted on the result. Invokes answer at run time,
so a failed assertion surfaces as a failed preview/update carrying the message below.
"""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws

from components.aws.context import AwsContext
from components.spec import SpecError

ImageFamily = Literal["bottlerocket", "al2023"]
# `uefi-preferred` boots under UEFI on every Nitro type (Bottlerocket registers its AMIs so).
UEFI_BOOT_MODES = ("uefi", "uefi-preferred")
REQUIRED_TPM = "v2.0"


def image_name_pattern(family: ImageFamily, kubernetes_version: str, arch: str) -> str:
    if family == "bottlerocket":
        return f"bottlerocket-aws-k8s-{kubernetes_version}-{arch}-v*"
    return f"amazon-eks-node-al2023-{arch}-standard-{kubernetes_version}-v*"


def trusted_boot_problem(image: aws.ec2.GetAmiResult) -> str | None:
    missing = []
    if image.tpm_support != REQUIRED_TPM:
        missing.append(f"tpmSupport={image.tpm_support or 'unset'} (needs {REQUIRED_TPM})")
    if image.boot_mode not in UEFI_BOOT_MODES:
        missing.append(f"bootMode={image.boot_mode or 'unset'} (needs uefi or uefi-preferred)")
    if not missing:
        return None
    return (f"{image.image_id} ({image.name}) cannot give a TPM root of trust: "
            + ", ".join(missing))


def _assert_trusted(image: aws.ec2.GetAmiResult, key: str, fix: str) -> str:
    problem = trusted_boot_problem(image)
    if problem:
        raise SpecError([f"{key}: {problem}; {fix}"])
    return image.image_id


def trusted_image(ctx: AwsContext, family: ImageFamily, arch: str, pool: str) -> pulumi.Output[str]:
    """The image id for a pool, verified to carry NitroTPM v2.0 and UEFI boot."""
    custom = ctx.spec.aws.ami_id if ctx.spec.aws else None
    if custom and family == "bottlerocket":
        image = aws.ec2.get_ami_output(
            filters=[aws.ec2.GetAmiFilterArgs(name="image-id", values=[custom])],
            include_deprecated=True,
            region=ctx.region,
            opts=ctx.invoke_opts(),
        )
        key = f"{ctx.config_key}.aws.amiId"
        fix = ("register the image with --tpm-support v2.0 --boot-mode uefi and its --uefi-data "
               "(Secure Boot keys), or remove amiId to use the Bottlerocket EKS AMI")
    else:
        image = aws.ec2.get_ami_output(
            owners=["amazon"],
            most_recent=True,
            filters=[
                aws.ec2.GetAmiFilterArgs(
                    name="name",
                    values=[image_name_pattern(family, ctx.posture.kubernetes_version, arch)]),
                aws.ec2.GetAmiFilterArgs(name="architecture", values=[arch]),
                aws.ec2.GetAmiFilterArgs(name="boot-mode", values=list(UEFI_BOOT_MODES)),
                aws.ec2.GetAmiFilterArgs(name="virtualization-type", values=["hvm"]),
                aws.ec2.GetAmiFilterArgs(name="state", values=["available"]),
            ],
            region=ctx.region,
            opts=ctx.invoke_opts(),
        )
        key = f"{ctx.config_key}.nodePools.{pool}"
        fix = (f"set {ctx.config_key}.aws.amiId to a copy of the image registered with "
               "--tpm-support v2.0 --boot-mode uefi" if family == "bottlerocket" else
               "the gVisor pool needs an AL2023 EKS AMI with NitroTPM; wait for one or build it")
    return image.apply(lambda result: _assert_trusted(result, key, fix))
