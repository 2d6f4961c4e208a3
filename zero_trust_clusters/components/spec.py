"""The cloud-agnostic contract: Posture + ClusterSpec, validated before anything is registered.

Stack config (camelCase YAML under the project's `zero-trust-clusters:` namespace) is parsed
into these models by `load_spec`. Every error a user can cause comes back as a `SpecError`
whose lines name the config key (`zero-trust-clusters:clusters[1].nodeCidr`) and say what to
change; `config_key` builds those names for checks made outside this module.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from zero_trust_clusters.components.catalog import SANDBOX_RUNTIME_CLASS
from zero_trust_clusters.components.model import SpecModel
from zero_trust_clusters.components.pki.settings import PkiSettings


def _pack_module(name: str) -> ModuleType:
    """A standard-library-only module of the policy pack (zero_trust_clusters/policies/ztc_policy/<name>.py).

    One copy serves both sides: the pack runs in its own virtualenv and cannot import the
    components, and the pack is not an installed package, so it is loaded here by path.
    """
    qualified = f"zero_trust_clusters.components._pack_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    path = Path(__file__).resolve().parents[1] / "policies" / "ztc_policy" / f"{name}.py"
    module_spec = importlib.util.spec_from_file_location(qualified, path)
    assert module_spec is not None and module_spec.loader is not None, path
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[qualified] = module
    module_spec.loader.exec_module(module)
    return module


# Address-set coverage (does a set of CIDRs cover the Internet?), shared with the policy pack.
addresses = _pack_module("addresses")

# Config lives in the project's own namespace (zero-trust-clusters:posture, ...); this module,
# not Pulumi.yaml, declares and validates it (see the comment in Pulumi.yaml).
CONFIG_NAMESPACE = "zero-trust-clusters"

# Versions in standard support on all three managed services (EKS, AKS, GKE) as of 2026-11.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.34", "1.35", "1.36")

# A registered cloud's name (zero_trust_clusters/components/clouds.py: the built-in ones are aws, azure, gcp).
Cloud = str

_DNS_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$")
_DNS_NAME = re.compile(r"^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_AWS_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_K8S_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_RESERVED_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}


def config_key(*path: str | int) -> str:
    """The full config key for an error message: config_key("clusters", 1, "nodeCidr")."""
    key = CONFIG_NAMESPACE + ":"
    for i, part in enumerate(path):
        if isinstance(part, str) and (not part.isprintable() or " " in part or len(part) > 80):
            part = show(part)  # a user-supplied key ("env\n"): quoted, on one line
        key += f"[{part}]" if isinstance(part, int) else ("." if i else "") + part
    return key


def cluster_key(cluster_name: str, index: int | None, *path: str | int) -> str:
    """A cluster's config key: by index when known, else by name (inside a component)."""
    where: tuple[str | int, ...] = (
        ("clusters", index) if index is not None else (f"clusters[name={cluster_name}]",)
    )
    return config_key(*where, *path)


