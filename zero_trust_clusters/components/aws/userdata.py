"""Node bootstrap user data: Bottlerocket TOML settings, and AL2023 nodeadm + gVisor.

Why the sandbox pool is AL2023, not Bottlerocket: Bottlerocket's root filesystem is a
read-only dm-verity image and its settings API cannot register an extra containerd runtime
(gVisor support is an open, icebox issue: bottlerocket-os/bottlerocket#811). AL2023's nodeadm
merges containerd config fragments and kubelet flags from `/etc/eks/nodeadm.d/` drop-ins, and a
shell part of the same MIME document installs `runsc` before nodeadm starts kubelet; only a
verified install writes the drop-in that registers the runtime and the sandbox label, and
kubelet refuses to start without it (fail-closed, see `_gvisor_install_script`).
Trade-off: that pool trades Bottlerocket's immutable OS for a general-purpose one; the
sandbox boundary itself is gVisor's user-space kernel, not a VM (no managed microVM pools on
EKS besides Fargate, which cannot run DaemonSets or the baseline's agents).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence

from zero_trust_clusters.components.cluster import Toleration

# gVisor release pinned on purpose: bump it deliberately (binaries are checked by SHA-512).
# A release date that exists (https://github.com/google/gvisor/releases; 20260608 is the stable
# release agent-substrate/substrate#297 moved to): a date without a release would 404 and, by
# design, keep every sandbox node from joining.
GVISOR_RELEASE = "20260608"
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


# Where the fail-closed install writes (absolute paths on the node).
KUBELET_GATE = "/etc/systemd/system/kubelet.service.d/90-ztc-gvisor-gate.conf"
NODEADM_DROPIN_DIR = "/etc/eks/nodeadm.d"
GVISOR_DROPIN = f"{NODEADM_DROPIN_DIR}/50-ztc-gvisor.json"
BIN_DIR = "/usr/local/bin"
RUNSC_CONFIG = "/etc/containerd/runsc.toml"


def _flags(labels: Mapping[str, str], taints: Sequence[Toleration] = ()) -> list[str]:
    flags = [f"--node-labels={','.join(f'{k}={v}' for k, v in sorted(labels.items()))}"]
    if taints:
        flags.append("--register-with-taints="
                     + ",".join(f"{t.key}={t.value}:{t.effect}" for t in taints))
    return flags


def _node_config(*, cluster_name: str, endpoint: str, certificate_authority: str,
                 service_cidr: str, labels: Mapping[str, str],
                 taints: Sequence[Toleration]) -> str:
    """The user-data NodeConfig: how to join, the pool label and the sandbox taint.

    It registers no gVisor runtime and no sandbox label: those come only from the drop-in the
    install script writes once runsc is verified (`sandbox_dropin`)."""
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
            "kubelet": {"config": {"maxPods": MAX_PODS}, "flags": _flags(labels, taints)},
        },
    }
    return json.dumps(document, indent=2)  # JSON is YAML; nodeadm parses either


def sandbox_dropin(sandbox_labels: Mapping[str, str]) -> str:
    """The nodeadm drop-in written only after runsc is verified: runtime handler + label.

    nodeadm-run merges `/etc/eks/nodeadm.d/*.json` over the user data, appending kubelet flags
    (so a second --node-labels adds to the first) and merging the containerd TOML
    (awslabs/amazon-eks-ami nodeadm/doc/examples.md "Overriding configuration with drop-in
    files"; nodeadm/internal/api/merge.go)."""
    # containerd 2.x (config version 3) names the CRI runtime plugin io.containerd.cri.v1.runtime
    # (nodeadm's own template, nodeadm/internal/containerd/config2.template.toml).
    containerd = "\n".join([
        f"[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.{RUNSC_HANDLER}]",
        'runtime_type = "io.containerd.runsc.v1"',
        "",
        f"[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.{RUNSC_HANDLER}.options]",
        'TypeUrl = "io.containerd.runsc.v1.options"',
        f'ConfigPath = "{RUNSC_CONFIG}"',
    ])
    document = {
        "apiVersion": "node.eks.aws/v1alpha1",
        "kind": "NodeConfig",
        "spec": {"kubelet": {"flags": _flags(sandbox_labels)},
                 "containerd": {"config": containerd}},
    }
    return json.dumps(document, indent=2)


def _gvisor_install_script(sandbox_labels: Mapping[str, str]) -> str:
    """Fail-closed gVisor install, run by cloud-init before nodeadm-run starts kubelet.

    nodeadm-run.service is only `After=cloud-final.service` (no Requires=), so a failing
    user-data script alone would not stop the node from joining. Hence, in this order:
    1. a kubelet drop-in whose ExecStartPre refuses to start kubelet until the verified
       gVisor drop-in and the runsc binary exist (written before anything can fail);
    2. download, SHA-512 check and install of runsc and its containerd shim, `set -e`;
    3. last, atomically: the nodeadm drop-in that registers the `runsc` handler and adds the
       sandbox label. Any failure before it leaves kubelet blocked and no label advertised.
    URL layout from https://gvisor.dev/docs/user_guide/install/ ("Specific release":
    https://storage.googleapis.com/gvisor/releases/release/${yyyymmdd}/${ARCH}, with a
    `<binary>.sha512` next to each binary, checked with `sha512sum -c`).
    """
    dropin = sandbox_dropin(sandbox_labels)
    return f"""#!/bin/bash
# gVisor for the sandbox pool, fail-closed: kubelet starts only after runsc is verified.
set -euo pipefail
GATE={KUBELET_GATE}
DROPIN={GVISOR_DROPIN}
BIN_DIR={BIN_DIR}
RUNSC_CONFIG={RUNSC_CONFIG}

# 1. Block kubelet until step 3 has happened (nodeadm-run starts it after this script).
install -d -m 0755 "$(dirname "${{GATE}}")"
cat > "${{GATE}}" <<GATE_UNIT
[Service]
ExecStartPre=/usr/bin/test -s ${{DROPIN}}
ExecStartPre=${{BIN_DIR}}/runsc --version
GATE_UNIT
systemctl daemon-reload

# 2. Download, verify, install (https://gvisor.dev/docs/user_guide/install/).
ARCH="$(uname -m)"
URL="https://storage.googleapis.com/gvisor/releases/release/{GVISOR_RELEASE}/${{ARCH}}"
WORK="$(mktemp -d)"
cd "${{WORK}}"
fetch() {{
  curl --fail --silent --show-error --location --proto '=https' --retry 5 -o "$2" "$1"
}}
for binary in runsc containerd-shim-runsc-v1; do
  fetch "${{URL}}/${{binary}}" "${{binary}}"
  fetch "${{URL}}/${{binary}}.sha512" "${{binary}}.sha512"
  sha512sum --check --strict "${{binary}}.sha512"
  install -o root -g root -m 0755 "${{binary}}" "${{BIN_DIR}}/${{binary}}"
done
"${{BIN_DIR}}/runsc" --version
# gVisor needs user namespaces (https://gvisor.dev/docs/user_guide/install/).
test "$(sysctl -n user.max_user_namespaces)" -gt 0
install -d -m 0755 "$(dirname "${{RUNSC_CONFIG}}")"
cat > "${{RUNSC_CONFIG}}" <<'RUNSC'
[runsc_config]
  systemd-cgroup = "true"
RUNSC

# 3. Only now: register the runtime and advertise the sandbox label (atomic rename; nodeadm
#    reads only *.json/*.yaml/*.yml there).
install -d -m 0755 "$(dirname "${{DROPIN}}")"
cat > "${{DROPIN}}.partial" <<'NODECONFIG'
{dropin}
NODECONFIG
mv -f "${{DROPIN}}.partial" "${{DROPIN}}"
cd /
rm -rf "${{WORK}}"
"""


def al2023_gvisor_user_data(*, cluster_name: str, endpoint: str, certificate_authority: str,
                            service_cidr: str, labels: Mapping[str, str],
                            sandbox_labels: Mapping[str, str],
                            taints: Sequence[Toleration]) -> str:
    """A MIME multi-part document: nodeadm NodeConfig (join, taint) + fail-closed gVisor install.

    `labels` are set at registration whatever happens; `sandbox_labels` only once gVisor is
    verified (they are what the sandbox RuntimeClass selects)."""
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
        _gvisor_install_script(sandbox_labels),
        f"--{MIME_BOUNDARY}--",
        "",
    ])


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
