"""One policy pass split in its two phases (Analyze per resource, AnalyzeStack), for the
benchmark and the mutation test. Requests are built by zero_trust_clusters.engine.analyzer, as the engine
(and the CLI) sends them: properties, URN, name, parent, provider, dependencies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2

from zero_trust_clusters.engine.analyzer import (
    Diagnostic,
    analyze_request,
    diagnostics_of,
    stack_request,
)
from zero_trust_clusters.engine.mocks import CapturedResource


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
        if r.custom:
            out += diagnostics_of(stub.Analyze(analyze_request(r, by_urn)), r.urn)
            checked += 1
    return checked, out


def analyze_stack(stub, resources: Sequence[CapturedResource]) -> list[Diagnostic]:
    return diagnostics_of(stub.AnalyzeStack(stack_request(resources)))