class SpecError(ValueError):
    """An invalid stack configuration; each line names the config key and the fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n" + "\n".join(f"  - {p}" for p in problems))


class _Model(BaseModel):
    # SpecModel's configuration (zero_trust_clusters/components/model.py), on a class defined here so linters see
    # a pydantic model.
    model_config = SpecModel.model_config


def _cidr(value: str) -> str:
    try:
        net = addresses.parse(value)
    except ValueError as exc:
        reason = str(exc) if len(str(exc)) <= 120 else "malformed"
        raise ValueError(
            f"{show(value)} is not a valid CIDR ({reason}); write a network address such as "
            "10.10.0.0/16"
        ) from None
    if value != value.strip():
        raise ValueError(f"{show(value)} has surrounding whitespace; write the CIDR alone")
    return str(net)


def _private_ipv4_cidr(value: str) -> str:
    net = ipaddress.ip_network(_cidr(value))
    if net.version != 4 or not any(
        net.subnet_of(ipaddress.ip_network(r))
        for r in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    ):
        raise ValueError(
            f"{value} must be a private IPv4 range inside 10.0.0.0/8, 172.16.0.0/12 or "
            "192.168.0.0/16"
        )
    return str(net)


def _prefix_between(low: int, high: int):
    def check(value: str) -> str:
        prefix = ipaddress.ip_network(value).prefixlen
        if not low <= prefix <= high:
            raise ValueError(f"{value} has prefix /{prefix}; use a prefix from /{low} to /{high}")
        return value

    return check


# Ranges a private API endpoint can be reached from: RFC 1918 and RFC 6598 (shared address
# space, used by VPNs and carrier NAT). GKE refuses any other master authorized network once the
# public endpoint is off ("is not a reserved network, which is required for private endpoints":
# https://cloud.google.com/kubernetes-engine/docs/how-to/authorized-networks), so the same rule
# holds on every cloud and `authorizedNetworks` means the same thing everywhere.
PRIVATE_SOURCE_RANGES: tuple[str, ...] = (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
)


def _private_source_network(value: str) -> str:
    net = ipaddress.ip_network(_cidr(value))
    if net.version != 4 or not any(
        net.subnet_of(ipaddress.ip_network(r)) for r in PRIVATE_SOURCE_RANGES
    ):
        raise ValueError(
            f"{value} is not a private range; every API server is private-only, reachable over "
            "private connectivity (VPN, peering, a runner inside the network), so list ranges "
            f"inside {', '.join(PRIVATE_SOURCE_RANGES)}"
        )
    return str(net)


NodeCidr = Annotated[
    str, AfterValidator(_private_ipv4_cidr), AfterValidator(_prefix_between(16, 22))
]
PodCidr = Annotated[
    str, AfterValidator(_private_ipv4_cidr), AfterValidator(_prefix_between(16, 20))
]
ServiceCidr = Annotated[
    str, AfterValidator(_private_ipv4_cidr), AfterValidator(_prefix_between(16, 24))
]
PrivateSourceNetwork = Annotated[str, AfterValidator(_private_source_network)]


def show(value: object, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters, so a pasted blob never floods an error line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 12]}... ({len(text)} chars)"


def _match(pattern: re.Pattern[str], what: str):
    # fullmatch: `$` in re.match also accepts a trailing newline ("dev.zt.example.com\n").
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{show(value)} is not {what}")
        return value

    return check


DnsName = Annotated[
    str, AfterValidator(_match(_DNS_NAME, "a lowercase DNS name like zt.example.com"))
]
K8sName = Annotated[
    str, AfterValidator(_match(_K8S_NAME, "a Kubernetes name (lowercase letters, digits, '-')"))
]


# The portable groups' cloud identities, checked the same way whether they come from the stack
# config (the models below) or as `pulumi.Input`s of `ClusterArgs.access` once their values are
# known (zero_trust_clusters/components/cluster.py `resolve_access`).
check_aws_role_arn = _match(_AWS_ROLE_ARN, "an IAM role ARN")
check_group_object_id = _match(_UUID, "an Entra ID group object id (a UUID)")
check_group_email = _match(_EMAIL, "a Google Group e-mail address")


def check_gke_security_group(value: str) -> str:
    check_group_email(value)
    if not value.startswith("gke-security-groups@"):
        raise ValueError(
            f"{show(value)} must be named gke-security-groups@<your-domain> (GKE requirement)"
        )
    return value


class PortableGroup(_Model):
    """One portable group and its identity on each cloud; RBAC binds the same role everywhere.

    A cluster component may take other cloud identities for a group from `ClusterArgs.access`
    (as `pulumi.Input`s, e.g. from another stack); `kubernetes_group` stays a config value."""

    # Kubernetes group name used in RBAC bindings and EKS access entries.
    kubernetes_group: K8sName
    aws_role_arns: list[Annotated[str, AfterValidator(check_aws_role_arn)]] = []
    azure_group_object_id: Annotated[str, AfterValidator(check_group_object_id)] | None = None
    gcp_group_email: Annotated[str, AfterValidator(check_group_email)] | None = None


class Groups(_Model):
    admins: PortableGroup
    developers: PortableGroup
    auditors: PortableGroup
    # Google Groups for RBAC needs the parent group gke-security-groups@<your-domain>.
    gcp_security_group: Annotated[str, AfterValidator(check_gke_security_group)] | None = None

    def items(self) -> list[tuple[str, PortableGroup]]:
        return [
            ("admins", self.admins),
            ("developers", self.developers),
            ("auditors", self.auditors),
        ]


# An egress allow names a service's ranges, never "the Internet": public space beyond a /12
# (IPv4) or a /32 (IPv6) in one namespace is refused, and so is any set that, taken together,
# covers every public address (the 256 /8s, 0.0.0.0/1 + 128.0.0.0/1, ::ffff:0:0/96, ...).
MAX_EGRESS_PUBLIC_V4 = 2**20
MAX_EGRESS_PUBLIC_V6 = 2**96


def egress_problem(cidrs: list[str]) -> str | None:
    """Why an egress allow-list is too wide (by coverage of the whole set), or None."""
    found = addresses.coverage(cidrs)
    if found.internet:
        return (
            f"{', '.join(cidrs[:4])}{' ...' if len(cidrs) > 4 else ''} together cover the whole "
            "Internet, which undoes default-deny egress; list only the ranges the workloads call"
        )
    if found.public_v4 > MAX_EGRESS_PUBLIC_V4 or found.public_v6 > MAX_EGRESS_PUBLIC_V6:
        return (
            f"admits {found.public_v4:,} public IPv4 and {found.public_v6:,} public IPv6 "
            "addresses, more than a /12 (IPv4) or a /32 (IPv6); list only the ranges the "
            "workloads call"
        )
    return None


# `ingressFromClusters: ["*"]`: every cluster of the stack.
ALL_CLUSTERS = "*"


class ExportedService(_Model):
    """A service of a workload namespace that callers on other clusters reach through the
    callee cluster's east-west gateway (zero_trust_clusters/components/kubernetes/mesh.py)."""

    name: K8sName
    port: Annotated[int, Field(ge=1, le=65535)]
    # The service's pods' ServiceAccount: the SPIFFE ID callers require of the server.
    service_account: K8sName | None = None

    def account(self) -> str:
        return self.service_account or self.name


class WorkloadNamespace(_Model):
    name: K8sName
    # Explicit allows on top of default-deny; nothing else gets through.
    ingress_from_namespaces: list[K8sName] = []
    egress_to_cidrs: list[Annotated[str, AfterValidator(_cidr)]] = []
    # Pods run in RuntimeClass `sandboxed` (gVisor/Kata), outside the sidecar mesh; they reach
    # meshed namespaces only through their own meshed sandbox gateway and accept no in-cluster
    # callers (zero_trust_clusters/components/kubernetes/mesh.py, "Sandboxed namespaces").
    sandboxed: bool = False
    # Clusters whose `ingressFromNamespaces` callers may call this namespace too (by full SPIFFE
    # principal in their trust domain), by name, or `*` for every cluster of the stack; this
    # cluster's own callers are always allowed.
    ingress_from_clusters: list[Annotated[str, Field(min_length=1)]] = []
    # The services those clusters route to (ServiceEntry + DestinationRule on each caller).
    exported_services: list[ExportedService] = []

    def calling_clusters(self, clusters: list[str]) -> list[str]:
        """The clusters (of `clusters`, the stack's) whose callers may call this namespace."""
        if ALL_CLUSTERS in self.ingress_from_clusters:
            return list(clusters)
        return [c for c in clusters if c in self.ingress_from_clusters]

    @field_validator("egress_to_cidrs")
    @classmethod
    def _egress_not_the_internet(cls, value: list[str]) -> list[str]:
        problem = egress_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in _RESERVED_NAMESPACES:
            raise ValueError(f"{show(value)} is a system namespace; choose a workload namespace name")
        return value


