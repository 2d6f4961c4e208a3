"""One policy pass split in its two phases (Analyze per resource, AnalyzeStack), for the
benchmark and the mutation test. Requests carry what scripts.engine.analyzer sends (and what
the CLI sends): properties, URN, name, parent, provider, dependencies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from scripts.engine.analyzer import ENFORCEMENT, Diagnostic, to_wire
from scripts.engine.mocks import CapturedResource


def configure(stub, stack: str, project: str) -> None:
    """Every policy at its default enforcement level, no properties (schema defaults apply)."""
    info = stub.GetAnalyzerInfo(empty_pb2.Empty())
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        p.name: analyzer_pb2.PolicyConfig(enforcementLevel=p.enforcementLevel)
        for p in info.policies}))
    stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=stack, project=project, dry_run=True))


def _struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(to_wire(dict(props)))
    return out


def _fields(r: CapturedResource, by_urn: Mapping[str, CapturedResource]) -> dict[str, Any]:
    provider = by_urn.get(r.provider.rsplit("::", 1)[0]) if r.provider else None
    return {
        "type": r.type, "properties": _struct(r.inputs), "urn": r.urn, "name": r.name,
        "options": analyzer_pb2.AnalyzerResourceOptions(parent=r.parent),
        "provider": analyzer_pb2.AnalyzerProviderResource(
            type=provider.type, properties=_struct(provider.inputs), urn=provider.urn,
            name=provider.name) if provider else None,
    }


def _diagnostics(response, urn: str = "") -> list[Diagnostic]:
    return [Diagnostic(policy_name=d.policyName, policy_pack=d.policyPackName, message=d.message,
                       enforcement_level=ENFORCEMENT.get(d.enforcementLevel, "advisory"),
                       urn=d.urn or urn, description=d.description)
            for d in response.diagnostics]


def analyze_resources(stub, resources: Sequence[CapturedResource],
                      which: Iterable[CapturedResource]) -> tuple[int, list[Diagnostic]]:
    """Analyze each custom resource of `which`; returns (resources checked, diagnostics)."""
    by_urn = {r.urn: r for r in resources}
    out: list[Diagnostic] = []
    checked = 0
    for r in which:
        if r.custom:
            response = stub.Analyze(analyzer_pb2.AnalyzeRequest(**_fields(r, by_urn)))
            out += _diagnostics(response, r.urn)
            checked += 1
    return checked, out


def analyze_stack(stub, resources: Sequence[CapturedResource]) -> list[Diagnostic]:
    by_urn = {r.urn: r for r in resources}
    response = stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            **_fields(r, by_urn), parent=r.parent, dependencies=r.dependencies,
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                                  for k, v in r.property_dependencies.items()})
        for r in resources]))
    return _diagnostics(response)
