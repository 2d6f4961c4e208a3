"""EKS and its AWS neighbours (launch templates, security groups, KMS, S3, IAM)."""

from __future__ import annotations

import json

from .. import documents
from .. import types as t
from ..clouds import PackCloud
from ..findings import expect, fail, unverifiable
from ..stack.graph import Node
from ..values import (
    MISSING,
    UNKNOWN,
    as_bool,
    as_int,
    as_list,
    contains_unknown,
    is_unknown,
    lookup,
    lookup_raw,
    version_tuple,
    world_sources,
)
from .registry import rule

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
GOOD_AMI_PREFIXES = ("BOTTLEROCKET_", "AL2023_", "CUSTOM")


@rule("ZT-API-PRIVATE", "aws", t.EKS_CLUSTER, summary="private endpoint only")
def eks_api_private(r, cfg):
    # Every API server is private: reached over private connectivity from admitted networks
    # (the cluster security group), never through the public endpoint, whatever its CIDRs
    # (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html).
    c = "ZT-API-PRIVATE"
    return expect(r.props, "vpcConfig.endpointPrivateAccess", lambda v: as_bool(v) is True,
                  control=c, default=False,
                  why="vpcConfig.endpointPrivateAccess is {value}; set it to true") + \
        expect(r.props, "vpcConfig.endpointPublicAccess", lambda v: as_bool(v) is False,
               control=c, default=True,  # AWS default: public endpoint on, open to 0.0.0.0/0
               why="vpcConfig.endpointPublicAccess is {value} (default true): the API server "
                   "is on the Internet; set it to false and admit networks through the cluster "
                   "security group on 443")


@rule("ZT-IAM-ONLY", "aws", t.EKS_CLUSTER, summary="access entries only, creator not admin")
def eks_iam_only(r, cfg):
    c = "ZT-IAM-ONLY"
    return expect(r.props, "accessConfig.authenticationMode", lambda v: v == "API", control=c,
                  default="CONFIG_MAP",
                  why="accessConfig.authenticationMode is {value}; set it to API "
                      "(no aws-auth ConfigMap)") + \
        expect(r.props, "accessConfig.bootstrapClusterCreatorAdminPermissions",
               lambda v: as_bool(v) is False, control=c, default=True,
               why="accessConfig.bootstrapClusterCreatorAdminPermissions is {value} "
                   "(default true); set it to false")


@rule("ZT-SECRETS-KMS", "aws", t.EKS_CLUSTER, summary="secrets envelope-encrypted with KMS")
def eks_secrets(r, cfg):
    c = "ZT-SECRETS-KMS"
    return expect(r.props, "encryptionConfig.resources", lambda v: "secrets" in as_list(v),
                  control=c, why="encryptionConfig.resources is {value}; include \"secrets\"") + \
        expect(r.props, "encryptionConfig.provider.keyArn", lambda v: bool(v), control=c,
               why="encryptionConfig.provider.keyArn is {value}; point it at a KMS key", reference=True)


# Key specs KMS cannot rotate automatically (exact spellings, as KMS takes them).
NON_ROTATING_SPECS = ("RSA_", "ECC_", "HMAC_", "SM2", "ML_DSA_")


@rule("ZT-SECRETS-KMS", "aws", t.KMS_KEY, summary="customer KMS key rotates")
def kms_rotation(r, cfg):
    # Automatic rotation exists for symmetric encryption keys only, every 90-2560 days, 365 by
    # default (https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html).
    # A key in a custom key store cannot rotate either; it still fails here (exempt it).
    c = "ZT-SECRETS-KMS"
    spec = lookup(r.props, "customerMasterKeySpec")
    if spec is UNKNOWN:
        return [unverifiable(c, "customerMasterKeySpec")]
    if isinstance(spec, str) and spec.startswith(NON_ROTATING_SPECS):
        return []  # asymmetric or HMAC: KMS cannot rotate it; not an envelope key
    # Anything else (unset, SYMMETRIC_DEFAULT, a misspelling) is judged as a symmetric key.
    days = as_int(cfg.get("maxKeyRotationDays", 365)) or 365
    return expect(r.props, "enableKeyRotation", lambda v: as_bool(v) is True, control=c,
                  default=False,
                  why="KMS key enableKeyRotation is {value} (default false); set it to true") + \
        expect(r.props, "rotationPeriodInDays",
               lambda v: v is MISSING or (as_int(v) or 0) in range(90, days + 1), control=c,
               why=f"KMS key rotationPeriodInDays is {{value}}; KMS takes 90-2560 and the "
                   f"posture at most {days} (config maxKeyRotationDays)")


