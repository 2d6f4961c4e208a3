"""Provider type tokens the pack judges."""

# AWS
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_ADDON = "aws:eks/addon:Addon"
EKS_ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
EKS_POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
EKS_FARGATE = "aws:eks/fargateProfile:FargateProfile"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
AMI = "aws:ec2/ami:Ami"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
KMS_KEY = "aws:kms/key:Key"
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
S3_OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
S3_OBJECT_LOCK_V2 = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

# Azure
AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"
AKS_POOL = "azure-native:containerservice:AgentPool"
NSG = "azure-native:network:NetworkSecurityGroup"
NSG_RULE = "azure-native:network:SecurityRule"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
DIAGNOSTIC_SETTING_INSIGHTS = "azure-native:insights:DiagnosticSetting"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
BLOB_IMMUTABILITY = "azure-native:storage:BlobContainerImmutabilityPolicy"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
AZ_KEY = "azure-native:keyvault:Key"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"

# GCP
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
FIREWALL = "gcp:compute/firewall:Firewall"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
KMS_KEY_RING = "gcp:kms/keyRing:KeyRing"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
GCP_SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"

# Key stores, policy documents and identities (issue 14: documents, keys, node identities)
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"  # roles, users, groups
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KEY_VAULT = "azure-native:keyvault:Vault"
GCP_PROJECT_IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
GCP_PROJECT_IAM_BINDING = "gcp:projects/iAMBinding:IAMBinding"
GCP_PROJECT_IAM_POLICY = "gcp:projects/iAMPolicy:IAMPolicy"

# Kubernetes
K8S_NAMESPACE = "kubernetes:core/v1:Namespace"
K8S_CONFIGMAP = "kubernetes:core/v1:ConfigMap"
K8S_NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"
K8S_CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
K8S_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
K8S_VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
K8S_HELM_RELEASE = "kubernetes:helm.sh/v3:Release"  # the mesh's gateways (stack/rules.py)
K8S_VAP_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
K8S_PROVIDER = "pulumi:providers:kubernetes"
# Istio (the mesh, ZT-MTLS-SHARED-ROOT); v1beta1 is still served next to v1.
K8S_PEER_AUTHENTICATION = "kubernetes:security.istio.io/v1:PeerAuthentication"
K8S_PEER_AUTHENTICATION_BETA = "kubernetes:security.istio.io/v1beta1:PeerAuthentication"
K8S_AUTHORIZATION_POLICY = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
K8S_AUTHORIZATION_POLICY_BETA = "kubernetes:security.istio.io/v1beta1:AuthorizationPolicy"
PEER_AUTHENTICATION_TYPES = (K8S_PEER_AUTHENTICATION, K8S_PEER_AUTHENTICATION_BETA)
AUTHORIZATION_POLICY_TYPES = (K8S_AUTHORIZATION_POLICY, K8S_AUTHORIZATION_POLICY_BETA)

# PKI / ledger (resources of this project's components)
LEDGER_BUCKET = "ztc:ledger:LedgerBucket"  # S3 (zero_trust_clusters/components/ledger/bucket.py)
LEDGER_CONTAINER = "ztc:ledger:LedgerContainer"  # Azure Blob (zero_trust_clusters/components/ledger/azure_container.py)
LEDGER_GCS_BUCKET = "ztc:ledger:LedgerGcsBucket"  # Cloud Storage (zero_trust_clusters/components/ledger/gcs_bucket.py)
DYNAMIC = "pulumi-python:dynamic:Resource"
# The `ztcKind` of the dynamic resource that locks a storage account's account-level immutability
# policy in the deployment that creates it (zero_trust_clusters/components/azure/immutability_lock.py).
AZURE_IMMUTABILITY_LOCK_KIND = "azure-native:account-immutability-lock"
# The change ledger's WORM store component on each cloud.
LEDGER_STORES = {LEDGER_BUCKET: "aws", LEDGER_CONTAINER: "azure", LEDGER_GCS_BUCKET: "gcp"}


# Admission engines judged by content (ZT-IMAGE-PROVENANCE), logging and the audit chain
# (ZT-AUDIT-IMMUTABLE-chain), the policy-controller chart's settings.
KYVERNO_CLUSTER_POLICY = "kubernetes:kyverno.io/v1:ClusterPolicy"
KYVERNO_POLICY = "kubernetes:kyverno.io/v1:Policy"
KYVERNO_POLICY_TYPES = (KYVERNO_CLUSTER_POLICY, KYVERNO_POLICY)
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
LOG_SUBSCRIPTION = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
PROJECT_SINK = "gcp:logging/projectSink:ProjectSink"
FOLDER_SINK = "gcp:logging/folderSink:FolderSink"
ORGANIZATION_SINK = "gcp:logging/organizationSink:OrganizationSink"
BINAUTHZ_POLICY = "gcp:binaryauthorization/policy:Policy"

# Equivalent evidence from programs our components did not write (issue 14 part 2).
# cert-manager (https://cert-manager.io/docs/reference/api-docs/, CRDs cert-manager.io/v1) and
# the pulumi-tls certificates a CA Secret may hold (pulumi-tls 5.6.2 type tokens).
K8S_SECRET = "kubernetes:core/v1:Secret"
CM_ISSUER = "kubernetes:cert-manager.io/v1:Issuer"
CM_CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
CM_ISSUER_TYPES = (CM_ISSUER, CM_CLUSTER_ISSUER)
CM_CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
TLS_SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert"
TLS_LOCALLY_SIGNED_CERT = "tls:index/locallySignedCert:LocallySignedCert"
TLS_CERTS = (TLS_SELF_SIGNED_CERT, TLS_LOCALLY_SIGNED_CERT)
# OPA Gatekeeper and Ratify (image signatures through Gatekeeper's external data). Constraint
# kinds are made at run time from each template, so constraints are matched by group.
GATEKEEPER_TEMPLATE = "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate"
GATEKEEPER_TEMPLATE_BETA = "kubernetes:templates.gatekeeper.sh/v1beta1:ConstraintTemplate"
GATEKEEPER_TEMPLATE_TYPES = (GATEKEEPER_TEMPLATE, GATEKEEPER_TEMPLATE_BETA)
GATEKEEPER_CONSTRAINT_PREFIX = "kubernetes:constraints.gatekeeper.sh/"
GATEKEEPER_CONFIG = "kubernetes:config.gatekeeper.sh/v1alpha1:Config"
GATEKEEPER_PROVIDER = "kubernetes:externaldata.gatekeeper.sh/v1beta1:Provider"
GATEKEEPER_PROVIDER_ALPHA = "kubernetes:externaldata.gatekeeper.sh/v1alpha1:Provider"
GATEKEEPER_PROVIDER_TYPES = (GATEKEEPER_PROVIDER, GATEKEEPER_PROVIDER_ALPHA)
RATIFY_VERIFIER = "kubernetes:config.ratify.deislabs.io/v1beta1:Verifier"


def _declared() -> frozenset[str]:
    return frozenset(v for k, v in globals().items()
                     if k.isupper() and isinstance(v, str) and ":" in v)


# Types whose properties some rule or evidence reads; stack rules skip unwrapping the rest.
JUDGED_TYPES = _declared()


def props_needed(type_: str) -> bool:
    return type_ in JUDGED_TYPES or type_.endswith(":ClusterImagePolicy") or type_.startswith(
        GATEKEEPER_CONSTRAINT_PREFIX)

