"""A kubeconfig that authenticates through `aws eks get-token` (no static token, no cert)."""

from __future__ import annotations

import json


def render_kubeconfig(*, cluster_name: str, endpoint: str, certificate_authority: str,
                      region: str, role_arn: str | None) -> str:
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region]
    if role_arn:
        args += ["--role-arn", role_arn]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {
            "server": endpoint, "certificate-authority-data": certificate_authority}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name,
                                                        "user": cluster_name}}],
        "current-context": cluster_name,
        "users": [{"name": cluster_name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": args,
            "interactiveMode": "Never",
        }}}],
        "preferences": {},
    }
    return json.dumps(config, indent=2)  # JSON is valid YAML for every kubeconfig reader