@rule("ZT-AUDIT-IMMUTABLE", "aws", t.EKS_CLUSTER, summary="all five control-plane log types")
def eks_logs(r, cfg):
    def ok(v):
        return all(x in as_list(v) for x in LOG_TYPES)
    return expect(r.props, "enabledClusterLogTypes", ok, control="ZT-AUDIT-IMMUTABLE",
                  default=[], why="enabledClusterLogTypes is {value}; enable " + ", ".join(LOG_TYPES))


@rule("ZT-AUDIT-IMMUTABLE", "aws", t.S3_OBJECT_LOCK, t.S3_OBJECT_LOCK_V2,
      summary="Object Lock COMPLIANCE retention")
def object_lock(r, cfg):
    c = "ZT-AUDIT-IMMUTABLE"
    out = expect(r.props, "rule.defaultRetention.mode", lambda v: v == "COMPLIANCE", control=c,
                 why="Object Lock default retention mode is {value}; use COMPLIANCE "
                     "(GOVERNANCE can be bypassed)")
    days, years = lookup(r.props, "rule.defaultRetention.days"), \
        lookup(r.props, "rule.defaultRetention.years")
    if UNKNOWN in (days, years):
        out.append(unverifiable(c, "rule.defaultRetention.days"))
    elif days is MISSING and years is MISSING:
        out.append(fail(c, "Object Lock default retention has no days/years"))
    return out


@rule("ZT-AUDIT-IMMUTABLE", "aws", t.S3_BUCKET, t.S3_BUCKET_V2, summary="lock-enabled bucket")
def bucket_lock(r, cfg):
    # Only buckets that carry an Object Lock block are audit stores; keep them lock-enabled.
    if lookup(r.props, "objectLockConfiguration") is MISSING:
        return []
    return expect(r.props, "objectLockEnabled", lambda v: as_bool(v) is True,
                  control="ZT-AUDIT-IMMUTABLE", default=False,
                  why="bucket with an Object Lock configuration has objectLockEnabled={value}")


@rule("ZT-VERSION", "aws", t.EKS_CLUSTER, summary="supported version, standard support")
def eks_version(r, cfg):
    c = "ZT-VERSION"
    minimum = version_tuple(cfg.get("minKubernetesVersion", "1.32"))
    out = expect(r.props, "version",
                 lambda v: v is MISSING or (version_tuple(v) or (0,)) >= minimum, control=c,
                 why=f"Kubernetes version {{value}} is older than {cfg.get('minKubernetesVersion')}"
                     " (config minKubernetesVersion)")
    out += expect(r.props, "upgradePolicy.supportType", lambda v: v == "STANDARD", control=c,
                  default="EXTENDED",
                  why="upgradePolicy.supportType is {value} (AWS default EXTENDED keeps old "
                      "versions running); set STANDARD so EKS upgrades at end of support")
    return out


@rule("ZT-NODE-OS", "aws", t.EKS_NODE_GROUP, summary="hardened AMI type, no SSH")
def nodegroup_os(r, cfg):
    c = "ZT-NODE-OS"
    out = expect(r.props, "amiType", lambda v: isinstance(v, str) and v.startswith(
        GOOD_AMI_PREFIXES), control=c, default="AL2023_x86_64_STANDARD",
        why="amiType {value} is not Bottlerocket, AL2023 or a CUSTOM hardened AMI")
    if lookup(r.props, "remoteAccess") is not MISSING:
        out.append(fail(c, "remoteAccess is set: node groups must not open SSH"))
    return out


