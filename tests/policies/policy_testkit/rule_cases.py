"""One compliant and one violating resource for every resource rule of the pack."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from policy_testkit.handwritten import build

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the wire sentinel of an unknown string
_ESTATE = build()


@dataclass(frozen=True)
class Case:
    rule: str  # "<control> <cloud> <Type>: <summary>", see rule_id()
    type: str
    good: dict[str, Any]
    bad: dict[str, Any]


def rule_id(r) -> str:
    return f"{r.control} {r.cloud} {r.types[0].rsplit(':', 1)[-1]}: {r.summary}"


def _set(inputs: dict, path: str, value: Any) -> dict:
    out = copy.deepcopy(inputs)
    keys = path.split(".")
    node = out
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    if value is _DELETE:
        node.pop(keys[-1], None)
    elif isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    return out


_DELETE = object()


def mutate(rule: str, name: str, *changes: tuple[str, Any]) -> Case:
    """Good = the hand-written estate's resource; bad = it with `changes` applied."""
    r = _ESTATE.named(name)
    bad = r.inputs
    for path, value in changes:
        bad = _set(bad, path, value)
    return Case(rule, r.type, copy.deepcopy(r.inputs), bad)


def fresh(rule: str, type_: str, good: dict, bad: dict) -> Case:
    return Case(rule, type_, good, bad)


D = _DELETE
_AKS_ID = ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/"
           "managedClusters/hand-azure")
_AKS_WRITER = ("/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"
               "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb")