class SigningIdentity(_Model):
    """A Sigstore keyless identity (OIDC issuer + certificate subject) whose signatures we trust."""

    issuer: Annotated[str, Field(pattern=r"^https://")]
    subject: Annotated[str, Field(min_length=1)]


class ImageProvenance(_Model):
    trusted_registries: Annotated[list[Annotated[str, Field(min_length=3)]], Field(min_length=1)]
    signing_identities: Annotated[list[SigningIdentity], Field(min_length=1)]


class SandboxSettings(_Model):
    runtime_class_name: Literal["sandboxed"] = SANDBOX_RUNTIME_CLASS


_AZURE_STORAGE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
# Container names: 3-63 of lowercase letters, digits and single hyphens, letter/digit at each end.
_AZURE_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


class LedgerSettings(_Model):
    """Where `ztc ledger record` appends: a local directory (nothing set), or a WORM store the
    estate provisions on one cloud (`cloud`, default aws when `bucketName` is set):
    - aws: an S3 Object Lock bucket (`bucketName`, `region`, `accountRoleArn`);
    - azure: a blob container in a storage account with a locked version-level immutability
      policy (`storageAccount`, `container`, `subscriptionId`, `tenantId`, `location`,
      `resourceGroup` to use an existing group);
    - gcp: a Cloud Storage bucket with a locked retention policy (`bucketName`, `project`,
      `location`).
    Which keys each cloud takes is `LEDGER_KEYS`; `_ledger_problems` checks them by name."""

    # A registered cloud (zero_trust_clusters/components/clouds.py) with a ledger store (`LEDGER_KEYS`, below).
    cloud: Cloud | None = None
    bucket_name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] | None = None
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] | None = None
    account_role_arn: (
        Annotated[str, AfterValidator(_match(_AWS_ROLE_ARN, "an IAM role ARN"))] | None
    ) = None
    storage_account: (
        Annotated[str, AfterValidator(_match(
            _AZURE_STORAGE_ACCOUNT, "a storage account name (3-24 lowercase letters and digits)"))]
        | None
    ) = None
    container: (
        Annotated[str, AfterValidator(_match(
            _AZURE_CONTAINER, "a blob container name (3-63 lowercase letters, digits, single "
            "hyphens)"))] | None
    ) = None
    resource_group: Annotated[str, Field(pattern=r"^[\w.()-]{1,89}[\w()-]$")] | None = None
    subscription_id: (
        Annotated[str, AfterValidator(_match(_UUID, "a subscription id (a UUID)"))] | None
    ) = None
    tenant_id: Annotated[str, AfterValidator(_match(_UUID, "a tenant id (a UUID)"))] | None = None
    # An Azure region (westeurope) or a Cloud Storage location (EU, europe-west1).
    location: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{2,40}$")] | None = None
    project: (
        Annotated[str, AfterValidator(_match(_GCP_PROJECT, "a GCP project id (6-30 lowercase "
                                                           "chars)"))] | None
    ) = None
    retention_days: Annotated[int, Field(ge=1, le=36500)] = 2555

    @field_validator("cloud")
    @classmethod
    def _registered_cloud_with_a_store(cls, value: str | None) -> str | None:
        from zero_trust_clusters.components import clouds

        stores = clouds.describe(list(LEDGER_KEYS))
        if value is not None and value not in clouds.names():
            raise ValueError(f"{show(value)} is not allowed: use {stores}")
        if value is not None and value not in LEDGER_KEYS:
            raise ValueError(f"{show(value)} has no ledger store; use {stores}")
        return value

    def store_cloud(self) -> Cloud | None:
        """The cloud of the ledger's store; None: the local directory store."""
        return self.cloud or ("aws" if self.bucket_name else None)

    def store_url(self) -> str | None:
        """The store as `ztc ledger` names it (public-cloud Azure endpoint), or None."""
        cloud = self.store_cloud()
        urls = {"aws": f"s3://{self.bucket_name}",
                "azure": f"https://{self.storage_account}.blob.core.windows.net/{self.container}",
                "gcp": f"gs://{self.bucket_name}"}
        return urls[cloud] if cloud else None


# Per store cloud: (required keys, optional keys), camelCase as in the stack file.
LEDGER_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "aws": (("bucketName", "region"), ("accountRoleArn",)),
    "azure": (("storageAccount", "container", "subscriptionId", "tenantId", "location"),
              ("resourceGroup",)),
    "gcp": (("bucketName", "project", "location"), ()),
}
_LEDGER_STORE_KEYS = tuple(dict.fromkeys(
    k for required, optional in LEDGER_KEYS.values() for k in (*required, *optional)))


def _ledger_problems(spec: EstateSpec) -> list[str]:
    """posture.ledger: the keys of the chosen store's cloud, and no other cloud's."""
    ledger = spec.posture.ledger
    given = {k for k in _LEDGER_STORE_KEYS
             if getattr(ledger, _snake(k)) is not None}
    cloud = ledger.store_cloud()
    if cloud is None:
        return [f"{config_key('posture', 'ledger', k)}: set only with a ledger store; add "
                f"cloud ({', '.join(LEDGER_KEYS)}) and that cloud's keys, or remove it"
                for k in sorted(given)]
    required, optional = LEDGER_KEYS[cloud]
    takes = ", ".join((*required, *optional))
    problems = [f"{config_key('posture', 'ledger', k)}: is required for a ledger store on "
                f"{cloud}; add it" for k in required if k not in given]
    problems += [f"{config_key('posture', 'ledger', k)}: is not used by a ledger store on "
                 f"{cloud} (it takes {takes}); remove it"
                 for k in sorted(given - set(required) - set(optional))]
    return problems


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def _supported_kubernetes_version(value: str) -> str:
    if value not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(
            f"Kubernetes {show(value)} is not supported; use one of "
            f"{', '.join(SUPPORTED_KUBERNETES_VERSIONS)}"
        )
    return value


