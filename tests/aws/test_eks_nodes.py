"""Launch templates and node groups: metadata, network, disks, image, SSH, sandbox pool."""

from __future__ import annotations

import base64
import json
import tomllib

import pytest

LT = "aws:ec2/launchTemplate:LaunchTemplate"
NG = "aws:eks/nodeGroup:NodeGroup"
POOLS = ("system", "general", "sandbox")


def user_data(dev, pool: str) -> str:
    return base64.b64decode(dev.inputs(LT, f"dev-aws-{pool}")["userData"]).decode()


@pytest.mark.parametrize("pool", POOLS)
def test_imdsv2_required_with_hop_limit_one(dev, pool):
    metadata = dev.inputs(LT, f"dev-aws-{pool}")["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpPutResponseHopLimit"] == 1
    assert metadata["httpEndpoint"] == "enabled"


@pytest.mark.parametrize("pool", POOLS)
def test_no_public_ip_and_only_the_node_security_group(dev, pool):
    template = dev.inputs(LT, f"dev-aws-{pool}")
    node_sg = dev.resource("aws:ec2/securityGroup:SecurityGroup", "dev-aws-node-sg").id
    assert template["networkInterfaces"] == [{
        "deviceIndex": 0, "associatePublicIpAddress": "false", "deleteOnTermination": "true",
        "securityGroups": [node_sg],
    }]
    assert "vpcSecurityGroupIds" not in template


@pytest.mark.parametrize("pool", POOLS)
def test_every_volume_encrypted_with_the_disk_key(dev, pool):
    template = dev.inputs(LT, f"dev-aws-{pool}")
    disk_key = dev.resource("aws:kms/key:Key", "dev-aws-disks").outputs["arn"]
    volumes = template["blockDeviceMappings"]
    assert volumes, "no block device mappings"
    for volume in volumes:
        assert volume["ebs"]["encrypted"] == "true"  # a string in the launch-template schema
        assert volume["ebs"]["kmsKeyId"] == disk_key
    data = volumes[-1]["ebs"]
    assert data["volumeSize"] == 50 and data["volumeType"] == "gp3"


def test_disk_key_lets_only_auto_scaling_use_it(dev):
    policy = json.loads(dev.inputs("aws:kms/key:Key", "dev-aws-disks")["policy"])
    users = {s["Sid"]: s for s in policy["Statement"]}
    asg = ("arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/"
           "AWSServiceRoleForAutoScaling")
    assert users["AutoScalingUses"]["Principal"] == {"AWS": asg}
    assert users["AutoScalingGrants"]["Condition"]["Bool"]["kms:GrantIsForAWSResource"] == "true"


@pytest.mark.parametrize("pool", POOLS)
def test_node_groups_custom_trusted_image_no_ssh(dev, pool):
    group = dev.inputs(NG, f"dev-aws-{pool}")
    template = dev.resource(LT, f"dev-aws-{pool}")
    assert "remoteAccess" not in group
    assert "keyName" not in template.inputs
    assert group["amiType"] == "CUSTOM"
    assert group["launchTemplate"] == {"id": template.id, "version": "1"}
    assert group["nodeRoleArn"] == "arn:aws:iam::111122223333:role/ztc-dev-aws-node"
    private = {r.id for r in dev.graph.of_type("aws:ec2/subnet:Subnet") if "-private-" in r.name}
    assert set(group["subnetIds"]) == private
    assert group["nodeRepairConfig"] == {"enabled": True}
    # The image is the one the TPM/UEFI assertion passed (fake AMI ids start with ami-0).
    assert template.inputs["imageId"].startswith("ami-0")
    assert template.inputs["instanceType"] == ("m7i.large" if pool == "system" else "m7i.xlarge")


def test_system_and_general_pools_run_bottlerocket_without_host_access(dev, dev_graph):
    for pool in ("system", "general"):
        settings = tomllib.loads(user_data(dev, pool))["settings"]
        kubernetes = settings["kubernetes"]
        assert kubernetes["cluster-name"] == "dev-aws"
        assert kubernetes["api-server"] == dev_graph.exports["endpoint"]
        assert kubernetes["cluster-certificate"] == dev_graph.exports["certificateAuthority"]
        assert kubernetes["cluster-dns-ip"] == "10.11.0.10"
        assert kubernetes["max-pods"] == 110  # matches the CNI's prefix delegation
        assert kubernetes["node-labels"] == {"ztc.io/pool": pool}
        assert "node-taints" not in kubernetes
        assert settings["host-containers"] == {"admin": {"enabled": False},
                                               "control": {"enabled": False}}
        assert settings["kernel"] == {"lockdown": "integrity"}
        assert "bottlerocket" in dev.inputs(LT, f"dev-aws-{pool}")["description"]


def test_sandbox_pool_label_and_noschedule_taint_match_the_placement(dev, dev_graph):
    group = dev.inputs(NG, "dev-aws-sandbox")
    assert group["labels"]["sandbox.ztc.io/runtime"] == "gvisor"
    assert group["taints"] == [{"key": "sandbox.ztc.io/runtime", "value": "gvisor",
                                "effect": "NO_SCHEDULE"}]
    for pool in ("system", "general"):
        other = dev.inputs(NG, f"dev-aws-{pool}")
        assert "taints" not in other
        assert "sandbox.ztc.io/runtime" not in other["labels"]


def test_sandbox_user_data_registers_runsc_and_installs_gvisor(dev):
    document = user_data(dev, "sandbox")
    assert document.startswith("MIME-Version: 1.0\nContent-Type: multipart/mixed;")
    parts = document.split("--==ZTC-BOUNDARY==")
    node_config = json.loads(parts[1].split("\n\n", 1)[1])
    assert node_config["kind"] == "NodeConfig"
    cluster = node_config["spec"]["cluster"]
    assert cluster["name"] == "dev-aws" and cluster["cidr"] == "10.11.0.0/16"
    assert cluster["apiServerEndpoint"].endswith(".gr7.eu-west-1.eks.amazonaws.com")
    containerd = tomllib.loads(node_config["spec"]["containerd"]["config"])
    runtimes = containerd["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]
    assert runtimes["runsc"]["runtime_type"] == "io.containerd.runsc.v1"  # handler `runsc`
    assert runtimes["runsc"]["options"]["ConfigPath"] == "/etc/containerd/runsc.toml"
    assert node_config["spec"]["kubelet"]["config"] == {"maxPods": 110}
    flags = node_config["spec"]["kubelet"]["flags"]
    assert "--register-with-taints=sandbox.ztc.io/runtime=gvisor:NoSchedule" in flags
    assert any(f.startswith("--node-labels=") and "sandbox.ztc.io/runtime=gvisor" in f
               for f in flags)
    script = parts[2]
    assert "Content-Type: text/x-shellscript" in script
    assert "sha512sum --check" in script
    assert "/usr/local/bin/${binary}" in script and "containerd-shim-runsc-v1" in script
    assert "al2023" in dev.inputs(LT, "dev-aws-sandbox")["description"]


def test_node_role_is_minimal(dev):
    attached = sorted(a["policyArn"].rsplit("/", 1)[1] for a in dev.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a["role"] == "ztc-dev-aws-node")
    assert attached == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodeMinimalPolicy"]
    inline = [p for p in dev.of_type("aws:iam/rolePolicy:RolePolicy")
              if p["role"] == "ztc-dev-aws-node"]
    assert inline == []