CASES: list[Case] = [
    # --- AWS ---
    mutate("ZT-API-PRIVATE aws Cluster: private endpoint only", "hand-aws",
           ("vpcConfig.endpointPublicAccess", D)),  # provider default: public, 0.0.0.0/0
    # A public endpoint is a violation even when its CIDRs are restricted.
    mutate("ZT-API-PRIVATE aws Cluster: private endpoint only", "hand-aws",
           ("vpcConfig.endpointPublicAccess", True),
           ("vpcConfig.publicAccessCidrs", ["198.51.100.0/24"])),
    mutate("ZT-IAM-ONLY aws Cluster: access entries only, creator not admin", "hand-aws",
           ("accessConfig.authenticationMode", "API_AND_CONFIG_MAP")),
    mutate("ZT-SECRETS-KMS aws Cluster: secrets envelope-encrypted with KMS", "hand-aws",
           ("encryptionConfig", D)),
    mutate("ZT-SECRETS-KMS aws Key: customer KMS key rotates", "hand-aws-key",
           ("enableKeyRotation", D)),
    mutate("ZT-AUDIT-IMMUTABLE aws Cluster: all five control-plane log types", "hand-aws",
           ("enabledClusterLogTypes", ["api", "audit"])),
    mutate("ZT-AUDIT-IMMUTABLE aws BucketObjectLockConfiguration: Object Lock COMPLIANCE "
           "retention", "hand-aws-audit-lock", ("rule.defaultRetention.mode", "GOVERNANCE")),
    fresh("ZT-AUDIT-IMMUTABLE aws Bucket: lock-enabled bucket", "aws:s3/bucket:Bucket",
          {"objectLockEnabled": True, "objectLockConfiguration": {"objectLockEnabled": "Enabled"}},
          {"objectLockConfiguration": {"objectLockEnabled": "Enabled"}}),
    mutate("ZT-VERSION aws Cluster: supported version, standard support", "hand-aws",
           ("version", "1.27")),
    mutate("ZT-NODE-OS aws NodeGroup: hardened AMI type, no SSH", "hand-aws-general",
           ("remoteAccess", {"ec2SshKey": "ops"})),
    mutate("ZT-NODE-OS aws LaunchTemplate: no SSH key pair", "hand-aws-general-lt",
           ("keyName", "ops")),
    mutate("ZT-NODE-METADATA aws NodeGroup: node group pins a launch template",
           "hand-aws-general", ("launchTemplate", D)),
    mutate("ZT-NODE-METADATA aws LaunchTemplate: IMDSv2 required, hop limit 1",
           "hand-aws-general-lt", ("metadataOptions.httpTokens", D)),  # default: optional
    mutate("ZT-NODE-PRIVATE aws LaunchTemplate: no public IP on node interfaces",
           "hand-aws-general-lt", ("networkInterfaces.0.associatePublicIpAddress", "true")),
    mutate("ZT-NODE-PRIVATE aws Subnet: subnets do not hand out public IPs",
           "hand-aws-private-a", ("mapPublicIpOnLaunch", True)),
    mutate("ZT-DISK-CMK aws LaunchTemplate: EBS encrypted with a customer key",
           "hand-aws-general-lt", ("blockDeviceMappings.0.ebs.encrypted", "false")),
    mutate("ZT-NODE-TRUSTED-BOOT aws NodeGroup: pinned, asserted AMI", "hand-aws-general",
           ("amiType", "AL2023_x86_64_STANDARD")),
    mutate("ZT-NODE-TRUSTED-BOOT aws LaunchTemplate: image pinned", "hand-aws-general-lt",
           ("imageId", D)),
    fresh("ZT-NODE-TRUSTED-BOOT aws Ami: NitroTPM + UEFI Secure Boot AMI", "aws:ec2/ami:Ami",
          {"tpmSupport": "v2.0", "bootMode": "uefi", "uefiData": "QU1aTlVFRkk="},
          {"bootMode": "legacy-bios"}),
    # UEFI + TPM without Secure Boot keys, and uefi-preferred, are not Secure Boot.
    fresh("ZT-NODE-TRUSTED-BOOT aws Ami: NitroTPM + UEFI Secure Boot AMI", "aws:ec2/ami:Ami",
          {"tpmSupport": "v2.0", "bootMode": "uefi", "uefiData": "QU1aTlVFRkk="},
          {"tpmSupport": "v2.0", "bootMode": "uefi"}),
    fresh("ZT-NODE-TRUSTED-BOOT aws Ami: NitroTPM + UEFI Secure Boot AMI", "aws:ec2/ami:Ami",
          {"tpmSupport": "v2.0", "bootMode": "uefi", "uefiData": "QU1aTlVFRkk="},
          {"tpmSupport": "v2.0", "bootMode": "uefi-preferred", "uefiData": "QU1aTlVFRkk="}),
    mutate("ZT-NODE-IDENTITY aws RolePolicyAttachment: no broad policies",
           "hand-aws-node-worker", ("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess")),
    mutate("ZT-NETPOL-DEFAULT-DENY aws Addon: vpc-cni enforces NetworkPolicy", "hand-aws-vpc-cni",
           ("configurationValues", '{"enableNetworkPolicy": "false"}')),
    fresh("ZT-NET-SEGMENT aws SecurityGroup: no world ingress in security groups",
          "aws:ec2/securityGroup:SecurityGroup",
          {"ingress": [{"cidrBlocks": ["10.0.0.0/8"], "fromPort": 443, "toPort": 443}]},
          {"ingress": [{"ipv6CidrBlocks": ["::/0"], "fromPort": 22, "toPort": 22}]}),
    fresh("ZT-NET-SEGMENT aws SecurityGroupRule: no world ingress rule",
          "aws:ec2/securityGroupRule:SecurityGroupRule",
          {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]},
          {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 443, "toPort": 443}),
    mutate("ZT-NET-SEGMENT aws SecurityGroupIngressRule: no world ingress rule",
           "hand-aws-api-in", ("cidrIpv4", "0.0.0.0/0")),
    # --- Azure ---
    mutate("ZT-API-PRIVATE azure ManagedCluster: private cluster or authorized ranges",
           "hand-azure", ("apiServerAccessProfile", D)),
    mutate("ZT-IAM-ONLY azure ManagedCluster: AAD + Azure RBAC, no local accounts",
           "hand-azure", ("disableLocalAccounts", D)),
    mutate("ZT-WORKLOAD-IDENTITY azure ManagedCluster: workload identity + OIDC issuer",
           "hand-azure", ("oidcIssuerProfile.enabled", False)),
    mutate("ZT-NODE-METADATA azure ManagedCluster: equivalent: workload identity",
           "hand-azure", ("securityProfile.workloadIdentity", D)),
    mutate("ZT-SECRETS-KMS azure ManagedCluster: Key Vault KMS for secrets", "hand-azure",
           ("securityProfile.azureKeyVaultKms.enabled", False)),
    mutate("ZT-DISK-CMK azure ManagedCluster: disk encryption set (customer key)", "hand-azure",
           ("diskEncryptionSetID", D)),
    mutate("ZT-NETPOL-DEFAULT-DENY azure ManagedCluster: network policy engine on", "hand-azure",
           ("networkProfile.networkPolicy", "none")),
    mutate("ZT-IMAGE-PROVENANCE azure ManagedCluster: azurepolicy add-on", "hand-azure",
           ("addonProfiles", D)),
    mutate("ZT-VERSION azure ManagedCluster: upgrade channel + supported version", "hand-azure",
           ("autoUpgradeProfile.upgradeChannel", "none")),
    mutate("ZT-NODE-IDENTITY azure ManagedCluster: user-assigned kubelet identity", "hand-azure",
           ("identityProfile", D)),
    mutate("ZT-NODE-OS azure ManagedCluster: node OS upgrade channel", "hand-azure",
           ("autoUpgradeProfile.nodeOSUpgradeChannel", "None")),
    mutate("ZT-NODE-PRIVATE azure ManagedCluster: no node public IPs", "hand-azure",
           ("agentPoolProfiles.0.enableNodePublicIP", True)),
    mutate("ZT-NODE-TRUSTED-BOOT azure ManagedCluster: Trusted Launch: secure boot + vTPM",
           "hand-azure", ("agentPoolProfiles.0.securityProfile.enableVTPM", D)),
    mutate("ZT-NODE-OS azure ManagedCluster: AzureLinux, SSH disabled", "hand-azure-sandbox",
           ("securityProfile.sshAccess", D)),  # default LocalUser; judged on the AgentPool
    mutate("ZT-DISK-CMK azure ManagedCluster: encryption at host", "hand-azure-sandbox",
           ("enableEncryptionAtHost", False)),
    mutate("ZT-NET-SEGMENT azure NetworkSecurityGroup: no world ingress in NSG rules",
           "hand-azure-nsg", ("securityRules.0.sourceAddressPrefix", "Internet")),
    fresh("ZT-NET-SEGMENT azure SecurityRule: no world ingress rule",
          "azure-native:network:SecurityRule",
          {"direction": "Inbound", "access": "Deny", "sourceAddressPrefix": "*"},
          {"direction": "Inbound", "access": "Allow", "sourceAddressPrefix": "0.0.0.0/0",
           "destinationPortRange": "22"}),
    fresh("ZT-IAM-ONLY azure RoleAssignment: AKS RBAC Writer only on namespaces",
          "azure-native:authorization:RoleAssignment",
          {"roleDefinitionId": _AKS_WRITER, "scope": f"{_AKS_ID}/namespaces/payments",
           "principalType": "Group"},
          {"roleDefinitionId": _AKS_WRITER, "scope": _AKS_ID, "principalType": "Group"}),
    # --- GCP ---
    mutate("ZT-API-PRIVATE gcp Cluster: private endpoint only, private authorized networks",
           "hand-gcp", ("privateClusterConfig.enablePrivateEndpoint", False),
           ("masterAuthorizedNetworksConfig", D)),
    # A public endpoint is a violation even behind private authorized networks...
    mutate("ZT-API-PRIVATE gcp Cluster: private endpoint only, private authorized networks",
           "hand-gcp", ("privateClusterConfig.enablePrivateEndpoint", False)),
    # ...and so is a public authorized network (a documentation range is not private).
    mutate("ZT-API-PRIVATE gcp Cluster: private endpoint only, private authorized networks",
           "hand-gcp", ("masterAuthorizedNetworksConfig.cidrBlocks",
                        [{"cidrBlock": "10.255.0.0/24"}, {"cidrBlock": "198.51.100.0/24"}])),
    mutate("ZT-NODE-PRIVATE gcp Cluster: private nodes", "hand-gcp",
           ("privateClusterConfig.enablePrivateNodes", D)),
    mutate("ZT-IAM-ONLY gcp Cluster: no client certs, no ABAC, Groups RBAC", "hand-gcp",
           ("enableLegacyAbac", True)),
    mutate("ZT-WORKLOAD-IDENTITY gcp Cluster: workload identity pool", "hand-gcp",
           ("workloadIdentityConfig", D)),
    mutate("ZT-SECRETS-KMS gcp Cluster: application-layer secrets encryption", "hand-gcp",
           ("databaseEncryption.state", "DECRYPTED")),
    mutate("ZT-SECRETS-KMS gcp CryptoKey: Cloud KMS key rotates", "hand-gcp-key",
           ("rotationPeriod", D)),
    mutate("ZT-AUDIT-IMMUTABLE gcp Cluster: API server logs on", "hand-gcp",
           ("loggingConfig", D)),
    mutate("ZT-AUDIT-IMMUTABLE gcp Bucket: retention policy locked", "hand-gcp-audit",
           ("retentionPolicy.isLocked", False)),
    fresh("ZT-AUDIT-IMMUTABLE gcp ProjectBucketConfig: log bucket locked",
          "gcp:logging/projectBucketConfig:ProjectBucketConfig",
          {"locked": True, "retentionDays": 400}, {"retentionDays": 400}),
    mutate("ZT-NETPOL-DEFAULT-DENY gcp Cluster: Dataplane V2 or network policy", "hand-gcp",
           ("datapathProvider", D)),
    mutate("ZT-IMAGE-PROVENANCE gcp Cluster: Binary Authorization enforced", "hand-gcp",
           ("binaryAuthorization.evaluationMode", "DISABLED")),
    mutate("ZT-VERSION gcp Cluster: release channel + supported version", "hand-gcp",
           ("releaseChannel.channel", "UNSPECIFIED")),
    mutate("ZT-NODE-TRUSTED-BOOT gcp Cluster: shielded nodes", "hand-gcp",
           ("enableShieldedNodes", False)),
    mutate("ZT-NODE-TRUSTED-BOOT gcp NodePool: secure boot + integrity monitoring",
           "hand-gcp-general", ("nodeConfig.shieldedInstanceConfig.enableSecureBoot", D)),
    mutate("ZT-NODE-OS gcp NodePool: COS, auto-upgrade, auto-repair", "hand-gcp-general",
           ("management.autoRepair", False)),
    mutate("ZT-NODE-METADATA gcp NodePool: GKE metadata server", "hand-gcp-general",
           ("nodeConfig.workloadMetadataConfig.mode", "GCE_METADATA")),
    mutate("ZT-NODE-IDENTITY gcp NodePool: dedicated node service account", "hand-gcp-general",
           ("nodeConfig.serviceAccount", D)),  # default: the Compute Engine default account
    mutate("ZT-DISK-CMK gcp NodePool: boot disk customer key", "hand-gcp-general",
           ("nodeConfig.bootDiskKmsKey", D)),
    mutate("ZT-NODE-PRIVATE gcp NodePool: pool does not opt out of private nodes",
           "hand-gcp-general", ("networkConfig.enablePrivateNodes", False)),
    mutate("ZT-NET-SEGMENT gcp Firewall: no world ingress firewall rule", "hand-gcp-control-plane",
           ("sourceRanges", D)),  # GCP reads an ingress rule without sources as 0.0.0.0/0
    # --- Kubernetes / PKI ---
    mutate("ZT-POD-SECURITY kubernetes Namespace: PSA restricted enforced", "hand-aws-frontend",
           ("metadata.labels", {"pod-security.kubernetes.io/enforce": "baseline"})),
    mutate("ZT-SANDBOX kubernetes RuntimeClass: sandboxed RuntimeClass is a VM",
           "hand-gcp-sandboxed", ("handler", "runc")),
    mutate("ZT-IAM-ONLY kubernetes ClusterRoleBinding: no bindings for anonymous users",
           "hand-aws-crb-admins", ("subjects.0.name", "system:anonymous")),
    mutate("ZT-IMAGE-PROVENANCE kubernetes ClusterImagePolicy: image policy pins registries "
           "and signers", "hand-aws-images", ("spec.images", [{"glob": "**"}])),
    mutate("ZT-MTLS-SHARED-ROOT pki Resource: PKI resources name their root",
           "hand-gcp-intermediate", ("clusterName", "")),
    # The mesh: no PERMISSIVE or DISABLE, workload-wide or on one port...
    mutate("ZT-MTLS-SHARED-ROOT kubernetes PeerAuthentication: mTLS STRICT, no PERMISSIVE or "
           "DISABLE", "hand-aws-mesh-mtls", ("spec.mtls.mode", "PERMISSIVE")),
    mutate("ZT-MTLS-SHARED-ROOT kubernetes PeerAuthentication: mTLS STRICT, no PERMISSIVE or "
           "DISABLE", "hand-gcp-payments-mtls", ("spec.portLevelMtls", {"8080": {
               "mode": "DISABLE"}})),
    # ...and ALLOW only by full principal: not `*`, not any trust domain, not by namespace,
    # not without a source.
    mutate("ZT-MTLS-SHARED-ROOT kubernetes AuthorizationPolicy: ALLOW only named SPIFFE "
           "principals", "hand-azure-payments-allow",
           ("spec.rules.0.from.0.source.principals", ["*"])),
    mutate("ZT-MTLS-SHARED-ROOT kubernetes AuthorizationPolicy: ALLOW only named SPIFFE "
           "principals", "hand-azure-payments-allow",
           ("spec.rules.0.from.0.source.principals", ["*/ns/frontend/sa/*"])),
    mutate("ZT-MTLS-SHARED-ROOT kubernetes AuthorizationPolicy: ALLOW only named SPIFFE "
           "principals", "hand-azure-payments-allow",
           ("spec.rules.0.from.0.source", {"namespaces": ["frontend"]})),
    mutate("ZT-MTLS-SHARED-ROOT kubernetes AuthorizationPolicy: ALLOW only named SPIFFE "
           "principals", "hand-aws-mesh-deny", ("spec", {"rules": [{}]})),
    # A static (signature-free) authority for more than exact images.
    mutate("ZT-IMAGE-PROVENANCE kubernetes ClusterImagePolicy: image policy pins registries "
           "and signers", "hand-gcp-mesh-proxy", ("spec.images",
                                                  [{"glob": "gcr.io/istio-release/**"}])),
]

