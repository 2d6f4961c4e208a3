"""What every per-cloud cluster component takes and exposes.

`EksCluster`, `AksCluster` and `GkeCluster` subclass `HardenedCluster`; the estate and the
in-cluster baseline only speak to this interface, never to a cloud's resources.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi

from zero_trust_clusters.components.catalog import ControlId, control_id
from zero_trust_clusters.components.spec import (
    Cloud,
    ClusterSpec,
    Posture,
    SpecError,
    check_aws_role_arn,
    check_gke_security_group,
    check_group_email,
    check_group_object_id,
    config_key,
)


class ExistingNetwork:
    """Base of the per-cloud "bring your own network" arguments (`EksNetworkArgs`,
    `AksNetworkArgs`, `GkeNetworkArgs` in zero_trust_clusters/components/<cloud>/network.py).

    Their fields are `pulumi.Input`s, so IDs can come from another stack (a StackReference)
    or from resources of the same program. What can be checked without the values is checked
    when the component is built; what needs them is checked when they are known (in an
    `apply`, failing the deployment with a message naming the argument), so a first preview
    of values that are still unknown checks only their shape.
    """


class ExistingKeys:
    """Base of the per-cloud "bring your own keys" arguments (`EksKeysArgs` in
    zero_trust_clusters/components/aws/kms.py, `AksKeysArgs` in azure/keyvault.py, `GkeKeysArgs`
    in gcp/kms.py).

    Like `ExistingNetwork`: every field is a `pulumi.Input` (a key from the security team's
    stack), its format is checked when its value is known (an `apply` failing with a message
    naming the argument). A brought key is the key owner's: the component creates no key of
    that role, grants the cluster's identities the use of the brought keys where the cloud
    lets the user of a key do so (AKS role assignments, GKE key IAM bindings; EKS key
    policies are the owner's alone), and publishes the brought keys as `kmsKeys`. Its
    rotation and policy are not in this program, so the policy pack reports the secrets-key
    control "not verifiable" unless the key resource is declared in the same program.
    """


Brought = TypeVar("Brought")
Block = TypeVar("Block")


def brought(given: object | None, block: Block | None, args_type: type[Brought],
            from_block: Callable[[Block], Brought], *, where: str, field: str,
            component: str) -> Brought | None:
    """What a cluster brings instead of creating: `ClusterArgs.<field>` (Pulumi inputs), else
    the stack config's block converted by `from_block`, else None (the component creates it).
    A value of another cloud's args class is refused at `where`."""
    if given is not None:
        if not isinstance(given, args_type):
            article = "an" if component[0] in "AEIOU" else "a"
            problem = (f"{where}: ClusterArgs.{field} is a {type(given).__name__}; "
                       f"{article} {component} takes {args_type.__name__}")
            raise SpecError([problem])
        return given
    return None if block is None else from_block(block)


def checked_input(value: pulumi.Input[str], check: Callable[[str], object],
                  where: str) -> pulumi.Input[str]:
    """`value` checked by `check` (raising ValueError) once known; the error names `where`.

    A plain string is checked at once and returned as is (so what the stack config gives
    stays a plain value the policy pack reads at a first preview); an Output is checked in an
    `apply`, failing the deployment when its value turns out wrong."""

    def judged(known: Any) -> str:
        if not isinstance(known, str):
            raise SpecError([f"{where}: {known!r} is not a string"])
        try:
            check(known)
        except ValueError as exc:
            raise SpecError([f"{where}: {exc}"]) from None
        return known

    if isinstance(value, str):
        return judged(value)
    return pulumi.Output.from_input(value).apply(judged)



def checked_together(values: Mapping[str, pulumi.Input[Any]],
                     problems: Callable[[dict[str, Any]], list[str]]
                     ) -> dict[str, pulumi.Output[Any]]:
    """Each of `values`, resolving only once all of them are known and `problems` (keyed
    messages) finds nothing; otherwise the deployment fails with those problems (SpecError)."""

    def check(known: dict[str, Any]) -> dict[str, Any]:
        found = problems(known)
        if found:
            raise SpecError(found)
        return known

    group = pulumi.Output.all(**values).apply(check)
    return {key: group.apply(lambda v, key=key: v[key]) for key in values}

@dataclass(frozen=True)
class GroupAccessArgs:
    """One portable group's cloud identities for one cluster, overriding the posture's
    (`posture.groups.<group>`); None keeps the posture's value. Each is a `pulumi.Input`, so
    it may come from another stack; its format is checked when known, with the patterns the
    stack config uses (zero_trust_clusters/components/spec.py).

    The group's Kubernetes name (`kubernetesGroup`) stays the posture's: it is portable and
    the same on every cloud. The cluster phase's RBAC bindings
    (zero_trust_clusters/components/kubernetes/rbac.py) bind the subject each cloud's
    authenticator puts in the user's groups: the Kubernetes group on EKS (so an overridden IAM
    role changes no binding), the Entra group object id on AKS and the Google Group e-mail on
    GKE. The component publishes that subject per group as `groupSubjects` (these overrides
    included); `cluster_phase_inputs` (zero_trust_clusters/components/estate.py) hands it to the
    cluster phase, whose bindings name it. A cloud phase deployed before `groupSubjects`
    existed has none: its cluster phase binds the posture's groups until the cloud phase is
    deployed again."""

    aws_role_arns: Mapping[str, pulumi.Input[str]] | Sequence[pulumi.Input[str]] | None = None
    """IAM roles (arn:aws:iam::<account>:role/...) that get this group's EKS access entry
    (mapped to the group's Kubernetes group); each ARN may be an Output, but the number of
    roles must be known when the component is built (one access entry per role).

    The entry's resource name must not depend on where a role sits in a list: EKS gives a
    principal one access entry, so an entry created under a new name while the old name still
    holds that role fails (ResourceInUseException). Prefer a mapping, label -> ARN: the label
    (a Kubernetes name, chosen once and kept) names the entry, e.g.
    `{"platform-admins": ref.get_output("adminRoleArn")}`. A plain-string ARN in a list is
    named by its role name, as the posture's roles are, so a role moved between the posture
    and this argument keeps its entry (use the role name as its label to move it into a
    mapping). An Output in a list is named by its position: reordering or removing an item
    replaces entries (deleted before they are re-created), and a role that moves to another
    position while its old entry still exists fails; append only, or use a mapping.
    EKS gives a role one access entry: a role listed in two groups, or that is also the
    cluster's `aws.accountRoleArn` (which gets its own admin entry), is refused when known."""
    azure_group_object_id: pulumi.Input[str] | None = None
    """The Entra ID group (object id, a UUID): AKS admin group (admins) and the Azure RBAC
    role assignments of this group on the cluster."""
    gcp_group_email: pulumi.Input[str] | None = None
    """The Google Group e-mail; GKE uses it only in the cluster phase's RBAC subjects
    (Google Groups for RBAC, through `groupSubjects`), see above."""


@dataclass(frozen=True)
class ClusterAccessArgs:
    """Who may call this cluster's API: per portable group, cloud identities that win over the
    posture's (`GroupAccessArgs`), e.g. an IAM role ARN or an Entra group id from a
    StackReference. None (a group or a field): the posture's value."""

    admins: GroupAccessArgs | None = None
    """Cluster administrators (EKS AmazonEKSClusterAdminPolicy, AKS admin group and Azure
    Kubernetes Service RBAC Cluster Admin, RBAC cluster-admin)."""
    developers: GroupAccessArgs | None = None
    """Developers (RBAC edit in the workload namespaces only)."""
    auditors: GroupAccessArgs | None = None
    """Auditors (read-only, without Secrets)."""
    gcp_security_group: pulumi.Input[str] | None = None
    """GKE only: the gke-security-groups@<your-domain> parent group of Google Groups for RBAC
    (`authenticatorGroupsConfig.securityGroup`), overriding `posture.groups.gcpSecurityGroup`."""


PORTABLE_GROUPS: tuple[str, ...] = ("admins", "developers", "auditors")


@dataclass(frozen=True)
class GroupAccess:
    """A portable group's identities on one cluster, resolved (args over posture) and checked."""

    name: str
    kubernetes_group: str
    aws_role_arns: tuple[pulumi.Input[str], ...]
    azure_group_object_id: pulumi.Input[str] | None
    gcp_group_email: pulumi.Input[str] | None
    # The key a missing identity is reported under (the posture's, or the argument's).
    source: dict[str, str]
    # Per role of `aws_role_arns`: the label a mapping gave it (None for a list item), and the
    # key its errors name (`...awsRoleArns[0]`, `ClusterArgs.access.<group>.aws_role_arns[x]`).
    aws_role_labels: tuple[str | None, ...]
    aws_role_keys: tuple[str, ...]


@dataclass(frozen=True)
class ClusterAccess:
    """Every portable group's identities on one cluster (`resolve_access`)."""

    groups: tuple[GroupAccess, ...]
    gcp_security_group: pulumi.Input[str] | None

    def group(self, name: str) -> GroupAccess:
        return next(g for g in self.groups if g.name == name)

    def required(self, name: str, field: str) -> pulumi.Input[str]:
        """The group's `field` identity; a missing one is a keyed error."""
        group = self.group(name)
        value = getattr(group, field)
        if value is None:
            raise SpecError([(f"{group.source[field]}: required for this cluster; set the "
                              f"group's identity (or ClusterArgs.access.{name}.{field})")])
        return value


# A label of `GroupAccessArgs.aws_role_arns`: it becomes part of Pulumi resource names.
_ROLE_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")

_IDENTITY_KEYS = {"aws_role_arns": "awsRoleArns", "azure_group_object_id": "azureGroupObjectId",
                  "gcp_group_email": "gcpGroupEmail"}
_IDENTITY_CHECKS: dict[str, Callable[[str], object]] = {
    "aws_role_arns": check_aws_role_arn, "azure_group_object_id": check_group_object_id,
    "gcp_group_email": check_group_email}


def _labelled_roles(brought: object, where: str) -> list[tuple[str | None, pulumi.Input[str]]]:
    """`GroupAccessArgs.aws_role_arns` as (label or None, ARN) pairs; a bad label is refused."""
    if isinstance(brought, str):
        raise SpecError([f"{where}: is one string; give a mapping label -> role ARN, or a list"])
    if not isinstance(brought, Mapping):
        return [(None, arn) for arn in brought]  # type: ignore[union-attr]
    labels: list[tuple[str | None, pulumi.Input[str]]] = []
    for label, arn in brought.items():
        if not isinstance(label, str) or not _ROLE_LABEL.fullmatch(label):
            raise SpecError([(f"{where}[{label}]: {label!r} is not a label; use a Kubernetes name "
                              "(lowercase letters, digits, '-', at most 63), kept for the "
                              "role's lifetime: it names the role's EKS access entry")])
        labels.append((label, arn))
    return labels


def _aws_roles(roles: list[tuple[str | None, pulumi.Input[str]]], where: str, *,
               check: bool) -> dict[str, Any]:
    """GroupAccess's role fields; a brought ARN is checked (`checked_input`) under its key."""
    keys = tuple(f"{where}[{i if label is None else label}]"
                 for i, (label, _) in enumerate(roles))
    arns = tuple(checked_input(arn, check_aws_role_arn, key) if check else arn
                 for key, (_, arn) in zip(keys, roles, strict=True))
    return {"aws_role_arns": arns, "aws_role_labels": tuple(label for label, _ in roles),
            "aws_role_keys": keys}


def resolve_access(posture: Posture, access: ClusterAccessArgs | None) -> ClusterAccess:
    """The posture's groups with `access`'s identities winning, each brought value checked
    (`checked_input`, errors naming `ClusterArgs.access.<group>.<field>`)."""
    groups = []
    for name in PORTABLE_GROUPS:
        base = getattr(posture.groups, name)
        given: GroupAccessArgs | None = getattr(access, name, None) if access else None
        values: dict[str, Any] = {}
        source: dict[str, str] = {}
        for field_name, key in _IDENTITY_KEYS.items():
            brought = getattr(given, field_name) if given else None
            where = f"ClusterArgs.access.{name}.{field_name}"
            if brought is None:
                value = getattr(base, field_name)
                source[field_name] = config_key("posture", "groups", name, key)
                if field_name == "aws_role_arns":
                    values.update(_aws_roles([(None, arn) for arn in value], source[field_name],
                                             check=False))
                else:
                    values[field_name] = value
            elif field_name == "aws_role_arns":
                values.update(_aws_roles(_labelled_roles(brought, where), where, check=True))
                source[field_name] = where
            else:
                values[field_name] = checked_input(brought, _IDENTITY_CHECKS[field_name], where)
                source[field_name] = where
        groups.append(GroupAccess(name=name, kubernetes_group=base.kubernetes_group,
                                  source=source, **values))
    security_group: pulumi.Input[str] | None = posture.groups.gcp_security_group
    if access is not None and access.gcp_security_group is not None:
        security_group = checked_input(access.gcp_security_group, check_gke_security_group,
                                       "ClusterArgs.access.gcp_security_group")
    return ClusterAccess(groups=tuple(groups), gcp_security_group=security_group)


@dataclass(frozen=True)
class ClusterArgs:
    """The arguments of every cluster component."""

    cluster: ClusterSpec
    """The validated cluster (zero_trust_clusters/components/spec.py): name, cloud, region, ranges, pools, the
    cloud's settings block."""
    posture: Posture
    """The zero-trust posture every cluster of the stack reproduces."""
    trust_domain: str
    """SPIFFE trust domain of this cluster (`EstateSpec.trust_domain`); labels and outputs."""
    mesh_peer_ranges: tuple[str, ...] = ()
    """The other clusters' node and pod ranges when the posture has cross-cluster edges
    (workloadNamespaces[].ingressFromClusters): the only sources a cloud firewall admits to the
    mesh's east-west gateway (zero_trust_clusters/components/kubernetes/mesh.py)."""
    network: ExistingNetwork | None = None
    """An existing network to build the cluster in (the cloud's `*NetworkArgs`), winning over
    the `<cloud>.network` block of the stack config; None and no block: the component creates
    the cluster's own network (the default)."""
    trust_domain_intermediate_pem: pulumi.Input[str] | None = None
    """The cluster's PKI intermediate certificate (PEM, public), from `SharedPki`; published
    as the `trustDomainIntermediate` output. None: the output is None."""
    access: ClusterAccessArgs | None = None
    """Per portable group, cloud identities (IAM role ARNs, Entra group id, Google Group) that
    win over the posture's for this cluster, as `pulumi.Input`s; None: the posture's."""
    keys: ExistingKeys | None = None
    """Existing customer-managed keys (the cloud's `*KeysArgs`), winning over the `<cloud>.keys`
    block of the stack config; None and no block: the component creates the cluster's keys
    (the default)."""


@dataclass(frozen=True)
class Toleration:
    key: str
    value: str
    effect: str = "NoSchedule"
    operator: str = "Equal"


@dataclass(frozen=True)
class SandboxPlacement:
    """How the common RuntimeClass lands pods on this cloud's VM-sandbox pool."""

    handler: str  # CRI handler: "runsc" (EKS gVisor), "gvisor" (GKE Sandbox), "kata" (AKS)
    node_selector: dict[str, str]
    tolerations: tuple[Toleration, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ClusterOutputs:
    """What every cluster publishes, under the same keys on every cloud (`as_dict`).

    A key whose value does not exist on a cloud is None there; today every key exists on
    every built-in cloud."""

    cluster_name: pulumi.Input[str]
    """The managed cluster's name in its cloud."""
    endpoint: pulumi.Input[str]
    """The private API server URL (https://...)."""
    certificate_authority: pulumi.Input[str]
    """The cluster CA bundle, base64-encoded PEM."""
    kubeconfig: pulumi.Input[str]
    """A kubeconfig (secret) authenticating through the cloud's exec plugin only."""
    oidc_issuer: pulumi.Input[str]
    """The workload-identity OIDC issuer URL."""
    node_identity: pulumi.Input[str]
    """The nodes' cloud identity, as grants name it: the node IAM role ARN (EKS), the kubelet
    identity's principal (object) id (AKS), the node service account e-mail (GKE)."""
    security_groups: Sequence[pulumi.Input[str]]
    """What segments the cluster's network: security group IDs (EKS: cluster, nodes), NSG IDs
    (AKS: nodes, API server) or firewall rule IDs (GKE)."""
    network_id: pulumi.Input[str]
    """The VPC / VNet / VPC network the cluster runs in (created or brought)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Every subnet the cluster uses, nodes first (EKS: node then pod subnets; AKS: node then
    API-server subnet; GKE: the subnetwork)."""
    kms_keys: Mapping[str, pulumi.Input[str]]
    """Customer-managed keys by role: `secrets` (etcd envelope key) and `disks` (node disks)
    on every cloud, plus what else the cloud keys (GKE `audit`)."""
    trust_domain: str
    """The cluster's SPIFFE trust domain."""
    trust_domain_intermediate: pulumi.Input[str] | None
    """The cluster's PKI intermediate certificate (PEM), when the args carried it."""

    def as_dict(self) -> dict[str, Any]:
        """The outputs under their camelCase keys (register_outputs, stack exports)."""
        return {
            "clusterName": self.cluster_name,
            "endpoint": self.endpoint,
            "certificateAuthority": self.certificate_authority,
            "kubeconfig": pulumi.Output.secret(self.kubeconfig),
            "oidcIssuer": self.oidc_issuer,
            "nodeIdentity": self.node_identity,
            "securityGroups": list(self.security_groups),
            "networkId": self.network_id,
            "subnetIds": list(self.subnet_ids),
            "kmsKeys": dict(self.kms_keys),
            "trustDomain": self.trust_domain,
            "trustDomainIntermediate": self.trust_domain_intermediate,
        }


# The keys of `ClusterOutputs.as_dict`, the same on every cloud.
OUTPUT_KEYS: tuple[str, ...] = (
    "clusterName", "endpoint", "certificateAuthority", "kubeconfig", "oidcIssuer",
    "nodeIdentity", "securityGroups", "networkId", "subnetIds", "kmsKeys", "trustDomain",
    "trustDomainIntermediate",
)


class HardenedCluster(pulumi.ComponentResource):
    """Base of the per-cloud cluster components.

    Subclasses set every attribute below, then call `publish` (which registers the outputs):
    - `endpoint`: the API server URL (https://...).
    - `certificate_authority`: the cluster CA bundle, base64-encoded PEM.
    - `kubeconfig`: a kubeconfig (secret) that authenticates through the cloud's exec plugin.
    - `oidc_issuer`: the workload-identity OIDC issuer URL.
    - `sandbox`: where sandboxed pods go.
    - `controls`: control ID -> names of the child resources implementing it.
    - `outputs`: every published output (`ClusterOutputs`), the same keys on every cloud.

    Providers: a provider given in `opts.provider` / `opts.providers` (or inherited from a
    parent) for the cloud's package is used for every child (`explicit_provider`); without
    one the component creates its own, pinned to the cluster's region and account.
    """

    cloud: Cloud
    spec: ClusterSpec
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    sandbox: SandboxPlacement
    # Set by `publish`; None for a component that registers its outputs itself.
    outputs: ClusterOutputs | None = None
    # Set by `publish` from its `groupSubjects` output: per portable group, the subject the
    # in-cluster RBAC binds on this cluster (after `ClusterArgs.access`); None if not published.
    group_subjects: Mapping[str, pulumi.Input[str] | None] | None = None

    def __init__(self, type_token: str, name: str, args: ClusterArgs, opts=None):
        super().__init__(type_token, name, None, opts)
        self.spec = args.cluster
        self._controls: dict[str, list[str]] = defaultdict(list)

    def implements(self, resource: pulumi.Resource, *controls: ControlId) -> pulumi.Resource:
        """Record that `resource` implements `controls` (catalog IDs, e.g. "ZT-NODE-OS"; an
        unknown one raises `UnknownControlError`); returns it for chaining."""
        for control in controls:
            self._controls[control_id(control)].append(resource._name)
        return resource

    @property
    def controls(self) -> dict[str, list[str]]:
        return {k: sorted(v) for k, v in sorted(self._controls.items())}

    def explicit_provider(self, package: str) -> pulumi.ProviderResource | None:
        """The provider of `package` ("aws", "azure-native", "gcp") this component was given
        in its options or inherited from its parent, or None."""
        return self.get_provider(f"{package}:index:Provider")

    def child_opts(self, provider: pulumi.ProviderResource, **kwargs) -> pulumi.ResourceOptions:
        """Options for a child: parented to this cluster, through its explicit provider."""
        return pulumi.ResourceOptions(parent=self, provider=provider, **kwargs)

    def publish(self, outputs: ClusterOutputs, extra: Mapping[str, Any] | None = None) -> None:
        """Register the contract's outputs, the cloud's `extra` ones and the control map."""
        self.outputs = outputs
        self.group_subjects = (extra or {}).get("groupSubjects")
        self.register_outputs({
            **outputs.as_dict(),
            **(extra or {}),
            "sandboxHandler": self.sandbox.handler,
            "controls": self.controls,
        })