class DeployerSettings(_Model):
    """Where the cluster phase (the in-cluster baseline) is applied from.

    Every API server is private, so the runner that applies the cluster phase sits in one of
    these private ranges (a CI runner in a hub network peered or VPN-connected to each cluster's
    network). Each cloud admits exactly these ranges to its API server on 443: the EKS cluster
    security group, the AKS API-subnet NSG, GKE master authorized networks. The runner's cloud
    identity must be one of `groups.admins` (its IAM role / Entra group / Google Group)."""

    networks: Annotated[list[PrivateSourceNetwork], Field(min_length=1)]


class Posture(_Model):
    """The zero-trust posture every cluster in the stack reproduces, whatever its cloud."""

    trust_domain: DnsName
    kubernetes_version: str
    groups: Groups
    # People's networks (offices, VPN pools) admitted to every private API server, like the
    # deployer's; private ranges only, the same meaning on every cloud.
    authorized_networks: list[PrivateSourceNetwork] = []
    # Required: without it the cluster phase has no network path to any API server
    # (checked with a keyed error in `_api_path_problems`).
    deployer: DeployerSettings | None = None
    workload_namespaces: Annotated[list[WorkloadNamespace], Field(min_length=1)]
    sandbox: SandboxSettings = SandboxSettings()
    image_provenance: ImageProvenance
    pki: PkiSettings = PkiSettings()
    audit_retention_days: Annotated[int, Field(ge=1, le=3650)] = 365
    ledger: LedgerSettings = LedgerSettings()
    # Istio with STRICT mTLS and identity authorization on every cluster (zero_trust_clusters/components/kubernetes/
    # mesh.py). On by default: turning it off leaves NetworkPolicy as the only
    # service-to-service control, and the policy pack fails ZT-MTLS-SHARED-ROOT.
    mesh: bool = True

    def api_source_networks(self) -> list[str]:
        """Every range admitted to the private API servers: deployer first, then people."""
        deployer = list(self.deployer.networks) if self.deployer else []
        return list(dict.fromkeys([*deployer, *self.authorized_networks]))

    @field_validator("kubernetes_version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        return _supported_kubernetes_version(value)

    @field_validator("workload_namespaces")
    @classmethod
    def _unique_namespaces(cls, value: list[WorkloadNamespace]) -> list[WorkloadNamespace]:
        names = [ns.name for ns in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"namespace {dupes[0]!r} is listed twice; list each namespace once")
        for ns in value:
            unknown = sorted(set(ns.ingress_from_namespaces) - set(names))
            if unknown:
                raise ValueError(
                    f"namespace {ns.name!r} allows ingress from {unknown[0]!r}, which is not a "
                    "workload namespace; add it to workloadNamespaces or remove the allow"
                )
        return value


class NodePool(_Model):
    machine_type: Annotated[str, Field(min_length=2)]
    min_size: Annotated[int, Field(ge=0, le=1000)] = 1
    max_size: Annotated[int, Field(ge=1, le=1000)]
    disk_size_gb: Annotated[int, Field(ge=20, le=2048)] = 50

    @model_validator(mode="after")
    def _sizes(self) -> NodePool:
        if self.min_size > self.max_size:
            raise ValueError(
                f"minSize {self.min_size} is larger than maxSize {self.max_size}; "
                "make maxSize at least minSize"
            )
        return self


class NodePools(_Model):
    system: NodePool
    general: NodePool
    sandbox: NodePool


# The pools every cluster has (`nodePools`); a user pool (`pools`) may not take their names.
MANDATORY_POOLS: tuple[str, ...] = ("system", "general", "sandbox")
# A user pool's name: AKS's agentPoolName rule (`^[a-z][a-z0-9]{0,11}$`, the strictest of the
# three clouds: https://learn.microsoft.com/en-us/rest/api/aks/agent-pools/create-or-update),
# so one name means the same pool on every cloud.
_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
# Kubernetes label keys and values (https://kubernetes.io/docs/concepts/overview/
# working-with-objects/labels/#syntax-and-character-set): an optional DNS-subdomain prefix and a
# name of at most 63 characters; values of at most 63 characters, possibly empty.
_LABEL_KEY = re.compile(
    r"^(?:(?=[a-z0-9.-]{1,253}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
# Prefixes a user pool may not set: the kubelet refuses most of kubernetes.io / k8s.io
# (NodeRestriction), the clouds own theirs, and ztc.io carries the pool and sandbox markers
# the sandbox RuntimeClass selects; a user pool wearing them would receive sandboxed pods
# outside the VM sandbox.
RESERVED_LABEL_DOMAINS: tuple[str, ...] = (
    "kubernetes.io", "k8s.io", "ztc.io", "gke.io", "cloud.google.com", "kubernetes.azure.com",
    "azure.com", "amazonaws.com", "nvidia.com",
)


def _reserved_domain(key: str) -> str | None:
    prefix = key.split("/", 1)[0] if "/" in key else ""
    for domain in RESERVED_LABEL_DOMAINS:
        if prefix == domain or prefix.endswith("." + domain):
            return domain
    return None


def _label_key(value: str) -> str:
    if not _LABEL_KEY.fullmatch(value):
        raise ValueError(f"{show(value)} is not a Kubernetes label key ([prefix/]name, name at "
                         "most 63 letters, digits, '-', '_' or '.')")
    domain = _reserved_domain(value)
    if domain:
        raise ValueError(f"{show(value)} is in the reserved {domain} namespace (set by the "
                         "kubelet, the cloud or this framework); use your own prefix")
    return value


LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_match(
    _LABEL_VALUE, "a Kubernetes label value (at most 63 letters, digits, '-', '_' or '.')"))]
