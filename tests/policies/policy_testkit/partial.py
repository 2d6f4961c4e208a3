"""Analyze only what changed, plus AnalyzeStack of the whole graph (the mutation test's loop).

Unchanged resources give the same Analyze answer as in the untouched run, which the test checks
once; so each mutation re-sends only its changed resources and the whole stack.
"""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from scripts.engine.analyzer import (
    Diagnostic,
    _diagnostics,
    _options,
    _provider_ref,
    _struct,
)
from scripts.engine.mocks import CapturedResource


def configure(stub, stack: str, project: str) -> None:
    info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        p.name: analyzer_pb2.PolicyConfig(enforcementLevel=p.enforcementLevel)
        for p in info.policies}))
    stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=stack, project=project, dry_run=True))


def analyze(stub, resources: list[CapturedResource],
            changed: Iterable[CapturedResource]) -> list[Diagnostic]:
    by_urn = {r.urn: r for r in resources}
    out: list[Diagnostic] = []
    for r in changed:
        if not r.custom:
            continue
        response = stub.Analyze(analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name,
            options=_options(r), provider=_provider_ref(r.provider, by_urn)))
        out += _diagnostics(response, r.urn)
    response = stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name,
            options=_options(r), provider=_provider_ref(r.provider, by_urn), parent=r.parent,
            dependencies=r.dependencies,
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                                  for k, v in r.property_dependencies.items()})
        for r in resources]))
    return out + _diagnostics(response)
