"""Each control turned off, one at a time, on each cloud's cluster of the real dev stack.

A mutation edits or removes the resources a real engineer would get wrong: it returns the
graph's changed resources (to re-Analyze) and the URNs it removed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ztc_policy.stack.graph import Ownership, nodes_from_captured

from zero_trust_clusters.engine.mocks import CapturedResource


class Graph:
    """The captured resources with each one's owning cluster, for picking and editing."""

    def __init__(self, resources: list[CapturedResource]) -> None:
        self.resources = list(resources)
        own = Ownership(nodes_from_captured(self.resources))
        self.cloud_of = {own.display[c.urn]: own.cloud[c.urn] for c in own.clusters}
        self.cluster_of = {r.urn: own.name_of(r.urn) for r in self.resources}

    def cluster(self, cloud: str) -> str:
        return min(n for n, c in self.cloud_of.items() if c == cloud)

    def pick(self, cloud: str | None, type_: str, where: Callable[[CapturedResource], bool]
             = lambda r: True) -> list[CapturedResource]:
        name = self.cluster(cloud) if cloud else None
        found = [r for r in self.resources if r.type == type_ and where(r)
                 and (name is None or self.cluster_of[r.urn] == name)]
        assert found, f"no {type_} for {cloud} in the graph"
        return found


@dataclass
class Change:
    edited: list[CapturedResource]
    removed: set[str]

    def apply(self, resources: list[CapturedResource]) -> list[CapturedResource]:
        edits = {r.urn: r for r in self.edited}
        return [edits.get(r.urn, r) for r in resources if r.urn not in self.removed]


def edit(resources: list[CapturedResource], fn: Callable[[dict], Any]) -> Change:
    out = []
    for r in resources:
        inputs = copy.deepcopy(r.inputs)
        fn(inputs)
        out.append(replace(r, inputs=inputs))
    return Change(out, set())


def remove(resources: list[CapturedResource]) -> Change:
    return Change([], {r.urn for r in resources})


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def fn(inputs: dict) -> None:
        keys = path.split(".")
        node = inputs
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
        if value is DELETE:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return fn


DELETE = object()
NS = "kubernetes:core/v1:Namespace"
CIP = "kubernetes:policy.sigstore.dev/v1beta1:ClusterImagePolicy"
DYN = "pulumi-python:dynamic:Resource"
PEER_AUTH = "kubernetes:security.istio.io/v1:PeerAuthentication"
AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"


def _named(suffix: str) -> Callable[[CapturedResource], bool]:
    return lambda r: r.name.endswith(suffix)