# --- admission engines other than the policy-controller, judged by what they enforce ---------
_VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
_VAP_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
_KYVERNO = "kubernetes:kyverno.io/v1:ClusterPolicy"
_VERIFY = {"imageReferences": ["ghcr.io/acme/*"], "attestors": [{"entries": [{"keyless": {
    "subject": "https://github.com/acme/*", "issuer": "https://token.actions.githubusercontent.com"}}]}]}
CASES += [
    fresh("ZT-IMAGE-PROVENANCE kubernetes ValidatingAdmissionPolicyBinding: admission policy "
          "binding denies", _VAP_BINDING,
          {"metadata": {"name": "images"}, "spec": {"policyName": "images",
                                                    "validationActions": ["Deny", "Audit"]}},
          {"metadata": {"name": "images"}, "spec": {"policyName": "images",
                                                    "validationActions": ["Warn", "Audit"]}}),
    fresh("ZT-IMAGE-PROVENANCE kubernetes ValidatingAdmissionPolicy: admission policy fails "
          "closed", _VAP, {"metadata": {"name": "images"}, "spec": {"failurePolicy": "Fail"}},
          {"metadata": {"name": "images"}, "spec": {"failurePolicy": "Ignore"}}),
    fresh("ZT-IMAGE-PROVENANCE kubernetes ClusterPolicy: Kyverno image verification enforces",
          _KYVERNO, {"metadata": {"name": "images"}, "spec": {
              "validationFailureAction": "enforce", "rules": [{"name": "signed",
                                                               "verifyImages": [_VERIFY]}]}},
          {"metadata": {"name": "images"}, "spec": {  # the default failure action is Audit
              "rules": [{"name": "signed", "verifyImages": [_VERIFY]}]}}),
]

