"""A kubeconfig that signs in through Entra ID with kubelogin: no static credential at all.

The CA bundle comes from AKS's own exec-format user kubeconfig (listClusterUserCredential);
the server is the private FQDN (the cluster has no public one).
"""

from __future__ import annotations

import base64

import pulumi
import yaml
from pulumi_azure_native import containerservice as cs

from zero_trust_clusters.components.azure.catalog import AKS_AAD_SERVER_ID


def certificate_authority_from(kubeconfigs: list) -> str:
    """`certificate-authority-data` (base64 PEM) of the first cluster in AKS's kubeconfig."""
    if not kubeconfigs:
        raise ValueError("AKS returned no kubeconfig for the cluster user")
    raw = kubeconfigs[0].value
    document = yaml.safe_load(base64.b64decode(raw).decode())
    return document["clusters"][0]["cluster"]["certificate-authority-data"]


def fetch_certificate_authority(
    resource_group_name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    opts: pulumi.InvokeOutputOptions,
) -> pulumi.Output[str]:
    creds = cs.list_managed_cluster_user_credentials_output(
        resource_group_name=resource_group_name,
        resource_name=cluster_name,
        format="exec",
        opts=opts,
    )
    return creds.kubeconfigs.apply(certificate_authority_from)


def render(name: str, server: str, ca_data: str, tenant_id: str) -> str:
    user = f"{name}-entra"
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        # azurecli by default; CI overrides with AAD_LOGIN_METHOD
                        # (e.g. workloadidentity) without editing the file.
                        "args": [
                            "get-token",
                            "--environment", "AzurePublicCloud",
                            "--server-id", AKS_AAD_SERVER_ID,
                            "--tenant-id", tenant_id,
                            "--login", "azurecli",
                        ],
                        "interactiveMode": "IfAvailable",
                        "provideClusterInfo": False,
                    }
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user}}],
        "current-context": name,
    }
    return yaml.safe_dump(document, sort_keys=False)
