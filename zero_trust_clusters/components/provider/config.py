"""The stack config (`posture`, `clusters`) as typed inputs Pulumi's component analyzer reads.

Each TypedDict mirrors one model of zero_trust_clusters/components/spec.py (or a cloud's settings model in
zero_trust_clusters/components/<cloud>/cloud.py) field for field; the analyzer turns the snake_case names into the
camelCase keys of the stack file (`node_cidr` -> `nodeCidr`) and the string after each field into
its description. The models stay the one validator: the facades hand these dicts to
`load_spec` (tests/provider checks that every model field is here, with a description).

No `from __future__ import annotations` in this package: the analyzer reads the annotations
as types, and postponed (string) annotations break it. The fields are plain (not
`pulumi.Input`): the config decides which resources exist, so it must be known at preview.
"""

from enum import Enum
from typing import NotRequired, TypedDict


class RootMode(str, Enum):
    """Where the shared root comes from."""

    MANAGED = "managed"
    """Issued by `pulumi up` and kept in the stack's state."""
    OFFLINE = "offline"
    """Kept offline (`ztc pki init-root`); not available through the component provider."""


class KeyAlgorithm(str, Enum):
    """The key algorithm of the root and the clusters' intermediates."""

    ECDSA_P256 = "ecdsa-p256"
    """ECDSA on NIST P-256."""
    ECDSA_P384 = "ecdsa-p384"
    """ECDSA on NIST P-384."""


class SandboxRuntimeClass(str, Enum):
    """The one RuntimeClass name untrusted workloads use on every cloud."""

    SANDBOXED = "sandboxed"
    """The VM sandbox of each cloud (gVisor on EKS and GKE, Kata on AKS)."""


class TaintEffect(str, Enum):
    """A Kubernetes taint effect."""

    NO_SCHEDULE = "NoSchedule"
    """New pods without a matching toleration are not scheduled there."""
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    """The scheduler avoids the node for pods without a matching toleration."""
    NO_EXECUTE = "NoExecute"
    """Pods without a matching toleration are not scheduled there and are evicted."""


class PortableGroup(TypedDict):
    """One group and its identity on each cloud; RBAC binds the same role everywhere."""

    kubernetes_group: str
    """Kubernetes group name used in RBAC bindings and EKS access entries."""
    aws_role_arns: NotRequired[list[str]]
    """IAM role ARNs whose sessions are this group on EKS."""
    azure_group_object_id: NotRequired[str]
    """Entra ID group object id (a UUID) of this group on AKS."""
    gcp_group_email: NotRequired[str]
    """Google Group e-mail address of this group on GKE."""


class Groups(TypedDict):
    """The three portable groups every cluster binds."""

    admins: PortableGroup
    """Cluster administrators (and the cluster-phase runner's identity)."""
    developers: PortableGroup
    """Developers: write access to the workload namespaces."""
    auditors: PortableGroup
    """Auditors: read-only access."""
    gcp_security_group: NotRequired[str]
    """Google Groups for RBAC parent group, named gke-security-groups@<your-domain>."""


class DeployerSettings(TypedDict):
    """Where the cluster phase (the in-cluster baseline) is applied from."""

    networks: list[str]
    """Private ranges of the cluster phase's runner, admitted to every API server on 443."""


class ExportedService(TypedDict):
    """A service other clusters call through this cluster's east-west gateway."""

    name: str
    """Service name in its namespace."""
    port: int
    """Service port."""
    service_account: NotRequired[str]
    """ServiceAccount of its pods (the SPIFFE ID callers require); default: the name."""


class WorkloadNamespace(TypedDict):
    """A workload namespace: default-deny, with explicit allows only."""

    name: str
    """Namespace name (not a system namespace)."""
    ingress_from_namespaces: NotRequired[list[str]]
    """Workload namespaces allowed to call this one."""
    egress_to_cidrs: NotRequired[list[str]]
    """Ranges this namespace may call; never the whole Internet."""
    sandboxed: NotRequired[bool]
    """Pods run in RuntimeClass sandboxed, outside the mesh, behind their own sandbox gateway."""
    ingress_from_clusters: NotRequired[list[str]]
    """Clusters (names, or '*' for all) whose declared callers may call this namespace."""
    exported_services: NotRequired[list[ExportedService]]
    """Services the clusters of ingressFromClusters route to."""


class SandboxSettings(TypedDict):
    """The VM sandbox for untrusted workloads."""

    runtime_class_name: NotRequired[SandboxRuntimeClass]
    """The RuntimeClass name (always `sandboxed`)."""


