"""A compliant three-cloud estate written by hand with raw provider types (no components).

It proves the pack judges any resource of the provider types, whoever wrote it, and it is the
base every per-rule compliant/violating case mutates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from zero_trust_clusters.engine.mocks import CapturedResource

STACK = "hand"
PROJECT = "handwritten"
FP = "ab" * 32  # the shared root's SHA-256 fingerprint
GCP_KEY = "projects/p/locations/global/keyRings/r/cryptoKeys/k"  # hand-gcp-key's full name


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


@dataclass
class Estate:
    resources: list[CapturedResource] = field(default_factory=list)

    def add(self, type_: str, name: str, inputs: dict[str, Any], *, deps: list[str] = (),
            provider: str = "", parent: str = "", prop_deps: dict | None = None,
            custom: bool = True) -> str:
        u = urn(type_, name)
        self.resources.append(CapturedResource(
            type=type_, name=name, urn=u, parent=parent, provider=provider, custom=custom,
            dependencies=list(deps), property_dependencies=dict(prop_deps or {}),
            inputs=inputs, outputs={}, id=f"{name}-id"))
        return u

    def named(self, name: str) -> CapturedResource:
        (found,) = [r for r in self.resources if r.name == name]
        return found


def baseline(e: Estate, cluster: str, cluster_urn: str, handler: str, selector: dict) -> None:
    """The in-cluster objects, through a kubernetes provider that depends on the cluster."""
    prov = e.add("pulumi:providers:kubernetes", f"{cluster}-k8s", {"kubeconfig": "{}"},
                 deps=[cluster_urn])
    ref = f"{prov}::{cluster}-k8s-id"
    for ns in ("frontend", "payments"):
        e.add("kubernetes:core/v1:Namespace", f"{cluster}-{ns}", {"metadata": {
            "name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted",
                                   "policy.sigstore.dev/include": "true",
                                   "istio-injection": "enabled"}}}, provider=ref)
        e.add("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{cluster}-{ns}-deny", {
            "metadata": {"name": "default-deny-all", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}, provider=ref)
        e.add("kubernetes:security.istio.io/v1:PeerAuthentication", f"{cluster}-{ns}-mtls", {
            "metadata": {"name": "default", "namespace": ns},
            "spec": {"mtls": {"mode": "STRICT"}}}, provider=ref)
    mesh(e, cluster, ref)
    e.add("kubernetes:core/v1:Namespace", f"{cluster}-cosign-system", {"metadata": {
        "name": "cosign-system", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}},
        provider=ref)
    e.add("kubernetes:node.k8s.io/v1:RuntimeClass", f"{cluster}-sandboxed", {
        "metadata": {"name": "sandboxed"}, "handler": handler,
        "scheduling": {"nodeSelector": selector, "tolerations": [
            {"key": k, "operator": "Equal", "value": v, "effect": "NoSchedule"}
            for k, v in selector.items()]}}, provider=ref)
    e.add("kubernetes:helm.sh/v3:Release", f"{cluster}-policy-controller", {
        "chart": "policy-controller", "namespace": "cosign-system",
        "values": {"webhook": {"configData": {"no-match-policy": "deny"}}}}, provider=ref)
    e.add("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", f"{cluster}-crb-admins", {
        "metadata": {"name": "ztc-admins"}, "roleRef": {"kind": "ClusterRole",
                                                        "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "name": "ztc-admins"}]}, provider=ref)
    e.add("kubernetes:policy.sigstore.dev/v1beta1:ClusterImagePolicy", f"{cluster}-images", {
        "metadata": {"name": "ztc-trusted-images"},
        "spec": {"images": [{"glob": "ghcr.io/acme/**"}],
                 "authorities": [{"keyless": {"url": "https://fulcio.sigstore.dev", "identities": [
                     {"issuer": "https://token.actions.githubusercontent.com",
                      "subject": "https://github.com/acme/release/.github/workflows/sign.yml"
                                 "@refs/heads/main"}]}}]}},
        provider=ref)


TRUST_DOMAINS = [f"{c}.hand.example.com" for c in ("hand-aws", "hand-azure", "hand-gcp")]


def mesh(e: Estate, cluster: str, ref: str) -> None:
    """STRICT mesh-wide, deny by default, payments accepts frontend (the NetworkPolicy says
    the same) from every cluster's trust domain."""
    e.add("kubernetes:core/v1:Namespace", f"{cluster}-istio-system", {"metadata": {
        "name": "istio-system", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
        provider=ref)
    e.add("kubernetes:security.istio.io/v1:PeerAuthentication", f"{cluster}-mesh-mtls", {
        "metadata": {"name": "default", "namespace": "istio-system"},
        "spec": {"mtls": {"mode": "STRICT"}}}, provider=ref)
    e.add("kubernetes:security.istio.io/v1:AuthorizationPolicy", f"{cluster}-mesh-deny", {
        "metadata": {"name": "allow-nothing", "namespace": "istio-system"}, "spec": {}},
        provider=ref)
    e.add("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{cluster}-payments-from-frontend", {
        "metadata": {"name": "allow-ingress-from-frontend", "namespace": "payments"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [
            {"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "frontend"}}}]}]}}, provider=ref)
    e.add("kubernetes:security.istio.io/v1:AuthorizationPolicy", f"{cluster}-payments-allow", {
        "metadata": {"name": "allow-from-frontend", "namespace": "payments"},
        "spec": {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": [
            f"{td}/ns/frontend/sa/*" for td in TRUST_DOMAINS]}}]}]}}, provider=ref)
    e.add("kubernetes:policy.sigstore.dev/v1beta1:ClusterImagePolicy", f"{cluster}-mesh-proxy", {
        "metadata": {"name": "ztc-mesh-proxy"},
        "spec": {"images": [{"glob": "gcr.io/istio-release/proxyv2:1.30.3-distroless"},
                            {"glob": "gcr.io/istio-release/proxyv2:1.30.3-distroless@sha256:*"}],
                 "authorities": [{"name": "pinned", "static": {"action": "pass"}}]}},
        provider=ref)


def aws(e: Estate, root: str) -> None:
    n = "hand-aws"
    key = e.add("aws:kms/key:Key", f"{n}-key", {"enableKeyRotation": True})
    role = e.add("aws:iam/role:Role", f"{n}-node-role", {"assumeRolePolicy": "{}"})
    e.add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", f"{n}-node-worker", {
        "role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
        deps=[role])
    sg = e.add("aws:ec2/securityGroup:SecurityGroup", f"{n}-node-sg", {"vpcId": "vpc-1"})
    e.add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", f"{n}-api-in", {
        "securityGroupId": "sg-1", "cidrIpv4": "10.10.0.0/16", "ipProtocol": "tcp",
        "fromPort": 443, "toPort": 443}, deps=[sg])
    e.add("aws:ec2/subnet:Subnet", f"{n}-private-a", {"vpcId": "vpc-1",
                                                      "cidrBlock": "10.10.0.0/20"})
    cluster = e.add("aws:eks/cluster:Cluster", n, {
        "version": "1.35", "roleArn": "arn",
        "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False,
                      "securityGroupIds": ["sg-1"]},
        "accessConfig": {"authenticationMode": "API",
                         "bootstrapClusterCreatorAdminPermissions": False},
        "encryptionConfig": {"provider": {"keyArn": "arn:aws:kms:k"}, "resources": ["secrets"]},
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager",
                                   "scheduler"],
        "upgradePolicy": {"supportType": "STANDARD"}}, deps=[key, role, sg],
        prop_deps={"encryptionConfig": [key]})
    for pool in ("general", "sandbox"):
        lt = e.add("aws:ec2/launchTemplate:LaunchTemplate", f"{n}-{pool}-lt", {
            "imageId": "ami-0123", "metadataOptions": {"httpTokens": "required",
                                                       "httpPutResponseHopLimit": 1},
            "networkInterfaces": [{"associatePublicIpAddress": "false"}],
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                "encrypted": "true", "kmsKeyId": "arn:aws:kms:k"}}]}, deps=[key, sg])
        labels = {"ztc.io/pool": pool}
        taints = []
        if pool == "sandbox":
            labels["sandbox.ztc.io/runtime"] = "gvisor"
            taints = [{"key": "sandbox.ztc.io/runtime", "value": "gvisor",
                       "effect": "NO_SCHEDULE"}]
        e.add("aws:eks/nodeGroup:NodeGroup", f"{n}-{pool}", {
            "clusterName": n, "nodeRoleArn": "arn", "amiType": "CUSTOM",
            "launchTemplate": {"id": "lt-1", "version": "1"}, "labels": labels,
            "taints": taints}, deps=[cluster, lt, role],
            prop_deps={"nodeRoleArn": [role], "launchTemplate": [lt]})
    e.add("aws:eks/addon:Addon", f"{n}-vpc-cni", {
        "clusterName": n, "addonName": "vpc-cni",
        "configurationValues": json.dumps({"enableNetworkPolicy": "true"})}, deps=[cluster])
    e.add("aws:eks/addon:Addon", f"{n}-pod-identity", {
        "clusterName": n, "addonName": "eks-pod-identity-agent"}, deps=[cluster])
    e.add("aws:eks/accessEntry:AccessEntry", f"{n}-admins", {
        "clusterName": n, "principalArn": "arn:role/admins"}, deps=[cluster])
    bucket = e.add("aws:s3/bucket:Bucket", f"{n}-audit", {"objectLockEnabled": True,
                                                          "bucket": f"{n}-audit"})
    e.add("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", f"{n}-audit-lock", {
        "bucket": f"{n}-audit",
        "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 90}}},
        deps=[bucket])
    e.add("aws:cloudwatch/logGroup:LogGroup", f"{n}-logs", {"name": f"/aws/eks/{n}/cluster",
                                                           "retentionInDays": 90},
          deps=[bucket, cluster])
    audit_copy(e, n, bucket)
    intermediate(e, n, root, cluster)
    baseline(e, n, cluster, "runsc", {"sandbox.ztc.io/runtime": "gvisor"})


def azure(e: Estate, root: str) -> None:
    n = "hand-azure"
    nsg = e.add("azure-native:network:NetworkSecurityGroup", f"{n}-nsg", {"securityRules": [
        {"name": "allow-vnet", "direction": "Inbound", "access": "Allow",
         "sourceAddressPrefix": "VirtualNetwork", "destinationPortRange": "*"},
        {"name": "deny-all", "direction": "Inbound", "access": "Deny",
         "sourceAddressPrefix": "*", "destinationPortRange": "*"}]})
    kubelet = e.add("azure-native:managedidentity:UserAssignedIdentity", f"{n}-kubelet", {
        "id": "/subscriptions/s/uai"})
    kms_key = e.add("azure-native:keyvault:Key", f"{n}-kms-key", {
        "keyUriWithVersion": "https://kv/keys/k", "properties": {"rotationPolicy": {
            "attributes": {"expiryTime": "P1Y"},
            "lifetimeActions": [{"action": {"type": "rotate"},
                                 "trigger": {"timeAfterCreate": "P90D"}}]}}})
    pool_security = {"enableSecureBoot": True, "enableVTPM": True, "sshAccess": "Disabled"}
    cluster = e.add("azure-native:containerservice:ManagedCluster", n, {
        "resourceName": n, "kubernetesVersion": "1.35",
        "apiServerAccessProfile": {"enablePrivateCluster": True,
                                   "enablePrivateClusterPublicFQDN": False},
        "aadProfile": {"managed": True, "enableAzureRBAC": True},
        "disableLocalAccounts": True, "enableRBAC": True,
        "securityProfile": {"workloadIdentity": {"enabled": True},
                            "azureKeyVaultKms": {"enabled": True, "keyId": "https://kv/keys/k"}},
        "oidcIssuerProfile": {"enabled": True},
        "diskEncryptionSetID": "/subscriptions/s/des",
        "networkProfile": {"networkPlugin": "azure", "networkPolicy": "cilium"},
        "addonProfiles": {"azurepolicy": {"enabled": True}},
        "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
        "identityProfile": {"kubeletidentity": {"resourceId": "/subscriptions/s/uai"}},
        "agentPoolProfiles": [{"name": "system", "osSKU": "AzureLinux",
                               "enableNodePublicIP": False, "enableEncryptionAtHost": True,
                               "securityProfile": pool_security}]},
        deps=[nsg, kubelet, kms_key])
    e.add("azure-native:containerservice:AgentPool", f"{n}-sandbox", {
        "osSKU": "AzureLinux", "enableNodePublicIP": False, "enableEncryptionAtHost": True,
        "workloadRuntime": "KataVmIsolation", "securityProfile": {"sshAccess": "Disabled"},
        "nodeLabels": {"sandbox.ztc.io/runtime": "kata"}}, deps=[cluster])
    account = e.add("azure-native:storage:StorageAccount", f"{n}-audit-account", {
        "accountName": "handazureaudit", "immutableStorageWithVersioning": {
            "enabled": True, "immutabilityPolicy": {
                "immutabilityPeriodSinceCreationInDays": 90, "state": "Locked"}}})
    container = e.add("azure-native:storage:BlobContainer", f"{n}-audit", {
        "accountName": "handazureaudit", "immutableStorageWithVersioning": {"enabled": True}},
        deps=[account])
    e.add("azure-native:monitor:DiagnosticSetting", f"{n}-audit-setting", {
        "resourceUri": f"/subscriptions/s/resourceGroups/rg/providers/"
                       f"Microsoft.ContainerService/managedClusters/{n}",
        "storageAccountId": "/subscriptions/s/resourceGroups/rg/providers/"
                            "Microsoft.Storage/storageAccounts/handazureaudit",
        "logs": [{"category": "kube-audit", "enabled": True}]}, deps=[cluster, container])
    intermediate(e, n, root, cluster)
    baseline(e, n, cluster, "kata-vm-isolation", {"sandbox.ztc.io/runtime": "kata"})


def gcp(e: Estate, root: str) -> None:
    n = "hand-gcp"
    key = e.add("gcp:kms/cryptoKey:CryptoKey", f"{n}-key", {
        "name": "k", "keyRing": "projects/p/locations/global/keyRings/r",
        "rotationPeriod": "7776000s"})
    sa = e.add("gcp:serviceaccount/account:Account", f"{n}-nodes", {"accountId": "nodes",
                                                                    "project": "p"})
    e.add("gcp:compute/firewall:Firewall", f"{n}-deny-all", {
        "direction": "INGRESS", "denies": [{"protocol": "all"}], "sourceRanges": ["0.0.0.0/0"]})
    fw = e.add("gcp:compute/firewall:Firewall", f"{n}-control-plane", {
        "direction": "INGRESS", "allows": [{"protocol": "tcp", "ports": ["443"]}],
        "sourceRanges": ["172.16.0.0/28"]})
    cluster = e.add("gcp:container/cluster:Cluster", n, {
        "minMasterVersion": "1.35",
        "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": True},
        "masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "10.255.0.0/24"}],
                                           "gcpPublicCidrsAccessEnabled": False},
        "authenticatorGroupsConfig": {"securityGroup": "gke-security-groups@example.com"},
        "workloadIdentityConfig": {"workloadPool": "p.svc.id.goog"},
        "databaseEncryption": {"state": "ENCRYPTED", "keyName": GCP_KEY},
        "loggingConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "APISERVER"]},
        "datapathProvider": "ADVANCED_DATAPATH",
        "binaryAuthorization": {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"},
        "releaseChannel": {"channel": "REGULAR"}, "enableShieldedNodes": True,
        "rbacBindingConfig": {"enableInsecureBindingSystemUnauthenticated": False,
                              "enableInsecureBindingSystemAuthenticated": False}},
        deps=[key, fw])
    for pool in ("general", "sandbox"):
        config = {"imageType": "COS_CONTAINERD", "serviceAccount": "nodes@p.iam.gserviceaccount.com",
                  "bootDiskKmsKey": GCP_KEY, "workloadMetadataConfig": {
                      "mode": "GKE_METADATA"},
                  "shieldedInstanceConfig": {"enableSecureBoot": True,
                                             "enableIntegrityMonitoring": True}}
        if pool == "sandbox":
            config["sandboxConfig"] = {"type": "GVISOR"}
        e.add("gcp:container/nodePool:NodePool", f"{n}-{pool}", {
            "nodeConfig": config, "management": {"autoUpgrade": True, "autoRepair": True},
            "networkConfig": {"enablePrivateNodes": True}}, deps=[cluster, sa])
    e.add("gcp:storage/bucket:Bucket", f"{n}-audit", {
        "name": f"{n}-audit",
        "retentionPolicy": {"retentionPeriod": "7776000", "isLocked": True}}, deps=[cluster])
    e.add("gcp:logging/projectSink:ProjectSink", f"{n}-audit-sink", {
        "destination": f"storage.googleapis.com/{n}-audit",
        "filter": f'logName:"cloudaudit.googleapis.com" AND resource.labels.cluster_name="{n}"'},
        deps=[cluster])
    e.add("gcp:binaryauthorization/policy:Policy", f"{n}-binauthz", {
        "globalPolicyEvaluationMode": "ENABLE",
        "defaultAdmissionRule": {"evaluationMode": "REQUIRE_ATTESTATION",
                                 "enforcementMode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
                                 "requireAttestationsBies": ["projects/p/attestors/a"]}},
        deps=[cluster])
    intermediate(e, n, root, cluster)
    baseline(e, n, cluster, "gvisor", {"sandbox.gke.io/runtime": "gvisor"})