PoolName = Annotated[str, AfterValidator(_match(
    _POOL_NAME, "a pool name (1-12 lowercase letters and digits, starting with a letter)"))]


class Taint(_Model):
    """A node taint of a user pool; pods need a matching toleration to land there."""

    key: LabelKey
    value: LabelValue = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class UserPool(NodePool):
    """A named pool of the cluster's `pools:` map, beside the mandatory system, general and
    sandbox pools. It keeps the posture every pool has (trusted boot, no SSH, no public IP,
    customer-key disks, private subnets); the policy pack judges it like the others.

    - `labels` / `taints`: Kubernetes node labels and taints (reserved namespaces refused);
    - `spot`: spot / preemptible capacity (EKS SPOT capacity, AKS Spot priority, GKE Spot VMs);
    - `gpu`: an NVIDIA GPU pool; `machineType` must be a GPU machine type the cloud's known data
      lists (zero_trust_clusters/components/<cloud>/known.py), and the cloud's GPU image and driver are used.
    A spot or GPU pool may scale to zero (`minSize: 0`)."""

    min_size: Annotated[int, Field(ge=0, le=1000)] = 0
    labels: dict[LabelKey, LabelValue] = {}
    taints: list[Taint] = []
    spot: bool = False
    gpu: bool = False

    @field_validator("taints")
    @classmethod
    def _one_taint_per_key(cls, value: list[Taint]) -> list[Taint]:
        # One per key: Bottlerocket's node-taints and the clouds' pool APIs key taints by name.
        keys = [t.key for t in value]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"taint {dupes[0]!r} is listed twice; give each key one taint")
        return value


