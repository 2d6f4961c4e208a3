"""The pack's own copy of the control catalog (the pack never imports `components`).

tests/policies/test_catalog_parity.py keeps these IDs equal to components.catalog.ControlId.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLOUDS = ("aws", "azure", "gcp")
SANDBOX_RUNTIME_CLASS = "sandboxed"


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    principle: str
    # How each cloud implements it; "equivalent:" marks a closest-real-equivalent.
    notes: dict[str, str] = field(default_factory=dict)


def _c(id_: str, title: str, principle: str, aws: str, azure: str, gcp: str) -> Control:
    return Control(id_, title, principle, {"aws": aws, "azure": azure, "gcp": gcp})


CONTROLS: tuple[Control, ...] = (
    _c("ZT-API-PRIVATE", "Control plane private, reached only from admitted private ranges",
       "central network control",
       "vpcConfig endpointPublicAccess=false; the cluster SG admits the deployer/authorized "
       "private ranges on 443",
       "apiServerAccessProfile enablePrivateCluster + VNet integration; the API subnet NSG "
       "admits the ranges",
       "privateClusterConfig enablePrivateEndpoint + master authorized networks (private only)"),
    _c("ZT-NODE-PRIVATE", "Nodes have no public IPs", "no trust from network location",
       "launch template without public IP", "enableNodePublicIP=false",
       "privateClusterConfig enablePrivateNodes"),
    _c("ZT-NET-SEGMENT", "Least-privilege SG / NSG / firewall; no world ingress",
       "virtual networks",
       "security groups and rules", "NSG rules", "VPC firewall rules"),
    _c("ZT-NODE-TRUSTED-BOOT", "Secure boot + TPM root of trust + integrity monitoring",
       "TPM root of trust",
       "equivalent: per-pool AMI with UEFI Secure Boot keys (uefiData) + NitroTPM "
       "(tpmSupport v2.0, bootMode uefi), asserted at deploy",
       "Trusted Launch: enableSecureBoot + enableVTPM",
       "shielded nodes: secure boot + integrity monitoring"),
    _c("ZT-NODE-OS", "Minimal OS, auto upgrade/repair, no SSH", "minimal attack surface",
       "Bottlerocket/AL2023 AMI type, no remoteAccess, no key pair",
       "AzureLinux osSKU, sshAccess Disabled, node OS upgrade channel",
       "COS_CONTAINERD, management autoUpgrade + autoRepair"),
    _c("ZT-NODE-METADATA", "Node metadata locked", "no node credentials for workloads",
       "IMDSv2 required (httpTokens=required), hop limit 1",
       "equivalent: workload identity (no IMDS token for pods)",
       "workloadMetadataConfig mode GKE_METADATA"),
    _c("ZT-IAM-ONLY", "Cloud IAM is the only way in; no local accounts, certs or ABAC",
       "IAM + RBAC",
       "accessConfig authenticationMode API, creator not admin",
       "disableLocalAccounts, managed AAD + Azure RBAC",
       "no client certificate, no legacy ABAC, Google Groups for RBAC"),
    _c("ZT-WORKLOAD-IDENTITY", "Workloads get cloud identity without node credentials",
       "per-workload identity",
       "EKS Pod Identity agent (or IRSA OIDC provider)",
       "securityProfile.workloadIdentity + oidcIssuerProfile",
       "workloadIdentityConfig workloadPool"),
    _c("ZT-NODE-IDENTITY", "Least-privilege node identity", "least privilege",
       "dedicated node role, no broad managed policies",
       "user-assigned kubelet identity", "dedicated node service account (not the default)"),
    _c("ZT-SECRETS-KMS", "Secrets envelope-encrypted with a customer key, rotation on",
       "encryption at rest",
       "encryptionConfig secrets + KMS key with rotation",
       "securityProfile.azureKeyVaultKms",
       "databaseEncryption ENCRYPTED + rotating Cloud KMS key"),
    _c("ZT-DISK-CMK", "Node disks encrypted with a customer key", "encryption at rest",
       "launch template EBS encrypted with kmsKeyId",
       "diskEncryptionSetID + encryption at host", "nodeConfig bootDiskKmsKey"),
    _c("ZT-AUDIT-IMMUTABLE", "Audit logs on and kept in WORM storage", "immutable record",
       "all 5 control-plane log types + S3 Object Lock (COMPLIANCE) bucket",
       "kube-audit diagnostic setting + immutable blob storage",
       "APISERVER logging + bucket with locked retention"),
    _c("ZT-SANDBOX", "A VM-sandboxed runtime pool behind the common RuntimeClass",
       "sandboxed in VMs",
       "equivalent: gVisor (runsc) node group (no managed option)",
       "workloadRuntime KataVmIsolation pool", "sandboxConfig GVISOR pool"),
    _c("ZT-NETPOL-DEFAULT-DENY", "Policy enforcement on + default-deny in every workload namespace",
       "no implicit trust",
       "vpc-cni enableNetworkPolicy + default-deny NetworkPolicy",
       "networkPolicy cilium/azure/calico + default-deny NetworkPolicy",
       "ADVANCED_DATAPATH (or networkPolicy) + default-deny NetworkPolicy"),
    _c("ZT-POD-SECURITY", "Pod Security 'restricted' enforced on workload namespaces",
       "least privilege for workloads",
       "namespace labels", "namespace labels", "namespace labels"),
    _c("ZT-MTLS-SHARED-ROOT", "Workload mTLS identities chain to one shared root",
       "authenticated + encrypted service-to-service",
       "per-cluster intermediate under the shared root",
       "per-cluster intermediate under the shared root",
       "per-cluster intermediate under the shared root"),
    _c("ZT-IMAGE-PROVENANCE", "Only signed images from trusted registries run",
       "authorized code only",
       "equivalent: admission policy in the cluster",
       "azurepolicy add-on (Image Integrity is preview-only)",
       "Binary Authorization PROJECT_SINGLETON_POLICY_ENFORCE"),
    _c("ZT-CHANGE-LEDGER", "Every change hashed, signed and logged", "immutable record of changes",
       "signed hash-chained ledger", "signed hash-chained ledger", "signed hash-chained ledger"),
    _c("ZT-VERSION", "Supported Kubernetes version, automatic upgrades", "patched software",
       "version >= minimum, upgradePolicy STANDARD",
       "kubernetesVersion >= minimum, upgradeChannel set",
       "release channel, version >= minimum"),
)

CONTROL_IDS: tuple[str, ...] = tuple(c.id for c in CONTROLS)
BY_ID: dict[str, Control] = {c.id: c for c in CONTROLS}