@rule("ZT-NODE-OS", "aws", t.LAUNCH_TEMPLATE, summary="no SSH key pair")
def lt_no_key(r, cfg):
    return expect(r.props, "keyName", lambda v: v is MISSING or v == "", control="ZT-NODE-OS",
                  why="launch template keyName={value}: nodes must not carry an SSH key pair")


@rule("ZT-NODE-METADATA", "aws", t.EKS_NODE_GROUP, summary="node group pins a launch template")
def nodegroup_lt(r, cfg):
    lt = lookup(r.props, "launchTemplate")
    if lt is UNKNOWN:
        return [unverifiable("ZT-NODE-METADATA", "launchTemplate")]
    if lt is MISSING:
        return [fail("ZT-NODE-METADATA", "node group has no launchTemplate, so IMDSv2 and the hop "
                     "limit are not pinned; attach a launch template")]
    return []


@rule("ZT-NODE-METADATA", "aws", t.LAUNCH_TEMPLATE, summary="IMDSv2 required, hop limit 1")
def lt_imds(r, cfg):
    # EC2 takes exactly "required"/"optional" and "enabled"/"disabled", and a hop limit of
    # 1-64 (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/
    # API_LaunchTemplateInstanceMetadataOptionsRequest.html). Left unset, both come from the
    # AMI or the account's defaults: an AMI registered with ImdsSupport v2.0 gets hop limit 2
    # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-options.html),
    # so an unset value is not proven. "Required", "1" or True fail closed (a violation naming
    # the field): EC2 takes neither spelling, and a numeric string's coercion is not established.
    c = "ZT-NODE-METADATA"
    hop = as_int(cfg.get("maxHopLimit", 1)) or 1
    endpoint = lookup(r.props, "metadataOptions.httpEndpoint")
    if endpoint == "disabled":
        return []  # no metadata service at all: nothing for a pod to reach
    out = expect(r.props, "metadataOptions.httpEndpoint", lambda v: v in (MISSING, "enabled"),
                 control=c, why="metadataOptions.httpEndpoint is {value}; EC2 takes exactly "
                 "\"enabled\" or \"disabled\"")
    out += expect(r.props, "metadataOptions.httpTokens", lambda v: v == "required", control=c,
                  why="metadataOptions.httpTokens is {value}; set exactly \"required\" (IMDSv2 "
                      "only; unset, the AMI or account default may allow IMDSv1)")
    out += expect(r.props, "metadataOptions.httpPutResponseHopLimit",
                  lambda v: (as_int(v) or 0) >= 1 and as_int(v) <= hop, control=c,
                  why=f"metadataOptions.httpPutResponseHopLimit is {{value}}; set a whole "
                      f"number from 1 to {hop} (config maxHopLimit; unset, an AMI with "
                      "ImdsSupport v2.0 gives pods 2 hops)")
    return out


@rule("ZT-NODE-PRIVATE", "aws", t.LAUNCH_TEMPLATE, summary="no public IP on node interfaces")
def lt_no_public_ip(r, cfg):
    nics = lookup(r.props, "networkInterfaces")
    if nics is UNKNOWN:
        return [unverifiable("ZT-NODE-PRIVATE", "networkInterfaces")]
    out = []
    for i, nic in enumerate(as_list(nics)):
        out += expect(nic, "associatePublicIpAddress", lambda v: as_bool(v) is not True,
                      control="ZT-NODE-PRIVATE", default=False,
                      why=f"networkInterfaces[{i}].associatePublicIpAddress is {{value}}")
    return out


@rule("ZT-NODE-PRIVATE", "aws", t.SUBNET, summary="subnets do not hand out public IPs")
def subnet_private(r, cfg):
    return expect(r.props, "mapPublicIpOnLaunch", lambda v: as_bool(v) is not True,
                  control="ZT-NODE-PRIVATE", default=False,
                  why="subnet mapPublicIpOnLaunch is {value}: instances would get public IPs")


