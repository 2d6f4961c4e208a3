"""A kubeconfig that authenticates through `gke-gcloud-auth-plugin` (no static credential)."""

from __future__ import annotations

import json

import pulumi

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"
AUTH_PLUGIN = "gke-gcloud-auth-plugin"


def render_kubeconfig(context: str, endpoint: str, ca_data: str) -> str:
    """JSON is valid YAML, and kubectl reads either."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": context,
                "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
        "users": [
            {
                "name": context,
                "user": {
                    "exec": {
                        "apiVersion": EXEC_API_VERSION,
                        "command": AUTH_PLUGIN,
                        "args": [],
                        "installHint": "Install gke-gcloud-auth-plugin: "
                        "gcloud components install gke-gcloud-auth-plugin",
                        "provideClusterInfo": True,
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }
    return json.dumps(config, indent=2)


def kubeconfig(
    context: str, endpoint: pulumi.Output[str], ca_data: pulumi.Output[str]
) -> pulumi.Output[str]:
    return pulumi.Output.secret(
        pulumi.Output.all(endpoint, ca_data).apply(
            lambda values: render_kubeconfig(context, values[0], values[1])
        )
    )
