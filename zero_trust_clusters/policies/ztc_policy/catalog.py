"""The home of every control: one record per control, found by its ID.

A record names what the control means (title, principle) and, for each cloud and for the
in-cluster part every cloud shares (`common`):
- `note`: how that cloud implements it ("equivalent:" marks a closest-real-equivalent);
- `builders`: the component code that builds and records it, as "module:name" (the function or
  class whose body records the ID with `implements(...)` or `meta(...)`);
- `evidence`: what the stack rules accept as its implementation (`Evidence` below), the one
  source the pack's posture (stack/posture.py) and the claims-vs-evidence test read.
The resource rules that judge it are registered next to their check with `@rule("<ID>", ...)` in
rules/<cloud>.py; `home.py` joins them to the record.

The pack never imports `components` (it runs in the Pulumi CLI's own virtualenv), so evidence
predicates are named, not imported ("rules.aws:eks_sandbox_pool", resolved under ztc_policy by
stack/evidence.py): this module is a leaf everything else in the pack may import.
tests/policies/test_catalog_parity.py keeps the IDs equal to zero_trust_clusters.components.catalog.ControlId.
A cloud defined outside this file (a plug-in, or a test's fourth cloud) brings its parts in
its registry entry (clouds.PackCloud.controls) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import types as t

SANDBOX_RUNTIME_CLASS = "sandboxed"
# Where evidence lives: cloud resources (the cloud phase) or in-cluster objects (the cluster
# phase, applied from the deployer network by its own stack); stack/graph.py's phase names.
Phase = Literal["cloud", "cluster"]


@dataclass(frozen=True)
class Evidence:
    """What may stand as (part of) a control's implementation on a cluster.

    A resource is accepted when it is of one of `types` (empty: any type), satisfies `where` (a predicate
    `(node, cfg) -> bool`, named "module:function" under ztc_policy), and, by reference:
    - `named_by=(type, path)`: a resource of `type` the cluster owns names it at `path` (its
      value is this resource's arn / id / name / key URI, or, while unknown at preview, the
      engine's property dependency of `path` says it comes from this resource);
    - `names=path`: it names, at `path`, a resource an earlier evidence of this control accepted.
    Every evidence of a control must be met on each cluster (else the control fails there), by
    itself or by one of its `alternatives` (equivalent evidence a program our components did not
    write may hold instead, possibly in the other phase: tried in order, the first met counts)."""

    label: str
    types: tuple[str, ...]
    where: str | Callable[[Any, Mapping[str, Any]], bool] | None = None
    named_by: tuple[str, str] | None = None
    names: str | None = None
    shared_ok: bool = False  # may be met by a resource no single cluster owns
    # Missing -> "not verifiable" rather than "fail" (a control kept outside the stack).
    optional: bool = False
    phase: Phase = "cloud"
    alternatives: tuple[Evidence, ...] = ()

    @property
    def options(self) -> tuple[Evidence, ...]:
        return (self, *self.alternatives)

    @property
    def wanted(self) -> str:
        """What a cluster lacks when no option is met."""
        return " or ".join(o.label for o in self.options)


@dataclass(frozen=True)
class Part:
    """One cloud's part of a control, or the part every cloud shares."""

    note: str = ""
    builders: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    principle: str
    clouds: Mapping[str, Part] = field(default_factory=dict)
    common: Part = Part()

    @property
    def notes(self) -> dict[str, str]:
        return {cloud: part.note for cloud, part in self.clouds.items()}


E = Evidence
IN_CLUSTER: dict[str, Any] = {"phase": "cluster"}
_S3_BUCKETS = (t.S3_BUCKET, t.S3_BUCKET_V2)
_S3_LOCKS = (t.S3_OBJECT_LOCK, t.S3_OBJECT_LOCK_V2)
_AKS = (t.AKS_CLUSTER,)
_GKE = (t.GKE_CLUSTER,)
# A launch template the cluster's node groups run (not any launch template in the stack).
_NODE_LT = E("node launch template", (t.LAUNCH_TEMPLATE,),
             named_by=(t.EKS_NODE_GROUP, "launchTemplate.id"))
_ADMISSION = E("admission policy for images", (), where="stack.evidence:admission_policy",
               **IN_CLUSTER)


def _on_cluster(label: str, types: tuple[str, ...]) -> tuple[Evidence, ...]:
    return (E(label, types),)


CONTROLS: tuple[Control, ...] = (
    Control(
        "ZT-API-PRIVATE", "Control plane private, reached only from admitted private ranges",
        "central network control",
        clouds={
            "aws": Part("vpcConfig endpointPublicAccess=false; the cluster SG admits the "
                        "deployer/authorized private ranges on 443",
                        ("zero_trust_clusters.components.aws.component:EksCluster",),
                        _on_cluster("EKS cluster", (t.EKS_CLUSTER,))),
            "azure": Part("apiServerAccessProfile enablePrivateCluster + VNet integration; the "
                          "API subnet NSG admits the ranges",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",
                           "zero_trust_clusters.components.azure.network:build_network"),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("privateClusterConfig enablePrivateEndpoint + master authorized "
                        "networks (private only)",
                        ("zero_trust_clusters.components.gcp.control_plane:build_cluster",),
                        _on_cluster("GKE cluster", _GKE)),
        }),
    Control(
        "ZT-NODE-PRIVATE", "Nodes have no public IPs", "no trust from network location",
        clouds={
            "aws": Part("launch template without public IP",
                        ("zero_trust_clusters.components.aws.pools:build_node_pools",), (_NODE_LT,)),
            "azure": Part("enableNodePublicIP=false",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",
                           "zero_trust_clusters.components.azure.network:build_network"),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("privateClusterConfig enablePrivateNodes",
                        ("zero_trust_clusters.components.gcp.control_plane:build_cluster",
                         "zero_trust_clusters.components.gcp.network:build_network",
                         "zero_trust_clusters.components.gcp.pools:build_pools"),
                        (E("GKE cluster", _GKE), E("GKE node pool", (t.GKE_NODE_POOL,)))),
        }),
    Control(
        "ZT-NET-SEGMENT", "Least-privilege SG / NSG / firewall; no world ingress",
        "virtual networks",
        clouds={
            "aws": Part("security groups and rules", ("zero_trust_clusters.components.aws.component:EksCluster",),
                        _on_cluster("security group", (t.SECURITY_GROUP,))),
            "azure": Part("NSG rules", ("zero_trust_clusters.components.azure.network:build_network",),
                          _on_cluster("network security group", (t.NSG, t.NSG_RULE))),
            "gcp": Part("VPC firewall rules", ("zero_trust_clusters.components.gcp.network:build_network",),
                        _on_cluster("VPC firewall rule", (t.FIREWALL,))),
        }),
    Control(
        "ZT-NODE-TRUSTED-BOOT", "Secure boot + TPM root of trust + integrity monitoring",
        "TPM root of trust",
        clouds={
            "aws": Part("equivalent: per-pool AMI with UEFI Secure Boot keys (uefiData) + "
                        "NitroTPM (tpmSupport v2.0, bootMode uefi), asserted at deploy",
                        ("zero_trust_clusters.components.aws.pools:build_node_pools",),
                        (E("node group on a CUSTOM image", (t.EKS_NODE_GROUP,)),
                         E("launch template or AMI pinning the image",
                           (t.LAUNCH_TEMPLATE, t.AMI)))),
            "azure": Part("Trusted Launch: enableSecureBoot + enableVTPM",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("shielded nodes: secure boot + integrity monitoring",
                        ("zero_trust_clusters.components.gcp.control_plane:build_cluster",
                         "zero_trust_clusters.components.gcp.pools:build_pools"),
                        _on_cluster("GKE node pool", (t.GKE_NODE_POOL,))),
        }),
    Control(
        "ZT-NODE-OS", "Minimal OS, auto upgrade/repair, no SSH", "minimal attack surface",
        clouds={
            "aws": Part("Bottlerocket/AL2023 AMI type, no remoteAccess, no key pair",
                        ("zero_trust_clusters.components.aws.pools:build_node_pools",),
                        _on_cluster("managed node group", (t.EKS_NODE_GROUP,))),
            "azure": Part("AzureLinux osSKU, sshAccess Disabled, node OS upgrade channel",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("COS_CONTAINERD, management autoUpgrade + autoRepair",
                        ("zero_trust_clusters.components.gcp.pools:build_pools",),
                        _on_cluster("GKE node pool", (t.GKE_NODE_POOL,))),
        }),
    Control(
        "ZT-NODE-METADATA", "Node metadata locked", "no node credentials for workloads",
        clouds={
            "aws": Part("IMDSv2 required (httpTokens=required), hop limit 1",
                        ("zero_trust_clusters.components.aws.pools:build_node_pools",), (_NODE_LT,)),
            "azure": Part("equivalent: workload identity (no IMDS token for pods)",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("workloadMetadataConfig mode GKE_METADATA",
                        ("zero_trust_clusters.components.gcp.pools:build_pools",),
                        _on_cluster("GKE node pool", (t.GKE_NODE_POOL,))),
        }),
    Control(
        "ZT-IAM-ONLY", "Cloud IAM is the only way in; no local accounts, certs or ABAC",
        "IAM + RBAC",
        clouds={
            "aws": Part("accessConfig authenticationMode API, creator not admin",
                        ("zero_trust_clusters.components.aws.component:EksCluster",),
                        (E("EKS cluster", (t.EKS_CLUSTER,)),
                         E("EKS access entry", (t.EKS_ACCESS_ENTRY,)))),
            "azure": Part("disableLocalAccounts, managed AAD + Azure RBAC",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("no client certificate, no legacy ABAC, Google Groups for RBAC",
                        ("zero_trust_clusters.components.gcp.control_plane:build_cluster",),
                        _on_cluster("GKE cluster", _GKE)),
        },
        common=Part(builders=("zero_trust_clusters.components.kubernetes.rbac:role_bindings",))),
    Control(
        "ZT-WORKLOAD-IDENTITY", "Workloads get cloud identity without node credentials",
        "per-workload identity",
        clouds={
            "aws": Part("EKS Pod Identity agent (or IRSA OIDC provider)",
                        ("zero_trust_clusters.components.aws.component:EksCluster",),
                        (E("eks-pod-identity-agent add-on or IRSA OIDC provider",
                           (t.EKS_ADDON, t.IAM_OIDC_PROVIDER),
                           where="rules.aws:pod_identity_agent_or_oidc"),)),
            "azure": Part("securityProfile.workloadIdentity + oidcIssuerProfile",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("workloadIdentityConfig workloadPool",
                        ("zero_trust_clusters.components.gcp.control_plane:build_cluster",
                         "zero_trust_clusters.components.gcp.pools:build_pools"),
                        _on_cluster("GKE cluster", _GKE)),
        }),
    Control(
        "ZT-NODE-IDENTITY", "Least-privilege node identity", "least privilege",
        clouds={
            "aws": Part("dedicated node role, no broad managed policies",
                        ("zero_trust_clusters.components.aws.component:EksCluster",),
                        (E("node IAM role (the node groups' nodeRoleArn)", (t.IAM_ROLE,),
                           named_by=(t.EKS_NODE_GROUP, "nodeRoleArn")),)),
            "azure": Part("user-assigned kubelet identity",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",
                           "zero_trust_clusters.components.azure.identity:build_identities"),
                          (E("AKS cluster", _AKS),
                           E("kubelet identity (the cluster's identityProfile.kubeletidentity)",
                             (t.USER_ASSIGNED_IDENTITY,),
                             named_by=(t.AKS_CLUSTER, "identityProfile.kubeletidentity.resourceId"),
                             shared_ok=True))),
            "gcp": Part("dedicated node service account (not the default)",
                        ("zero_trust_clusters.components.gcp.identity:build_node_identity",
                         "zero_trust_clusters.components.gcp.pools:build_pools"),
                        (E("GKE node pool", (t.GKE_NODE_POOL,)),
                         E("node service account (the node pools' nodeConfig.serviceAccount)",
                           (t.GCP_SERVICE_ACCOUNT,),
                           named_by=(t.GKE_NODE_POOL, "nodeConfig.serviceAccount"),
                           shared_ok=True))),
        }),
    # The key is optional evidence: a key brought from outside the program (ClusterArgs.keys,
    # `<cloud>.keys`) cannot have its rotation judged, so its cell is "not verifiable", never a
    # pass; a key declared in the same program is found by reference and judged.
    Control(
        "ZT-SECRETS-KMS", "Secrets envelope-encrypted with a customer key, rotation on",
        "encryption at rest",
        clouds={
            "aws": Part("encryptionConfig secrets + KMS key with rotation",
                        ("zero_trust_clusters.components.aws.component:EksCluster",),
                        (E("EKS cluster", (t.EKS_CLUSTER,)),
                         E("KMS key (the cluster's encryptionConfig key)", (t.KMS_KEY,),
                           named_by=(t.EKS_CLUSTER, "encryptionConfig.provider.keyArn"),
                           shared_ok=True, optional=True))),
            "azure": Part("securityProfile.azureKeyVaultKms",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",
                           "zero_trust_clusters.components.azure.keyvault:build_keys"),
                          (E("AKS cluster", _AKS),
                           E("Key Vault key (the cluster's azureKeyVaultKms keyId)", (t.AZ_KEY,),
                             named_by=(t.AKS_CLUSTER, "securityProfile.azureKeyVaultKms.keyId"),
                             shared_ok=True, optional=True))),
            "gcp": Part("databaseEncryption ENCRYPTED + rotating Cloud KMS key",
                        ("zero_trust_clusters.components.gcp.control_plane:build_cluster",
                         "zero_trust_clusters.components.gcp.kms:build_keys"),
                        (E("GKE cluster", _GKE),
                         E("Cloud KMS key (the cluster's databaseEncryption keyName)",
                           (t.CRYPTO_KEY,), named_by=(t.GKE_CLUSTER, "databaseEncryption.keyName"),
                           shared_ok=True, optional=True))),
        }),
    Control(
        "ZT-DISK-CMK", "Node disks encrypted with a customer key", "encryption at rest",
        clouds={
            "aws": Part("launch template EBS encrypted with kmsKeyId",
                        ("zero_trust_clusters.components.aws.pools:build_node_pools",), (_NODE_LT,)),
            "azure": Part("diskEncryptionSetID + encryption at host",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",
                           "zero_trust_clusters.components.azure.keyvault:build_keys"),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("nodeConfig bootDiskKmsKey",
                        ("zero_trust_clusters.components.gcp.kms:build_keys", "zero_trust_clusters.components.gcp.pools:build_pools"),
                        _on_cluster("GKE node pool", (t.GKE_NODE_POOL,))),
        }),
    Control(
        "ZT-AUDIT-IMMUTABLE", "Audit logs on and kept in WORM storage", "immutable record",
        clouds={
            "aws": Part("all 5 control-plane log types + S3 Object Lock (COMPLIANCE) bucket",
                        ("zero_trust_clusters.components.aws.component:EksCluster",),
                        (E("EKS cluster", (t.EKS_CLUSTER,)),
                         E("Object Lock bucket the cluster's audit delivery stream writes to",
                           _S3_BUCKETS, where="stack.evidence:s3_locked_bucket",
                           named_by=(t.FIREHOSE, "extendedS3Configuration.bucketArn"),
                           shared_ok=True),
                         E("Object Lock configuration of that bucket", _S3_LOCKS,
                           names="bucket", shared_ok=True))),
            "azure": Part("kube-audit diagnostic setting + immutable blob storage",
                          ("zero_trust_clusters.components.azure.audit:build_audit_store",
                           "zero_trust_clusters.components.azure.audit:build_diagnostic_setting"),
                          (E("kube-audit diagnostic setting",
                             (t.DIAGNOSTIC_SETTING, t.DIAGNOSTIC_SETTING_INSIGHTS),
                             where="stack.evidence:aks_audit_setting"),
                           E("immutable blob storage", (t.BLOB_IMMUTABILITY, t.BLOB_CONTAINER),
                             where="stack.evidence:azure_immutable_blob", shared_ok=True))),
            "gcp": Part("APISERVER logging + bucket with locked retention",
                        ("zero_trust_clusters.components.gcp.audit:build_audit", "zero_trust_clusters.components.gcp.component:GkeCluster",
                         "zero_trust_clusters.components.gcp.control_plane:build_cluster",
                         "zero_trust_clusters.components.gcp.kms:build_keys"),
                        (E("GKE cluster", _GKE),
                         E("locked log bucket", (t.GCS_BUCKET, t.LOG_BUCKET),
                           where="stack.evidence:gcp_locked_store", shared_ok=True))),
        }),
    Control(
        "ZT-SANDBOX", "A VM-sandboxed runtime pool behind the common RuntimeClass",
        "sandboxed in VMs",
        clouds={
            "aws": Part("equivalent: gVisor (runsc) node group (no managed option)",
                        ("zero_trust_clusters.components.aws.pools:build_node_pools",),
                        (E("sandbox node group (gVisor) or Fargate profile",
                           (t.EKS_NODE_GROUP, t.EKS_FARGATE), where="rules.aws:eks_sandbox_pool"),)),
            "azure": Part("workloadRuntime KataVmIsolation pool",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",),
                          (E("KataVmIsolation pool", (t.AKS_POOL, t.AKS_CLUSTER),
                             where="rules.azure:aks_sandbox_pool"),)),
            "gcp": Part("sandboxConfig GVISOR pool", ("zero_trust_clusters.components.gcp.pools:build_pools",),
                        (E("GKE Sandbox (gVisor) node pool", (t.GKE_NODE_POOL,),
                           where="rules.gcp:gke_sandbox_pool"),)),
        },
        common=Part(builders=("zero_trust_clusters.components.kubernetes.runtime:runtime_class",),
                    evidence=(E(f"RuntimeClass {SANDBOX_RUNTIME_CLASS!r}", (t.K8S_RUNTIME_CLASS,),
                                where="stack.evidence:sandbox_runtime_class", **IN_CLUSTER),))),
    Control(
        "ZT-NETPOL-DEFAULT-DENY",
        "Policy enforcement on + default-deny in every workload namespace", "no implicit trust",
        clouds={
            "aws": Part("vpc-cni enableNetworkPolicy + default-deny NetworkPolicy",
                        ("zero_trust_clusters.components.aws.component:EksCluster",),
                        (E("vpc-cni add-on", (t.EKS_ADDON,), where="rules.aws:vpc_cni"),)),
            "azure": Part("networkPolicy cilium/azure/calico + default-deny NetworkPolicy",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("ADVANCED_DATAPATH (or networkPolicy) + default-deny NetworkPolicy",
                        ("zero_trust_clusters.components.gcp.control_plane:build_cluster",),
                        _on_cluster("GKE cluster", _GKE)),
        },
        common=Part(builders=("zero_trust_clusters.components.kubernetes.netpol:network_policies",),
                    evidence=(E("a default-deny NetworkPolicy", (t.K8S_NETPOL,),
                                where="stack.evidence:default_deny_policy", **IN_CLUSTER),))),
    Control(
        "ZT-POD-SECURITY", "Pod Security 'restricted' enforced on workload namespaces",
        "least privilege for workloads",
        clouds={cloud: Part("namespace labels") for cloud in ("aws", "azure", "gcp")},
        common=Part(builders=("zero_trust_clusters.components.kubernetes.namespaces:workload_namespace",
                              "zero_trust_clusters.components.kubernetes.namespaces:system_namespace"),
                    evidence=(E("a workload Namespace", (t.K8S_NAMESPACE,),
                                where="stack.evidence:workload_namespace", **IN_CLUSTER),))),
    Control(
        "ZT-MTLS-SHARED-ROOT", "Workload mTLS identities chain to one shared root",
        "authenticated + encrypted service-to-service",
        clouds={cloud: Part("per-cluster intermediate under the shared root")
                for cloud in ("aws", "azure", "gcp")},
        # Identities from the shared root, and traffic that must use them (the mesh).
        common=Part(builders=("zero_trust_clusters.components.pki:SharedPki", "zero_trust_clusters.components.kubernetes.certs:ca_issuer",
                              "zero_trust_clusters.components.kubernetes.certs:trust_bundles",
                              "zero_trust_clusters.components.kubernetes.mesh:mesh_objects"),
                    # Or (any program) the mesh's CA from cert-manager / pulumi-tls, whose chain
                    # to one root shared by every cluster stack/mesh_ca.py follows.
                    evidence=(E("a pki-intermediate for the cluster", (t.DYNAMIC,),
                                where="stack.evidence:pki_intermediate",
                                alternatives=(E("a mesh CA (Istio's cacerts Secret, or istio-csr "
                                                "and its cert-manager CA issuer)",
                                                (t.K8S_SECRET, t.HELM_RELEASE),
                                                where="stack.evidence:mesh_ca", **IN_CLUSTER),)),
                              E("mesh-wide STRICT mTLS (a PeerAuthentication in istio-system)",
                                t.PEER_AUTHENTICATION_TYPES, where="stack.evidence:mesh_wide_strict",
                                **IN_CLUSTER)))),
    Control(
        "ZT-IMAGE-PROVENANCE", "Only signed images from trusted registries run",
        "authorized code only",
        clouds={
            "aws": Part("equivalent: admission policy in the cluster", (), (_ADMISSION,)),
            "azure": Part("azurepolicy add-on (Image Integrity is preview-only)",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("Binary Authorization PROJECT_SINGLETON_POLICY_ENFORCE",
                        ("zero_trust_clusters.components.gcp.control_plane:build_cluster",
                         "zero_trust_clusters.components.gcp.component:GkeCluster"),
                        _on_cluster("GKE cluster", _GKE)),
        },
        common=Part(builders=("zero_trust_clusters.components.kubernetes.provenance:cluster_image_policy",
                              "zero_trust_clusters.components.kubernetes.mesh:mesh_proxy_image_policy",
                              "zero_trust_clusters.components.kubernetes.namespaces:workload_namespace"))),
    Control(
        "ZT-CHANGE-LEDGER", "Every change hashed, signed and logged",
        "immutable record of changes",
        clouds={cloud: Part("signed hash-chained ledger") for cloud in ("aws", "azure", "gcp")},
        # The ledger is written by the deployment (ztc ledger); the stack may hold its WORM store.
        common=Part(builders=("zero_trust_clusters.components.ledger.bucket:LedgerBucket",
                              "zero_trust_clusters.components.ledger.azure_container:LedgerContainer",
                              "zero_trust_clusters.components.ledger.gcs_bucket:LedgerGcsBucket"),
                    evidence=(E("ledger WORM store in the stack",
                                (*t.LEDGER_STORES, t.DYNAMIC), where="stack.evidence:change_ledger",
                                shared_ok=True, optional=True),))),
    Control(
        "ZT-VERSION", "Supported Kubernetes version, automatic upgrades", "patched software",
        clouds={
            "aws": Part("version >= minimum, upgradePolicy STANDARD",
                        ("zero_trust_clusters.components.aws.component:EksCluster",),
                        _on_cluster("EKS cluster", (t.EKS_CLUSTER,))),
            "azure": Part("kubernetesVersion >= minimum, upgradeChannel set",
                          ("zero_trust_clusters.components.azure.control_plane:build_cluster",),
                          _on_cluster("AKS cluster", _AKS)),
            "gcp": Part("release channel, version >= minimum",
                        ("zero_trust_clusters.components.gcp.control_plane:build_cluster",
                         "zero_trust_clusters.components.gcp.pools:build_pools"),
                        _on_cluster("GKE cluster", _GKE)),
        }),
)

CONTROL_IDS: tuple[str, ...] = tuple(c.id for c in CONTROLS)
BY_ID: dict[str, Control] = {c.id: c for c in CONTROLS}
# The clouds whose parts are written here (the pack's built-in clouds, clouds.BUILTIN).
CLOUDS: tuple[str, ...] = tuple(dict.fromkeys(cloud for c in CONTROLS for cloud in c.clouds))
