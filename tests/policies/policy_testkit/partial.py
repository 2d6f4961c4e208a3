"""Analyze only what changed, plus AnalyzeStack of the whole graph (the mutation test's loop).

Unchanged resources give the same Analyze answer as in the untouched run, which the test checks
once; so each mutation re-sends only its changed resources and the whole stack.
"""

from __future__ import annotations

from collections.abc import Iterable

from zero_trust_clusters.engine.analyzer import Diagnostic
from zero_trust_clusters.engine.mocks import CapturedResource
from zero_trust_clusters.report.policy_pass import analyze_resources, analyze_stack, configure

__all__ = ["analyze", "configure"]


def analyze(stub, resources: list[CapturedResource],
            changed: Iterable[CapturedResource]) -> list[Diagnostic]:
    _, diagnostics = analyze_resources(stub, resources, changed)
    return diagnostics + analyze_stack(stub, resources)
