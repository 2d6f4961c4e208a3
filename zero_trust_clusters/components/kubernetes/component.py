"""ClusterBaseline: the rendered baseline applied to one cluster through its own provider.

This is the *cluster phase*: it needs the cluster's API server, so it runs from the deployer
network (`posture.deployer.networks`), never in the same run as the cloud phase that creates the
cluster (see DEPLOYING.md). It takes plain values (spec, kubeconfig, sandbox placement, issuer
material), so they can come from a stack reference as well as from a component.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from zero_trust_clusters.components.catalog import control_id
from zero_trust_clusters.components.cluster import SandboxPlacement
from zero_trust_clusters.components.kubernetes import typed
from zero_trust_clusters.components.kubernetes.charts import ChartRelease
from zero_trust_clusters.components.kubernetes.delivery import IssuerMaterial
from zero_trust_clusters.components.kubernetes.mesh import MeshPeer
from zero_trust_clusters.components.kubernetes.names import CONTROLS_ANNOTATION
from zero_trust_clusters.components.kubernetes.render import (
    CRD_CHARTS,
    api_group,
    estate_ranges,
    is_custom_resource,
    object_key,
    render_baseline,
    render_charts,
)
from zero_trust_clusters.components.spec import ClusterSpec, Posture

TYPE_TOKEN = "ztc:kubernetes:ClusterBaseline"


@dataclass(frozen=True)
class BaselineArgs:
    cluster: ClusterSpec
    posture: Posture
    trust_domain: str
    # Authenticates through the cloud's exec plugin (a secret); see each cloud's kubeconfig.py.
    kubeconfig: pulumi.Input[str]
    # Where the `sandboxed` RuntimeClass lands pods (`default_sandbox_placement(cloud)`).
    sandbox: SandboxPlacement
    issuer_certificate_pem: pulumi.Input[str]
    issuer_private_key_pem: pulumi.Input[str]  # secret
    issuer_chain_pem: pulumi.Input[str]
    trust_bundle_pem: pulumi.Input[str]
    # Every cluster's trust domain in the estate: the mesh accepts and authorizes callers from
    # these (this cluster's own is always included).
    mesh_trust_domains: tuple[str, ...] = ()
    # The estate's other clusters (`mesh_peers(spec, cluster)`): cross-cluster routes.
    mesh_peers: tuple[MeshPeer, ...] = ()
    # Per portable group (admins, developers, auditors), the RBAC subject name its bindings
    # name: the cluster's real identity (the cloud phase's `groupSubjects`, which follows
    # `ClusterArgs.access`), an Output is fine. None or a group it lacks: the posture's.
    group_subjects: Mapping[str, pulumi.Input[str]] | None = None


class ClusterBaseline(pulumi.ComponentResource):
    """The in-cluster zero-trust baseline of one cluster, through its own Kubernetes provider.

    Outputs: `provider` (the cluster's kubernetes.Provider), `resources` (rendered object key ->
    resource), `releases` (chart name -> helm Release), `controls` (control ID -> names)."""

    provider: k8s.Provider
    resources: dict[str, pulumi.CustomResource]
    releases: dict[str, k8s.helm.v3.Release]

    def __init__(
        self, name: str, args: BaselineArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(TYPE_TOKEN, name, None, opts)
        spec = args.cluster
        prefix = spec.name
        # One provider per cluster, authenticating with the cluster's exec-plugin kubeconfig.
        self.provider = k8s.Provider(
            f"{prefix}-k8s",
            k8s.ProviderArgs(kubeconfig=pulumi.Output.secret(args.kubeconfig),
                             enable_server_side_apply=True),
            pulumi.ResourceOptions(parent=self),
        )
        issuer = IssuerMaterial(
            certificate_pem=args.issuer_certificate_pem,
            private_key_pem=pulumi.Output.secret(args.issuer_private_key_pem),
            chain_pem=args.issuer_chain_pem,
        )
        objects = render_baseline(
            spec.cloud, args.posture, spec, args.trust_domain, args.sandbox,
            args.trust_bundle_pem, issuer=issuer, mesh_trust_domains=args.mesh_trust_domains,
            mesh_peers=args.mesh_peers, group_subjects=args.group_subjects,
        )
        charts = render_charts(spec.cloud, args.posture, args.trust_domain,
                               args.mesh_trust_domains, estate_ranges(spec, args.mesh_peers),
                               cluster=spec)
        self._controls: dict[str, list[str]] = defaultdict(list)
        self.resources = {}
        namespaces: dict[str, pulumi.CustomResource] = {}
        for obj in objects:
            if obj["kind"] == "Namespace":
                resource = self._create(prefix, obj, [])
                namespaces[obj["metadata"]["name"]] = resource
        # Objects a chart needs before it installs (istiod: the plug-in CA Secret).
        required = {key for release in charts for key in release.requires}
        before: dict[str, pulumi.CustomResource] = {}
        for obj in objects:
            if object_key(obj) in required:
                before[object_key(obj)] = self._create(prefix, obj, self._in_namespace(
                    obj, namespaces))
        self.releases = {}
        for release in charts:
            self.releases[release.name] = self._release(prefix, release, namespaces, before)
        for obj in objects:
            if obj["kind"] == "Namespace" or object_key(obj) in before:
                continue
            depends = self._in_namespace(obj, namespaces)
            if is_custom_resource(obj):
                depends.append(self.releases[CRD_CHARTS[api_group(obj)]])
            self._create(prefix, obj, depends)
        self.register_outputs({
            "provider": self.provider.id,
            "releases": {n: r.status for n, r in self.releases.items()},
            "controls": self.controls,
        })

    @property
    def controls(self) -> dict[str, list[str]]:
        return {k: sorted(v) for k, v in sorted(self._controls.items())}

    @staticmethod
    def _in_namespace(obj: dict, namespaces: dict[str, pulumi.CustomResource]
                      ) -> list[pulumi.Resource]:
        ns = obj["metadata"].get("namespace")
        return [namespaces[ns]] if ns in namespaces else []

    def _opts(self, depends: list[pulumi.Resource]) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=depends)

    def _create(self, prefix: str, obj: dict, depends: list[pulumi.Resource]):
        name = typed.resource_name(prefix, obj)
        resource = typed.create(name, obj, self._opts(depends))
        self.resources[name] = resource
        annotation = (obj["metadata"].get("annotations") or {}).get(CONTROLS_ANNOTATION)
        for control in (annotation or "").split(","):
            if control:
                self._controls[control_id(control)].append(name)
        return resource

    def _release(
        self, prefix: str, release: ChartRelease, namespaces: dict[str, pulumi.CustomResource],
        before: dict[str, pulumi.CustomResource],
    ) -> k8s.helm.v3.Release:
        depends: list[pulumi.Resource] = [namespaces[release.namespace]]
        depends += [self.releases[after] for after in release.after]
        depends += [before[key] for key in release.requires]
        return k8s.helm.v3.Release(
            f"{prefix}-release-{release.name}",
            k8s.helm.v3.ReleaseArgs(
                name=release.name,  # fixed release name: no random suffix, no churn
                chart=release.chart,
                version=release.version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=release.repo),
                namespace=release.namespace,
                create_namespace=False,  # the namespace (with its PSA labels) is ours
                values=release.values,
                atomic=True,
                cleanup_on_fail=True,
            ),
            self._opts(depends),
        )