@rule("ZT-DISK-CMK", "aws", t.LAUNCH_TEMPLATE, summary="EBS encrypted with a customer key")
def lt_disk(r, cfg):
    c = "ZT-DISK-CMK"
    mappings = lookup(r.props, "blockDeviceMappings")
    if mappings is UNKNOWN:
        return [unverifiable(c, "blockDeviceMappings")]
    ebs = [m for m in as_list(mappings) if isinstance(m, dict) and m.get("ebs") is not None]
    if not ebs:
        return [fail(c, "launch template has no EBS blockDeviceMappings, so the root volume "
                     "is not encrypted with a customer key")]
    out = []
    for i, m in enumerate(ebs):
        out += expect(m, "ebs.encrypted", lambda v: as_bool(v) is True, control=c,
                      default=False, why=f"blockDeviceMappings[{i}].ebs.encrypted is {{value}}")
        out += expect(m, "ebs.kmsKeyId", lambda v: bool(v), control=c,
                      why=f"blockDeviceMappings[{i}].ebs.kmsKeyId is {{value}}; "
                          "use a customer-managed KMS key", reference=True)
    return out


@rule("ZT-NODE-TRUSTED-BOOT", "aws", t.EKS_NODE_GROUP, summary="pinned, asserted AMI")
def nodegroup_trusted_boot(r, cfg):
    # Neither node groups nor launch templates have a TPM/Secure Boot switch: both are AMI
    # attributes. EKS-managed AMI types are not proven (AWS: default AL2023 AMIs do not enable
    # Secure Boot), so the pool must run a CUSTOM image pinned in its launch template.
    return expect(r.props, "amiType", lambda v: v == "CUSTOM", control="ZT-NODE-TRUSTED-BOOT",
                  default="AL2023_x86_64_STANDARD",
                  why="amiType is {value}: an EKS-managed AMI does not prove NitroTPM + UEFI "
                      "Secure Boot; use CUSTOM with a launch template imageId registered with "
                      "tpmSupport v2.0, bootMode uefi and Secure Boot keys in uefiData")


@rule("ZT-NODE-TRUSTED-BOOT", "aws", t.LAUNCH_TEMPLATE, summary="image pinned")
def lt_image(r, cfg):
    return expect(r.props, "imageId", lambda v: bool(v), control="ZT-NODE-TRUSTED-BOOT",
                  why="launch template imageId is {value}: the node image (and so its TPM and "
                      "boot mode) is not pinned", reference=True)


@rule("ZT-NODE-TRUSTED-BOOT", "aws", t.AMI, summary="NitroTPM + UEFI Secure Boot AMI")
def ami_trusted_boot(r, cfg):
    # UEFI boot + TPM is not Secure Boot: the AMI's UEFI variable store (uefiData) must hold the
    # enrolled keys, and uefi-preferred may boot legacy BIOS with UEFI features off
    # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/uefi-secure-boot.html,
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-boot.html).
    c = "ZT-NODE-TRUSTED-BOOT"
    return expect(r.props, "tpmSupport", lambda v: v == "v2.0", control=c,
                  why="AMI tpmSupport is {value}; register it with v2.0 (NitroTPM)") + \
        expect(r.props, "bootMode", lambda v: v == "uefi", control=c,
               why="AMI bootMode is {value}; use uefi (uefi-preferred may boot legacy BIOS, "
                   "and Secure Boot needs UEFI)") + \
        expect(r.props, "uefiData", lambda v: isinstance(v, str) and bool(v), control=c,
               why="AMI uefiData is {value}: without enrolled Secure Boot keys the instance "
                   "boots with Secure Boot off; register the image with --uefi-data")


def policy_name(arn: object) -> str | None:
    """`AdministratorAccess` of arn:<any partition>:iam::aws:policy/[path/]AdministratorAccess,
    casefolded (IAM names are unique case-insensitively); None for a customer policy."""
    if not isinstance(arn, str):
        return None
    head, sep, path = arn.strip().partition(":iam::aws:policy/")
    return path.rsplit("/", 1)[-1].casefold() if sep and head.startswith("arn:") else None


def _forbidden_names(cfg) -> set[str]:
    return {n for n in map(policy_name, cfg.get("forbiddenPolicyArns") or []) if n}