class SigningIdentity(TypedDict):
    """A Sigstore keyless identity whose signatures are trusted."""

    issuer: str
    """OIDC issuer URL (https://)."""
    subject: str
    """Certificate subject (e.g. the signing workflow's identity)."""


class ImageProvenance(TypedDict):
    """Which images may run: from trusted registries, signed by trusted identities."""

    trusted_registries: list[str]
    """Registry prefixes images may come from."""
    signing_identities: list[SigningIdentity]
    """Keyless identities whose signatures are accepted."""


class PkiSettings(TypedDict):
    """The shared PKI: where the root comes from and how long certificates live."""

    root_mode: NotRequired[RootMode]
    """managed (default) or offline."""
    offline_root_certificate_file: NotRequired[str]
    """For rootMode offline: the PEM written by `ztc pki init-root`."""
    key_algorithm: NotRequired[KeyAlgorithm]
    """Key algorithm (default ecdsa-p256)."""
    root_validity_days: NotRequired[int]
    """Root validity in days (365-7300, default 3650)."""
    intermediate_validity_days: NotRequired[int]
    """Per-cluster intermediate validity in days (30-1095, default 365)."""
    leaf_validity_hours: NotRequired[int]
    """Workload certificate validity in hours (1-720, default 24)."""
    root_rotation: NotRequired[str]
    """Change to rotate the managed root; both roots stay in the trust bundle meanwhile."""
    intermediate_rotations: NotRequired[dict[str, str]]
    """Cluster name -> token; change one to reissue that cluster's intermediate."""
    uri_name_constraints: NotRequired[bool]
    """Confine each intermediate to its SPIFFE trust domain (default true; the mesh needs it)."""


class LedgerSettings(TypedDict):
    """Where `ztc ledger record` appends: a local directory (nothing set) or a WORM store."""

    cloud: NotRequired[str]
    """The store's cloud, a registered cloud with a ledger store: aws (an S3 Object Lock
    bucket), azure (a blob container with a locked immutability policy) or gcp (a Cloud Storage
    bucket with a locked retention policy); default aws when bucketName is set."""
    bucket_name: NotRequired[str]
    """S3 or Cloud Storage bucket name."""
    region: NotRequired[str]
    """AWS region of the S3 bucket."""
    account_role_arn: NotRequired[str]
    """IAM role to assume in the ledger's AWS account."""
    storage_account: NotRequired[str]
    """Azure storage account name."""
    container: NotRequired[str]
    """Azure blob container name."""
    resource_group: NotRequired[str]
    """An existing Azure resource group to use."""
    subscription_id: NotRequired[str]
    """Azure subscription id (a UUID)."""
    tenant_id: NotRequired[str]
    """Azure tenant id (a UUID)."""
    location: NotRequired[str]
    """Azure region or Cloud Storage location."""
    project: NotRequired[str]
    """GCP project id of the Cloud Storage bucket."""
    retention_days: NotRequired[int]
    """Retention lock in days (1-36500, default 2555)."""


class Posture(TypedDict):
    """The zero-trust posture every cluster reproduces, whatever its cloud."""

    trust_domain: str
    """SPIFFE trust domain of the estate (a DNS name); each cluster gets <cluster>.<domain>."""
    kubernetes_version: str
    """Kubernetes minor version, one supported by EKS, AKS and GKE (e.g. 1.35)."""
    groups: Groups
    """The portable admin, developer and auditor groups."""
    authorized_networks: NotRequired[list[str]]
    """People's private ranges (offices, VPN pools) admitted to every private API server."""
    deployer: NotRequired[DeployerSettings]
    """Where the cluster phase runs from (required: every API server is private)."""
    workload_namespaces: list[WorkloadNamespace]
    """The workload namespaces, each default-deny."""
    sandbox: NotRequired[SandboxSettings]
    """The VM sandbox for untrusted workloads."""
    image_provenance: ImageProvenance
    """Trusted registries and signing identities."""
    pki: NotRequired[PkiSettings]
    """The shared PKI's settings."""
    audit_retention_days: NotRequired[int]
    """Audit log retention in immutable storage, in days (1-3650, default 365)."""
    ledger: NotRequired[LedgerSettings]
    """The change ledger's store."""
    mesh: NotRequired[bool]
    """Istio with STRICT mTLS and identity authorization on every cluster (default true)."""


class NodePool(TypedDict):
    """One node pool's machine type and size."""

    machine_type: str
    """The cloud's machine type (e.g. m7i.large, Standard_D4ds_v5, n2-standard-4)."""
    min_size: NotRequired[int]
    """Minimum node count (default 1)."""
    max_size: int
    """Maximum node count."""
    disk_size_gb: NotRequired[int]
    """OS disk size in GB (20-2048, default 50)."""


