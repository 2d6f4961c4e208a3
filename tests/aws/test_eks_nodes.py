"""Launch templates and node groups: metadata, network, disks, image, SSH, sandbox pool."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from zero_trust_clusters.components.aws import userdata

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


def test_sandbox_pool_taint_on_the_group_label_only_from_a_verified_node(dev, dev_graph):
    """The NoSchedule taint is on the node group and set at registration; the label the sandbox
    RuntimeClass selects is not: only a node that verified gVisor advertises it (below)."""
    group = dev.inputs(NG, "dev-aws-sandbox")
    assert group["labels"] == {"ztc.io/pool": "sandbox"}
    assert group["taints"] == [{"key": "sandbox.ztc.io/runtime", "value": "gvisor",
                                "effect": "NO_SCHEDULE"}]
    for pool in ("system", "general"):
        other = dev.inputs(NG, f"dev-aws-{pool}")
        assert "taints" not in other
        assert other["labels"] == {"ztc.io/pool": pool}


def _sandbox_parts(dev) -> tuple[dict, str]:
    document = user_data(dev, "sandbox")
    assert document.startswith("MIME-Version: 1.0\nContent-Type: multipart/mixed;")
    parts = document.split("--==ZTC-BOUNDARY==")
    assert "Content-Type: application/node.eks.aws" in parts[1]
    assert 'Content-Type: text/x-shellscript; charset="us-ascii"' in parts[2]
    return json.loads(parts[1].split("\n\n", 1)[1]), parts[2].split("\n\n", 1)[1]


def test_sandbox_user_data_joins_tainted_without_runsc_or_the_sandbox_label(dev):
    node_config, _script = _sandbox_parts(dev)
    assert node_config["kind"] == "NodeConfig"
    cluster = node_config["spec"]["cluster"]
    assert cluster["name"] == "dev-aws" and cluster["cidr"] == "10.11.0.0/16"
    assert cluster["apiServerEndpoint"].endswith(".gr7.eu-west-1.eks.amazonaws.com")
    assert node_config["spec"]["kubelet"] == {
        "config": {"maxPods": 110},
        "flags": ["--node-labels=ztc.io/pool=sandbox",
                  "--register-with-taints=sandbox.ztc.io/runtime=gvisor:NoSchedule"]}
    assert "containerd" not in node_config["spec"]
    assert "al2023" in dev.inputs(LT, "dev-aws-sandbox")["description"]


def _heredoc(script: str, marker: str) -> str:
    return script.split(f"<<'{marker}'\n", 1)[1].split(f"\n{marker}\n", 1)[0]


def test_the_verified_drop_in_registers_runsc_and_the_sandbox_label(dev):
    _node_config, script = _sandbox_parts(dev)
    dropin = json.loads(_heredoc(script, "NODECONFIG"))
    assert dropin["kind"] == "NodeConfig"
    assert dropin["spec"]["kubelet"] == {"flags": ["--node-labels=sandbox.ztc.io/runtime=gvisor"]}
    containerd = tomllib.loads(dropin["spec"]["containerd"]["config"])
    runtimes = containerd["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]
    assert runtimes["runsc"]["runtime_type"] == "io.containerd.runsc.v1"  # handler `runsc`
    assert runtimes["runsc"]["options"]["ConfigPath"] == "/etc/containerd/runsc.toml"


def test_gvisor_install_is_ordered_to_fail_closed(dev):
    """nodeadm-run.service is only After=cloud-final.service: a failed script would not stop
    the join. So the kubelet gate comes first, the label-bearing drop-in last, under set -e."""
    _node_config, script = _sandbox_parts(dev)
    lines = script.splitlines()
    assert lines[:3] == ["#!/bin/bash", lines[1], "set -euo pipefail"]
    position = {what: script.index(what) for what in (
        'cat > "${GATE}"', "systemctl daemon-reload", "fetch \"${URL}/${binary}\"",
        "sha512sum --check --strict", '"${BIN_DIR}/runsc" --version',
        'cat > "${DROPIN}.partial"', 'mv -f "${DROPIN}.partial" "${DROPIN}"')}
    assert list(position.values()) == sorted(position.values()), position
    gate = script.split("<<GATE_UNIT\n", 1)[1].split("\nGATE_UNIT\n", 1)[0]
    assert gate.splitlines() == ["[Service]", "ExecStartPre=/usr/bin/test -s ${DROPIN}",
                                 "ExecStartPre=${BIN_DIR}/runsc --version"]
    assert "GATE=/etc/systemd/system/kubelet.service.d/90-ztc-gvisor-gate.conf" in lines
    assert "DROPIN=/etc/eks/nodeadm.d/50-ztc-gvisor.json" in lines
    # Nothing swallows a failure.
    assert "|| true" not in script and "set +e" not in script
    # gVisor's documented layout: release/<yyyymmdd>/<arch>/<binary>{,.sha512}.
    assert ('URL="https://storage.googleapis.com/gvisor/releases/release/'
            f'{userdata.GVISOR_RELEASE}/${{ARCH}}"') in lines


def _fake_node(tmp_path: Path, script: str, *, bad_checksum: bool) -> subprocess.CompletedProcess:
    """Run the rendered script against a scratch root, the network and systemd faked on PATH."""
    root = tmp_path / "root"
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    for path in ("/etc/systemd/system/kubelet.service.d/90-ztc-gvisor-gate.conf",
                 "/etc/eks/nodeadm.d/50-ztc-gvisor.json", "/usr/local/bin",
                 "/etc/containerd/runsc.toml"):
        script = script.replace(f"={path}", f"={root}{path}")
    fakes = {
        # curl -o <file> <url>: a runnable fake binary and its (optionally wrong) SHA-512 line.
        "curl": f"""#!/bin/bash