class ClusterSpec(_Model):
    name: Annotated[
        str,
        AfterValidator(
            _match(
                _DNS_LABEL,
                "a cluster name: 1-20 lowercase letters, digits or '-', starting with a letter",
            )
        ),
    ]
    cloud: Cloud
    region: Annotated[str, Field(pattern=r"^[a-z0-9-]{3,30}$")]
    node_cidr: NodeCidr
    pod_cidr: PodCidr
    service_cidr: ServiceCidr
    node_pools: NodePools
    # User pools beside the mandatory ones, by name (`pools.gpu`, `pools.spot`, ...).
    pools: dict[PoolName, UserPool] = {}
    # This cluster's Kubernetes minor version; default: the posture's. Lets one cluster go
    # first (a canary) while the others stay; validated like the posture's.
    kubernetes_version: str | None = None
    # The explicit switch that lifts this cluster's protections so `pulumi destroy` can remove
    # it: no `protect`, no `retainOnDelete`, deletion protection off (DEPLOYING.md,
    # "Decommissioning"). What a cloud cannot lift (Key Vault purge protection, S3 Object Lock
    # COMPLIANCE retention, locked bucket retention) stays, as documented there.
    decommission: bool = False
    labels: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$")], str] = {}
    # The cluster's cloud block (`aws:` / `azure:` / `gcp:` in the stack file), validated by the
    # cloud's registered settings model (zero_trust_clusters/components/<cloud>/cloud.py); None when the cloud needs
    # none and the stack gives none.
    settings: Any = None

    @model_validator(mode="before")
    @classmethod
    def _cloud_block_is_settings(cls, data: Any) -> Any:
        """`aws: {...}` in the stack file is the settings of a cluster on aws; another cloud's
        block on it is a mistake."""
        from zero_trust_clusters.components import clouds  # the registry imports this module

        if not isinstance(data, dict) or not isinstance(data.get("cloud"), str):
            return data
        data = dict(data)
        cloud = data["cloud"]
        if cloud not in clouds.names():
            return data  # the cloud itself is refused, naming the known ones
        if "settings" in data:
            raise ValueError("`settings` is not a known setting; a cluster's cloud settings go "
                             f"under the cloud's name (`{cloud}:`)")
        for name in clouds.names():
            if name in data and name != cloud:
                raise ValueError(f"cluster is on {cloud} but has an `{name}` block; remove it")
        if cloud in data:
            data["settings"] = data.pop(cloud)
        return data

    @field_validator("pools")
    @classmethod
    def _not_a_mandatory_pool(cls, value: dict[str, UserPool]) -> dict[str, UserPool]:
        for name in value:
            if name in MANDATORY_POOLS:
                raise ValueError(f"{name!r} is a mandatory pool, configured under nodePools."
                                 f"{name}; give the user pool another name")
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _supported_cluster_version(cls, value: str | None) -> str | None:
        return None if value is None else _supported_kubernetes_version(value)

    def version(self, posture: Posture) -> str:
        """This cluster's Kubernetes version: its own, else the posture's."""
        return self.kubernetes_version or posture.kubernetes_version

    def all_pools(self) -> dict[str, NodePool]:
        """Every pool by name: the mandatory ones, then the user pools."""
        mandatory: dict[str, NodePool] = {n: getattr(self.node_pools, n) for n in MANDATORY_POOLS}
        return {**mandatory, **self.pools}

    def pool_key(self, index: int | None, pool: str, *path: str | int) -> str:
        """The config key of a pool's field: `nodePools.<pool>` or `pools.<pool>`."""
        where = "nodePools" if pool in MANDATORY_POOLS else "pools"
        return cluster_key(self.name, index, where, pool, *path)

    @field_validator("cloud")
    @classmethod
    def _registered_cloud(cls, value: str) -> str:
        from zero_trust_clusters.components import clouds

        if value not in clouds.names():
            raise ValueError(f"{show(value)} is not allowed: use {clouds.describe(clouds.names())}")
        return value

    @field_validator("settings")
    @classmethod
    def _cloud_settings(cls, value: Any, info: ValidationInfo) -> Any:
        from zero_trust_clusters.components import clouds

        cloud = info.data.get("cloud")
        if cloud is None or value is None:
            return value
        model = clouds.get(cloud).settings
        if model is None:
            raise ValueError(f"{cloud} clusters take no `{cloud}` block; remove it")
        return value if isinstance(value, model) else model.model_validate(value)

    @model_validator(mode="after")
    def _required_settings(self) -> ClusterSpec:
        from zero_trust_clusters.components import clouds

        model = clouds.get(self.cloud).settings
        if self.settings is None and model is not None and clouds.get(
                self.cloud).settings_required:
            required = [f.alias or name for name, f in model.model_fields.items()
                        if f.is_required()]
            raise ValueError(f"cloud {self.cloud} needs a `{self.cloud}` block with "
                             f"{' and '.join(required)}")
        return self

    @model_serializer(mode="wrap")
    def _settings_under_the_cloud_name(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Dumped like the stack file (`aws: {...}`), so a dump loads back with `load_spec`."""
        data = handler(self)
        if isinstance(data, dict):
            settings = data.pop("settings", None)
            if settings is not None:
                data[self.cloud] = settings
        return data

    def cidrs(self) -> dict[str, ipaddress.IPv4Network]:
        return {
            "nodeCidr": ipaddress.IPv4Network(self.node_cidr),
            "podCidr": ipaddress.IPv4Network(self.pod_cidr),
            "serviceCidr": ipaddress.IPv4Network(self.service_cidr),
        }


class EstateSpec(_Model):
    posture: Posture
    clusters: Annotated[list[ClusterSpec], Field(min_length=1)]

    def trust_domain(self, cluster: ClusterSpec) -> str:
        """Each cluster's SPIFFE trust domain; its PKI intermediate is constrained to it."""
        return f"{cluster.name}.{self.posture.trust_domain}"

    def mesh_peer_ranges(self, cluster: ClusterSpec) -> tuple[str, ...]:
        """The other clusters' node and pod ranges, when the posture has cross-cluster edges
        (`ingressFromClusters`): what `cluster`'s firewall admits to its east-west gateway."""
        if not (self.posture.mesh and any(
                ns.ingress_from_clusters for ns in self.posture.workload_namespaces)):
            return ()
        return tuple(sorted({r for c in self.clusters if c.name != cluster.name
                             for r in (c.node_cidr, c.pod_cidr)}))


def _cross_cluster_problems(spec: EstateSpec) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, cluster in enumerate(spec.clusters):
        if cluster.name in seen:
            problems.append(
                f"{config_key('clusters', i, 'name')}: {cluster.name!r} is already used by "
                f"clusters[{seen[cluster.name]}]; give every cluster a unique name"
            )
        seen.setdefault(cluster.name, i)
    ranges = [
        (config_key("clusters", i, key), net)
        for i, cluster in enumerate(spec.clusters)
        for key, net in cluster.cidrs().items()
    ]
    for a in range(len(ranges)):
        for b in range(a + 1, len(ranges)):
            (key_a, net_a), (key_b, net_b) = ranges[a], ranges[b]
            if net_a.overlaps(net_b):
                problems.append(
                    f"{key_b}: {net_b} overlaps {key_a} ({net_a}); every node, pod and "
                    "service range must be disjoint across the stack so clusters can reach "
                    "each other"
                )
    names = {c.name for c in spec.clusters}
    for name in spec.posture.pki.intermediate_rotations:
        if name not in names:
            problems.append(
                f"{config_key('posture', 'pki', 'intermediateRotations', name)}: no cluster is "
                f"named {name!r}; use one of {', '.join(sorted(names))}"
            )
    from zero_trust_clusters.components import clouds

    for cloud in dict.fromkeys(c.cloud for c in spec.clusters):
        for check in clouds.get(cloud).estate_checks:
            problems += check(spec)
    return problems


def _api_path_problems(spec: EstateSpec) -> list[str]:
    """The cluster phase must reach every private API server: a deployer range is required,
    and no admitted range may overlap a cluster's own ranges (peering/VPN routes need disjoint
    address space, and an overlapping source would be routed into the cluster instead)."""
    posture = spec.posture
    if posture.deployer is None:
        first = spec.clusters[0]
        return [
            (f"{config_key('posture', 'deployer', 'networks')}: is required; every API server is "
            f"private, so the cluster phase has no network path to {first.name} (clusters[0]) "
            "without it; list the private range your deployment runner sits in")
        ]
    problems = []
    for field, what, networks in (
        (("deployer", "networks"), "deployer", posture.deployer.networks),
        (("authorizedNetworks",), "authorized", posture.authorized_networks),
    ):
        for n, value in enumerate(networks):
            source = ipaddress.ip_network(value)
            for i, cluster in enumerate(spec.clusters):
                for key, net in cluster.cidrs().items():
                    if source.overlaps(net):
                        problems.append(
                            f"{config_key('posture', *field, n)}: {what} network {value} "
                            f"overlaps {config_key('clusters', i, key)} ({net}); it must be a "
                            "separate network routed to the clusters (peering or VPN)"
                        )
    return problems


# Helm release names are at most 53 characters; a sandbox gateway is `sandbox-<namespace>`.
SANDBOX_GATEWAY_PREFIX = "sandbox-"
_MAX_SANDBOXED_NAME = 53 - len(SANDBOX_GATEWAY_PREFIX)


def _mesh_problems(spec: EstateSpec) -> list[str]:
    """The mesh's proxies enforce only URI name constraints on the trust domain: without them
    every cluster's intermediate could mint the identities of every other cluster. Sandboxed
    namespaces and cross-cluster edges must be routable without plaintext into the mesh."""
    posture = spec.posture
    problems = []
    if posture.mesh and not posture.pki.uri_name_constraints:
        problems.append(
            f"{config_key('posture', 'pki', 'uriNameConstraints')}: false while "
            f"{config_key('posture', 'mesh')} is true; the mesh's proxies (Envoy) confine each "
            "cluster's intermediate to its trust domain only through URI name constraints, so "
            "remove uriNameConstraints (default true) or turn the mesh off"
        )
    clusters = [c.name for c in spec.clusters]
    for i, ns in enumerate(posture.workload_namespaces):
        def key(*path: str | int) -> str:
            return config_key("posture", "workloadNamespaces", i, *path)  # noqa: B023

        if ns.sandboxed and ns.ingress_from_namespaces:
            problems.append(
                f"{key('ingressFromNamespaces')}: namespace {ns.name!r} is sandboxed, so its "
                "pods run outside the mesh and a caller would reach them in plaintext; remove "
                "the callers (sandboxed namespaces accept no in-cluster callers) or set "
                "sandboxed false")
        if ns.sandboxed and (ns.ingress_from_clusters or ns.exported_services):
            problems.append(
                f"{key('exportedServices' if ns.exported_services else 'ingressFromClusters')}"
                f": namespace {ns.name!r} is sandboxed and accepts no callers; remove it")
        if ns.sandboxed and ns.egress_to_cidrs:
            problems.append(
                f"{key('egressToCidrs')}: namespace {ns.name!r} is sandboxed; its pods may send "
                "only to their sandbox gateway (and DNS), so a CIDR could carry plaintext past "
                "the mesh; remove egressToCidrs or set sandboxed false")
        if ns.sandboxed and len(ns.name) > _MAX_SANDBOXED_NAME:
            problems.append(
                f"{key('name')}: a sandboxed namespace's gateway is the Helm release "
                f"{SANDBOX_GATEWAY_PREFIX}<name> (at most 53 characters); shorten the name to "
                f"{_MAX_SANDBOXED_NAME} characters")
        for j, name in enumerate(ns.ingress_from_clusters):
            if name not in clusters and name != ALL_CLUSTERS:
                problems.append(
                    f"{key('ingressFromClusters', j)}: no cluster is named {name!r}; use one "
                    f"of {', '.join(clusters)}, or {ALL_CLUSTERS!r} for every cluster")
        if ns.ingress_from_clusters and not ns.exported_services:
            problems.append(
                f"{key('exportedServices')}: is required with ingressFromClusters; list the "
                f"services (name, port) of {ns.name!r} that the other clusters call")
        if ns.exported_services and not ns.ingress_from_clusters:
            problems.append(
                f"{key('exportedServices')}: no cluster calls them; add ingressFromClusters "
                "or remove exportedServices")
        if ns.ingress_from_clusters and not ns.ingress_from_namespaces:
            problems.append(
                f"{key('ingressFromClusters')}: namespace {ns.name!r} declares no caller "
                "namespace (ingressFromNamespaces), so no other cluster may call it; add one "
                "or remove ingressFromClusters")
        names = [s.name for s in ns.exported_services]
        for j, svc in enumerate(ns.exported_services):
            if names.index(svc.name) != j:
                problems.append(f"{key('exportedServices', j, 'name')}: {svc.name!r} is listed "
                                "twice; list each service once")
    return problems


def _cloud_named(error: Any, raw: Mapping[str, Any]) -> Any:
    """An error inside a cluster's settings, keyed as the stack file spells it (`azure.…`)."""
    loc = tuple(error["loc"])
    if len(loc) > 2 and loc[0] == "clusters" and loc[2] == "settings":
        try:
            cloud = raw["clusters"][loc[1]]["cloud"]
        except (KeyError, IndexError, TypeError):
            return error
        return {**error, "loc": (*loc[:2], cloud, *loc[3:])}
    return error


def _format(error: Any) -> str:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
    msg = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        msg = "is required; add it"
    elif error["type"] == "extra_forbidden":
        msg = "is not a known setting; check its spelling (keys are camelCase)"
    elif error["type"] == "literal_error":
        msg = f"{show(error.get('input'))} is not allowed: {msg}"
    return f"{config_key(*loc)}: {msg if len(msg) <= 400 else msg[:399] + '…'}"


# Keys of the project namespace the program reads; any other is a typo that would be ignored.
STRUCTURED_KEYS = ("posture", "clusters")
SECRET_KEYS = ("pkiRootKey", "pkiRootPassphrase")
# Which phase a stack runs (DEPLOYING.md): read by the program, not part of the spec.
PHASE_KEYS = ("phase", "cloudStack")
# What the offline engine puts in place of a `secure:` value it cannot decrypt.
SECURE_PLACEHOLDER = "[secure value: not available offline]"


def load_spec(
    config: Mapping[str, Any],
    *,
    project_dir: Path | None = None,
    check_offline_root: bool = True,
) -> EstateSpec:
    """Validate stack config (`posture`, `clusters`, with or without the namespace prefix).

    Values may be parsed objects or JSON strings (as Pulumi hands structured config over).
    Everything that can be known before a resource is registered is checked here, including
    the offline root (its certificate file, relative to `project_dir` or the working
    directory, and `pkiRootKey` / `pkiRootPassphrase` when present), so an invalid stack
    registers nothing. The cluster phase, which never signs with the root, reads the spec with
    `check_offline_root=False` (it has neither the key nor its passphrase).
    """
    raw: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in config.items():
        namespace, _, name = key.rpartition(":")
        if namespace not in ("", CONFIG_NAMESPACE):
            continue  # provider settings (aws:region, ...) are the providers' business
        if name in SECRET_KEYS:
            secrets[name] = value
            continue
        if name in PHASE_KEYS:
            continue
        if name not in STRUCTURED_KEYS:
            unknown.append(
                f"{config_key(name)}: is not a known setting; the project reads "
                f"{', '.join(STRUCTURED_KEYS + SECRET_KEYS + PHASE_KEYS)} (check the spelling)"
            )
            continue
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise SpecError([f"{config_key(name)}: is not valid structured config"]) from None
        raw[name] = value
    try:
        spec = EstateSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(unknown + [_format(_cloud_named(e, raw)) for e in exc.errors()]) from None
    problems = (
        unknown
        + _cross_cluster_problems(spec)
        + _api_path_problems(spec)
        + _mesh_problems(spec)
        + _cloud_problems(spec)
        + _ledger_problems(spec)
        + (_offline_root_problems(spec, secrets, project_dir or Path.cwd())
           if check_offline_root else [])
    )
    if problems:
        raise SpecError(problems)
    return spec


def offline_root_path(spec: EstateSpec, project_dir: Path) -> Path:
    """Where `posture.pki.offlineRootCertificateFile` points (relative to the project)."""
    return project_dir / str(spec.posture.pki.offline_root_certificate_file)


def _offline_root_problems(
    spec: EstateSpec, secrets: Mapping[str, Any], project_dir: Path
) -> list[str]:
    """The offline root's certificate, key and passphrase, checked before any registration."""
    if spec.posture.pki.root_mode != "offline":
        return []
    from zero_trust_clusters.components.pki import authority as pki  # authority imports this module

    file_key = config_key("posture", "pki", "offlineRootCertificateFile")
    path = offline_root_path(spec, project_dir)
    try:
        roots = pki.trust_bundle(pki.load_certificates(path.read_bytes()))
    except OSError as exc:
        return [(f"{file_key}: cannot read {path} ({exc.strerror or exc}); create it with "
                "`ztc pki init-root`")]
    except (ValueError, pki.PkiError) as exc:
        return [(f"{file_key}: {path} holds no usable root certificate ({exc}); point it at "
                "root-ca.pem from `ztc pki init-root`")]
    root = roots[0]
    problems: list[str] = []
    expected = f"{spec.posture.trust_domain} root CA"
    names = [a.value for a in root.subject if a.oid == pki.NameOID.COMMON_NAME]
    if not any(isinstance(n, str) and n.startswith(expected + " G") for n in names):
        problems.append(
            f"{file_key}: {path} is the root of {show(names[0] if names else '(no name)')}, not "
            f"of {config_key('posture', 'trustDomain')} {spec.posture.trust_domain}; use the "
            "root made for this trust domain"
        )
    if root.not_valid_after_utc <= pki.utcnow():
        problems.append(f"{file_key}: the root in {path} has expired; make a new one")
    values = {}
    for name in SECRET_KEYS:
        value = secrets.get(name)
        if value is None or value == "":
            problems.append(
                f"{config_key(name)}: is required because posture.pki.rootMode is offline; set "
                f"it with `pulumi config set --secret {name}`"
            )
        elif value == SECURE_PLACEHOLDER:
            problems.append(
                f"{config_key(name)}: is a `secure:` value, which the offline engine cannot "
                "decrypt, so it cannot sign the clusters' intermediates; preview an offline-root "
                "stack with `pulumi preview`, or use rootMode managed for offline previews"
            )
        elif not isinstance(value, str):
            problems.append(f"{config_key(name)}: must be a string (set it with "
                            f"`pulumi config set --secret {name}`)")
        else:
            values[name] = value
    if problems or len(values) != len(SECRET_KEYS):
        return problems
    key_pem, passphrase = values["pkiRootKey"], values["pkiRootPassphrase"]
    if "-----BEGIN ENCRYPTED PRIVATE KEY-----" not in key_pem:
        return [(f"{config_key('pkiRootKey')}: is not the encrypted PEM key written by "
                "`ztc pki init-root` (root-ca.key.pem); set it with "
                "`pulumi config set --secret pkiRootKey < pki/root-ca.key.pem`")]
    try:
        key = pki.load_private_key(key_pem, passphrase)
    except pki.PkiError:
        return [(f"{config_key('pkiRootPassphrase')}: does not decrypt "
                f"{config_key('pkiRootKey')}; set the passphrase given to `ztc pki init-root`")]
    if key.public_key() != root.public_key():
        return [(f"{config_key('pkiRootKey')}: is not the key of the root in {path}; set the "
                "key written next to that certificate")]
    return []


def _cloud_problems(spec: EstateSpec) -> list[str]:
    """What only one cloud rejects (Nitro types, Kata sizes, GKE regions...), by index: the
    checks each cloud registers (zero_trust_clusters/components/<cloud>/cloud.py), in order."""
    from zero_trust_clusters.components import clouds

    problems: list[str] = []
    for index, cluster in enumerate(spec.clusters):
        found: list[str] = []
        for check in clouds.get(cluster.cloud).checks:
            refused = {p.split(": ", 1)[0] for p in found}
            # One message per key: a key an earlier check already refused is not repeated.
            found += [p for p in check(cluster, index) if p.split(": ", 1)[0] not in refused]
        problems += found
    return problems


# What the clouds' settings models (zero_trust_clusters/components/<cloud>/cloud.py) build on.
AWS_ROLE_ARN, UUID_PATTERN, GCP_PROJECT = _AWS_ROLE_ARN, _UUID, _GCP_PROJECT
match_pattern = _match
