"""Trusted boot is Secure Boot: every pool's AMI carries NitroTPM, UEFI boot and enrolled keys.

UEFI boot + TPM alone is not Secure Boot: the AMI's UEFI variable store (uefiData) must hold the
Secure Boot keys, and `uefi-preferred` may boot legacy BIOS. Every image is asserted at deploy
time (an invoke, so `pulumi preview` already fails) with an error naming the config key.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from zero_trust_clusters.components.aws import ami
from zero_trust_clusters.components.aws.cloud import AwsNodeImages, AwsSettings
from zero_trust_clusters.components.spec import SpecError, cluster_key, load_spec
from zero_trust_clusters.engine.fakes.aws import (
    ARM_TRUSTED_AMI,
    NO_SECURE_BOOT_AMI,
    NON_TPM_AMI,
    TRUSTED_AMI,
    UEFI_PREFERRED_AMI,
)
from zero_trust_clusters.engine.runner import ProgramError

LT = "aws:ec2/launchTemplate:LaunchTemplate"


def _with_images(cluster, **settings):
    return cluster.model_copy(update={"settings": AwsSettings(**settings)})


def _failure(eks_run, spec, cluster, index) -> str:
    with pytest.raises((ProgramError, SpecError)) as failure:
        eks_run(spec, cluster, index)
    return str(failure.value)


def test_the_stacks_run_their_own_trusted_image_per_pool(dev):
    images = {pool: dev.inputs(LT, f"dev-aws-{pool}")["imageId"]
              for pool in ("system", "general", "sandbox")}
    assert images == {"system": "ami-0b07e5ec0000d0e01", "general": "ami-0b07e5ec0000d0e01",
                      "sandbox": "ami-0a1202300000d0e02"}


def test_an_ami_without_nitrotpm_or_uefi_fails_naming_its_key(dev_spec, eks_run, aws_clusters):
    index, cluster = aws_clusters(dev_spec)
    images = cluster.settings.ami_ids.model_copy(update={"general": NON_TPM_AMI})
    message = _failure(eks_run, dev_spec, _with_images(cluster, ami_ids=images), index)
    assert cluster_key(cluster.name, index, "aws", "amiIds", "general") in message
    assert NON_TPM_AMI in message
    assert "tpmSupport=unset (needs v2.0)" in message
    assert "bootMode=legacy-bios" in message
    assert "--tpm-support v2.0 --boot-mode uefi --uefi-data" in message  # says what to change


def test_the_older_ami_id_key_is_named_when_it_chose_the_image(dev_spec, eks_run, aws_clusters):
    index, cluster = aws_clusters(dev_spec)
    images = cluster.settings.ami_ids.model_copy(update={"system": None, "general": None})
    message = _failure(eks_run, dev_spec,
                       _with_images(cluster, ami_id=NON_TPM_AMI, ami_ids=images), index)
    assert cluster_key(cluster.name, index, "aws", "amiId") + ":" in message


def test_uefi_and_tpm_without_secure_boot_keys_is_refused(dev_spec, eks_run, aws_clusters,
                                                          monkeypatch):
    """getAmi never fills uefiData (provider bug), so the image's variable store is read with
    DescribeImageAttribute; an AMI without enrolled keys boots with Secure Boot off."""
    asked = []
    monkeypatch.setattr(ami, "read_uefi_data",
                        lambda region, role, image: asked.append((region, role, image)))
    index, cluster = aws_clusters(dev_spec)
    images = cluster.settings.ami_ids.model_copy(update={"sandbox": NO_SECURE_BOOT_AMI})
    message = _failure(eks_run, dev_spec, _with_images(cluster, ami_ids=images), index)
    assert cluster_key(cluster.name, index, "aws", "amiIds", "sandbox") in message
    assert f"{NO_SECURE_BOOT_AMI} (custom-uefi-tpm-no-keys) has no uefiData" in message
    assert asked == [("eu-west-1", None, NO_SECURE_BOOT_AMI)]


def test_keys_read_through_describe_image_attribute_are_accepted(dev_spec, eks_run, aws_clusters,
                                                                 monkeypatch):
    monkeypatch.setattr(ami, "read_uefi_data", lambda region, role, image: "QU1aTlVFRkk=")
    index, cluster = aws_clusters(dev_spec)
    images = cluster.settings.ami_ids.model_copy(update={"sandbox": NO_SECURE_BOOT_AMI})
    graph = eks_run(dev_spec, _with_images(cluster, ami_ids=images), index)
    sandbox = next(r for r in graph.of_type(LT) if r.name == "dev-aws-sandbox")
    assert sandbox.inputs["imageId"] == NO_SECURE_BOOT_AMI


def test_uefi_preferred_is_refused(dev_spec, eks_run, aws_clusters):
    """AWS: a uefi-preferred AMI boots legacy BIOS on an instance type without UEFI, with UEFI
    features (Secure Boot) disabled; rely on them only with bootMode uefi."""
    index, cluster = aws_clusters(dev_spec)
    images = cluster.settings.ami_ids.model_copy(update={"system": UEFI_PREFERRED_AMI})
    message = _failure(eks_run, dev_spec, _with_images(cluster, ami_ids=images), index)
    assert "bootMode=uefi-preferred (needs uefi" in message
    assert cluster_key(cluster.name, index, "aws", "amiIds", "system") in message


def test_an_image_of_the_wrong_architecture_is_refused(dev_spec, eks_run, aws_clusters):
    index, cluster = aws_clusters(dev_spec)
    images = cluster.settings.ami_ids.model_copy(update={"general": ARM_TRUSTED_AMI})
    message = _failure(eks_run, dev_spec, _with_images(cluster, ami_ids=images), index)
    assert "architecture=arm64 (the pool's instances are x86_64)" in message


def test_eks_published_images_do_not_qualify(dev_spec, eks_run, aws_clusters):
    """Without amiIds the newest EKS image is looked up and must pass the same checks; as AWS
    publishes them (no NitroTPM), none does, and the error says which key to set."""
    index, cluster = aws_clusters(dev_spec)
    message = _failure(eks_run, dev_spec, cluster.model_copy(update={"settings": None}), index)
    assert "tpmSupport=unset (needs v2.0)" in message
    assert any(cluster_key(cluster.name, index, "aws", "amiIds", pool) in message
               for pool in ("system", "general", "sandbox"))


def test_one_pool_can_take_another_trusted_image(dev_spec, eks_run, aws_clusters):
    index, cluster = aws_clusters(dev_spec)
    images = cluster.settings.ami_ids.model_copy(update={"general": TRUSTED_AMI})
    graph = eks_run(dev_spec, _with_images(cluster, ami_ids=images), index)
    used = {r.name: r.inputs["imageId"] for r in graph.of_type(LT)}
    assert used == {"dev-aws-system": "ami-0b07e5ec0000d0e01", "dev-aws-general": TRUSTED_AMI,
                    "dev-aws-sandbox": "ami-0a1202300000d0e02"}


def test_image_for_prefers_the_pool_key_and_keeps_the_older_ami_id():
    settings = AwsSettings(ami_id=TRUSTED_AMI, ami_ids=AwsNodeImages(general=ARM_TRUSTED_AMI))
    assert settings.image_for("system") == TRUSTED_AMI
    assert settings.image_for("general") == ARM_TRUSTED_AMI
    assert settings.image_for("sandbox") is None  # amiId never served the gVisor pool
    assert AwsSettings().image_for("system") is None


def test_ami_ids_parse_from_camel_case_config(dev_spec):
    raw = dev_spec.model_dump(by_alias=True, mode="json")
    raw["clusters"][0]["aws"] = {"amiIds": {"sandbox": TRUSTED_AMI, "system": "ami-12345678"}}
    spec = load_spec(raw)
    assert spec.clusters[0].settings.ami_ids == AwsNodeImages(system="ami-12345678",
                                                         sandbox=TRUSTED_AMI)
    raw["clusters"][0]["aws"] = {"amiIds": {"gpu": TRUSTED_AMI}}
    with pytest.raises(SpecError) as failure:
        load_spec(raw)
    assert "zero-trust-clusters:clusters[0].aws.amiIds.gpu" in str(failure.value)


def test_describe_uefi_data_asks_ec2_for_the_uefi_variable_store(monkeypatch):
    client = boto3.client("ec2", region_name="eu-west-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("describe_image_attribute",
                      {"ImageId": TRUSTED_AMI, "UefiData": {"Value": "QU1aTlVFRkk="}},
                      {"ImageId": TRUSTED_AMI, "Attribute": "uefiData"})
    stub.add_response("describe_image_attribute", {"ImageId": TRUSTED_AMI},
                      {"ImageId": TRUSTED_AMI, "Attribute": "uefiData"})
    sessions = []

    class Session:
        def client(self, service):
            assert service == "ec2"
            return client

    def session(region, role):
        sessions.append((region, role))
        return Session()

    monkeypatch.setattr(ami, "_session", session)
    with stub:
        assert ami.describe_uefi_data("eu-west-1", "arn:aws:iam::1:role/r", TRUSTED_AMI) == \
            "QU1aTlVFRkk="
        assert ami.describe_uefi_data("eu-west-1", None, TRUSTED_AMI) is None
    assert sessions == [("eu-west-1", "arn:aws:iam::1:role/r"), ("eu-west-1", None)]
