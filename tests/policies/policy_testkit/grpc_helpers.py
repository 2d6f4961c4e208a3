"""Drive a running pack over gRPC (Configure, Analyze, AnalyzeStack) for test cases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policy_testkit.handwritten import PROJECT, STACK
from zero_trust_clusters.engine.analyzer import AnalysisResult, _analyze
from zero_trust_clusters.engine.mocks import CapturedResource


def run(pack, resources: Iterable[CapturedResource], config: Mapping[str, Any] | None = None,
        stack: str = STACK) -> AnalysisResult:
    resources = list(resources)
    return _analyze(pack.stub, resources, {r.urn: r for r in resources}, stack, PROJECT,
                    config, True)


def mandatory(result: AnalysisResult) -> list[tuple[str, str, str]]:
    return [(d.policy_name, d.urn, d.message) for d in result.mandatory]