class NodePools(TypedDict):
    """The three pools every cluster has."""

    system: NodePool
    """System pool: cluster add-ons only."""
    general: NodePool
    """General pool: ordinary workloads."""
    sandbox: NodePool
    """Sandbox pool: workloads of the `sandboxed` RuntimeClass, in a VM sandbox."""


class Taint(TypedDict):
    """A node taint of a user pool."""

    key: str
    """Taint key (a Kubernetes label key outside the reserved namespaces)."""
    value: NotRequired[str]
    """Taint value (default empty)."""
    effect: NotRequired[TaintEffect]
    """Taint effect (default NoSchedule)."""


class UserPool(TypedDict):
    """A user pool beside the mandatory ones, with the same hardening."""

    machine_type: str
    """The cloud's machine type; a GPU machine type of the cloud when gpu is true."""
    min_size: NotRequired[int]
    """Minimum node count (default 0: the pool may scale to zero)."""
    max_size: int
    """Maximum node count."""
    disk_size_gb: NotRequired[int]
    """OS disk size in GB (20-2048, default 50)."""
    labels: NotRequired[dict[str, str]]
    """Kubernetes node labels (reserved namespaces refused)."""
    taints: NotRequired[list[Taint]]
    """Kubernetes node taints, one per key."""
    spot: NotRequired[bool]
    """Spot / preemptible capacity (default false)."""
    gpu: NotRequired[bool]
    """An NVIDIA GPU pool with the cloud's GPU image and driver (default false)."""


class AwsAddonVersions(TypedDict):
    """Explicit EKS add-on versions (vX.Y.Z-eksbuild.N); unpinned ones stay where created."""

    vpc_cni: NotRequired[str]
    """vpc-cni add-on version (at least v1.22.1)."""
    coredns: NotRequired[str]
    """coredns add-on version."""
    kube_proxy: NotRequired[str]
    """kube-proxy add-on version."""
    pod_identity_agent: NotRequired[str]
    """eks-pod-identity-agent add-on version."""


class AwsNodeImages(TypedDict):
    """One trusted AMI per node pool."""

    system: NotRequired[str]
    """AMI of the system pool (Bottlerocket)."""
    general: NotRequired[str]
    """AMI of the general pool (Bottlerocket)."""
    sandbox: NotRequired[str]
    """AMI of the sandbox pool (AL2023 with nodeadm and gVisor)."""


class AwsNetworkSettings(TypedDict):
    """An existing VPC for the cluster (zero_trust_clusters/components/aws/network.py EksNetworkArgs)."""

    vpc_id: str
    """The VPC (vpc-...); nodeCidr is then its range."""
    node_subnet_ids: list[str]
    """Private node subnets (subnet-...), in at least two availability zones."""
    pod_subnet_ids: list[str]
    """Subnets pod IPs come from (subnet-...); podCidr is then their range."""


class AwsKeysSettings(TypedDict):
    """Existing KMS keys for the cluster (zero_trust_clusters/components/aws/kms.py EksKeysArgs)."""

    secrets_key_arn: str
    """The Kubernetes Secrets envelope key's ARN (symmetric, the cluster's Region)."""
    disks_key_arn: str
    """The node EBS volumes' key ARN (symmetric, the cluster's Region)."""


class AwsSettings(TypedDict):
    """An EKS cluster's `aws` block."""

    account_role_arn: NotRequired[str]
    """Role to assume in this cluster's account; ambient credentials when absent."""
    ami_id: NotRequired[str]
    """AMI of the system and general pools (older form of amiIds)."""
    ami_ids: NotRequired[AwsNodeImages]
    """One AMI per pool; wins over amiId."""
    pool_ami_ids: NotRequired[dict[str, str]]
    """One trusted AMI per user pool, by pool name."""
    addon_versions: NotRequired[AwsAddonVersions]
    """Explicit EKS add-on versions."""
    network: NotRequired[AwsNetworkSettings]
    """An existing VPC and subnets; absent: the cluster creates its own VPC."""
    keys: NotRequired[AwsKeysSettings]
    """Existing KMS keys; absent: the cluster creates its own."""


class OutboundType(str, Enum):
    """How a brought node subnet reaches out."""

    USER_ASSIGNED_NAT_GATEWAY = "userAssignedNATGateway"
    """The NAT gateway associated to the node subnet."""
    USER_DEFINED_ROUTING = "userDefinedRouting"
    """The node subnet's route table (e.g. to a firewall)."""


