"""Fake azure-native answers for the offline engine (see fakes/__init__.py for the contract).

Ids follow ARM's shape (`/subscriptions/<sub>/resourceGroups/<rg>/providers/...`). A
resource's inputs never carry the subscription (the provider does), so it is looked up
from the stack's `clusters` config by resource group name (the AKS component names its
group `rg-<cluster>` unless `azure.resourceGroup` is set); unknown groups get a stable
made-up subscription. Everything else (principal/client ids, key versions, FQDNs) is
derived from names, so every run gives the same answers.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import uuid
from typing import Any

import pulumi
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from zero_trust_clusters.engine.fakes.ids import stable_hex

_NS = uuid.UUID("1d5f3a8e-7f0b-4c55-9d2a-6b8e0c4f2a90")
_CONFIG_KEYS = ("zero-trust-clusters:clusters",)
# (resource group, cluster name) -> private FQDN, so the credentials invoke matches the cluster.
_PRIVATE_FQDNS: dict[tuple[str, str], str] = {}

# resource type -> (ARM provider path, input holding the resource's own name)
_ARM: dict[str, tuple[str, str]] = {
    "azure-native:network:NetworkSecurityGroup": (
        "Microsoft.Network/networkSecurityGroups", "networkSecurityGroupName"),
    "azure-native:network:VirtualNetwork": (
        "Microsoft.Network/virtualNetworks", "virtualNetworkName"),
    "azure-native:network:NatGateway": ("Microsoft.Network/natGateways", "natGatewayName"),
    "azure-native:network:PublicIPAddress": (
        "Microsoft.Network/publicIPAddresses", "publicIpAddressName"),
    "azure-native:network:RouteTable": ("Microsoft.Network/routeTables", "routeTableName"),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName"),
    "azure-native:keyvault:Vault": ("Microsoft.KeyVault/vaults", "vaultName"),
    "azure-native:compute:DiskEncryptionSet": (
        "Microsoft.Compute/diskEncryptionSets", "diskEncryptionSetName"),
    "azure-native:operationalinsights:Workspace": (
        "Microsoft.OperationalInsights/workspaces", "workspaceName"),
    "azure-native:storage:StorageAccount": ("Microsoft.Storage/storageAccounts", "accountName"),
    "azure-native:containerservice:ManagedCluster": (
        "Microsoft.ContainerService/managedClusters", "resourceName"),
}


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "/".join(parts)))


def _configured_clusters() -> list[dict[str, Any]]:
    for key in _CONFIG_KEYS:
        try:
            raw = pulumi.runtime.get_config(key)
        except Exception:  # noqa: BLE001 - no Pulumi context: no config
            raw = None
        if raw:
            value = json.loads(raw) if isinstance(raw, str) else raw
            return [c for c in value if isinstance(c, dict) and c.get("cloud") == "azure"]
    return []


def _azure_of(rg: str) -> dict[str, str]:
    for cluster in _configured_clusters():
        azure = cluster.get("azure") or {}
        if rg in (azure.get("resourceGroup"), f"rg-{cluster.get('name')}",
                  f"rg-{cluster.get('name')}-nodes"):
            return {"subscriptionId": azure.get("subscriptionId", ""),
                    "tenantId": azure.get("tenantId", "")}
    return {}


def subscription_of(rg: str) -> str:
    return _azure_of(rg).get("subscriptionId") or _uuid("subscription", rg)


def tenant_of(rg: str) -> str:
    return _azure_of(rg).get("tenantId") or _uuid("tenant", rg)


def _rg_id(rg: str) -> str:
    return f"/subscriptions/{subscription_of(rg)}/resourceGroups/{rg}"


def _name(type_: str, name: str, inputs: dict[str, Any]) -> str:
    arm = _ARM.get(type_)
    key = arm[1] if arm else ""
    return str(inputs.get(key) or name)


def resource_id(type_: str, name: str, inputs: dict[str, Any]) -> str | None:
    rg = str(inputs.get("resourceGroupName", ""))
    if type_ == "azure-native:resources:ResourceGroup":
        rg = str(inputs.get("resourceGroupName") or name)
        return _rg_id(rg)
    if type_ in _ARM:
        return f"{_rg_id(rg)}/providers/{_ARM[type_][0]}/{_name(type_, name, inputs)}"
    if type_ == "azure-native:network:Subnet":
        return (f"{_rg_id(rg)}/providers/Microsoft.Network/virtualNetworks/"
                f"{inputs.get('virtualNetworkName')}/subnets/{inputs.get('subnetName') or name}")
    if type_ == "azure-native:keyvault:Key":
        return (f"{_rg_id(rg)}/providers/Microsoft.KeyVault/vaults/{inputs.get('vaultName')}"
                f"/keys/{inputs.get('keyName') or name}")
    if type_ == "azure-native:containerservice:AgentPool":
        return (f"{_rg_id(rg)}/providers/Microsoft.ContainerService/managedClusters/"
                f"{inputs.get('resourceName')}/agentPools/{inputs.get('agentPoolName') or name}")
    if type_ == "azure-native:storage:BlobServiceProperties":
        return (f"{_rg_id(rg)}/providers/Microsoft.Storage/storageAccounts/"
                f"{inputs.get('accountName')}/blobServices/default")
    if type_ == "azure-native:storage:BlobContainer":
        return (f"{_rg_id(rg)}/providers/Microsoft.Storage/storageAccounts/"
                f"{inputs.get('accountName')}/blobServices/default/containers/"
                f"{inputs.get('containerName') or name}")
    if type_ == "azure-native:authorization:RoleAssignment":
        assignment = inputs.get("roleAssignmentName") or _uuid("role-assignment", name)
        return f"{inputs.get('scope')}/providers/Microsoft.Authorization/roleAssignments/{assignment}"
    if type_ == "azure-native:monitor:DiagnosticSetting":
        return (f"{inputs.get('resourceUri')}/providers/microsoft.insights/diagnosticSettings/"
                f"{inputs.get('name') or name}")
    return None


def private_fqdn(rg: str, cluster: str, dns_prefix: str, region: str) -> str:
    return (f"{dns_prefix}-{stable_hex(rg, cluster, length=8)}."
            f"{_uuid('private-dns', rg, cluster)}.privatelink.{region}.azmk8s.io")


def _managed_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    rg = str(inputs.get("resourceGroupName", ""))
    cluster = str(inputs.get("resourceName") or name)
    region = str(inputs.get("location") or "westeurope")
    prefix = str(inputs.get("dnsPrefix") or cluster)
    fqdn = private_fqdn(rg, cluster, prefix, region)
    _PRIVATE_FQDNS[(rg, cluster)] = fqdn
    version = str(inputs.get("kubernetesVersion") or "1.35")
    oidc = dict(inputs.get("oidcIssuerProfile") or {})
    if oidc.get("enabled"):
        oidc["issuerURL"] = (f"https://{region}.oic.prod-aks.azure.com/{tenant_of(rg)}/"
                             f"{_uuid('oidc', rg, cluster)}/")
    out: dict[str, Any] = {
        "privateFQDN": fqdn,
        "azurePortalFQDN": f"{prefix}-{stable_hex(rg, cluster, 'portal', length=8)}.portal.hcp."
                           f"{region}.azmk8s.io",
        "currentKubernetesVersion": f"{version}.3" if version.count(".") == 1 else version,
        "provisioningState": "Succeeded",
        "powerState": {"code": "Running"},
        "oidcIssuerProfile": oidc,
        "maxAgentPools": 100,
        "resourceUID": stable_hex(rg, cluster, "uid", length=24),
    }
    if inputs.get("identity"):
        out["identity"] = _identity_map(inputs["identity"], known=True)
    if inputs.get("apiServerAccessProfile", {}).get("enablePrivateClusterPublicFQDN"):
        out["fqdn"] = f"{prefix}-{stable_hex(rg, cluster, length=8)}.hcp.{region}.azmk8s.io"
    return out


def _identity_map(identity: dict[str, Any], known: bool) -> dict[str, Any]:
    """Inputs list user-assigned identity ids; ARM answers with a map id -> principal ids."""
    identity = dict(identity)
    ids = identity.get("userAssignedIdentities")
    if isinstance(ids, list) and not all(isinstance(uid, str) for uid in ids):
        del identity["userAssignedIdentities"]  # ids still unknown: so is the map
    elif isinstance(ids, list):
        identity["userAssignedIdentities"] = {
            uid: ({"principalId": _uuid("principal", uid), "clientId": _uuid("client", uid)}
                  if known else {})
            for uid in identity["userAssignedIdentities"]
        }
    return identity


def preview_state(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A first preview's state (inputs only), in the provider's output shape where it differs."""
    state = dict(inputs)
    if isinstance(state.get("identity"), dict):
        state["identity"] = _identity_map(state["identity"], known=False)
    return state


def outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    rg = str(inputs.get("resourceGroupName", ""))
    own = _name(type_, name, inputs)
    out: dict[str, Any] = {"name": own, "azureApiVersion": "2025-09-01"}
    if type_ == "azure-native:resources:ResourceGroup":
        out["name"] = str(inputs.get("resourceGroupName") or name)
        out["properties"] = {"provisioningState": "Succeeded"}
    elif type_ == "azure-native:network:Subnet":
        out["name"] = str(inputs.get("subnetName") or name)
        out["provisioningState"] = "Succeeded"
    elif type_ == "azure-native:network:PublicIPAddress":
        h = hashlib.sha256(f"{rg}/{own}".encode()).digest()
        out["ipAddress"] = f"20.{h[0] % 200 + 20}.{h[1]}.{h[2] % 254 + 1}"
    elif type_ == "azure-native:managedidentity:UserAssignedIdentity":
        out.update(principalId=_uuid("principal", rg, own), clientId=_uuid("client", rg, own),
                   tenantId=tenant_of(rg))
    elif type_ == "azure-native:keyvault:Vault":
        props = dict(inputs.get("properties") or {})
        props["vaultUri"] = f"https://{own}.vault.azure.net/"
        out["properties"] = props
    elif type_ == "azure-native:keyvault:Key":
        key = str(inputs.get("keyName") or name)
        uri = f"https://{inputs.get('vaultName')}.vault.azure.net/keys/{key}"
        out.update(name=key, keyUri=uri,
                   keyUriWithVersion=f"{uri}/{stable_hex(rg, key, 'version', length=32)}")
    elif type_ == "azure-native:compute:DiskEncryptionSet":
        identity = dict(inputs.get("identity") or {})
        identity.update(principalId=_uuid("principal", rg, own), tenantId=tenant_of(rg))
        out["identity"] = identity
    elif type_ == "azure-native:operationalinsights:Workspace":
        out["customerId"] = _uuid("workspace", rg, own)
    elif type_ == "azure-native:storage:StorageAccount":
        out["primaryEndpoints"] = {"blob": f"https://{own}.blob.core.windows.net/"}
    elif type_ == "azure-native:storage:BlobContainer":
        out["name"] = str(inputs.get("containerName") or name)
    elif type_ == "azure-native:containerservice:ManagedCluster":
        out.update(_managed_cluster(name, inputs))
    elif type_ == "azure-native:containerservice:AgentPool":
        out.update(name=str(inputs.get("agentPoolName") or name), provisioningState="Succeeded",
                   nodeImageVersion="AKSAzureLinux-V3gen2-202611.10.0")
    elif type_ == "azure-native:authorization:RoleAssignment":
        out["name"] = str(inputs.get("roleAssignmentName") or _uuid("role-assignment", name))
    return out