out="${{@: -2:1}}"; url="${{@: -1}}"; name="$(basename "${{url}}")"
if [[ "${{name}}" == *.sha512 ]]; then
  binary="${{name%.sha512}}"
  if [[ "{int(bad_checksum)}" == 1 ]]; then echo "$(printf 0%.0s {{1..128}})  ${{binary}}" > "${{out}}"
  else sha512sum "${{binary}}" > "${{out}}"; fi
else
  printf '#!/bin/sh\necho "${{name}} version fake"\n' > "${{out}}"
fi
""",
        "install": """#!/bin/bash
args=(); while [[ $# -gt 0 ]]; do case "$1" in -o|-g|-m) shift 2;; -d) dir=1; shift;;
  *) args+=("$1"); shift;; esac; done
if [[ -n "${dir:-}" ]]; then mkdir -p "${args[@]}"; else cp "${args[0]}" "${args[1]}";
  chmod 0755 "${args[1]}"; fi
""",
        "systemctl": "#!/bin/sh\nexit 0\n",
        "sysctl": "#!/bin/sh\necho 15000\n",
    }
    for name, body in fakes.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    (root / "usr/local/bin").mkdir(parents=True)
    path = (tmp_path / "user-data.sh")
    path.write_text(script)
    return subprocess.run(["bash", str(path)], check=False, capture_output=True, text=True,
                          timeout=60,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
                          cwd=tmp_path)


@pytest.mark.parametrize("bad_checksum", [False, True])
def test_a_failed_checksum_blocks_kubelet_and_advertises_nothing(dev, tmp_path, bad_checksum):
    _node_config, script = _sandbox_parts(dev)
    result = _fake_node(tmp_path, script, bad_checksum=bad_checksum)
    root = tmp_path / "root"
    gate = root / "etc/systemd/system/kubelet.service.d/90-ztc-gvisor-gate.conf"
    dropin = root / "etc/eks/nodeadm.d/50-ztc-gvisor.json"
    assert gate.read_text().splitlines() == [
        "[Service]", f"ExecStartPre=/usr/bin/test -s {dropin}",
        f"ExecStartPre={root}/usr/local/bin/runsc --version"]
    if bad_checksum:
        assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr
        # kubelet's ExecStartPre fails (`test -s` on a missing file): the node never joins,
        # and no sandbox label or runsc handler is registered anywhere.
        assert not dropin.exists()
        assert list(dropin.parent.iterdir()) == [] if dropin.parent.exists() else True
        assert not (root / "usr/local/bin/runsc").exists()
    else:
        assert result.returncode == 0, result.stderr
        assert json.loads(dropin.read_text())["spec"]["kubelet"]["flags"] == [
            "--node-labels=sandbox.ztc.io/runtime=gvisor"]
        assert (root / "usr/local/bin/runsc").exists()
        assert (root / "etc/containerd/runsc.toml").exists()


def test_node_role_is_minimal_but_can_join(dev):
    attached = sorted(a["policyArn"].rsplit("/", 1)[1] for a in dev.of_type(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a["role"] == "ztc-dev-aws-node")
    assert attached == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodeMinimalPolicy"]
    # The minimal policy lacks ec2:DescribeInstances, which nodeadm and Bottlerocket need for
    # the node's private DNS name; exactly that is added.
    inline = [p for p in dev.of_type("aws:iam/rolePolicy:RolePolicy")
              if p["role"] == "ztc-dev-aws-node"]
    assert len(inline) == 1
    assert json.loads(inline[0]["policy"])["Statement"] == [{
        "Sid": "FindOwnPrivateDnsName", "Effect": "Allow", "Action": "ec2:DescribeInstances",
        "Resource": "*"}]


def test_node_groups_wait_for_the_node_role_policy(dev_graph):
    policy = next(r.urn for r in dev_graph.of_type("aws:iam/rolePolicy:RolePolicy")
                  if r.name == "dev-aws-node-join")
    for group in dev_graph.of_type(NG):
        assert policy in group.dependencies, group.name