@rule("ZT-NODE-IDENTITY", "aws", t.IAM_ROLE_POLICY_ATTACHMENT, t.IAM_POLICY_ATTACHMENT,
      summary="no broad policies")
def no_broad_policies(r, cfg):
    # Admin-equivalent AWS managed policies, in any partition (aws, aws-cn, aws-us-gov):
    # AdministratorAccess-Amplify "should be considered as powerful as AdministratorAccess"
    # (https://docs.aws.amazon.com/amplify/latest/userguide/security-iam-awsmanpol.html).
    forbidden = _forbidden_names(cfg)
    return expect(r.props, "policyArn", lambda v: policy_name(v) not in forbidden,
                  control="ZT-NODE-IDENTITY",
                  why="role gets {value}, which is far broader than a node or workload needs "
                      "(config forbiddenPolicyArns)")


# --- JSON policy documents (ztc_policy/documents.py) ------------------------------------------

# Services whose every action lets a principal grant itself anything (IAM writes, assuming any
# role, rewriting the organisation): admin-equivalent on any resource.
ESCALATION_SERVICES = frozenset({"iam", "sts", "organizations"})


def _doc_findings(props, path: str, c: str, kind: str, label: str | None = None) -> list:
    """Findings of one policy document at `path`: a JSON string or an object, read as AWS reads
    it. kind: "trust" / "resource" (who: no wildcard principal) or "identity" (what: no `*`,
    no NotAction, no whole-service wildcard on every resource, no IAM/STS wildcard).
    `label` names the field in messages (default: `path`)."""
    value = lookup_raw(props, path)
    path = label or path
    if is_unknown(value) or contains_unknown(value):
        return [unverifiable(c, path)]
    if value is MISSING:
        return []
    try:
        stmts = documents.statements(value)
    except documents.DocumentError as error:
        return [fail(c, f"{path} {error}: AWS would not read it as written; fix the document")]
    out = []
    for s in stmts:
        if not s.allows:
            continue
        at = f"{path} {s.where}"
        if kind in ("trust", "resource"):
            who = documents.wildcard_principals(s)
            if who and not documents.limited_by_condition(s):
                out.append(fail(c, f"{at} allows {', '.join(who)}: anyone (any AWS account) "
                                "may use it; name the principals, or pin them with a fixed "
                                "aws:SourceAccount / aws:SourceArn condition"))
            continue
        if documents.covers_every_action(s):
            what = "NotAction (every action but those listed)" if s.not_action else "\"*\""
            where = "every resource" if documents.on_every_resource(s) else "its resources"
            out.append(fail(c, f"{at} allows {what} on {where}: admin-equivalent; list the "
                            "actions the role needs"))
            continue
        wild = documents.service_wildcards(s)
        escalation = [a for a in wild if a.split(":", 1)[0].strip().casefold()
                      in ESCALATION_SERVICES]
        if escalation:
            out.append(fail(c, f"{at} allows {', '.join(escalation)}: whoever holds it can "
                            "grant itself any permission; list the actions the role needs"))
        elif wild and documents.on_every_resource(s):
            out.append(fail(c, f"{at} allows {', '.join(wild)} on every resource; list the "
                            "actions and resources the role needs"))
    return out


def node_trust(props) -> bool:
    """A role EC2 instances assume (a node role): its trust policy allows ec2.amazonaws.com."""
    try:
        stmts = documents.statements(lookup(props, "assumeRolePolicy"))
    except documents.DocumentError:
        return False
    return any(s.allows and not s.not_principal and s.principals and any(
        v.strip().casefold() == "ec2.amazonaws.com"
        for v in s.principals.get("Service", ())) for s in stmts)


@rule("ZT-NODE-IDENTITY", "aws", t.IAM_ROLE,
      summary="trust and inline policies least-privilege; node role's managed policies")
