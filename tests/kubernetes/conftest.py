from __future__ import annotations

import pulumi
import pytest

from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.components.kubernetes import BaselineArgs, ClusterBaseline, mesh_peers
from zero_trust_clusters.components.spec import EstateSpec
from zero_trust_clusters.engine.runner import Graph, run_program

from .support import FakeCluster, Pki, shared_pki, stack_spec


def baseline_program(spec: EstateSpec, pki: Pki, clusters: dict | None = None):
    """Every cluster of `spec` as a FakeCluster with the baseline parented under it
    (the cluster objects are left in `clusters`, by name)."""
    clusters = {} if clusters is None else clusters

    def program() -> None:
        for cluster_spec in spec.clusters:
            trust_domain = spec.trust_domain(cluster_spec)
            cluster = FakeCluster(
                cluster_spec.name,
                ClusterArgs(cluster=cluster_spec, posture=spec.posture, trust_domain=trust_domain),
            )
            clusters[cluster_spec.name] = cluster
            inter = pki.intermediates[cluster_spec.name]
            ClusterBaseline(
                f"{cluster_spec.name}-baseline",
                BaselineArgs(
                    cluster=cluster_spec,
                    kubeconfig=cluster.kubeconfig,
                    sandbox=cluster.sandbox,
                    posture=spec.posture,
                    trust_domain=trust_domain,
                    issuer_certificate_pem=inter.certificate,
                    issuer_private_key_pem=pulumi.Output.secret(inter.key),
                    issuer_chain_pem=inter.chain,
                    trust_bundle_pem=pki.trust_bundle,
                    mesh_trust_domains=tuple(spec.trust_domain(c) for c in spec.clusters),
                    mesh_peers=mesh_peers(spec, cluster_spec),
                ),
                pulumi.ResourceOptions(parent=cluster),
            )

    return program


@pytest.fixture(scope="session")
def dev_spec() -> EstateSpec:
    return stack_spec("dev")


@pytest.fixture(scope="session")
def dev_pki() -> Pki:
    return shared_pki("dev")


@pytest.fixture(scope="session")
def dev_run(dev_spec: EstateSpec, dev_pki: Pki) -> tuple[Graph, dict]:
    clusters: dict = {}
    graph = run_program(baseline_program(dev_spec, dev_pki, clusters), stack="dev")
    return graph, clusters


@pytest.fixture(scope="session")
def dev_graph(dev_run) -> Graph:
    return dev_run[0]
