"""One mocked run of `GkeCluster` for dev-gcp, shared by the whole GKE suite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.components.spec import ClusterSpec, EstateSpec, load_spec
from zero_trust_clusters.engine.mocks import CapturedResource, unwrap
from zero_trust_clusters.engine.runner import Graph, run_program
from zero_trust_clusters.engine.stackfile import load_stack_config


@dataclass
class GkeRun:
    spec: EstateSpec
    cluster_spec: ClusterSpec
    graph: Graph
    component: CapturedResource
    outputs: dict[str, Any]  # the component's registered outputs (wire form, secrets wrapped)

    def one(self, type_: str) -> CapturedResource:
        found = self.graph.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
        return found[0]

    def inputs(self, resource: CapturedResource) -> dict[str, Any]:
        return unwrap(resource.inputs)


def run_gke(
    stack: str, names: list[str] | None = None, *, preview: bool = False
) -> tuple[EstateSpec, Graph]:
    config, _secure = load_stack_config(stack)
    spec = load_spec(config)
    clusters = [c for c in spec.clusters if c.cloud == "gcp" and (names is None or c.name in names)]

    def program() -> None:
        from zero_trust_clusters.components.gcp import GkeCluster

        for cluster in clusters:
            gke = GkeCluster(
                cluster.name, ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster))
            )
            pulumi.export(f"{cluster.name}-kubeconfig", gke.kubeconfig)

    return spec, run_program(program, config=config, stack=stack, preview=preview)


@pytest.fixture(scope="package")
def gke_runner():
    """Run GkeCluster for the gcp clusters of a stack: `gke_runner(stack, names)`."""
    return run_gke


@pytest.fixture(scope="package")
def dev() -> GkeRun:
    spec, graph = run_gke("dev")
    cluster_spec = next(c for c in spec.clusters if c.name == "dev-gcp")
    component = next(r for r in graph.of_type("ztc:gcp:GkeCluster"))
    return GkeRun(
        spec=spec,
        cluster_spec=cluster_spec,
        graph=graph,
        component=component,
        outputs=graph.component_outputs[component.urn],
    )
