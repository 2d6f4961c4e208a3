"""One shared mocked run of the dev-aws EksCluster for the whole suite (keeps it fast)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from zero_trust_clusters.components.cluster import ClusterArgs
from zero_trust_clusters.components.spec import ClusterSpec, EstateSpec, load_spec
from zero_trust_clusters.engine.mocks import CapturedResource, unwrap
from zero_trust_clusters.engine.runner import Graph, run_program
from zero_trust_clusters.engine.stackfile import load_stack_config


def load(stack: str) -> EstateSpec:
    config, _secure = load_stack_config(stack)
    return load_spec(config)


def aws_cluster(spec: EstateSpec, name: str | None = None) -> tuple[int, ClusterSpec]:
    return next((i, c) for i, c in enumerate(spec.clusters)
                if c.cloud == "aws" and (name is None or c.name == name))


def run_eks(spec: EstateSpec, cluster: ClusterSpec, index: int | None = None, *,
            preview: bool = False) -> Graph:
    def program() -> None:
        from zero_trust_clusters.components.aws import EksCluster

        eks = EksCluster(cluster.name, ClusterArgs(cluster=cluster, posture=spec.posture,
                                                   trust_domain=spec.trust_domain(cluster)),
                         config_index=index)
        pulumi.export("endpoint", eks.endpoint)
        pulumi.export("certificateAuthority", eks.certificate_authority)
        pulumi.export("kubeconfig", eks.kubeconfig)
        pulumi.export("oidcIssuer", eks.oidc_issuer)
        pulumi.export("controls", eks.controls)

    return run_program(program, preview=preview)


class View:
    """Plain (secret-unwrapped) inputs of the captured resources, by type and name."""

    def __init__(self, graph: Graph):
        self.graph = graph

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [unwrap(r.inputs) for r in self.graph.of_type(type_)]

    def one(self, type_: str, match: Callable[[dict[str, Any]], bool] = lambda _: True
            ) -> dict[str, Any]:
        found = [i for i in self.of_type(type_) if match(i)]
        assert len(found) == 1, f"expected one {type_}, found {len(found)}"
        return found[0]

    def resource(self, type_: str, name: str) -> CapturedResource:
        found = [r for r in self.graph.of_type(type_) if r.name == name]
        assert len(found) == 1, f"expected one {type_} named {name}, found {len(found)}"
        return found[0]

    def inputs(self, type_: str, name: str) -> dict[str, Any]:
        return unwrap(self.resource(type_, name).inputs)

    def policy(self, raw: str) -> dict[str, Any]:
        return json.loads(raw)


@pytest.fixture(scope="session")
def dev_spec() -> EstateSpec:
    return load("dev")


@pytest.fixture(scope="session")
def dev_graph(dev_spec: EstateSpec) -> Graph:
    index, cluster = aws_cluster(dev_spec)
    return run_eks(dev_spec, cluster, index)


@pytest.fixture(scope="session")
def dev_preview_graph(dev_spec: EstateSpec) -> Graph:
    """The same cluster as a first `pulumi preview` sees it: computed outputs unknown."""
    index, cluster = aws_cluster(dev_spec)
    return run_eks(dev_spec, cluster, index, preview=True)


@pytest.fixture(scope="session")
def dev(dev_graph: Graph) -> View:
    return View(dev_graph)


@pytest.fixture(scope="session")
def eks_run() -> Callable[..., Graph]:
    """Run an EksCluster for (spec, cluster, index) under the mocks."""
    return run_eks


@pytest.fixture(scope="session")
def aws_clusters() -> Callable[..., tuple[int, ClusterSpec]]:
    return aws_cluster


@pytest.fixture(scope="session")
def load_stack() -> Callable[[str], EstateSpec]:
    return load
