"""ClusterPhase: the in-cluster baseline of every cluster, applied from the deployer network.

Every API server is private, so the baseline cannot be applied by the run that creates the
clusters (the cloud phase, `ZeroTrustEstate`). A second stack per environment runs this
component from a runner inside `posture.deployer.networks`; it reads what it needs from the cloud
stack's secret `clusterPhase` output (kubeconfigs, issuer material, trust bundle) through a
stack reference. DEPLOYING.md has the whole sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from zero_trust_clusters.components.cluster import PORTABLE_GROUPS
from zero_trust_clusters.components.estate import spec_digest
from zero_trust_clusters.components.kubernetes import (
    BaselineArgs,
    ClusterBaseline,
    default_sandbox_placement,
    mesh_peers,
)
from zero_trust_clusters.components.kubernetes.rbac import bound_subject_names
from zero_trust_clusters.components.spec import EstateSpec, config_key

TYPE_TOKEN = "ztc:estate:ClusterPhase"
# The cloud stack's output this phase reads (see ZeroTrustEstate.cluster_phase_inputs).
CLUSTER_PHASE_OUTPUT = "clusterPhase"
# The cluster-phase stack's output listing each baseline component's URN with its cluster's
# Kubernetes version (program.cluster_phase; read by engine/schema/kubernetes.py).
BASELINE_VERSIONS_OUTPUT = "baselineVersions"


class CloudPhaseMismatchError(RuntimeError):
    """The cloud stack was deployed from another config than the one this phase renders."""


@dataclass(frozen=True)
class ClusterPhaseArgs:
    spec: EstateSpec
    # The cloud stack's `clusterPhase` output: {specDigest, trustBundlePem, clusters: {name:
    # {kubeconfig, issuer: {certificatePem, privateKeyPem, chainPem}, groupSubjects: {admins,
    # developers, auditors}}}} (a secret). `groupSubjects` (what each cluster's RBAC binds,
    # after `ClusterArgs.access`) is absent from a cloud phase deployed before it was
    # published: its clusters bind the posture's groups, as they did then.
    cloud_phase: pulumi.Input[dict[str, Any]]
    # For error messages: which stack the cloud phase came from.
    cloud_stack: str


def checked_cloud_phase(value: dict[str, Any] | None, spec: EstateSpec,
                        cloud_stack: str) -> dict[str, Any]:
    """The cloud phase's output, refused when it was deployed from another config."""
    where = config_key("cloudStack")
    if not isinstance(value, dict) or not isinstance(value.get("clusters"), dict):
        raise CloudPhaseMismatchError(
            f"{where}: stack {cloud_stack!r} has no `{CLUSTER_PHASE_OUTPUT}` output; run "
            f"`pulumi up -s {cloud_stack}` (the cloud phase) first")
    if value.get("specDigest") != spec_digest(spec):
        raise CloudPhaseMismatchError(
            f"{where}: stack {cloud_stack!r} was deployed from a different posture/clusters "
            f"config than stacks/Pulumi.{cloud_stack}.yaml holds now; run "
            f"`pulumi up -s {cloud_stack}` first so both phases agree")
    missing = [c.name for c in spec.clusters if c.name not in value["clusters"]]
    if missing:
        raise CloudPhaseMismatchError(
            f"{where}: stack {cloud_stack!r} has no cluster {missing[0]!r}; run "
            f"`pulumi up -s {cloud_stack}` first")
    return value


class ClusterPhase(pulumi.ComponentResource):
    """Every cluster's `ClusterBaseline`, from the cloud phase's outputs.

    Outputs: `baselines` (cluster name -> ClusterBaseline)."""

    baselines: dict[str, ClusterBaseline]

    def __init__(self, name: str, args: ClusterPhaseArgs,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE_TOKEN, name, None, opts)
        spec = args.spec
        cloud_phase = pulumi.Output.secret(args.cloud_phase).apply(
            lambda value: checked_cloud_phase(value, spec, args.cloud_stack))
        self.baselines = {}
        for cluster in spec.clusters:
            mine = cloud_phase.apply(lambda v, n=cluster.name: v["clusters"][n])
            issuer = mine.apply(lambda m: m["issuer"])
            # Group identities are names, not secrets: the bindings and the pack see them.
            subjects = pulumi.Output.unsecret(mine.apply(
                lambda m, c=cluster.cloud: bound_subject_names(
                    c, spec.posture, m.get("groupSubjects"))))
            self.baselines[cluster.name] = ClusterBaseline(
                f"{cluster.name}-baseline",
                BaselineArgs(
                    cluster=cluster,
                    posture=spec.posture,
                    trust_domain=spec.trust_domain(cluster),
                    kubeconfig=pulumi.Output.secret(mine.apply(lambda m: m["kubeconfig"])),
                    sandbox=default_sandbox_placement(cluster.cloud),
                    # Only the private key is secret; certificates and chains are public.
                    issuer_certificate_pem=pulumi.Output.unsecret(
                        issuer.apply(lambda i: i["certificatePem"])),
                    issuer_private_key_pem=issuer.apply(lambda i: i["privateKeyPem"]),
                    issuer_chain_pem=pulumi.Output.unsecret(
                        issuer.apply(lambda i: i["chainPem"])),
                    trust_bundle_pem=pulumi.Output.unsecret(
                        cloud_phase.apply(lambda v: v["trustBundlePem"])),
                    # The mesh accepts and authorizes callers of every cluster of the estate.
                    mesh_trust_domains=tuple(spec.trust_domain(c) for c in spec.clusters),
                    mesh_peers=mesh_peers(spec, cluster),
                    group_subjects={role: subjects.apply(lambda n, r=role: n[r])
                                    for role in PORTABLE_GROUPS},
                ),
                pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({
            "clusters": {n: b.controls for n, b in self.baselines.items()},
        })