class AzureNetworkSettings(TypedDict):
    """An existing VNet for the cluster (zero_trust_clusters/components/azure/network.py AksNetworkArgs)."""

    node_subnet_id: str
    """The node subnet's ARM id."""
    node_subnet_cidr: str
    """The node subnet's range (inside nodeCidr, the VNet's range)."""
    api_server_subnet_id: str
    """The API server subnet's ARM id: delegated to AKS, at least a /28, in the nodes' VNet."""
    api_server_subnet_cidr: str
    """The API server subnet's range."""
    node_nsg_id: str
    """The NSG attached to the node subnet; the posture's rules are added to it."""
    api_server_nsg_id: str
    """The NSG attached to the API server subnet; the posture's rules are added to it."""
    outbound_type: NotRequired[OutboundType]
    """The node subnet's egress (default userAssignedNATGateway)."""


class AzureKeysSettings(TypedDict):
    """An existing key and disk encryption set (zero_trust_clusters/components/azure/keyvault.py AksKeysArgs)."""

    kms_key_id: str
    """The KMS key's identifier with its version (https://<vault>.vault.azure.net/keys/<key>/<version>)."""
    key_vault_id: str
    """The ARM id of the key vault holding it."""
    disk_encryption_set_id: str
    """The ARM id of the disk encryption set for node disks."""


class AzureSettings(TypedDict):
    """An AKS cluster's `azure` block."""

    subscription_id: str
    """Azure subscription id (a UUID)."""
    tenant_id: str
    """Entra ID tenant id (a UUID)."""
    resource_group: NotRequired[str]
    """An existing resource group to deploy into; one is created when absent."""
    network: NotRequired[AzureNetworkSettings]
    """An existing VNet, subnets and NSGs; absent: the cluster creates its own."""
    keys: NotRequired[AzureKeysSettings]
    """An existing key and disk encryption set; absent: the cluster creates its own."""


class GcpNetworkSettings(TypedDict):
    """An existing VPC network for the cluster (zero_trust_clusters/components/gcp/network.py GkeNetworkArgs)."""

    network: str
    """The VPC network (projects/<p>/global/networks/<n>)."""
    subnetwork: str
    """The nodes' subnetwork (projects/<p>/regions/<r>/subnetworks/<s>); nodeCidr is its range."""
    pods_range_name: str
    """The subnetwork's secondary range for pods (podCidr)."""
    services_range_name: str
    """The subnetwork's secondary range for Services (serviceCidr)."""
    control_plane_cidr: str
    """The private control plane's /28, unused in the network."""


class GcpKeysSettings(TypedDict):
    """Existing Cloud KMS keys for the cluster (zero_trust_clusters/components/gcp/kms.py GkeKeysArgs)."""

    secrets_key: str
    """Secrets encryption key (projects/<p>/locations/<region>/keyRings/<r>/cryptoKeys/<k>)."""
    disks_key: str
    """Node boot disks' key, the cluster's region."""
    audit_key: str
    """The audit bucket's key, the cluster's region."""


class GcpSettings(TypedDict):
    """A GKE cluster's `gcp` block."""

    project: str
    """GCP project id."""
    network: NotRequired[GcpNetworkSettings]
    """An existing VPC network and subnetwork; absent: the cluster creates its own."""
    keys: NotRequired[GcpKeysSettings]
    """Existing Cloud KMS keys; absent: the cluster creates its own key ring and keys."""


class Cluster(TypedDict):
    """One cluster: its cloud, region, address ranges and node pools."""

    name: str
    """Cluster name: 1-20 lowercase letters, digits or '-', starting with a letter."""
    cloud: str
    """The cloud: aws, azure or gcp (a cloud registered in zero_trust_clusters/components/clouds.py)."""
    region: str
    """The cloud's region (e.g. eu-west-1, westeurope, europe-west1)."""
    node_cidr: str
    """Private IPv4 range of the nodes (/16 to /22)."""
    pod_cidr: str
    """Private IPv4 range of the pods (/16 to /20)."""
    service_cidr: str
    """Private IPv4 range of the services (/16 to /24)."""
    node_pools: NodePools
    """The system, general and sandbox pools."""
    pools: NotRequired[dict[str, UserPool]]
    """User pools by name (1-12 lowercase letters and digits): GPU, spot, labels, taints."""
    kubernetes_version: NotRequired[str]
    """This cluster's Kubernetes minor version (default: the posture's), so it can go first."""
    decommission: NotRequired[bool]
    """Lift protect, retainOnDelete and deletion protection so the cluster can be destroyed."""
    labels: NotRequired[dict[str, str]]
    """Labels (tags) on the cluster's resources."""
    aws: NotRequired[AwsSettings]
    """Settings of a cluster on aws."""
    azure: NotRequired[AzureSettings]
    """Settings of a cluster on azure (required there)."""
    gcp: NotRequired[GcpSettings]
    """Settings of a cluster on gcp (required there)."""
