"""Azure facts the AKS component relies on, each checked against Microsoft's documentation."""

from __future__ import annotations

from zero_trust_clusters.components.cluster import SandboxPlacement, Toleration

# Built-in role definition GUIDs (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
AKS_RBAC_WRITER = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
AKS_RBAC_READER = "7f6c6a51-bcf8-42ba-9220-52d62157d7db"
# Lets a principal call listClusterUserCredential (fetch the exec kubeconfig), nothing more.
AKS_CLUSTER_USER = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830"
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
# KMS with a private key vault: the control-plane identity sets up the private link.
KEY_VAULT_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395"
# BYOK disks: "The AKS cluster identity needs Reader access to the DiskEncryptionSet"
# (learn.microsoft.com/azure/aks/azure-disk-customer-managed-keys; Reader on the set itself,
# no longer Contributor on its resource group since MicrosoftDocs/azure-aks-docs 976a28c).
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"

# Portable group -> Azure RBAC role (same verbs as the in-cluster RBAC).
GROUP_ROLES: dict[str, str] = {
    "admins": AKS_RBAC_CLUSTER_ADMIN,
    "developers": AKS_RBAC_WRITER,
    "auditors": AKS_RBAC_READER,
}
# Groups whose role holds in the workload namespaces only (scope `<cluster id>/namespaces/<ns>`,
# learn.microsoft.com/azure/aks/entra-id-authorization), like their namespaced RoleBindings on
# EKS and GKE; the others hold at cluster scope.
NAMESPACED_GROUPS: frozenset[str] = frozenset({"developers"})

# The Entra ID application every AKS-managed-AAD cluster accepts tokens for (kubelogin --server-id).
AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"

# AKS Pod Sandboxing: the built-in RuntimeClass `kata-vm-isolation` uses CRI handler `kata`
# (learn.microsoft.com/azure/aks/considerations-pod-sandboxing, custom RuntimeClass example).
KATA_HANDLER = "kata"
SANDBOX_LABEL_KEY = "sandbox.ztc.io/runtime"
SANDBOX_LABEL_VALUE = "kata"
SANDBOX_PLACEMENT = SandboxPlacement(
    handler=KATA_HANDLER,
    node_selector={SANDBOX_LABEL_KEY: SANDBOX_LABEL_VALUE},
    tolerations=(Toleration(key=SANDBOX_LABEL_KEY, value=SANDBOX_LABEL_VALUE),),
)

# Control-plane log categories that make up the Kubernetes audit trail on AKS (resource log
# categories of managedClusters, learn.microsoft.com/azure/aks/monitor-aks).
AUDIT_LOG_CATEGORIES: tuple[str, ...] = ("kube-audit", "kube-audit-admin", "guard")


def role_definition_id(subscription_id: str, role_guid: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/"
        f"roleDefinitions/{role_guid}"
    )