def role_documents(r, cfg):
    # Trust policy: who may assume the role; a wildcard principal is anyone
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
    c = "ZT-NODE-IDENTITY"
    out = _doc_findings(r.props, "assumeRolePolicy", c, "trust")
    inline = lookup(r.props, "inlinePolicies")
    if inline is UNKNOWN:
        out.append(unverifiable(c, "inlinePolicies"))
    else:
        for i, p in enumerate(as_list(inline)):
            if isinstance(p, dict):
                out += _doc_findings(p, "policy", c, "identity", f"inlinePolicies[{i}].policy")
    arns = lookup(r.props, "managedPolicyArns")
    if arns is UNKNOWN or contains_unknown(arns):
        return out + [unverifiable(c, "managedPolicyArns")]
    forbidden = _forbidden_names(cfg)
    allowed = {n.casefold() for n in cfg.get("nodeRolePolicies") or []}
    node = node_trust(r.props)
    for arn in as_list(arns):
        name = policy_name(arn)
        if name in forbidden:
            out.append(fail(c, f"managedPolicyArns holds {arn}, which is far broader than a "
                            "node or workload needs (config forbiddenPolicyArns)"))
        elif node and name not in allowed:
            out.append(fail(c, f"node role (trusted by ec2.amazonaws.com) has managed policy "
                            f"{arn!r:.120}; a node role holds only "
                            f"{', '.join(sorted(cfg.get('nodeRolePolicies') or []))} "
                            "(config nodeRolePolicies)"))
    return out


@rule("ZT-NODE-IDENTITY", "aws", t.IAM_ROLE_POLICY, t.IAM_POLICY,
      summary="identity policy: no *, NotAction or IAM wildcards")
def identity_policy(r, cfg):
    # Action "*" / NotAction / "iam:*" and "<service>:*" on every resource grant far more than
    # any cluster role needs; Action matching is case-insensitive
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html,
    # .../reference_policies_elements_notaction.html).
    c = "ZT-NODE-IDENTITY"
    if lookup(r.props, "policy") is MISSING:
        return [fail(c, "policy is unset: an identity policy needs a document")]
    return _doc_findings(r.props, "policy", c, "identity")


@rule("ZT-SECRETS-KMS", "aws", t.KMS_KEY, t.KMS_KEY_POLICY, summary="key policy names its users")
def kms_key_policy(r, cfg):
    # A key policy statement with Principal "*" (or {"AWS": "*"}, or NotPrincipal) lets every
    # AWS account use the key unless a condition pins the caller
    # (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html). An unset
    # policy is KMS's default policy: the owning account only.
    return _doc_findings(r.props, "policy", "ZT-SECRETS-KMS", "resource")


@rule("ZT-AUDIT-IMMUTABLE", "aws", t.S3_BUCKET_POLICY, t.S3_BUCKET, t.S3_BUCKET_V2,
      summary="bucket policy not public")
def bucket_policy(r, cfg):
    # Public as S3 defines it: an Allow to a wildcard principal not pinned by a fixed
    # aws:SourceArn/SourceAccount/SourceVpc(e)/SourceOwner/userid or a private aws:SourceIp
    # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
    return _doc_findings(r.props, "policy", "ZT-AUDIT-IMMUTABLE", "resource")


@rule("ZT-NETPOL-DEFAULT-DENY", "aws", t.EKS_ADDON, summary="vpc-cni enforces NetworkPolicy")
def vpc_cni_netpol(r, cfg):
    c = "ZT-NETPOL-DEFAULT-DENY"
    name = lookup(r.props, "addonName")
    if name is UNKNOWN:
        return [unverifiable(c, "addonName")]
    if name != "vpc-cni":
        return []
    values = lookup(r.props, "configurationValues")
    if values is UNKNOWN:
        return [unverifiable(c, "configurationValues")]
    try:
        parsed = json.loads(values) if isinstance(values, str) else {}
    except json.JSONDecodeError:
        return [fail(c, "vpc-cni configurationValues is not valid JSON")]
    if as_bool(parsed.get("enableNetworkPolicy")) is not True:
        return [fail(c, "vpc-cni configurationValues lacks enableNetworkPolicy=\"true\" "
                     "(default off): NetworkPolicy objects would not be enforced")]
    return []