def intermediate(e: Estate, cluster: str, root: str, cluster_urn: str) -> None:
    e.add("pulumi-python:dynamic:Resource", f"{cluster}-intermediate", {
        "ztcKind": "pki-intermediate", "clusterName": cluster,
        "trustDomain": f"{cluster}.hand.example.com", "rootFingerprintSha256": FP,
        "uriNameConstraint": True,
        "permittedDnsNames": [f"{cluster}.hand.example.com", "istio-system.svc"]},
        deps=[root], prop_deps={"rootFingerprintSha256": [root]})


def build() -> Estate:
    e = Estate()
    root = e.add("pulumi-python:dynamic:Resource", "root-ca", {
        "ztcKind": "pki-root", "clusterName": "", "trustDomain": "hand.example.com",
        "fingerprintSha256": FP})
    ledger = e.add("ztc:ledger:LedgerBucket", "ledger", {"retentionDays": 2555}, custom=False)
    lb = e.add("aws:s3/bucket:Bucket", "ledger-bucket", {"objectLockEnabled": True},
               parent=ledger)
    e.add("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
          "ledger-object-lock", {"rule": {"defaultRetention": {"mode": "COMPLIANCE",
                                                               "days": 2555}}},
          parent=ledger, deps=[lb])
    aws(e, root)
    azure(e, root)
    gcp(e, root)
    return e


def audit_copy(e: Estate, cluster: str, bucket: str) -> None:
    """The EKS log group's copy to the Object Lock bucket: subscription -> Firehose."""
    stream = e.add("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
                   f"{cluster}-audit-stream", {
                       "name": f"{cluster}-audit", "destination": "extended_s3",
                       "extendedS3Configuration": {"bucketArn": f"arn:aws:s3:::{cluster}-audit",
                                                   "roleArn": "arn:aws:iam::1:role/firehose"}},
                   deps=[bucket], prop_deps={"extendedS3Configuration": [bucket]})
    e.add("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", f"{cluster}-audit-sub", {
        "logGroup": f"/aws/eks/{cluster}/cluster", "filterPattern": "",
        "destinationArn": f"arn:aws:firehose:eu-west-1:1:deliverystream/{cluster}-audit"},
        deps=[stream])
