"""The cluster phase binds each cluster's real group identities: the cloud phase's
`groupSubjects` (what the cluster component published, after `ClusterArgs.access`), else, for
a cloud phase deployed before it published them, the posture's."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from zero_trust_clusters.components.cluster_phase import (
    CLUSTER_PHASE_OUTPUT,
    ClusterPhase,
    ClusterPhaseArgs,
)
from zero_trust_clusters.components.estate import spec_digest
from zero_trust_clusters.components.kubernetes.names import CONTROLS_ANNOTATION
from zero_trust_clusters.components.kubernetes.rbac import bound_subject_names
from zero_trust_clusters.components.spec import EstateSpec
from zero_trust_clusters.engine.mocks import SECRET_SIG, SECRET_VALUE, is_secret, unwrap
from zero_trust_clusters.engine.runner import ORGANIZATION, PROJECT, Graph, run_program

from .support import exec_kubeconfig, shared_pki, stack_spec

CLOUD_STACK = f"{ORGANIZATION}/{PROJECT}/dev"
BINDING_TYPES = ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
                 "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
# Identities another stack handed a cluster through ClusterArgs.access (none is the posture's).
OVERRIDDEN = {
    "azure": {"admins": "0b1f6471-1bf0-4dda-aec3-aaaaaaaaaaaa",
              "developers": "0b1f6471-1bf0-4dda-aec3-bbbbbbbbbbbb",
              "auditors": "0b1f6471-1bf0-4dda-aec3-cccccccccccc"},
    "gcp": {"admins": "platform-admins@platform.example.com",
            "developers": "platform-devs@platform.example.com",
            "auditors": "platform-auditors@platform.example.com"},
}


def _published(spec: EstateSpec, cloud: str) -> dict[str, str]:
    """What a cluster of `cloud` publishes as `groupSubjects`: the overriding identities on
    AKS/GKE; on EKS the Kubernetes group its access entries map any IAM role to."""
    if cloud == "aws":
        return {g: getattr(spec.posture.groups, g).kubernetes_group
                for g in ("admins", "developers", "auditors")}
    return OVERRIDDEN[cloud]


def _cloud_phase(spec: EstateSpec, with_subjects: bool) -> dict[str, Any]:
    """The cloud stack's `clusterPhase` output, with or without `groupSubjects`."""
    pki = shared_pki("dev")
    clusters = {}
    for c in spec.clusters:
        inter = pki.intermediates[c.name]
        clusters[c.name] = {
            "kubeconfig": exec_kubeconfig(c.name, "https://10.0.0.1", "Y2E="),
            "issuer": {"certificatePem": inter.certificate, "privateKeyPem": inter.key,
                       "chainPem": inter.chain},
            **({"groupSubjects": _published(spec, c.cloud)} if with_subjects else {}),
        }
    return {"specDigest": spec_digest(spec), "trustBundlePem": pki.trust_bundle,
            "clusters": clusters}


def _run(value: dict[str, Any]) -> Graph:
    spec = stack_spec("dev")

    def program() -> None:
        reference = pulumi.StackReference(CLOUD_STACK)
        ClusterPhase("dev-cluster", ClusterPhaseArgs(
            spec=spec, cloud_phase=reference.require_output(CLUSTER_PHASE_OUTPUT),
            cloud_stack="dev"))

    return run_program(program, stack="dev-cluster", stack_outputs={
        CLOUD_STACK: {CLUSTER_PHASE_OUTPUT: {SECRET_SIG: SECRET_VALUE, "value": value}}})


@pytest.fixture(scope="module", params=[True, False], ids=["published", "before-publishing"])
def phase(request) -> tuple[bool, Graph]:
    return request.param, _run(_cloud_phase(stack_spec("dev"), request.param))