def cluster_ca(rg: str, cluster: str) -> str:
    """A real, deterministic CA certificate (Ed25519 signatures are deterministic) as PEM."""
    seed = hashlib.sha256(f"aks-ca/{rg}/{cluster}".encode()).digest()
    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(seed[:16], "big") >> 1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False),
            critical=True,
        )
        .sign(key, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _user_kubeconfig(rg: str, cluster: str) -> str:
    fqdn = _PRIVATE_FQDNS.get((rg, cluster)) or private_fqdn(rg, cluster, cluster, "westeurope")
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {
            "server": f"https://{fqdn}:443",
            "certificate-authority-data": base64.b64encode(cluster_ca(rg, cluster).encode())
            .decode(),
        }}],
        "users": [{"name": f"clusterUser_{rg}_{cluster}", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "kubelogin",
            "args": ["get-token", "--environment", "AzurePublicCloud", "--server-id",
                     "6dae42f8-4368-4678-94ff-3960e28e3630", "--login", "devicecode"],
        }}}],
        "contexts": [{"name": cluster, "context": {
            "cluster": cluster, "user": f"clusterUser_{rg}_{cluster}"}}],
        "current-context": cluster,
    }
    return base64.b64encode(yaml.safe_dump(document).encode()).decode()


def create_dynamic(kind: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """What a dynamic resource that calls ARM reads back (components/azure/immutability_lock.py:
    the account's policy, Locked with the period it was given)."""
    if kind == "azure-native:account-immutability-lock":
        days = inputs.get("immutabilityPeriodSinceCreationInDays")
        # As the real provider: the sign-in settings stay out of the outputs.
        outs = {k: v for k, v in inputs.items() if k != "armSettings"}
        return f"{inputs.get('accountId')}/immutabilityLock", {
            **outs, "state": "Locked", "lockedPeriodDays": days}
    raise LookupError(f"the azure fake has no answer for dynamic resource kind {kind!r}")


def call(token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    if token == "azure-native:storage:getStorageAccount":
        # The offline engine plans a first deployment: nothing exists in the cloud yet.
        raise LookupError(
            f"Code=\"ResourceNotFound\" Message=\"The Resource 'Microsoft.Storage/"
            f"storageAccounts/{args.get('accountName')}' under resource group "
            f"'{args.get('resourceGroupName')}' was not found.\""
        )
    if token == "azure-native:authorization:getClientConfig":
        clusters = _configured_clusters()
        azure = (clusters[0].get("azure") or {}) if clusters else {}
        sub = azure.get("subscriptionId") or _uuid("subscription", "default")
        return {
            "clientId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",  # the Azure CLI's app id
            "objectId": _uuid("deployer", sub),
            "subscriptionId": sub,
            "tenantId": azure.get("tenantId") or _uuid("tenant", "default"),
        }
    if token in ("azure-native:containerservice:listManagedClusterUserCredentials",
                 "azure-native:containerservice:listManagedClusterAdminCredentials"):
        rg, cluster = str(args.get("resourceGroupName")), str(args.get("resourceName"))
        if token.endswith("AdminCredentials"):
            # What AKS answers on a cluster with disableLocalAccounts=true.
            raise RuntimeError(
                "BadRequest: Getting static credential is not allowed because this cluster "
                "is set to disable local accounts."
            )
        return {"kubeconfigs": [{"name": "clusterUser", "value": _user_kubeconfig(rg, cluster)}]}
    return None
