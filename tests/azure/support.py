"""Run `AksCluster` under the mocks and read what it registered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from zero_trust_clusters.components.cluster import ClusterAccessArgs, ClusterArgs
from zero_trust_clusters.components.spec import ClusterSpec, EstateSpec, load_spec
from zero_trust_clusters.engine.mocks import CapturedResource, unwrap
from zero_trust_clusters.engine.runner import Graph, run_program
from zero_trust_clusters.engine.stackfile import load_stack_config, to_pulumi_config

CLUSTER = "dev-azure"


@dataclass
class AksRun:
    spec: EstateSpec
    cluster_spec: ClusterSpec
    graph: Graph
    component: CapturedResource
    outputs: dict[str, Any]  # the component's registered outputs (wire form, secrets wrapped)
    sandbox: Any  # the SandboxPlacement object the component exposes

    def of_type(self, type_: str) -> list[CapturedResource]:
        return self.graph.of_type(type_)

    def one(self, type_: str) -> CapturedResource:
        found = self.graph.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> CapturedResource:
        return self.graph.named(name)

    def inputs(self, resource: CapturedResource | str) -> dict[str, Any]:
        if isinstance(resource, str):
            resource = self.named(resource)
        return unwrap(resource.inputs)

    @property
    def cluster(self) -> CapturedResource:
        return self.one("azure-native:containerservice:ManagedCluster")


def run_aks(stack: str = "dev", name: str = CLUSTER,
            access: ClusterAccessArgs | None = None) -> AksRun:
    config, _secure = load_stack_config(stack)
    spec = load_spec(config)
    cluster_spec = next(c for c in spec.clusters if c.name == name)
    exposed: dict[str, Any] = {}

    def program() -> None:
        from zero_trust_clusters.components.azure import AksCluster

        aks = AksCluster(
            cluster_spec.name,
            ClusterArgs(cluster_spec, spec.posture, spec.trust_domain(cluster_spec),
                        access=access),
        )
        exposed["sandbox"] = aks.sandbox
        pulumi.export("kubeconfig", aks.kubeconfig)

    graph = run_program(program, config=to_pulumi_config(config), stack=stack)
    component = next(r for r in graph.of_type("ztc:azure:AksCluster"))
    return AksRun(
        spec=spec,
        cluster_spec=cluster_spec,
        graph=graph,
        component=component,
        outputs=graph.component_outputs[component.urn],
        sandbox=exposed["sandbox"],
    )


def run_all_azure(stack: str) -> tuple[EstateSpec, Graph]:
    """Every azure cluster of `stack` in one program (several providers, one graph)."""
    config, _secure = load_stack_config(stack)
    spec = load_spec(config)

    def program() -> None:
        from zero_trust_clusters.components.azure import AksCluster

        for cluster in spec.clusters:
            if cluster.cloud == "azure":
                AksCluster(cluster.name,
                           ClusterArgs(cluster, spec.posture, spec.trust_domain(cluster)))

    return spec, run_program(program, config=to_pulumi_config(config), stack=stack)