def _k8s_common(cloud: str) -> dict[str, Callable[[Graph], Change]]:
    """Controls the baseline and PKI implement the same way on every cloud."""
    return {
        "ZT-POD-SECURITY": lambda g: edit(g.pick(cloud, NS, _named("-frontend")), lambda i: i[
            "metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "privileged"})),
        "ZT-MTLS-SHARED-ROOT": lambda g: edit(
            g.pick(cloud, DYN, lambda r: r.inputs.get("ztcKind") == "pki-intermediate"),
            _set("rootFingerprintSha256", "0f" * 32)),
        "ZT-NETPOL-DEFAULT-DENY/objects": lambda g: remove(g.pick(
            cloud, "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            _named("-payments-default-deny-all"))),
        "ZT-SANDBOX/runtimeclass": lambda g: remove(g.pick(
            cloud, "kubernetes:node.k8s.io/v1:RuntimeClass")),
        # The mesh: a namespace that accepts plaintext, and an allow for any caller.
        "ZT-MTLS-SHARED-ROOT/mesh-permissive": lambda g: edit(g.pick(
            cloud, PEER_AUTH, lambda r: r.inputs["metadata"]["namespace"] == "payments"),
            _set("spec.mtls.mode", "PERMISSIVE")),
        "ZT-MTLS-SHARED-ROOT/mesh-allow-any": lambda g: edit(g.pick(
            cloud, AUTHZ, lambda r: r.inputs["metadata"]["name"] == "allow-from-frontend"),
            _set("spec.rules.0.from.0.source.principals", ["*"])),
    }


def _vpc_cni_off(inputs: dict) -> None:
    values = json.loads(inputs["configurationValues"])
    values["enableNetworkPolicy"] = "false"
    inputs["configurationValues"] = json.dumps(values)


def _aws() -> dict[str, Callable[[Graph], Change]]:
    c, eks, lt, ng = "aws", "aws:eks/cluster:Cluster", "aws:ec2/launchTemplate:LaunchTemplate", \
        "aws:eks/nodeGroup:NodeGroup"
    return {
        "ZT-API-PRIVATE": lambda g: edit(g.pick(c, eks), _set(
            "vpcConfig.endpointPublicAccess", True)),
        "ZT-NODE-PRIVATE": lambda g: edit(g.pick(c, lt, _named("-general")), _set(
            "networkInterfaces.0.associatePublicIpAddress", "true")),
        "ZT-NET-SEGMENT": lambda g: edit(g.pick(
            c, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            _named("-cluster-in-api")), _set("cidrIpv4", "0.0.0.0/0")),
        "ZT-NODE-TRUSTED-BOOT": lambda g: edit(g.pick(c, ng, _named("-general")), _set(
            "amiType", "AL2023_x86_64_STANDARD")),
        "ZT-NODE-OS": lambda g: edit(g.pick(c, ng, _named("-general")), _set(
            "remoteAccess", {"ec2SshKey": "ops"})),
        "ZT-NODE-METADATA": lambda g: edit(g.pick(c, lt, _named("-sandbox")), _set(
            "metadataOptions.httpTokens", "optional")),
        "ZT-IAM-ONLY": lambda g: edit(g.pick(c, eks), _set(
            "accessConfig.bootstrapClusterCreatorAdminPermissions", True)),
        "ZT-WORKLOAD-IDENTITY": lambda g: remove(
            g.pick(c, "aws:eks/addon:Addon", lambda r: r.inputs.get(
                "addonName") == "eks-pod-identity-agent")
            + g.pick(c, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")),
        "ZT-NODE-IDENTITY": lambda g: edit(g.pick(
            c, "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            _named("-node-AmazonEKSWorkerNodeMinimalPolicy")),
            _set("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess")),
        "ZT-SECRETS-KMS": lambda g: edit(g.pick(c, eks), _set("encryptionConfig", DELETE)),
        "ZT-DISK-CMK": lambda g: edit(g.pick(c, lt, _named("-system")), _set(
            "blockDeviceMappings.0.ebs.encrypted", "false")),
        "ZT-AUDIT-IMMUTABLE": lambda g: edit(g.pick(
            c, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"), _set(
            "rule.defaultRetention.mode", "GOVERNANCE")),
        "ZT-SANDBOX": lambda g: remove(g.pick(c, ng, _named("-sandbox"))),
        "ZT-NETPOL-DEFAULT-DENY": lambda g: edit(g.pick(
            c, "aws:eks/addon:Addon", lambda r: r.inputs.get("addonName") == "vpc-cni"),
            _vpc_cni_off),
        "ZT-IMAGE-PROVENANCE": lambda g: edit(g.pick(c, CIP), _set("spec.images", [
            {"glob": "**"}])),
        "ZT-VERSION": lambda g: edit(g.pick(c, eks), _set("version", "1.27")),
        **_k8s_common(c),
    }


def _azure() -> dict[str, Callable[[Graph], Change]]:
    c, aks, pool = "azure", "azure-native:containerservice:ManagedCluster", \
        "azure-native:containerservice:AgentPool"
    return {
        "ZT-API-PRIVATE": lambda g: edit(g.pick(c, aks), _set("apiServerAccessProfile", DELETE)),
        "ZT-NODE-PRIVATE": lambda g: edit(g.pick(c, pool, _named("-general")), _set(
            "enableNodePublicIP", True)),
        "ZT-NET-SEGMENT": lambda g: edit(g.pick(
            c, "azure-native:network:NetworkSecurityGroup", _named("-nodes-nsg")),
            _set("securityRules.0.sourceAddressPrefix", "Internet")),
        "ZT-NODE-TRUSTED-BOOT": lambda g: edit(g.pick(c, aks), _set(
            "agentPoolProfiles.0.securityProfile.enableSecureBoot", False)),
        "ZT-NODE-OS": lambda g: edit(g.pick(c, pool, _named("-general")), _set(
            "osSKU", "Ubuntu")),
        "ZT-NODE-METADATA": lambda g: edit(g.pick(c, aks), _set(
            "securityProfile.workloadIdentity.enabled", False)),
        "ZT-IAM-ONLY": lambda g: edit(g.pick(c, aks), _set("disableLocalAccounts", False)),
        "ZT-WORKLOAD-IDENTITY": lambda g: edit(g.pick(c, aks), _set(
            "oidcIssuerProfile.enabled", False)),
        "ZT-NODE-IDENTITY": lambda g: edit(g.pick(c, aks), _set("identityProfile", DELETE)),
        "ZT-SECRETS-KMS": lambda g: edit(g.pick(c, aks), _set(
            "securityProfile.azureKeyVaultKms.enabled", False)),
        "ZT-DISK-CMK": lambda g: edit(g.pick(c, aks), _set("diskEncryptionSetID", DELETE)),
        "ZT-AUDIT-IMMUTABLE": lambda g: edit(g.pick(
            c, "azure-native:monitor:DiagnosticSetting"),
            lambda i: [log.update(enabled=False) for log in i["logs"]]),
        "ZT-SANDBOX": lambda g: edit(g.pick(c, pool, _named("-sandbox")), _set(
            "workloadRuntime", "OCIContainer")),
        "ZT-NETPOL-DEFAULT-DENY": lambda g: edit(g.pick(c, aks), _set(
            "networkProfile.networkPolicy", "none")),
        "ZT-IMAGE-PROVENANCE": lambda g: edit(g.pick(c, aks), _set(
            "addonProfiles.azurepolicy.enabled", False)),
        "ZT-VERSION": lambda g: edit(g.pick(c, aks), _set(
            "autoUpgradeProfile.upgradeChannel", "none")),
        **_k8s_common(c),
    }


def _gcp() -> dict[str, Callable[[Graph], Change]]:
    c, gke, pool = "gcp", "gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool"
    return {
        "ZT-API-PRIVATE": lambda g: edit(g.pick(c, gke), _set(
            "masterAuthorizedNetworksConfig.cidrBlocks", [{"cidrBlock": "0.0.0.0/0"}])),
        "ZT-NODE-PRIVATE": lambda g: edit(g.pick(c, gke), _set(
            "privateClusterConfig.enablePrivateNodes", False)),
        "ZT-NET-SEGMENT": lambda g: edit(g.pick(
            c, "gcp:compute/firewall:Firewall", _named("-allow-control-plane")),
            _set("sourceRanges", ["0.0.0.0/0"])),
        "ZT-NODE-TRUSTED-BOOT": lambda g: edit(g.pick(c, pool, _named("-general")), _set(
            "nodeConfig.shieldedInstanceConfig.enableSecureBoot", False)),
        "ZT-NODE-OS": lambda g: edit(g.pick(c, pool, _named("-general")), _set(
            "management.autoUpgrade", False)),
        "ZT-NODE-METADATA": lambda g: edit(g.pick(c, pool, _named("-general")), _set(
            "nodeConfig.workloadMetadataConfig.mode", "GCE_METADATA")),
        "ZT-IAM-ONLY": lambda g: edit(g.pick(c, gke), _set("enableLegacyAbac", True)),
        "ZT-WORKLOAD-IDENTITY": lambda g: edit(g.pick(c, gke), _set(
            "workloadIdentityConfig", DELETE)),
        "ZT-NODE-IDENTITY": lambda g: edit(g.pick(c, pool, _named("-system")), _set(
            "nodeConfig.serviceAccount", "default")),
        "ZT-SECRETS-KMS": lambda g: edit(g.pick(c, gke), _set(
            "databaseEncryption.state", "DECRYPTED")),
        "ZT-DISK-CMK": lambda g: edit(g.pick(c, pool, _named("-sandbox")), _set(
            "nodeConfig.bootDiskKmsKey", DELETE)),
        "ZT-AUDIT-IMMUTABLE": lambda g: edit(g.pick(c, "gcp:storage/bucket:Bucket"), _set(
            "retentionPolicy.isLocked", False)),
        "ZT-SANDBOX": lambda g: edit(g.pick(c, pool, _named("-sandbox")), _set(
            "nodeConfig.sandboxConfig", DELETE)),
        "ZT-NETPOL-DEFAULT-DENY": lambda g: edit(g.pick(c, gke), _set(
            "datapathProvider", "LEGACY_DATAPATH")),
        "ZT-IMAGE-PROVENANCE": lambda g: edit(g.pick(c, gke), _set(
            "binaryAuthorization.evaluationMode", "DISABLED")),
        "ZT-VERSION": lambda g: edit(g.pick(c, gke), _set("releaseChannel.channel",
                                                          "UNSPECIFIED")),
        **_k8s_common(c),
    }


def _ledger() -> dict[str, Callable[[Graph], Change]]:
    lock = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
    return {"ZT-CHANGE-LEDGER": lambda g: edit(
        g.pick(None, lock, lambda r: g.cluster_of[r.urn] is None),
        _set("rule.defaultRetention.mode", "GOVERNANCE"))}


# (control, cloud) -> mutation; "shared" = the estate-wide change ledger.
MUTATIONS: dict[tuple[str, str], Callable[[Graph], Change]] = {
    **{(k, "aws"): v for k, v in _aws().items()},
    **{(k, "azure"): v for k, v in _azure().items()},
    **{(k, "gcp"): v for k, v in _gcp().items()},
    **{(k, "shared"): v for k, v in _ledger().items()},
}


def control_of(key: str) -> str:
    """"ZT-SANDBOX/runtimeclass" -> "ZT-SANDBOX" (variants of one control)."""
    return key.split("/", 1)[0]


# --- issue 14 part 1: controls judged by meaning, on the real dev stack ------------------------
# Removing the payments default-deny alone leaves payments isolated by the allow policies that
# select every pod (NetworkPolicies are additive), so "off" is now: every policy of payments
# gone, or an allow-all rule beside the deny.
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"
RELEASE = "kubernetes:helm.sh/v3:Release"
CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"


def _in_payments(r: CapturedResource) -> bool:
    return r.inputs.get("metadata", {}).get("namespace") == "payments"


def _meaning(cloud: str) -> dict[str, Callable[[Graph], Change]]:
    return {
        "ZT-NETPOL-DEFAULT-DENY/objects": lambda g: remove(g.pick(cloud, NETPOL, _in_payments)),
        "ZT-NETPOL-DEFAULT-DENY/allow-all": lambda g: edit(g.pick(
            cloud, NETPOL, _named("-payments-default-deny-all")), _set("spec.ingress", [{}])),
        "ZT-SANDBOX/scheduling": lambda g: edit(g.pick(cloud, RUNTIME_CLASS), _set(
            "scheduling.nodeSelector", {"kubernetes.io/os": "linux"})),
        "ZT-IMAGE-PROVENANCE/no-match": lambda g: edit(g.pick(
            cloud, RELEASE, lambda r: r.inputs.get("chart") == "policy-controller"),
            _set("values.webhook.configData", {"no-match-policy": "allow"})),
        "ZT-IAM-ONLY/everyone": lambda g: edit(g.pick(cloud, CRB, lambda r: r.inputs[
            "roleRef"]["name"] == "view"), _set("subjects.0.name", "system:authenticated")),
    }


_AUDIT_CHAIN: dict[str, Callable[[Graph], Change]] = {
    "aws": lambda g: remove(g.pick(
        "aws", "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")),
    "azure": lambda g: edit(g.pick("azure", "azure-native:monitor:DiagnosticSetting"),
                            _set("storageAccountId", DELETE)),
    "gcp": lambda g: remove(g.pick("gcp", "gcp:logging/projectSink:ProjectSink")),
}

for _cloud in ("aws", "azure", "gcp"):
    MUTATIONS.update({(k, _cloud): v for k, v in _meaning(_cloud).items()})
    MUTATIONS[("ZT-AUDIT-IMMUTABLE/chain", _cloud)] = _AUDIT_CHAIN[_cloud]
