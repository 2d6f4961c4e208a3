"""One policy pass split in its two phases (Analyze per resource, AnalyzeStack), for the
benchmark and the mutation test. Messages are built exactly as scripts.engine.analyzer does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from scripts.engine.analyzer import Diagnostic, _diagnostics, _options, _provider_ref, _struct
from scripts.engine.mocks import CapturedResource


def configure(stub, stack: str, project: str) -> None:
    """Every policy at its default enforcement level, no properties (schema defaults apply)."""
    info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        p.name: analyzer_pb2.PolicyConfig(enforcementLevel=p.enforcementLevel)
        for p in info.policies}))
    stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=stack, project=project, dry_run=True))


def analyze_resources(stub, resources: Sequence[CapturedResource],
                      which: Iterable[CapturedResource]) -> tuple[int, list[Diagnostic]]:
    """Analyze each custom resource of `which`; returns (resources checked, diagnostics)."""
    by_urn = {r.urn: r for r in resources}
    out: list[Diagnostic] = []
    checked = 0
    for r in which:
        if not r.custom:
            continue
        response = stub.Analyze(analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name,
            options=_options(r), provider=_provider_ref(r.provider, by_urn)))
        out += _diagnostics(response, r.urn)
        checked += 1
    return checked, out


def analyze_stack(stub, resources: Sequence[CapturedResource]) -> list[Diagnostic]:
    by_urn = {r.urn: r for r in resources}
    response = stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name,
            options=_options(r), provider=_provider_ref(r.provider, by_urn), parent=r.parent,
            dependencies=r.dependencies,
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                                  for k, v in r.property_dependencies.items()})
        for r in resources]))
    return _diagnostics(response)