# --- issue 14 part 1: JSON policy documents, key stores, node identities, metadata ---------
_TRUST_EC2 = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}
_SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333"
_ROLE_DEF = _SUB + "/providers/Microsoft.Authorization/roleDefinitions/"
CASES += [
    fresh("ZT-NODE-IDENTITY aws Role: trust and inline policies least-privilege; node role's "
          "managed policies", "aws:iam/role:Role",
          {"assumeRolePolicy": _TRUST_EC2},
          {"assumeRolePolicy": {"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",
                                              "Principal": {"AWS": "*"}}}}),
    fresh("ZT-NODE-IDENTITY aws RolePolicy: identity policy: no *, NotAction or IAM wildcards",
          "aws:iam/rolePolicy:RolePolicy",
          {"role": "r", "policy": '{"Statement": {"Effect": "Allow", '
                                  '"Action": "ec2:DescribeInstances", "Resource": "*"}}'},
          {"role": "r", "policy": '{"Statement": {"Effect": "Allow", "Action": "*", '
                                  '"Resource": "*"}}'}),
    mutate("ZT-SECRETS-KMS aws Key: key policy names its users", "hand-aws-key",
           ("policy", ('{"Statement": [{"Effect": "Allow", "Principal": "*", '
                       '"Action": "kms:Decrypt", "Resource": "*"}]}'))),
    fresh("ZT-AUDIT-IMMUTABLE aws BucketPolicy: bucket policy not public",
          "aws:s3/bucketPolicy:BucketPolicy",
          {"bucket": "b", "policy": '{"Statement": [{"Effect": "Deny", "Principal": "*", '
                                    '"Action": "s3:*", "Resource": "*", "Condition": {"Bool": '
                                    '{"aws:SecureTransport": "false"}}}]}'},
          {"bucket": "b", "policy": '{"Statement": [{"Effect": "Allow", "Principal": "*", '
                                    '"Action": "s3:GetObject", "Resource": "*"}]}'}),
    fresh("ZT-SECRETS-KMS azure Vault: vault purge-protected, soft delete on, no public network "
          "access", "azure-native:keyvault:Vault",
          {"properties": {"enablePurgeProtection": True, "publicNetworkAccess": "Disabled"}},
          {"properties": {"publicNetworkAccess": "Disabled"}}),
    fresh("ZT-NODE-IDENTITY azure RoleAssignment: no Owner/Contributor on a subscription or "
          "wider", "azure-native:authorization:RoleAssignment",
          {"roleDefinitionId": _ROLE_DEF + "b24988ac-6180-42a0-ab88-20f7382dd24c",
           "scope": _SUB + "/resourceGroups/rg-dev-azure/providers/Microsoft.Compute/"
                           "diskEncryptionSets/des-dev-azure"},
          {"roleDefinitionId": _ROLE_DEF + "b24988ac-6180-42a0-ab88-20f7382dd24c",
           "scope": _SUB}),
    mutate("ZT-NODE-METADATA azure ManagedCluster: pods' IMDS access not opened", "hand-azure",
           ("networkProfile.podLinkLocalAccess", "IMDS")),
    fresh("ZT-NODE-IDENTITY gcp IAMMember: no basic roles (owner, editor) on the project",
          "gcp:projects/iAMMember:IAMMember",
          {"project": "p", "role": "roles/container.defaultNodeServiceAccount",
           "member": "serviceAccount:nodes@p.iam.gserviceaccount.com"},
          {"project": "p", "role": "roles/editor",
           "member": "serviceAccount:nodes@p.iam.gserviceaccount.com"}),
]
_ROTATE_90 = {"lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"},
                                   "action": {"type": "rotate"}}],
              "attributes": {"expiryTime": "P1Y"}}
CASES += [
    fresh("ZT-SECRETS-KMS azure Key: Key Vault key rotates", "azure-native:keyvault:Key",
          {"properties": {"kty": "RSA-HSM", "rotationPolicy": _ROTATE_90}},
          {"properties": {"kty": "RSA-HSM"}}),
]