def _bindings(graph: Graph, cluster: str) -> dict[tuple[str, str | None, str], Any]:
    """The cluster's RBAC bindings as registered: (kind, namespace, name) -> resource."""
    return {(r.inputs["kind"], r.inputs["metadata"].get("namespace"),
             r.inputs["metadata"]["name"]): r
            for r in graph.resources
            if r.type in BINDING_TYPES and r.name.startswith(f"{cluster}-")}


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_the_cluster_phase_binds_the_clusters_published_group_identities(phase, cloud):
    published, graph = phase
    spec = stack_spec("dev")
    cluster = next(c for c in spec.clusters if c.cloud == cloud)
    groups = spec.posture.groups
    posture = {"aws": lambda g: g.kubernetes_group, "azure": lambda g: g.azure_group_object_id,
               "gcp": lambda g: g.gcp_group_email}[cloud]
    expected = {role: (_published(spec, cloud)[role] if published
                       else posture(getattr(groups, role)))
                for role in ("admins", "developers", "auditors")}
    if cloud == "aws":  # the Kubernetes group either way
        assert expected == {r: posture(getattr(groups, r)) for r in expected}
    else:  # the test means something: the override differs from the posture
        assert all(expected[r] != posture(getattr(groups, r)) for r in expected) == published
    bindings = _bindings(graph, cluster.name)
    namespaces = {ns.name for ns in spec.posture.workload_namespaces}
    assert set(bindings) == {("ClusterRoleBinding", None, "ztc-admins"),
                             ("ClusterRoleBinding", None, "ztc-auditors"),
                             *(("RoleBinding", ns, "ztc-developers") for ns in namespaces)}
    for (kind, _ns, name), resource in bindings.items():
        role = name.removeprefix("ztc-")
        inputs = resource.inputs
        # Names, not secrets: the pack reads them (ZT-IAM-ONLY, no anonymous bindings).
        assert not is_secret(inputs["subjects"]) and not is_secret(inputs["subjects"][0])
        assert unwrap(inputs["subjects"]) == [
            {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": expected[role]}]
        # Names, labels and control IDs as the static render has them.
        assert inputs["metadata"]["annotations"][CONTROLS_ANNOTATION] == "ZT-IAM-ONLY"
        assert inputs["roleRef"]["name"] == {"admins": "cluster-admin", "auditors": "view",
                                             "developers": "edit"}[role]


def test_a_published_group_without_an_identity_falls_back_to_the_posture():
    spec = stack_spec("dev")
    groups = spec.posture.groups
    names = bound_subject_names("azure", spec.posture, {"admins": OVERRIDDEN["azure"]["admins"],
                                                        "developers": None})
    assert names == {"admins": OVERRIDDEN["azure"]["admins"],
                     "developers": groups.developers.azure_group_object_id,
                     "auditors": groups.auditors.azure_group_object_id}


def test_a_malformed_published_identity_is_refused_naming_the_cloud_stack():
    spec = stack_spec("dev")
    with pytest.raises(ValueError, match=r"zero-trust-clusters:cloudStack: .*groupSubjects\.admins"):
        bound_subject_names("gcp", spec.posture, {"admins": ["a@b.c"]})


# ------------------------------------- both phases: ClusterArgs.access to the RoleBindings

TEAM_STACK = f"{ORGANIZATION}/platform-identity/prod"


def test_access_from_another_stack_reaches_the_cluster_phases_bindings():
    """The real chain: each cluster component given its groups' identities as Outputs (a
    StackReference), the cloud phase's `cluster_phase_inputs`, then the stock cluster phase."""
    from zero_trust_clusters.components import clouds
    from zero_trust_clusters.components.cluster import (
        ClusterAccessArgs,
        ClusterArgs,
        GroupAccessArgs,
    )
    from zero_trust_clusters.components.estate import cluster_phase_inputs
    from zero_trust_clusters.components.pki import SharedPki, SharedPkiArgs
    from zero_trust_clusters.engine.stackfile import load_stack_config, to_pulumi_config

    config, _ = load_stack_config("dev")
    spec = stack_spec("dev")
    exports = {f"{cloud}-{role}": name for cloud, names in OVERRIDDEN.items()
               for role, name in names.items()}

    def cloud_phase() -> None:
        out = pulumi.StackReference(TEAM_STACK).get_output
        pki = SharedPki("pki", SharedPkiArgs(
            settings=spec.posture.pki, trust_domain=spec.posture.trust_domain,
            cluster_trust_domains={c.name: spec.trust_domain(c) for c in spec.clusters}))
        built = {}
        for c in spec.clusters:
            access = ClusterAccessArgs(**{role: GroupAccessArgs(
                azure_group_object_id=out(f"azure-{role}"), gcp_group_email=out(f"gcp-{role}"))
                for role in ("admins", "developers", "auditors")})
            built[c.name] = clouds.get(c.cloud).load_component()(c.name, ClusterArgs(
                c, spec.posture, spec.trust_domain(c),
                mesh_peer_ranges=spec.mesh_peer_ranges(c),
                trust_domain_intermediate_pem=pki.intermediates[c.name].certificate_pem,
                access=access))
        pulumi.export(CLUSTER_PHASE_OUTPUT, cluster_phase_inputs(spec, pki, built))

    cloud = run_program(cloud_phase, config=to_pulumi_config(config),
                        stack_outputs={TEAM_STACK: exports})
    exported = cloud.exports[CLUSTER_PHASE_OUTPUT]
    assert is_secret(exported)
    graph = _run(unwrap(exported))
    for c in spec.clusters:
        bindings = _bindings(graph, c.name)
        assert bindings
        for (_kind, _ns, name), resource in bindings.items():
            role = name.removeprefix("ztc-")
            (subject,) = unwrap(resource.inputs["subjects"])
            assert subject["name"] == _published(spec, c.cloud)[role], (c.name, name)
