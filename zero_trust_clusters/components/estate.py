"""ZeroTrustEstate, the cloud phase: the shared PKI, every cluster, the ledger store.

It calls cloud APIs only, never a cluster's Kubernetes API (every API server is private). What
the cluster phase needs to apply the in-cluster baseline from the deployer network is exported
as one secret value, `cluster_phase_inputs` (see zero_trust_clusters/components/cluster_phase.py, DEPLOYING.md).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from zero_trust_clusters.components import clouds
from zero_trust_clusters.components.catalog import CONTROL_IDS, SANDBOX_RUNTIME_CLASS
from zero_trust_clusters.components.cluster import ClusterArgs, HardenedCluster
from zero_trust_clusters.components.ledger.provisioning import ledger_store
from zero_trust_clusters.components.pki import SharedPki, SharedPkiArgs
from zero_trust_clusters.components.spec import Cloud, EstateSpec


def cluster_component(cloud: Cloud) -> type[HardenedCluster]:
    """The hardened cluster component for `cloud`, from the cloud registry (imported lazily:
    one SDK per cloud; an unknown cloud is an error)."""
    return clouds.get(cloud).load_component()


@dataclass(frozen=True)
class EstateArgs:
    spec: EstateSpec
    # Offline root mode (posture.pki.rootMode=offline): the root certificate PEM, and its
    # passphrase-encrypted key + passphrase as secrets (from `ztc pki init-root`).
    offline_root_certificate_pem: str | None = None
    offline_root_key_pem: pulumi.Input[str] | None = None
    offline_root_passphrase: pulumi.Input[str] | None = None


class ZeroTrustEstate(pulumi.ComponentResource):
    """Every cluster of a stack, on any mix of clouds, with one zero-trust posture."""

    clusters: dict[str, HardenedCluster]
    pki: SharedPki
    # The ledger's WORM store (S3, Azure Blob or GCS, per posture.ledger), or None.
    ledger: pulumi.ComponentResource | None

    def __init__(self, name: str, args: EstateArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ztc:estate:ZeroTrustEstate", name, None, opts)
        spec = args.spec
        posture = spec.posture
        self.pki = SharedPki(
            f"{name}-pki",
            SharedPkiArgs(
                settings=posture.pki,
                trust_domain=posture.trust_domain,
                cluster_trust_domains={c.name: spec.trust_domain(c) for c in spec.clusters},
                offline_root_certificate_pem=args.offline_root_certificate_pem,
                offline_root_key_pem=args.offline_root_key_pem,
                offline_root_passphrase=args.offline_root_passphrase,
                root_rotation=posture.pki.root_rotation,
                intermediate_rotations=dict(posture.pki.intermediate_rotations),
                uri_name_constraints=posture.pki.uri_name_constraints,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.clusters = {}
        for cluster_spec in spec.clusters:
            trust_domain = spec.trust_domain(cluster_spec)
            self.clusters[cluster_spec.name] = cluster_component(cluster_spec.cloud)(
                cluster_spec.name,
                ClusterArgs(cluster=cluster_spec, posture=posture, trust_domain=trust_domain,
                            mesh_peer_ranges=spec.mesh_peer_ranges(cluster_spec),
                            trust_domain_intermediate_pem=self.pki.intermediates[
                                cluster_spec.name].certificate_pem),
                pulumi.ResourceOptions(parent=self),
            )
        self.cluster_phase_inputs = cluster_phase_inputs(spec, self.pki, self.clusters)
        self.ledger = ledger_store(name, spec.posture.ledger, self)
        self.cluster_outputs = {
            cluster_name: {
                "cloud": cluster.spec.cloud,
                "region": cluster.spec.region,
                # Every cloud's published outputs (zero_trust_clusters/components/cluster.py ClusterOutputs).
                **(cluster.outputs.as_dict() if cluster.outputs else {}),
                "trustDomain": spec.trust_domain(cluster.spec),
                "endpoint": cluster.endpoint,
                "oidcIssuer": cluster.oidc_issuer,
                "kubeconfig": pulumi.Output.secret(cluster.kubeconfig),
                "controls": cluster.controls,
            }
            for cluster_name, cluster in self.clusters.items()
        }
        self.posture_summary = posture_summary(spec)
        self.register_outputs(
            {
                "clusters": self.cluster_outputs,
                "posture": self.posture_summary,
                "rootCertificatePem": self.pki.root_certificate_pem,
                # The URL `ztc ledger` takes (s3://, https://<account>.blob..., gs://).
                "ledgerStore": self.ledger.location if self.ledger else None,
            }
        )


def cluster_phase_inputs(spec: EstateSpec, pki: SharedPki,
                         clusters: Mapping[str, HardenedCluster]) -> pulumi.Output[dict[str, Any]]:
    """What the cluster phase of `spec` reads from the cloud phase (a secret, exported as
    `clusterPhase`: zero_trust_clusters/components/cluster_phase.py `ClusterPhaseArgs`): the
    spec's digest, the trust bundle, and per cluster its kubeconfig, issuer material and
    `groupSubjects` (the identity per portable group its RBAC binds, after
    `ClusterArgs.access`; left out for a component that publishes none, whose cluster phase
    binds the posture's). A program of its own that builds the clusters
    (examples/<cloud>-byo-network) exports the same value, so the stock cluster phase applies
    its baselines."""
    return pulumi.Output.secret({
        "specDigest": spec_digest(spec),
        "trustBundlePem": pki.trust_bundle_pem,
        "clusters": {
            cluster_name: {
                "kubeconfig": cluster.kubeconfig,
                "issuer": {
                    "certificatePem": pki.intermediates[cluster_name].certificate_pem,
                    "privateKeyPem": pki.intermediates[cluster_name].private_key_pem,
                    "chainPem": pki.intermediates[cluster_name].chain_pem,
                },
                **({"groupSubjects": dict(cluster.group_subjects)}
                   if cluster.group_subjects is not None else {}),
            }
            for cluster_name, cluster in clusters.items()
        },
    })


def spec_digest(spec: EstateSpec) -> str:
    """A fingerprint of the validated config: the cluster phase refuses to apply a baseline
    rendered from a config other than the one the cloud phase was deployed with."""
    # Keys sorted: the CLI hands the cloud phase its objects with sorted keys (Go maps), while the
    # cluster phase reads the stack file in its own order.
    canonical = json.dumps(spec.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def posture_summary(spec: EstateSpec) -> dict[str, Any]:
    """What every cluster of the stack promises, in the catalog's terms."""
    posture = spec.posture
    return {
        "trustDomain": posture.trust_domain,
        "kubernetesVersion": posture.kubernetes_version,
        "controls": list(CONTROL_IDS),
        "clustersPerCloud": dict(sorted(Counter(c.cloud for c in spec.clusters).items())),
        "sandboxRuntimeClass": SANDBOX_RUNTIME_CLASS,
        "workloadNamespaces": [ns.name for ns in posture.workload_namespaces],
        "authorizedNetworks": list(posture.authorized_networks),
        "deployerNetworks": list(posture.deployer.networks) if posture.deployer else [],
        "privateOnlyApi": True,
        "auditRetentionDays": posture.audit_retention_days,
        "pkiRootMode": posture.pki.root_mode,
        "ledger": posture.ledger.store_url() or "directory",
    }