def _sg_world(entries, c, what):
    out = []
    if entries is UNKNOWN:
        return [unverifiable(c, what)]
    for i, e in enumerate(as_list(entries)):
        if not isinstance(e, dict):
            continue
        cidrs = as_list(e.get("cidrBlocks")) + as_list(e.get("ipv6CidrBlocks"))
        if contains_unknown(cidrs):
            out.append(unverifiable(c, f"{what}[{i}] CIDRs"))
        elif world := world_sources(cidrs):
            out.append(fail(c, f"{what}[{i}] admits {', '.join(world)} "
                            f"on ports {e.get('fromPort')}-{e.get('toPort')}"))
    return out


@rule("ZT-NET-SEGMENT", "aws", t.SECURITY_GROUP, summary="no world ingress in security groups")
def sg_world(r, cfg):
    return _sg_world(lookup(r.props, "ingress"), "ZT-NET-SEGMENT", "ingress")


@rule("ZT-NET-SEGMENT", "aws", t.SG_RULE, summary="no world ingress rule")
def sg_rule_world(r, cfg):
    kind = lookup(r.props, "type")
    if kind == "egress":
        return []
    return _sg_world([r.props], "ZT-NET-SEGMENT", "security group rule")


@rule("ZT-NET-SEGMENT", "aws", t.SG_INGRESS_RULE, summary="no world ingress rule")
def sg_ingress_world(r, cfg):
    c = "ZT-NET-SEGMENT"
    return expect(r.props, "cidrIpv4", lambda v: not world_sources(v), control=c,
                  why="ingress rule admits {value}") + \
        expect(r.props, "cidrIpv6", lambda v: not world_sources(v), control=c,
               why="ingress rule admits {value}")


def ingress_sources(type_: str, props: dict) -> list:
    """Every source an SG, SG rule or ingress rule admits (cidrs of ingress, not egress)."""
    if type_ == t.SG_INGRESS_RULE:
        return [v for v in (lookup(props, "cidrIpv4"), lookup(props, "cidrIpv6"))
                if isinstance(v, str)]
    if type_ == t.SG_RULE:
        entries = [] if lookup(props, "type") == "egress" else [props]
    elif type_ == t.SECURITY_GROUP:
        entries = as_list(lookup(props, "ingress"))
    else:
        return []
    return [x for e in entries if isinstance(e, dict)
            for x in as_list(e.get("cidrBlocks")) + as_list(e.get("ipv6CidrBlocks"))]


# ----------------------------------------------------------------- this cloud in the registry
# (ztc_policy/clouds.py): what stands for a cluster and its sandbox; the evidence predicates the
# controls' home (ztc_policy/catalog.py) names for this cloud.
def _addon(n: Node, name: str) -> bool:
    return n.type == t.EKS_ADDON and lookup(n.props, "addonName") == name


def pod_identity_agent_or_oidc(n: Node, cfg) -> bool:
    """ZT-WORKLOAD-IDENTITY: the eks-pod-identity-agent add-on, or an IRSA OIDC provider."""
    return _addon(n, "eks-pod-identity-agent") or n.type == t.IAM_OIDC_PROVIDER


def vpc_cni(n: Node, cfg) -> bool:
    """ZT-NETPOL-DEFAULT-DENY: the vpc-cni add-on (its rule checks enableNetworkPolicy)."""
    return _addon(n, "vpc-cni")


def _labels_taints_mention_sandbox(n: Node) -> bool:
    labels = lookup(n.props, "labels")
    taints = as_list(lookup(n.props, "taints"))
    text = " ".join([str(labels)] + [str(x) for x in taints]).lower()
    return "sandbox" in text or "gvisor" in text or "runsc" in text


def eks_sandbox_pool(n: Node, cfg) -> bool:
    """ZT-SANDBOX: a gVisor node group, or a Fargate profile."""
    return (n.type == t.EKS_NODE_GROUP and _labels_taints_mention_sandbox(n)) or \
        n.type == t.EKS_FARGATE


CLOUD = PackCloud(
    name="aws",
    cluster_type=t.EKS_CLUSTER,
    sandbox_pool=eks_sandbox_pool,
    sandbox_handlers=("runsc",),
    ingress_sources=ingress_sources,
)
