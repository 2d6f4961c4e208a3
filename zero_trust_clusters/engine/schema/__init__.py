"""The schema stage: every captured input against the providers' real schemas and documented
API rules, offline. Runs after the program and before the policy pack (`ztc preview`), and
on any saved plan (`ztc validate PLAN.json`).

One module per source of truth:
- sdk.py: provider resources against the pinned SDKs' Args / input types (names at every
  depth, types, required properties, enums);
- kubernetes.py: Kubernetes objects against the cluster version's OpenAPI schema, custom
  resources against the vendored CRDs of the exact chart version installed;
- helm.py: chart versions against the repositories' published indexes, values against the
  chart's values.schema.json;
- aws_models.py: AWS string values against botocore's API models (enums, patterns, lengths);
- policy_documents.py: JSON policy documents against the IAM grammar and parliament;
- api_rules.py: documented rules no schema carries, one table with a link per row.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from zero_trust_clusters.engine.schema import (
    api_rules,
    aws_models,
    helm,
    kubernetes,
    policy_documents,
    sdk,
)
from zero_trust_clusters.engine.schema.findings import Finding, SchemaReport
from zero_trust_clusters.engine.schema.plan import PlanResource, from_captured, from_plan, masked

__all__ = ["Finding", "SchemaReport", "check_graph", "check_plan", "check_resources"]


def check_resources(
    resources: Iterable[PlanResource],
    exports: Mapping[str, Any] | None = None,
    *,
    first_preview: bool = False,
) -> SchemaReport:
    """`first_preview`: computed outputs are unknown (`ztc preview --preview`), so inputs fed
    by them may be absent under the mocks and required-input checks are off."""
    started = time.perf_counter()
    resources = list(resources)
    ctx = kubernetes.context(resources, exports or {})
    report = SchemaReport(first_preview=first_preview)
    unchecked: set[str] = set()
    for resource in resources:
        if not resource.custom and not resource.type.startswith(sdk.PROVIDER_PREFIX):
            continue  # components: nothing reaches a provider
        found: list[Finding] = []
        if kubernetes.handles(resource):
            found += kubernetes.check(resource, ctx)
        elif sdk.handles(resource):
            found += sdk.check(resource, first_preview=first_preview)
        else:
            unchecked.add(resource.type)
            continue
        for module in (helm, aws_models, policy_documents, api_rules):
            if module.handles(resource):
                found += module.check(resource)
        report.findings += _without_duplicates(found)
        report.resources_checked += 1
    report.unchecked_types = sorted(unchecked)
    report.seconds = time.perf_counter() - started
    return report


def _without_duplicates(found: list[Finding]) -> list[Finding]:
    """One finding per (path, value): a documented rule's row (with its link) wins over the
    botocore model saying the same, e.g. an IAM role name both reject."""
    rank = {"api-rule": 0}
    best: dict[tuple[str, str], Finding] = {}
    for finding in found:
        key = (finding.path, finding.value)
        if key not in best or rank.get(finding.check, 1) < rank.get(best[key].check, 1):
            best[key] = finding
    return [f for f in found if best[(f.path, f.value)] is f]


def check_graph(graph: Any) -> SchemaReport:
    """The stage on a graph captured in-process (zero_trust_clusters.engine.runner.Graph)."""
    custom = [r for r in graph.resources if r.custom]
    # Under the mocks a first preview gives every new resource an empty id.
    first_preview = bool(custom) and all(r.id == "" for r in custom)
    return check_resources(
        from_captured(graph.resources), masked(graph.exports), first_preview=first_preview
    )


def check_plan(plan: Mapping[str, Any]) -> SchemaReport:
    """The stage on a plan document (`ztc preview --format json`). KeyError if not a plan."""
    first_preview = bool((plan.get("schema") or {}).get("firstPreview"))
    return check_resources(from_plan(plan), plan.get("exports") or {}, first_preview=first_preview)
