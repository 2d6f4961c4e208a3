"""Node bootstrap user data: Bottlerocket TOML settings, and AL2023 nodeadm + gVisor.

Why the sandbox pool is AL2023, not Bottlerocket: Bottlerocket's root filesystem is a
read-only dm-verity image and its settings API cannot register an extra containerd runtime
(gVisor support is an open, icebox issue: bottlerocket-os/bottlerocket#811). AL2023's nodeadm
accepts a containerd config fragment that it merges into /etc/containerd/config.toml, and a
shell part of the same MIME document installs `runsc` before nodeadm starts containerd.
Trade-off: that pool trades Bottlerocket's immutable OS for a general-purpose one; the
sandbox boundary itself is gVisor's user-space kernel, not a VM (no managed microVM pools on
EKS besides Fargate, which cannot run DaemonSets or the baseline's agents).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence

from components.cluster import Toleration

# gVisor release pinned on purpose: bump it deliberately (binaries are checked by SHA-512).
GVISOR_RELEASE = "20261012"
RUNSC_HANDLER = "runsc"
MIME_BOUNDARY = "==ZTC-BOUNDARY=="
# With VPC CNI prefix delegation (addons.py) every Nitro type in the pools can hold this many
# pod IPs; 110 is the upstream Kubernetes default and EKS's guidance for prefix delegation.
MAX_PODS = 110


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid TOML basic string


def bottlerocket_settings(*, cluster_name: str, endpoint: str, certificate_authority: str,
                          cluster_dns_ip: str, labels: Mapping[str, str],
                          taints: Sequence[Toleration] = ()) -> str:
    lines = [
        "[settings.kubernetes]",
        f"cluster-name = {_toml_string(cluster_name)}",
        f"api-server = {_toml_string(endpoint)}",
        f"cluster-certificate = {_toml_string(certificate_authority)}",
        f"cluster-dns-ip = {_toml_string(cluster_dns_ip)}",
        f"max-pods = {MAX_PODS}",
        "",
        "[settings.kubernetes.node-labels]",
        *(f"{_toml_string(k)} = {_toml_string(v)}" for k, v in sorted(labels.items())),
    ]
    if taints:
        lines += ["", "[settings.kubernetes.node-taints]"]
        lines += [f"{_toml_string(t.key)} = [{_toml_string(f'{t.value}:{t.effect}')}]"
                  for t in taints]
    lines += [
        "",
        "# No interactive way in: neither the admin (SSH) nor the control (SSM) container.",
        "[settings.host-containers.admin]",
        "enabled = false",
        "",
        "[settings.host-containers.control]",
        "enabled = false",
        "",
        "[settings.kernel]",
        'lockdown = "integrity"',
        "",
    ]
    return "\n".join(lines)


def _node_config(*, cluster_name: str, endpoint: str, certificate_authority: str,
                 service_cidr: str, labels: Mapping[str, str],
                 taints: Sequence[Toleration]) -> str:
    label_flag = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    taint_flag = ",".join(f"{t.key}={t.value}:{t.effect}" for t in taints)
    flags = [f"--node-labels={label_flag}"] + ([f"--register-with-taints={taint_flag}"]
                                                if taints else [])
    # containerd 2.x (config version 3) names the CRI runtime plugin io.containerd.cri.v1.runtime.
    containerd = "\n".join([
        f"[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.{RUNSC_HANDLER}]",
        'runtime_type = "io.containerd.runsc.v1"',
        "",
        f"[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.{RUNSC_HANDLER}.options]",
        'TypeUrl = "io.containerd.runsc.v1.options"',
        'ConfigPath = "/etc/containerd/runsc.toml"',
    ])
    document = {
        "apiVersion": "node.eks.aws/v1alpha1",
        "kind": "NodeConfig",
        "spec": {
            "cluster": {
                "name": cluster_name,
                "apiServerEndpoint": endpoint,
                "certificateAuthority": certificate_authority,
                "cidr": service_cidr,
            },
            "kubelet": {"config": {"maxPods": MAX_PODS}, "flags": flags},
            "containerd": {"config": containerd},
        },
    }
    return json.dumps(document, indent=2)  # JSON is YAML; nodeadm parses either


def _gvisor_install_script() -> str:
    return f"""#!/bin/bash
# Install gVisor (runsc + containerd shim) before nodeadm starts containerd.
set -euo pipefail
ARCH="$(uname -m)"
URL="https://storage.googleapis.com/gvisor/releases/release/{GVISOR_RELEASE}/${{ARCH}}"
WORK="$(mktemp -d)"
cd "${{WORK}}"
for binary in runsc containerd-shim-runsc-v1; do
  curl --fail --silent --show-error --location --proto '=https' --retry 5 \\
    -o "${{binary}}" "${{URL}}/${{binary}}" -o "${{binary}}.sha512" "${{URL}}/${{binary}}.sha512"
  sha512sum --check "${{binary}}.sha512"
  install -o root -g root -m 0755 "${{binary}}" "/usr/local/bin/${{binary}}"
done
install -d -m 0755 /etc/containerd
cat > /etc/containerd/runsc.toml <<'RUNSC'
[runsc_config]
  systemd-cgroup = "true"
RUNSC
rm -rf "${{WORK}}"
"""


def al2023_gvisor_user_data(*, cluster_name: str, endpoint: str, certificate_authority: str,
                            service_cidr: str, labels: Mapping[str, str],
                            taints: Sequence[Toleration]) -> str:
    """A MIME multi-part document: nodeadm NodeConfig (runtime `runsc`) + gVisor install."""
    node_config = _node_config(cluster_name=cluster_name, endpoint=endpoint,
                               certificate_authority=certificate_authority,
                               service_cidr=service_cidr, labels=labels, taints=taints)
    return "\n".join([
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{MIME_BOUNDARY}"',
        "",
        f"--{MIME_BOUNDARY}",
        "Content-Type: application/node.eks.aws",
        "",
        node_config,
        "",
        f"--{MIME_BOUNDARY}",
        'Content-Type: text/x-shellscript; charset="us-ascii"',
        "",
        _gvisor_install_script(),
        f"--{MIME_BOUNDARY}--",
        "",
    ])


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
